"""`tflx explore PATH`: Google's Model Explorer on tflx's artifacts, with per-node overlays.

PATH is a model (SavedModel directory or .keras file: converted first, into a temporary dump
directory), a .tflite, a .mlir stage dump, or a `--dump-dir` folder (every stage file becomes one
model of the same Model Explorer page). Overlays, one node-data file per model and overlay:

  MACs            multiply-accumulates at batch 1 (tflx.profile.per_op) on the .tflite's operators
                  and on the MLIR ops they come from (flatbuffer stage by location, tfl / tfl-opt
                  stages when their op sequence is the .tflite's)
  output bytes    bytes of each node's results at batch 1 (dynamic dimensions counted as 1)
  tflx pass       the tflx pass whose rewrite created the node (see "Pass provenance")
  failure         for a dump of a failed conversion (failure.json): the failing op, in red

How Model Explorer names nodes (tflx runs its adapters to read their output graphs):
  .tflite  one graph per subgraph (id: the subgraph's name); an operator's node id is its
           operator index ("0", "1", ...); constants, inputs and outputs get the ids after them.
           tflx matches each operator to the node showing its first output tensor (tensor_index).
  .mlir    one graph per func.func (id: the function's name); node ids count the function's ops
           from "0" in order -- a region op before the ops of its regions, terminators included
           (labelled "Outputs"); block arguments are "argN" / "pidK_argN". The adapter parses the
           file itself and may fold and reorder ops on the way (TF dialect: `x * 1` goes), so tflx
           matches its own ops to the adapter's nodes by (label, result types) and the node's
           namespace (a TF node name from the op's location); ops left unmatched get no overlay.
           In the flatbuffer stage an op's location names its .tflite operator
           ("tflite.subgraph=S.op=I"); tfl / tfl-opt ops pair with the .tflite's operators when a
           function's ops are exactly its subgraph's operators, in order.

Pass provenance: passes re-use the location of the op they rewrite for the ops they create, and
TF's importer puts the TF node's name (and type) in every op's location, which later stages keep.
When explore converts the model itself, every pass is wrapped to record the ops it created
(exact for the stage the pass ran in). For an existing dump directory no per-op record exists:
it is derived from the dumps -- an op of a pass's stage whose location names a TF node of a type
that pass rewrites (its rules, e.g. `tf.Einsum`), and that is not that op any more, was created
by the pass (only for passes that fired per timings.json / failure.json). Later stages inherit the
attribution through the TF node names in their locations (in the flatbuffer stage: its tensor
names). Passes without op-type rules (e.g. outline-tfl-while) are not attributed from dumps.
"""
from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import re
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass, field

from .errors import TflxError, node_name, user_source_line

INSTALL = "pip install -e '.[explore]'"
STAGE_ORDER = ("tf", "stablehlo", "tfl", "tfl-opt", "flatbuffer", "quantize")
_DUMP_FILE = re.compile(r"^(\d\d)-([a-z-]+)\.(mlir|tflite)$")
_CONSTS = {"arith.constant", "tf.Const", "stablehlo.constant", "tfl.pseudo_const", "tfl.pseudo_qconst",
           "tfl.pseudo_sparse_const", "tfl.pseudo_sparse_qconst", "tfl.no_value", "mhlo.constant"}
_TERMINATORS = {"func.return", "tfl.yield", "stablehlo.return", "tf.Yield", "mhlo.return", "tf_executor.fetch",
                "scf.yield"}


def require() -> None:
    """One line, no traceback, when the optional Model Explorer package is missing."""
    try:
        import model_explorer  # noqa: F401
    except ImportError:
        raise TflxError(f"Model Explorer is not installed: {INSTALL} (or pip install ai-edge-model-explorer)") \
            from None


# --------------------------------------------------------------------------------------------
# Locations

@dataclass(frozen=True)
class LocInfo:
    names: tuple[str, ...] = ()  # TF node names on the callee side ("conv/Conv2D@__inference_f_12")
    types: tuple[str, ...] = ()  # TF op types ("Conv2D" from the importer's "Conv2D:")
    meta: tuple[str, ...] = ()  # fused<"..."> metadata ("tflite.subgraph=0.op=3:MEAN")


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FILELOC_TAIL = re.compile(r":\d+(?::\d+)?(?: to (?:\d+)?:\d+)?")


def parse_loc(text: str) -> LocInfo:
    """Names, types and metadata in a printed MLIR location. A callsite's caller (where an
    inlined function was called from) is skipped: it names the call, not this op."""
    names, types, meta = [], [], []
    s, i = text, 0

    def expect(tok):
        nonlocal i
        if not s.startswith(tok, i):
            raise ValueError(f"expected {tok!r} at {i}")
        i += len(tok)

    def string():
        nonlocal i
        m = _QUOTED.match(s, i)
        if not m:
            raise ValueError(f"expected a string at {i}")
        i = m.end()
        return m.group(1)

    def loc(keep):
        nonlocal i
        if s.startswith("loc(", i):
            i += 4
            loc(keep)
            expect(")")
        elif s.startswith("unknown", i):
            i += 7
        elif s.startswith("callsite(", i):
            i += 9
            loc(keep)
            expect(" at ")
            loc(False)
            expect(")")
        elif s.startswith("fused", i):
            i += 5
            if s.startswith("<", i):
                start, depth = i, 0
                while i < len(s):
                    if s[i] == '"':
                        string()
                        continue
                    depth += {"<": 1, ">": -1}.get(s[i], 0)
                    i += 1
                    if depth == 0:
                        break
                if keep:
                    meta.extend(_QUOTED.findall(s[start:i]))
            expect("[")
            loc(keep)
            while s.startswith(", ", i):
                i += 2
                loc(keep)
            expect("]")
        elif s.startswith('"', i):
            value = string()
            tail = _FILELOC_TAIL.match(s, i)
            if tail:  # "file.py":12:3 -- a source line, not a name
                i = tail.end()
                return
            if keep:
                if value.endswith(":"):
                    types.append(value[:-1])
                else:
                    names.extend(p for p in value.split(";") if p)
            if s.startswith("(", i):
                i += 1
                loc(keep)
                expect(")")
        else:
            raise ValueError(f"unexpected location syntax at {i}")

    try:
        loc(True)
    except (ValueError, IndexError, RecursionError):  # anything unexpected: every quoted string, less files
        names, types, meta = [], [], []
        for q in _QUOTED.findall(text):
            if q.startswith("tflite."):
                meta.append(q)
            elif q.endswith(":"):
                types.append(q[:-1])
            elif not re.search(r"\.py$|^/|^<", q):
                names.extend(p for p in q.split(";") if p)
    return LocInfo(tuple(names), tuple(types), tuple(meta))


def plain(name: str) -> str:
    """A TF node name without its function ("a/b@__inference_f_1" -> "a/b"): the flatbuffer
    stage's tensor names have no function part."""
    return name.split("@", 1)[0]


# --------------------------------------------------------------------------------------------
# Nodes of one model file, with Model Explorer's ids

@dataclass
class Node:
    graph: str  # Model Explorer graph id
    id: str  # Model Explorer node id
    op: str  # "tfl.conv_2d" (MLIR) or "CONV_2D" (.tflite)
    loc: str = ""  # printed location (MLIR)
    info: LocInfo = field(default_factory=LocInfo)
    tfl: tuple[int, int] | None = None  # (subgraph, operator index) in the .tflite
    out_bytes: int | None = None
    top: bool = False  # directly in the function body (not in a region of another op)
    func_index: int = 0
    key: tuple = ()  # (Model Explorer label, result types): what assign_mlir_ids aligns by

    @property
    def is_const(self) -> bool:
        return self.op in _CONSTS


@dataclass
class Model:
    """One file shown in Model Explorer."""
    path: str
    kind: str  # "mlir" | "tflite"
    stage: str | None  # the tflx stage it is the output of (None: unknown)
    nodes: list[Node] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)  # graph ids in file order
    tflite: bytes | None = None  # this file (.tflite) or its sibling .tflite (flatbuffer-stage MLIR)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def stage_index(self) -> int:
        return STAGE_ORDER.index(self.stage) if self.stage in STAGE_ORDER else len(STAGE_ORDER)


def _bits(elem: str) -> int | None:
    """Bits of one element of an MLIR element type ("f32", "i8", "!quant.uniform<i8:f32, ..>")."""
    if elem in ("bf16", "index"):
        return 16 if elem == "bf16" else 64
    m = re.match(r"^(?:f|u?i|si)(\d+)", elem)
    if m:
        bits = int(m.group(1))
        return 8 if bits == 1 else bits  # i1: TFLite's bool is a byte
    m = re.match(r"^complex<f(\d+)>$", elem)
    if m:
        return 2 * int(m.group(1))
    m = re.match(r"^!quant\.\w+<u?i(\d+)", elem)
    if m:
        return int(m.group(1))
    return None


def result_bytes(op, batch: int = 1) -> int | None:
    """Bytes of an op's results; dynamic dimensions count as `batch` (None: not a tensor/size)."""
    from .mlir import ir
    total, any_tensor = 0, False
    for r in op.results:
        t = r.type
        if not isinstance(t, ir.RankedTensorType):  # the bindings give the concrete type class
            return None
        rt = t
        bits = _bits(str(rt.element_type))
        if bits is None:
            return None
        n = 1
        for d in rt.shape:
            n *= batch if d < 0 else d
        total += math.ceil(n * bits / 8)
        any_tensor = True
    return total if any_tensor else None


def _func_name(func) -> str:
    from .mlir import ir
    return ir.StringAttr(func.attributes["sym_name"]).value


def _me_label(op_name: str, terminator: bool) -> str:
    """The label Model Explorer's MLIR adapter gives an op: "Outputs" for a terminator, the name
    without its dialect for tf/tfl ops, the full name otherwise."""
    if terminator:
        return "Outputs"
    dialect, _, rest = op_name.partition(".")
    return rest if dialect in ("tf", "tfl") and rest else op_name


def mlir_nodes(path: str, ctx, batch: int = 1) -> tuple[list[Node], list[str]]:
    """Every op of every func.func in the file, pre-order, with the key (label, result types)
    that `assign_mlir_ids` matches against Model Explorer's nodes; ids are set there."""
    from .mlir import parse_module
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise TflxError(f"cannot read '{path}': {e}") from None
    module = parse_module(text, ctx, what=f"'{path}'")
    nodes, graphs = [], []
    for fi, func in enumerate(op for op in module.body.operations if op.operation.name == "func.func"):
        graph = _func_name(func)
        graphs.append(graph)

        def visit(parent, top):
            for region in parent.regions:
                for block in region.blocks:
                    ops = [c.operation for c in block.operations]
                    for k, op in enumerate(ops):
                        loc = str(op.location)
                        terminator = op.name in _TERMINATORS or (k == len(ops) - 1 and len(op.results) == 0)
                        key = (_me_label(op.name, terminator), tuple(str(r.type) for r in op.results))
                        nodes.append(Node(graph, "", op.name, loc, parse_loc(loc), top=top, func_index=fi,
                                          out_bytes=result_bytes(op, batch), key=key))
                        visit(op, False)

        visit(func.operation, True)
    for n in nodes:
        for m in n.info.meta:
            hit = re.match(r"tflite\.subgraph=(\d+)\.op=(\d+)\b", m)
            if hit:
                n.tfl = (int(hit.group(1)), int(hit.group(2)))
    return nodes, graphs


def _namespaces(n: Node) -> set[str]:
    """Names Model Explorer may show as the op's namespace (its node name): a TF node name, with
    or without its function, or an importer type name ("Conv2D:")."""
    return ({x for x in n.info.names} | {plain(x) for x in n.info.names}
            | {t + ":" for t in n.info.types})


def assign_mlir_ids(nodes: list[Node], graphs_json: dict) -> int:
    """Set each op's Model Explorer node id. The adapter numbers the ops of each function from
    "0" in order (a region op before the ops of its regions, terminators as "Outputs"), but it
    parses the file with its own dialects and may fold and reorder ops on the way (TF dialect:
    `x * 1` goes), so ids are not a plain count. An adapter node takes the first unclaimed op
    with its (label, result types) and a location naming its namespace; then nodes left take
    the rest of their (label, result types) group in order where the counts agree. Ops left
    unmatched are dropped (no overlay); returns how many."""
    theirs: dict[str, list[tuple[tuple, str, str]]] = {}
    for c in graphs_json.get("graphCollections", []):
        for g in c["graphs"]:
            seq = []
            for n in g["nodes"]:
                if not n["id"].isdigit():  # argN / pidK_argN: block arguments
                    continue
                shapes = []
                for meta in sorted(n.get("outputsMetadata", []), key=lambda m: int(m["id"])):
                    shapes.append(next((a["value"] for a in meta.get("attrs", []) if a["key"] == "tensor_shape"), ""))
                seq.append((int(n["id"]), (n["label"], tuple(shapes)), n.get("namespace") or "", n["id"]))
            theirs[g["id"]] = [(k, ns, i) for _, k, ns, i in sorted(seq)]
    by_graph = collections.defaultdict(list)
    for n in nodes:
        by_graph[n.graph].append(n)
    for graph, mine in by_graph.items():
        other = theirs.get(graph, [])
        if [n.key for n in mine] == [k for k, _, _ in other]:  # the usual case: nothing folded
            for n, (_, _, i) in zip(mine, other):
                n.id = i
            continue
        groups = collections.defaultdict(list)
        for n in mine:
            groups[n.key].append(n)
        left = []
        for key, ns, i in other:
            group = groups.get(key, [])
            hit = next((k for k, n in enumerate(group) if ns in _namespaces(n)), None) if ns else None
            if hit is None:
                left.append((key, i))
            else:
                group.pop(hit).id = i
        wanted = collections.Counter(key for key, _ in left)
        for key, i in left:
            group = groups.get(key, [])
            if group and len(group) == wanted[key]:
                group.pop(0).id = i
    before = len(nodes)
    nodes[:] = [n for n in nodes if n.id]
    return before - len(nodes)


@dataclass
class TfliteOp:
    subgraph: int
    index: int
    op: str  # builtin name ("CONV_2D"), "CUSTOM"
    outputs: list[int]
    out_names: list[str]
    out_bytes: int | None


def tflite_ops(fb: bytes, batch: int = 1) -> tuple[list[str], list[TfliteOp]]:
    """Subgraph names and operators of a .tflite (shape_signature's -1 counted as `batch`)."""
    from .flatbuffer import _schema, _type_bits, builtin_names, validate
    validate(fb)
    s = _schema()
    names, bits = builtin_names(), _type_bits()
    m = s.Model.GetRootAs(fb, 0)
    subgraphs, ops = [], []
    for si in range(m.SubgraphsLength()):
        g = m.Subgraphs(si)
        subgraphs.append((g.Name() or b"").decode())
        for oi in range(g.OperatorsLength()):
            o = g.Operators(oi)
            oc = m.OperatorCodes(o.OpcodeIndex())
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            outs = [o.Outputs(k) for k in range(o.OutputsLength())]
            total, tnames = 0, []
            for t in outs:
                if t < 0:
                    continue
                tensor = g.Tensors(t)
                tnames.append((tensor.Name() or b"").decode())
                shape = (tensor.ShapeSignatureAsNumpy() if tensor.ShapeSignatureLength() else tensor.ShapeAsNumpy())
                shape = [] if isinstance(shape, int) else list(shape)
                b = bits.get(tensor.Type(), 0)
                if total is not None and b:
                    total += math.ceil(math.prod(batch if d < 0 else int(d) for d in shape) * b / 8)
                else:
                    total = None
            ops.append(TfliteOp(si, oi, names.get(code, str(code)), outs, tnames, total))
    return subgraphs, ops


def tflite_nodes(fb: bytes, graphs_json: dict | None, batch: int = 1) -> tuple[list[Node], list[str]]:
    """The .tflite's operators with the ids Model Explorer's flatbuffer adapter gives them. The
    adapter's output (when given) is checked: an operator's node shows its first output tensor."""
    subgraphs, ops = tflite_ops(fb, batch)
    graph_ids = list(subgraphs)
    by_tensor: dict[int, dict[str, str]] = {}
    if graphs_json is not None:
        graphs = [g for c in graphs_json.get("graphCollections", []) for g in c["graphs"]]
        if len(graphs) == len(subgraphs):
            graph_ids = [g["id"] for g in graphs]
            for si, g in enumerate(graphs):
                idx = by_tensor.setdefault(si, {})
                for n in g["nodes"]:
                    if n["label"] in ("pseudo_const", "GraphInputs", "GraphOutputs"):
                        continue
                    for meta in n.get("outputsMetadata", [])[:1]:
                        for a in meta.get("attrs", []):
                            if a["key"] == "tensor_index":
                                idx[a["value"]] = n["id"]
    nodes = []
    for o in ops:
        node_id = str(o.index)
        if graphs_json is not None and o.outputs:
            node_id = by_tensor.get(o.subgraph, {}).get(str(o.outputs[0]), node_id)
        names = tuple(p for t in o.out_names for p in t.split(";") if p)
        nodes.append(Node(graph_ids[o.subgraph], node_id, o.op, info=LocInfo(names=names), tfl=(o.subgraph, o.index),
                          out_bytes=o.out_bytes, top=True, func_index=o.subgraph))
    return nodes, graph_ids


def _adapter_json(path: str) -> bytes:
    from model_explorer.utils import convert_adapter_response
    if path.endswith(".tflite"):
        from model_explorer.builtin_tflite_flatbuffer_adapter import BuiltinTfliteFlatbufferAdapter as Adapter
    else:
        from model_explorer.builtin_mlir_adapter import BuiltinMlirAdapter as Adapter
    try:
        resp = Adapter().convert(path, {})
    except Exception as e:  # noqa: BLE001 - the adapter's C++ raises RuntimeError/ValueError alike
        raise TflxError(f"Model Explorer cannot open '{path}': {' '.join(str(e).split())[:300]}") from None
    return json.dumps(convert_adapter_response(resp)).encode()


def adapter_graphs(path: str) -> dict:
    """What Model Explorer's built-in adapter makes of the file (the graphs the page shows). Its
    native reader runs in a forked child: a file it crashes on is reported, and left out."""
    from .isolate import run_isolated
    return json.loads(run_isolated(_adapter_json, path, what=f"Model Explorer's reader of '{path}'"))


# --------------------------------------------------------------------------------------------
# Aligning tfl / tfl-opt ops with the .tflite's operators

def _same_op(mlir_op: str, builtin: str) -> bool:
    if builtin == "CUSTOM":
        return not mlir_op.startswith("tfl.") or mlir_op in ("tfl.custom", "tfl.custom_tf")
    name = mlir_op[4:] if mlir_op.startswith("tfl.") else mlir_op.replace(".", "_")
    return name.upper() == builtin


def align_with_tflite(nodes: list[Node], graphs: list[str], subgraphs: list[str], ops: list[TfliteOp]) -> int:
    """Give tfl-dialect ops the (subgraph, operator) they were exported as, where a function's
    top-level ops (less constants and terminators) are exactly its subgraph's operators, in
    order. Functions pair by name, else by position. Returns how many functions aligned."""
    per_sub = collections.defaultdict(list)
    for o in ops:
        per_sub[o.subgraph].append(o)
    per_func = collections.defaultdict(list)
    for n in nodes:
        if n.top and not n.is_const and n.op not in _TERMINATORS:
            per_func[n.func_index].append(n)
    aligned = 0
    for fi, graph in enumerate(graphs):
        si = subgraphs.index(graph) if graph in subgraphs else fi
        mine, theirs = per_func.get(fi, []), per_sub.get(si, [])
        if mine and len(mine) == len(theirs) and all(_same_op(a.op, b.op) for a, b in zip(mine, theirs)):
            for a, b in zip(mine, theirs):
                a.tfl = (b.subgraph, b.index)
            aligned += 1
    return aligned


# --------------------------------------------------------------------------------------------
# Which pass created which node

@dataclass
class PassRecord:
    """TF node name (with function) -> passes whose rewrite created ops carrying it."""
    names: dict[str, set[str]] = field(default_factory=lambda: collections.defaultdict(set))
    stage_of: dict[str, str] = field(default_factory=dict)
    exact: bool = True

    def add(self, pass_name: str, stage: str, locations) -> None:
        self.stage_of[pass_name] = stage
        for loc in locations:
            for n in parse_loc(loc).names:  # the callee side: callers name calls, not this op
                self.names[n].add(pass_name)

    def passes_for(self, node: Node, stage_index: int, flatbuffer_names: bool) -> list[str]:
        if not self.names:
            return []
        if flatbuffer_names:
            table = collections.defaultdict(set)
            for k, v in self.names.items():
                table[plain(k)] |= v
        else:
            table = self.names
        found = set()
        for n in node.info.names:
            hit = table.get(n)
            if hit is None and flatbuffer_names:  # the exporter makes names unique: "BitwiseAnd7"
                hit = table.get(re.sub(r"(?<=[A-Za-z])\d+$", "", n))
            found |= hit or set()
        return sorted(p for p in found
                      if STAGE_ORDER.index(self.stage_of.get(p, "tf")) <= stage_index)


def _op_keys(module) -> collections.Counter:
    from .mlir import walk_ops
    return collections.Counter((op.name, str(op.location)) for op in walk_ops(module)
                               if op.name not in _CONSTS and op.name not in _TERMINATORS
                               and op.name != "func.func")


class RecordingPass:
    """Runs a pass and records the ops it created (present after it ran, not before); all else
    is the wrapped pass's (name, stage, rules, sources for error reports)."""

    def __init__(self, inner, record: PassRecord):
        self._inner, self._record = inner, record

    def __getattr__(self, attr):
        return getattr(self._inner, attr)

    def run(self, module) -> int:
        before = _op_keys(module)
        n = self._inner.run(module)
        created = _op_keys(module) - before
        if created:
            self._record.add(self._inner.name, self._inner.stage, [loc for _, loc in created])
        return n


def derive_record(models: list[Model], fired: dict[str, int]) -> tuple[PassRecord, list[str]]:
    """Pass provenance from dumps alone (see the module doc); also the fired passes it cannot
    attribute."""
    from .passes import registered_passes
    rec = PassRecord(exact=False)
    registry = registered_passes()
    unknown = []
    by_stage = {m.stage: m for m in models if m.kind == "mlir"}
    for p, count in fired.items():
        cls = registry.get(p)
        if not count or cls is None:
            continue
        try:
            rules = [r[0] for r in cls().rules()] if hasattr(cls, "rules") else []
        except Exception:  # noqa: BLE001 - a plugin class that needs options: nothing to read
            rules = []
        types = {r[3:] for r in rules if r.startswith("tf.")}
        dump = by_stage.get(cls.stage)
        if not types or dump is None:
            unknown.append(p)
            continue
        locs = [n.loc for n in dump.nodes if not n.is_const and n.op not in _TERMINATORS
                and set(n.info.types) & types and not any(n.op == "tf." + t for t in n.info.types)]
        rec.add(p, cls.stage, locs)
    return rec, unknown


# --------------------------------------------------------------------------------------------
# Failure

def failing_nodes(nodes: list[Node], failure: dict) -> list[Node]:
    """The nodes of the op failure.json names, narrowed by its location (a TF node or a source
    line) when that singles some out."""
    op = failure.get("op")
    if not op:
        return []
    cands = [n for n in nodes if n.op == op]
    where = failure.get("location") or ""
    m = re.match(r"^TF node '(.*)'$", where)
    if m:
        narrowed = [n for n in cands if n.loc and node_name(n.loc) == m.group(1)]
    elif where:
        narrowed = [n for n in cands if n.loc and (user_source_line(n.loc) == where or where in n.loc)]
    else:
        narrowed = []
    return narrowed or cands


# --------------------------------------------------------------------------------------------
# Node data (Model Explorer overlays)

def _per_op(fb: bytes) -> tuple[dict | None, str | None]:
    """(subgraph, operator index) -> tflx.profile.per_op's row at batch 1; else None and why."""
    try:
        from . import profile
        per_op = profile.per_op
    except (ImportError, AttributeError):
        return None, "tflx.profile is not available"
    from .isolate import run_isolated
    try:  # it sizes the tensors with the TFLite interpreter: native code, in a forked child
        rows = json.loads(run_isolated(lambda: json.dumps(per_op(fb, batch=1)).encode(), what="tflx.profile"))
    except TflxError as e:
        return None, e.message
    return {(r["subgraph"], r["index"]): r for r in rows}, None


def _numeric(name: str, results: dict, color: str) -> dict:
    from model_explorer import node_data_builder as ndb
    return {g: ndb.GraphNodeData(name=name, results={k: ndb.NodeDataResult(value=v) for k, v in r.items()},
                                 gradient=[ndb.GradientItem(stop=0, bgColor="#ffffff"),
                                           ndb.GradientItem(stop=1, bgColor=color)])
            for g, r in results.items()}


def _labels(name: str, results: dict, color: str) -> dict:
    from model_explorer import node_data_builder as ndb
    return {g: ndb.GraphNodeData(name=name, showExpandedSummaryOnGroupNode=True,
                                 results={k: ndb.NodeDataResult(value=v, bgColor=color) for k, v in r.items()})
            for g, r in results.items()}


def overlays(model: Model, record: PassRecord | None, failure: dict | None, per_op: dict | None) -> dict:
    """{overlay name: {graph id: GraphNodeData}} for one model (empty overlays left out)."""
    macs, out_bytes, passes, failed = (collections.defaultdict(dict) for _ in range(4))
    fb_names = model.kind == "tflite" or model.stage in ("flatbuffer", "quantize")
    for n in model.nodes:
        if n.is_const or n.op in _TERMINATORS:
            continue
        if per_op is not None and n.tfl is not None and n.tfl in per_op:
            macs[n.graph][n.id] = int(per_op[n.tfl].get("macs") or 0)
        b = n.out_bytes
        if model.kind == "tflite" and per_op is not None and n.tfl in per_op:
            b = per_op[n.tfl].get("output_bytes", b)
        if b is not None:
            out_bytes[n.graph][n.id] = int(b)
        if record is not None:
            who = record.passes_for(n, model.stage_index, fb_names)
            if who:
                passes[n.graph][n.id] = ", ".join(who)
    if failure and model.kind == "mlir":
        for n in failing_nodes(model.nodes, failure):
            failed[n.graph][n.id] = f"fails in stage '{failure.get('stage')}'" + (
                f", pass '{failure['pass']}'" if failure.get("pass") else "")
    out = {}
    if macs:
        out["MACs"] = _numeric("MACs (batch 1)", macs, "#ff7043")
    if out_bytes:
        out["output bytes"] = _numeric("output bytes (batch 1)", out_bytes, "#42a5f5")
    if passes:
        out["tflx pass"] = _labels("tflx pass", passes, "#fff176")
    if failed:
        out["failure"] = _labels("failure", failed, "#ff5252")
    return out


def write_node_data(data: dict, path: str) -> None:
    from model_explorer import node_data_builder as ndb
    ndb.ModelNodeData(graphsData=data).save_to_file(path)


# --------------------------------------------------------------------------------------------
# What PATH is, and the plan: models plus node-data files

@dataclass
class Plan:
    models: list[Model]
    node_data: list[tuple[str, str]]  # (node data file, target model name)
    notes: list[str]
    failure: dict | None = None


def classify(path: str) -> str:
    """"model" | "dump" | "tflite" | "mlir"."""
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            return "model"
        entries = os.listdir(path)
        if any(_DUMP_FILE.match(f) for f in entries) or "failure.json" in entries:
            return "dump"
        raise TflxError(f"'{path}' is neither a SavedModel directory nor a tflx --dump-dir folder")
    if not os.path.exists(path):
        raise TflxError(f"no such file or directory: '{path}'")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".keras":
        return "model"
    if ext == ".tflite":
        return "tflite"
    if ext in (".mlir", ".mlirbc"):
        return "mlir"
    raise TflxError(f"'{path}': expected a SavedModel directory, .keras, .tflite, .mlir or a --dump-dir folder")


def _stage_of(path: str) -> str | None:
    m = _DUMP_FILE.match(os.path.basename(path))
    if m:
        return m.group(2)
    if path.endswith(".mlir"):
        from .pipeline import STAGE_HEADER
        try:
            with open(path, encoding="utf-8") as f:
                first = f.readline()
        except (OSError, UnicodeDecodeError):
            return None
        if first.startswith(STAGE_HEADER):
            return first[len(STAGE_HEADER):].strip()
    return "flatbuffer" if path.endswith(".tflite") else None


def _read_json(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _load_model(p: str, tflite_of: dict, notes: list) -> Model:
    """One model file: its nodes with Model Explorer's ids, and the .tflite its MACs come from."""
    from .flatbuffer import validate
    from .mlir import new_context
    if p.endswith(".tflite"):
        try:
            with open(p, "rb") as fh:
                fb = fh.read()
        except OSError as e:
            raise TflxError(f"cannot read '{p}': {e.strerror or e}") from None
        validate(fb, f"'{p}'")  # before any native reader sees it
        nodes, graphs = tflite_nodes(fb, adapter_graphs(p))
        return Model(p, "tflite", _stage_of(p), nodes, graphs, fb)
    graphs_json = adapter_graphs(p)
    # A context per file: its constants (the weights) are freed with it.
    nodes, graphs = mlir_nodes(p, new_context())
    ops = [n for n in nodes if not n.is_const and n.op not in _TERMINATORS]
    assign_mlir_ids(nodes, graphs_json)
    dropped = sum(1 for n in ops if not n.id)
    if dropped * 4 > len(ops):  # some folded ops (`x * 1`) are usual; many would mean a different graph
        notes.append(f"{os.path.basename(p)}: {dropped} of {len(ops)} ops have no node in Model Explorer's graph "
                     "(it folds some ops as it reads the file): no overlays on those")
    stage = _stage_of(p)
    model = Model(p, "mlir", stage, nodes, graphs)
    fb = tflite_of.get(stage) if stage in ("flatbuffer", "quantize") else tflite_of.get("flatbuffer")
    if fb is not None and stage in ("tfl", "tfl-opt"):
        subgraphs, ops = tflite_ops(fb)
        if align_with_tflite(nodes, graphs, subgraphs, ops) == 0:
            fb = None
    model.tflite = fb if stage in ("tfl", "tfl-opt", "flatbuffer", "quantize") else None
    return model


def plan(path: str, out_dir: str, record: PassRecord | None = None) -> Plan:
    """Load PATH's model files, work out node ids and write the overlays into `out_dir`."""
    kind = classify(path)
    if kind == "model":
        raise TflxError("internal: convert the model first")
    if kind == "dump":
        files = sorted(f for f in os.listdir(path) if _DUMP_FILE.match(f))
        paths = [os.path.join(path, f) for f in files if f.endswith(".mlir")] + \
                [os.path.join(path, f) for f in files if f.endswith(".tflite")]
        base = path
    else:
        paths = [path]
        base = os.path.dirname(os.path.abspath(path)) if _DUMP_FILE.match(os.path.basename(path)) else None
    failure = _read_json(os.path.join(base, "failure.json")) if base else None
    timings = _read_json(os.path.join(base, "timings.json")) if base else None
    fired = (failure or {}).get("passes") or (timings or {}).get("passes") or {}
    if failure and kind == "dump" and isinstance(failure.get("completed_stages"), list):
        # Dumps of later stages, if any, are left over from an earlier run.
        done = set(failure["completed_stages"])
        paths = [p for p in paths if _stage_of(p) in done]
    if not paths:
        raise TflxError(f"'{path}' holds no stage dumps (a conversion that failed in its first stage?)"
                        + (f": {failure.get('error')}" if failure else ""))

    notes: list[str] = []
    models: list[Model] = []
    tflite_of: dict[str, bytes] = {}  # stage -> its .tflite (dump dirs)
    if base:
        from .flatbuffer import validate
        for f in os.listdir(base):
            m = _DUMP_FILE.match(f)
            if m and m.group(3) == "tflite":
                try:
                    with open(os.path.join(base, f), "rb") as fh:
                        fb = fh.read()
                    validate(fb, f"'{f}'")
                except (OSError, TflxError):
                    continue  # no MACs from it (and, when it is shown, its own error says why)
                tflite_of[m.group(2)] = fb
    for p in paths:
        try:
            models.append(_load_model(p, tflite_of, notes))
        except TflxError as e:
            if len(paths) == 1:
                raise
            notes.append(f"{os.path.basename(p)} left out: {e.message}")
    if not models:
        raise TflxError(f"Model Explorer can open none of the files in '{path}'")

    if record is None and fired:
        record, unattributed = derive_record(models, fired)
        if any(fired.get(p) for p in fired):
            notes.append("pass provenance derived from op locations (no per-op record in a dump)"
                         + (f"; not attributed: {', '.join(unattributed)}" if unattributed else ""))
    per_op_cache: dict[int, dict | None] = {}
    no_macs: set[str] = set()
    os.makedirs(out_dir, exist_ok=True)
    node_data = []
    for model in models:
        per_op = None
        if model.tflite is not None:
            key = hash(model.tflite)
            if key not in per_op_cache:
                per_op_cache[key], why = _per_op(model.tflite)
                if why:
                    no_macs.add(why)
            per_op = per_op_cache[key]
        for name, data in overlays(model, record, failure, per_op).items():
            # The page fetches these by path without URL-encoding it: keep the names plain.
            target = os.path.join(out_dir, f"{model.name}.{name.replace(' ', '_')}.json")
            write_node_data(data, target)
            node_data.append((target, model.name))
    for why in sorted(no_macs):
        notes.append(f"no MACs overlay: {why}")
    return Plan(models, node_data, notes, failure)


# --------------------------------------------------------------------------------------------
# Converting a model for exploring

def convert_recorded(model: str, dump_dir: str, record: PassRecord, progress=None, notes=None) -> None:
    """Convert `model` as `tflx convert` does (built-in passes and installed plugins), dumping
    every stage; each pass recorded; the importer's notes appended to `notes`. A conversion error
    propagates (failure.json is written)."""
    import tflx
    from . import debuginfo, importer, pipeline
    from .nativeio import native_stderr_silenced
    passes = [RecordingPass(p, record) for p in tflx._passes(True, (), [])]
    with native_stderr_silenced():
        sigs = importer.load(model)
    debuginfo.attach(model, sigs)
    if notes is not None:
        notes.extend(n for sig in sigs for n in sig.notes)
    pipeline.run(signatures=sigs, passes=passes, dump_dir=dump_dir,
                 on_start=progress.start if progress else None, on_stage=progress.done if progress else None)


def has_dumps(dump_dir: str) -> bool:
    return os.path.isdir(dump_dir) and any(_DUMP_FILE.match(f) for f in os.listdir(dump_dir))


# --------------------------------------------------------------------------------------------
# The server

def _free_port(host: str, port: int | None) -> int:
    """`port` when it can be bound on `host`; without one, the first free of 8080-8099 (as
    Model Explorer does), else any."""
    try:
        family = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as e:
        raise TflxError(f"cannot resolve --host '{host}': {e.strerror or e}") from None

    def bindable(p):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            try:
                s.bind((host, p))
                return s.getsockname()[1]
            except OSError:
                return None

    if port is not None:
        if not 0 < port < 65536 or bindable(port) is None:
            raise TflxError(f"cannot listen on {host}:{port} (in use?): pick another --port")
        return port
    for p in range(8080, 8100):
        if bindable(p):
            return p
    p = bindable(0)
    if p is None:
        raise TflxError(f"cannot listen on {host}")
    return p


def _loopback(host: str) -> bool:
    import ipaddress
    try:
        return all(ipaddress.ip_address(ai[4][0].split("%")[0]).is_loopback
                   for ai in socket.getaddrinfo(host, None))
    except (socket.gaierror, ValueError):
        return False


def _listening(host: str, port: int, stop: threading.Event, timeout: float = 120.0) -> bool:
    import time
    t0 = time.monotonic()
    while not stop.is_set() and time.monotonic() - t0 < timeout:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            stop.wait(0.1)
    return False


def serve(models: list[str], node_data: list[tuple[str, str]], *, host: str = "127.0.0.1", port: int | None = None,
          open_browser: bool = True, out=None) -> None:
    """Serve Model Explorer in the foreground until Ctrl-C (or SIGTERM, which the CLI turns into
    KeyboardInterrupt); then return."""
    import model_explorer
    from model_explorer import server
    out = out or sys.stdout
    cfg = model_explorer.config()
    for m in models:
        cfg.add_model_from_path(m)
    for path, target in node_data:
        cfg.add_node_data_from_path(path, model_name=target)
    port = _free_port(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/?data={cfg.to_url_param_value()}"
    ready, stop = threading.Event(), threading.Event()

    def announce():
        if _listening(host, port, stop):
            ready.set()
            print(f"tflx: Model Explorer at {url}\n      (Ctrl-C stops it)", file=out, flush=True)
            if open_browser:
                import webbrowser
                webbrowser.open_new_tab(url)

    # Model Explorer asks PyPI and GitHub for a newer version from a non-daemon thread at start
    # and from the page: no network calls from tflx, and nothing that keeps the process alive.
    server._check_new_version = lambda *a, **k: {"version": "", "runningVersion": "", "releaseUrl": "",
                                                 "desktopAppUrl": ""}
    threading.Thread(target=announce, daemon=True, name="tflx-explore-ready").start()
    try:
        # Its own banner and adapter list go to stdout: tflx prints the one line that matters.
        # skip_health_check: its check loops on a bare `except:` that would swallow Ctrl-C.
        with contextlib.redirect_stdout(io.StringIO()):
            server.start(host=host, port=port, config=cfg, no_open_in_browser=True, skip_health_check=True)
    except SystemExit:  # it exits when the port got taken meanwhile
        raise TflxError(f"cannot listen on {host}:{port} (in use?): pick another --port") from None
    finally:
        stop.set()
    # Stopped before the announcement (an early Ctrl-C): the server thread answers still if it
    # ever started; if it does not, it failed to start.
    if not ready.is_set() and not _listening(host, port, threading.Event(), timeout=1.0):
        raise TflxError(f"Model Explorer's server did not start on {host}:{port}")


def explore(path: str, *, host: str = "127.0.0.1", port: int | None = None, open_browser: bool = True,
            out=None, err=None, progress=None) -> int:
    """`tflx explore PATH`: 0 after the server is stopped; temporary files are removed."""
    out, err = out or sys.stdout, err or sys.stderr
    require()
    kind = classify(path)
    port = _free_port(host, port)  # a taken port is said now, not after converting
    with tempfile.TemporaryDirectory(prefix="tflx-explore-") as tmp:
        record = None
        target = path
        if kind == "model":
            target = os.path.join(tmp, "dump")
            record = PassRecord()
            notes: list[str] = []
            failed = None
            try:
                convert_recorded(path, target, record, progress, notes)
            except TflxError as e:
                if not has_dumps(target):
                    raise
                failed = e.one_line()
            for note in notes:
                print(f"tflx: note: {note}", file=err)
            if failed:
                print(failed, file=err)
                print("tflx: note: exploring the stages that finished; the failing op is marked", file=err)
        p = plan(target, os.path.join(tmp, "overlays"), record)
        for note in p.notes:
            print(f"tflx: note: {note}", file=err)
        if not _loopback(host):
            print(f"tflx: warning: Model Explorer's server reads any file it is asked for; on --host {host} "
                  "other machines can ask it too", file=err)
        serve([m.path for m in p.models], p.node_data, host=host, port=port, open_browser=open_browser, out=out)
    print("tflx: Model Explorer stopped", file=err)
    return 0
