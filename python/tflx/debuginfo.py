"""Where a SavedModel's ops came from: the user's file:line for each node of a signature.

A SavedModel written with `tf.saved_model.SaveOptions(save_debug_info=True)` keeps every node's
creation stack in `debug/saved_model_debug_info.pb`, keyed `node@function`. Freezing a signature
inlines its calls, so the node the converter sees is named by the call path
(`StatefulPartitionedCall/model/dense/MatMul`); this module walks the signature's function and
the functions it calls to give each such path the innermost stack frame outside TF/Keras/tflx.
Without debug info (the default when saving) nothing is found and errors name TF nodes instead.
"""
from __future__ import annotations

import os

_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


def _user_frame(debug, trace) -> str | None:
    from .errors import _MACHINERY
    frames = [debug.frames_by_id[i] for i in trace.frame_id if i in debug.frames_by_id]
    frames += list(trace.file_line_cols)
    for fr in reversed(frames):  # outermost first in the proto: the innermost user frame is last
        path = debug.files[fr.file_index] if fr.file_index < len(debug.files) else ""
        if path and not _MACHINERY.search(path):
            return f"{path}:{fr.line}"
    return None


def _load(path: str):
    from tensorflow.core.framework import graph_debug_info_pb2
    from tensorflow.core.protobuf import saved_model_pb2
    dbg_path = os.path.join(path, "debug", "saved_model_debug_info.pb")
    if not os.path.isfile(dbg_path):
        return None, None
    debug = graph_debug_info_pb2.GraphDebugInfo()
    sm = saved_model_pb2.SavedModel()
    try:
        with open(dbg_path, "rb") as f:
            debug.ParseFromString(f.read())
        with open(os.path.join(path, "saved_model.pb"), "rb") as f:
            sm.ParseFromString(f.read())
    except Exception:  # noqa: BLE001 - debug info is optional; a damaged file just gives none
        return None, None
    return debug, sm


def _signature_functions(sm) -> dict[str, str]:
    """signature key -> name of its concrete (wrapper) function."""
    og = sm.meta_graphs[0].object_graph_def
    out = {}
    for node in og.nodes:
        if node.WhichOneof("kind") == "user_object" and node.user_object.identifier == "signature_map":
            for child in node.children:
                target = og.nodes[child.node_id]
                kind = target.WhichOneof("kind")
                if kind == "bare_concrete_function":
                    out[child.local_name] = target.bare_concrete_function.concrete_function_name
                elif kind == "function" and target.function.concrete_functions:
                    out[child.local_name] = target.function.concrete_functions[0]
    return out


def saved_model_node_sources(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """signature key -> {inlined node path -> 'file:line'}; empty without saved debug info."""
    path = os.fspath(path)
    debug, sm = _load(path)
    if debug is None:
        return {}
    lines: dict[tuple[str, str], str] = {}
    for key, trace_id in debug.name_to_trace_id.items():
        node, _, fn = key.partition("@")
        where = _user_frame(debug, debug.traces_by_id[trace_id]) if trace_id in debug.traces_by_id else None
        if where:
            lines[(fn, node)] = where
    for key, trace in debug.traces.items():  # older writers: traces keyed directly
        node, _, fn = key.partition("@")
        where = _user_frame(debug, trace)
        if where:
            lines.setdefault((fn, node), where)
    functions = {f.signature.name: f for f in sm.meta_graphs[0].graph_def.library.function}

    def expand(fn: str, prefix: str, out: dict, depth: int) -> None:
        fdef = functions.get(fn)
        if fdef is None or depth > 16:
            return
        for nd in fdef.node_def:
            where = lines.get((fn, nd.name))
            if where:
                out.setdefault(prefix + nd.name, where)
            if nd.op in _CALL_OPS and "f" in nd.attr:
                expand(nd.attr["f"].func.name, prefix + nd.name + "/", out, depth + 1)

    result = {}
    for key, fn in _signature_functions(sm).items():
        result[key] = {}
        expand(fn, "", result[key], 0)
        result[key] = with_suffixes(result[key])
    return result


def with_suffixes(by_path: dict[str, str]) -> dict[str, str]:
    """Also index each 'a/b/c' entry by 'b/c' and 'c' where that is unambiguous: depending on how
    the function was imported, an op is named by its full inlined call path or by its path inside
    the called function."""
    out = dict(by_path)
    seen: dict[str, set] = {}
    for path, value in by_path.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            seen.setdefault("/".join(parts[i:]), set()).add(value)
    for suffix, values in seen.items():
        if suffix not in out and len(values) == 1:
            out[suffix] = next(iter(values))
    return out


def attach(model, signatures) -> None:
    """Fill each Signature's node_sources from a SavedModel's debug info (keeps what is there)."""
    if not isinstance(model, (str, os.PathLike)) or not os.path.isdir(os.fspath(model)):
        return
    per_sig = saved_model_node_sources(model)
    for sig in signatures:
        for node, where in per_sig.get(sig.key, {}).items():
            sig.node_sources.setdefault(node, where)


def source_for_location(location_text: str, sources: dict[str, str]) -> str | None:
    """The user's file:line for an op: from its location's file:line frames, else by the TF node
    names its location carries (`callsite("a/b"(...))`, `loc("a/b")`, fused names)."""
    import re
    from .errors import node_name, user_source_line
    # An op inlined from a called function carries the caller's frames, not its own: its call
    # path (`PartitionedCall/MatrixSquareRoot`) names it exactly, so ask the debug info first.
    path = node_name(location_text)
    if path in sources:
        return sources[path]
    where = user_source_line(location_text)
    if where:
        return where
    for name in re.findall(r'"([^"]+)"', location_text):
        name = name.rstrip(":")
        if name in sources:
            return sources[name]
        for part in name.split(";"):
            if part in sources:
                return sources[part]
    return None
