"""Does the .tflite compute what the model computes? Run both and compare.

`verify(model, tflite)` runs every signature of the .tflite in ai-edge-litert and the same
signature of the TF model (the SavedModel's signature function, the Keras model, or the
tf.function) on the same inputs -- random ones, or the user's from an .npz -- and reports each
output's max abs / max rel error with pass/fail at a tolerance (numpy `allclose` semantics:
|tflite - tf| <= atol + rtol * |tf| for every element).

`per_tensor=True` also runs the interpreter with every intermediate tensor preserved and maps
each op's output tensor back to a TF node by the tensor's name (the exporter names tensors after
the ops' locations, which carry the TF node names, ';'-joined for fused ops), evaluates those
nodes in the frozen TF graph, and reports the first op, in execution order, where the two
diverge: |tflite - tf| > atol + rtol * max|tf| (scaled by the tensor's magnitude, so values near
zero in a long chain of float ops do not count as divergence).
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import TflxError

DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-4


@dataclass
class OutputCheck:
    signature: str
    name: str
    shape: list[int]
    max_abs: float
    max_rel: float  # max |a - b| / max |b|
    ok: bool
    note: str | None = None


@dataclass
class TensorCheck:
    op_index: int
    tfl_op: str  # builtin name, e.g. CONV_2D
    tensor: str  # TFLite tensor name
    tf_node: str | None  # the TF node it was matched to
    tf_op: str | None  # that node's op type
    source: str | None  # the user's file:line for the node
    max_abs: float | None
    max_rel: float | None
    ok: bool | None  # None: no TF counterpart found


@dataclass
class VerifyResult:
    ok: bool
    atol: float
    rtol: float
    outputs: list[OutputCheck] = field(default_factory=list)
    tensors: list[TensorCheck] = field(default_factory=list)
    first_divergence: TensorCheck | None = None
    inputs: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # signature -> input -> shape
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def render(self, per_tensor_rows: int = 0) -> str:
        out = []
        for o in self.outputs:
            mark = "ok  " if o.ok else "FAIL"
            out.append(f"  {mark} {o.signature}/{o.name} {o.shape}: max abs {o.max_abs:.3g}, max rel {o.max_rel:.3g}"
                       + (f" ({o.note})" if o.note else ""))
        if self.tensors:
            matched = [t for t in self.tensors if t.ok is not None]
            out.append(f"  per tensor: {len(matched)} of {len(self.tensors)} op outputs matched to TF nodes")
            for t in self.tensors[:per_tensor_rows]:
                state = "-   " if t.ok is None else ("ok  " if t.ok else "FAIL")
                err = f"max abs {t.max_abs:.3g}" if t.max_abs is not None else "no TF counterpart"
                out.append(f"    {state} #{t.op_index} {t.tfl_op:<20} {err}  {t.tf_node or t.tensor}")
            d = self.first_divergence
            if d is not None:
                tensor = d.tensor if ";" not in d.tensor else d.tensor.split(";")[0] + ";..."
                out.append(f"  first divergence: op #{d.op_index} {d.tfl_op} (tensor '{tensor}') vs TF "
                           f"{d.tf_op} '{d.tf_node}'" + (f" at {d.source}" if d.source else "")
                           + f": max abs {d.max_abs:.3g}, max rel {d.max_rel:.3g}")
            elif not self.ok:
                out.append("  first divergence: none of the matched intermediate tensors diverges")
        for n in self.notes:
            out.append(f"  note: {n}")
        head = (f"tflx: verify: {'PASS' if self.ok else 'FAIL'} "
                f"({sum(o.ok for o in self.outputs)}/{len(self.outputs)} outputs within atol={self.atol:g}, "
                f"rtol={self.rtol:g})")
        return "\n".join([head] + out)


# ---- the two runtimes --------------------------------------------------------------------

def _tf():
    import tensorflow as tf
    return tf


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class _Reference:
    """The TF side: the model as the user has it (not the frozen copy)."""

    def __init__(self, model):
        self.model = model
        self.kind = None
        self.loaded = None
        if isinstance(model, (str, os.PathLike)):
            path = os.fspath(model)
            if path.endswith((".keras", ".h5")):
                import keras
                if not os.path.isfile(path):
                    raise TflxError(f"no Keras file at '{path}'")
                try:  # safe_mode: never run code (a Lambda's) stored in the file
                    self.loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
                except Exception as e:  # noqa: BLE001 - damaged or hostile file: one line, as importer
                    raise TflxError(f"cannot load Keras model '{path}': {_first_line(e)}") from None
                self.kind = "keras"
            else:
                if not os.path.isfile(os.path.join(path, "saved_model.pb")):
                    raise TflxError(f"'{path}' is not a SavedModel directory or .keras file")
                try:
                    self.loaded = _tf().saved_model.load(path)
                except Exception as e:  # noqa: BLE001
                    raise TflxError(f"cannot load SavedModel '{path}': {_first_line(e)}") from None
                self.kind = "saved_model"
        else:
            try:
                import keras
                if isinstance(model, keras.Model):
                    self.loaded, self.kind = model, "keras"
            except ImportError:
                pass
            if self.kind is None:
                self.loaded, self.kind = model, "function"

    def concrete_function(self, key: str):
        """The TF function behind signature `key` (variables still captured)."""
        tf = _tf()
        if self.kind == "saved_model":
            return self.loaded.signatures[key]
        if self.kind == "keras":
            specs = [tf.TensorSpec(t.shape, t.dtype, name=getattr(t, "name", None)) for t in self.loaded.inputs]
            model = self.loaded
            fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0]))
            return fn.get_concrete_function(*specs)
        f = self.loaded
        return f if hasattr(f, "structured_input_signature") else f.get_concrete_function()

    def _input_specs(self, key: str, input_order: list[str]) -> dict:
        tf = _tf()
        if self.kind == "saved_model":
            return dict(self.loaded.signatures[key].structured_input_signature[1])
        if self.kind == "keras":
            return {n: tf.TensorSpec(t.shape, t.dtype) for n, t in zip(input_order, self.loaded.inputs)}
        cf = self.concrete_function(key)
        flat = [s for s in tf.nest.flatten(cf.structured_input_signature) if isinstance(s, tf.TensorSpec)]
        return dict(zip(input_order, flat))

    def _check_inputs(self, key: str, inputs: dict[str, np.ndarray], input_order: list[str]) -> None:
        """The .tflite's inputs must fit the TF model's: TF kernels given other shapes or types
        fail, or abort the process (the .tflite can be malformed; the model is the reference)."""
        for name, spec in self._input_specs(key, input_order).items():
            if name not in inputs:
                raise TflxError(f"signature '{key}': the model takes input '{name}', the .tflite has "
                                f"{sorted(inputs)}")
            a = inputs[name]
            if not spec.shape.is_compatible_with(a.shape) or a.dtype != spec.dtype.as_numpy_dtype:
                raise TflxError(f"signature '{key}': the .tflite's input '{name}' is {a.dtype}{list(a.shape)}, "
                                f"the model takes {spec.dtype.name}{spec.shape.as_list()}")

    def run(self, key: str, inputs: dict[str, np.ndarray], input_order: list[str],
            output_names: list[str]) -> dict[str, np.ndarray]:
        tf = _tf()
        if self.kind == "saved_model" and key not in self.loaded.signatures:
            raise TflxError(f"the .tflite has signature '{key}', the SavedModel does not "
                            f"(it has {list(self.loaded.signatures.keys())})")
        self._check_inputs(key, inputs, input_order)
        try:
            return self._run(key, inputs, input_order, output_names)
        except tf.errors.OpError as e:
            raise TflxError(f"TensorFlow cannot run the model on the .tflite's inputs: {_first_line(e)}") from None

    def _run(self, key, inputs, input_order, output_names):
        tf = _tf()
        if self.kind == "saved_model":
            out = self.loaded.signatures[key](**{k: tf.constant(v) for k, v in inputs.items()})
            return {k: np.asarray(v) for k, v in out.items()}
        args = [tf.constant(inputs[k]) for k in input_order]
        if self.kind == "keras":
            out = self.loaded(args if len(args) > 1 else args[0])
        else:
            out = self.loaded(*args)
        flat = tf.nest.flatten(out)
        if isinstance(out, dict):
            return {str(k): np.asarray(out[k]) for k in sorted(out)}
        return {name: np.asarray(v) for name, v in zip(output_names, flat)}


def _signature_io(tflite: bytes):
    """signature key -> (subgraph index, [input names], [output names], {output tensor: name})."""
    from litert_converter import schema_py_generated as s
    m = s.Model.GetRootAs(tflite, 0)
    out = {}
    for i in range(m.SignatureDefsLength()):
        sd = m.SignatureDefs(i)
        out[sd.SignatureKey().decode()] = (
            sd.SubgraphIndex(), [sd.Inputs(k).Name().decode() for k in range(sd.InputsLength())],
            [sd.Outputs(k).Name().decode() for k in range(sd.OutputsLength())],
            {sd.Outputs(k).TensorIndex(): sd.Outputs(k).Name().decode() for k in range(sd.OutputsLength())})
    return out


def _subgraph_ops(tflite: bytes, subgraph: int):
    """[(op index, builtin name, [output tensor indices])], {tensor index: (name, has_buffer)}."""
    from litert_converter import schema_py_generated as s
    from .flatbuffer import builtin_names
    names = builtin_names()
    m = s.Model.GetRootAs(tflite, 0)
    g = m.Subgraphs(subgraph)
    tensors = {}
    for ti in range(g.TensorsLength()):
        t = g.Tensors(ti)
        buf = m.Buffers(t.Buffer()) if t.Buffer() < m.BuffersLength() else None
        const = buf is not None and (buf.DataLength() > 0 or buf.Size() > 0)
        tensors[ti] = ((t.Name() or b"").decode(), const)
    ops = []
    for oi in range(g.OperatorsLength()):
        o = g.Operators(oi)
        oc = m.OperatorCodes(o.OpcodeIndex())
        name = names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "?")
        if name == "CUSTOM":
            name = "CUSTOM:" + (oc.CustomCode() or b"").decode()
        ops.append((oi, name, [o.Outputs(k) for k in range(o.OutputsLength()) if o.Outputs(k) >= 0]))
    return ops, tensors


def _random_inputs(details: dict, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    out = {}
    for name in sorted(details):
        d = details[name]
        shape = [int(x) if x > 0 else 1 for x in (d.get("shape_signature") if len(d.get("shape_signature", [])) else d["shape"])]
        dt = np.dtype(d["dtype"])
        if dt.kind == "f":
            out[name] = rng.uniform(-1, 1, shape).astype(dt)
        elif dt.kind in "iu":
            out[name] = rng.randint(0, 8, shape).astype(dt)
        elif dt.kind == "b":
            out[name] = rng.randint(0, 2, shape).astype(bool)
        else:
            raise TflxError(f"input '{name}' has dtype {dt}: give its values with --inputs x.npz")
    return out


def _probe_interpreter(tflite: bytes, io: dict, keys: list[str], given: dict, seed: int, per_tensor: bool) -> None:
    """Run the signatures once, on the inputs verify will use, in a forked child: the TFLite
    interpreter trusts a .tflite that passes the flatbuffer checks and can crash on a malformed
    one (e.g. a CONV_2D whose filter is the 'no tensor' index -1). A crash or an error becomes
    a TflxError; verify then runs the same, now known-safe, calls in this process."""
    import sys
    import warnings
    from .flex_runtime import flex_ops_in
    from .isolate import run_isolated
    if flex_ops_in(tflite) and "tensorflow" in sys.modules:
        # Flex ops run in TensorFlow, which deadlocks in a child forked after it started its
        # threads; the flatbuffer checks (validate) stand alone then.
        return

    def probe() -> bytes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interp = _interpreter(tflite, per_tensor)
        for key in keys:
            runner = interp.get_signature_runner(key)
            details = runner.get_input_details()
            feed = _random_inputs(details, seed)
            for name in io[key][1]:
                for k in (f"{key}/{name}", name):
                    if k in given:
                        feed[name] = np.asarray(given[k]).astype(np.dtype(details[name]["dtype"]), copy=False)
                        break
            _call(runner, interp, {n: feed[n] for n in io[key][1]})
        return b"ok"

    run_isolated(probe, what="the TFLite interpreter, on this .tflite,")


def _interpreter(tflite: bytes, per_tensor: bool):
    """ai-edge-litert's interpreter; for a model with Flex ops, TF's with tflx's Flex kernels
    (tflx.flex_runtime: the Flex ops run in TensorFlow)."""
    from .flex_runtime import flex_ops_in
    if flex_ops_in(tflite):
        from .runtime import make_interpreter
        return make_interpreter(tflite, runtime="tensorflow", preserve_all_tensors=per_tensor)
    from ai_edge_litert.interpreter import Interpreter
    return Interpreter(model_content=tflite, experimental_preserve_all_tensors=per_tensor)


def _call(runner, interp, feed: dict) -> dict:
    try:
        return runner(**feed)
    except (ValueError, RuntimeError) as e:
        if getattr(interp, "_tflx_flex", None) is not None:
            from .runtime import run_error
            raise run_error(e, interp) from None
        raise


def _compare(a: np.ndarray, b: np.ndarray) -> tuple[float, float, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype == bool or b.dtype == bool:
        a, b = a.astype(np.int8), b.astype(np.int8)
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    max_abs = float(np.max(diff)) if diff.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    return max_abs, max_rel, diff


# ---- per tensor --------------------------------------------------------------------------

def _input_keys(cf) -> list[str]:
    """Input names in argument order: sorted keyword names for signature functions."""
    tf = _tf()
    args, kwargs = cf.structured_input_signature
    if kwargs and not args:
        return sorted(kwargs)
    return [getattr(spec, "name", None) or f"input_{i}" for i, spec in enumerate(tf.nest.flatten((args, kwargs)))]


def _output_keys(structured_outputs) -> list[str]:
    tf = _tf()
    if isinstance(structured_outputs, dict):
        return [str(k) for k in sorted(structured_outputs)]
    return [f"output_{i}" for i in range(len(tf.nest.flatten(structured_outputs)))]


_UNIQUIFIED = re.compile(r"^(.*?)(\d+)$")


class _FrozenGraph:
    """The TF function frozen as the converter freezes it, to evaluate any node on given inputs."""

    def __init__(self, cf, output_tensors: dict[int, str]):
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
        tf = _tf()
        frozen = convert_variables_to_constants_v2(cf)
        gd = frozen.graph.as_graph_def()
        self.wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(gd, name=""), [])
        self.graph = self.wrapped.graph
        self.input_names = [t.name for t in frozen.inputs]
        self.input_keys = _input_keys(cf)
        self.node_types = {op.name: op.type for op in self.graph.get_operations()}
        # Tensor names carry either the full inlined call path of a node
        # ('StatefulPartitionedCall/model/conv/Relu') or its path inside the called function.
        suffixes: dict[str, set] = {}
        for name in self.node_types:
            parts = name.split("/")
            for i in range(1, len(parts)):
                suffixes.setdefault("/".join(parts[i:]), set()).add(name)
        self.by_suffix = {k: next(iter(v)) for k, v in suffixes.items() if len(v) == 1 and k not in self.node_types}
        # The .tflite's output tensors are named after the signature, not a TF node: map them by
        # signature output key to the frozen function's outputs (flattened like tf.nest does).
        keys = _output_keys(cf.structured_outputs)
        by_key = {k: t.op.name for k, t in zip(keys, frozen.outputs)}
        self.outputs = {ti: by_key[name] for ti, name in output_tensors.items() if name in by_key}

    def candidates(self, tensor_name: str, tensor_index: int | None = None) -> list[str]:
        if tensor_index in self.outputs:
            return [self.outputs[tensor_index]]
        out = []
        for part in tensor_name.split(";"):
            part = part.split(":")[0]
            m = _UNIQUIFIED.match(part)
            for name in (part, m.group(1) if m else None):
                node = self.node_types.get(name) and name or self.by_suffix.get(name)
                if node:
                    out.append(node)
                    break
        return self._sinks(list(dict.fromkeys(out)))

    def _sinks(self, names: list[str], depth: int = 12) -> list[str]:
        """A fused op (conv + bias + batch norm + relu, named 'relu;add;mul;conv') computes the
        value of the last node of its chain: keep the candidates no other candidate depends on."""
        if len(names) < 2:
            return names
        wanted = set(names)
        feeds_another = set()
        for n in names:
            frontier, seen = [self.graph.get_operation_by_name(n)], set()
            for _ in range(depth):
                nxt = []
                for op in frontier:
                    for t in op.outputs:
                        for c in t.consumers():
                            if c.name in seen:
                                continue
                            seen.add(c.name)
                            nxt.append(c)
                frontier = nxt
                if not frontier:
                    break
            if seen & (wanted - {n}):
                feeds_another.add(n)
        return [n for n in names if n not in feeds_another] or names

    def evaluate(self, nodes: list[str], feed: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
        tf = _tf()
        fetches, keys = [], []
        for n in nodes:
            op = self.graph.get_operation_by_name(n)
            for k, t in enumerate(op.outputs):
                if t.dtype in (tf.resource, tf.variant, tf.string):
                    continue
                fetches.append(t)
                keys.append((n, k))
        if not fetches:
            return {}
        feeds = [self.graph.get_tensor_by_name(name) for name in self.input_names]
        pruned = self.wrapped.prune(feeds, fetches)
        vals = pruned(*[tf.constant(x) for x in feed])
        out: dict[str, list[np.ndarray]] = {}
        for (n, k), v in zip(keys, vals):
            out.setdefault(n, []).append(np.asarray(v))
        return out


def _dequantized(value: np.ndarray, q: dict) -> np.ndarray:
    """A quantized tensor (int8 / uint8 / int16 with scales) as the real values it stands for, so
    a --quantize model's intermediate tensors compare with the float model's."""
    scales = np.asarray(q.get("scales", []), np.float64)
    if value.dtype.kind not in "iu" or scales.size == 0:
        return value
    zps = np.asarray(q.get("zero_points", np.zeros_like(scales)), np.float64)
    if scales.size > 1:  # per channel along quantized_dimension
        shape = [1] * value.ndim
        shape[int(q.get("quantized_dimension", 0))] = scales.size
        scales, zps = scales.reshape(shape), zps.reshape(shape)
    return ((value.astype(np.float64) - zps) * scales).astype(np.float32)


def _per_tensor(tflite: bytes, interp, subgraph: int, frozen: _FrozenGraph, feed: list[np.ndarray],
                atol: float, rtol: float, sources: dict[str, str]) -> list[TensorCheck]:
    ops, tensors = _subgraph_ops(tflite, subgraph)
    wanted = {}
    for _, _, outs in ops:
        for ti in outs:
            name, _ = tensors[ti]
            wanted[ti] = frozen.candidates(name, ti)
    ref = frozen.evaluate(sorted({n for c in wanted.values() for n in c}), feed)
    qparams = {d["index"]: d.get("quantization_parameters", {}) for d in interp.get_tensor_details()} \
        if subgraph == 0 else {}
    checks = []
    for oi, opname, outs in ops:
        for ti in outs:
            name, _ = tensors[ti]
            try:
                got = interp.get_tensor(ti, subgraph)
            except ValueError:
                checks.append(TensorCheck(oi, opname, name, None, None, None, None, None, None))
                continue
            got = _dequantized(got, qparams.get(ti, {}))
            best = None  # the first node (of the fused chain's last ones) with a value of that size
            for node in wanted[ti]:
                for val in ref.get(node, []):
                    if val.size != got.size or val.size == 0:
                        continue
                    max_abs, max_rel, _ = _compare(got.reshape(val.shape), val)
                    if best is None or (best[0] == node and max_abs < best[1]):
                        best = (node, max_abs, max_rel, float(np.max(np.abs(val))))
            if best is None:
                checks.append(TensorCheck(oi, opname, name, None, None, None, None, None, None))
                continue
            node, max_abs, max_rel, scale = best
            ok = max_abs <= atol + rtol * scale
            checks.append(TensorCheck(oi, opname, name, node, frozen.node_types.get(node), sources.get(node),
                                      max_abs, max_rel, ok))
    return checks


# ---- the entry point ---------------------------------------------------------------------

def _load_npz(path: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as e:  # noqa: BLE001
        raise TflxError(f"cannot read inputs '{path}': {e}") from None


def verify(model, tflite, *, inputs: dict | str | None = None, atol: float = DEFAULT_ATOL,
           rtol: float = DEFAULT_RTOL, per_tensor: bool = False, seed: int = 0,
           signatures: list[str] | None = None) -> VerifyResult:
    """Compare `tflite` (bytes or a path) with `model` on random or given inputs.

    `inputs`: {input name: array} (or {"<signature>/<input name>": array}), or an .npz path."""
    from .flatbuffer import validate

    if isinstance(tflite, (str, os.PathLike)):
        try:
            with open(tflite, "rb") as f:
                tflite = f.read()
        except OSError as e:
            raise TflxError(f"cannot read '{tflite}': {e}") from None
    validate(tflite, "the .tflite")
    given = _load_npz(inputs) if isinstance(inputs, (str, os.PathLike)) else dict(inputs or {})
    io = _signature_io(tflite)
    if not io:
        raise TflxError("the .tflite has no signatures to run")
    keys = list(signatures) if signatures else list(io)
    for k in keys:
        if k not in io:
            raise TflxError(f"the .tflite has no signature '{k}' (it has {list(io)})")
    _probe_interpreter(tflite, io, keys, given, seed, per_tensor)  # before TF starts its threads
    ref = _Reference(model)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interp = _interpreter(tflite, per_tensor)
    result = VerifyResult(ok=True, atol=atol, rtol=rtol)
    sources: dict[str, dict[str, str]] = {}
    if per_tensor and ref.kind == "saved_model":
        from . import debuginfo
        sources = debuginfo.saved_model_node_sources(model)
    for key in keys:
        subgraph, in_names, out_names, out_tensors = io[key]
        runner = interp.get_signature_runner(key)
        details = runner.get_input_details()
        feed = _random_inputs(details, seed)
        for name in in_names:
            for k in (f"{key}/{name}", name):
                if k in given:
                    feed[name] = np.asarray(given[k]).astype(np.dtype(details[name]["dtype"]), copy=False)
                    break
        unused = [k for k in given if k not in in_names and k.split("/", 1)[-1] not in in_names]
        if unused and key == keys[0]:
            result.notes.append(f"inputs not used by any signature input: {sorted(unused)}")
        result.inputs[key] = {n: list(feed[n].shape) for n in in_names}
        got = _call(runner, interp, {n: feed[n] for n in in_names})
        want = ref.run(key, {n: feed[n] for n in in_names}, in_names, out_names)
        for name in out_names:
            g = np.asarray(got[name])
            if name not in want:
                result.outputs.append(OutputCheck(key, name, list(g.shape), float("inf"), float("inf"), False,
                                                  f"TF gives no output '{name}' (it gives {sorted(want)})"))
                continue
            w = np.asarray(want[name])
            if g.size != w.size:
                result.outputs.append(OutputCheck(key, name, list(g.shape), float("inf"), float("inf"), False,
                                                  f"shape {list(g.shape)} vs TF {list(w.shape)}"))
                continue
            g = g.reshape(w.shape)
            max_abs, max_rel, diff = _compare(g, w)
            ok = bool(np.all(diff <= atol + rtol * np.abs(w.astype(np.float64))))
            note = None if g.shape == w.shape else f"TF shape {list(w.shape)}"
            result.outputs.append(OutputCheck(key, name, list(w.shape), max_abs, max_rel, ok, note))
        if per_tensor:
            cf = ref.concrete_function(key)
            frozen = _FrozenGraph(cf, out_tensors)
            node_sources = sources.get(key, {})
            if ref.kind == "function":
                from .importer import node_sources as traceback_sources
                node_sources = traceback_sources(cf)
            # The frozen function takes its inputs in argument order: the signature's input keys.
            order = frozen.input_keys
            tf_feed = [feed[n] for n in order] if set(order) == set(in_names) else [feed[n] for n in in_names]
            checks = _per_tensor(tflite, interp, subgraph, frozen, tf_feed, atol, rtol, node_sources)
            result.tensors.extend(checks)
            if result.first_divergence is None:
                result.first_divergence = next((c for c in checks if c.ok is False), None)
    result.ok = all(o.ok for o in result.outputs)
    return result
