"""Is the converted model fit for a device? Size, compute, memory, speed and accelerators of a .tflite.

`profile(tflite, batch=1)` reads the flatbuffer, sizes every tensor at the stated batch in
ai-edge-litert's interpreter, and reports:

params
    Elements of the constant (buffer-backed, non-empty) weight tensors: floating-point ones, and
    integer ones that carry quantization parameters (quantized weights, int32 biases). Integer
    constants without quantization are shapes, axes and indices, and rank-0 constants are scales
    and epsilons: neither counts. A buffer shared by several tensors counts once. This is what the
    file stores, so it equals Keras's count_params() except where conversion changed the weights:
    BatchNorm folded into convolutions, all-zero biases dropped, identical constants deduplicated.

macs, flops (the convention, so the numbers can be checked by hand)
    MACs come from the ops that multiply-accumulate, with shapes at the stated batch:
        CONV_2D            out_elems * kh * kw * cin_per_group     (filter [cout, kh, kw, cin/groups])
        DEPTHWISE_CONV_2D  out_elems * kh * kw                     (filter [1, kh, kw, cout])
        FULLY_CONNECTED    rows * in * out  = out_elems * in       (weights [out, in])
        BATCH_MATMUL       out_elems * K                           (K: the contracted dim of the lhs)
        TRANSPOSE_CONV     in_elems * kh * kw * cout               (each input scatters a kernel)
        CONV_3D            out_elems * kd * kh * kw * cin
        CONV_3D_TRANSPOSE  in_elems * kd * kh * kw * cout
        recurrent (LSTM, RNN, SVDF)  rows * sum(weight elements)
    FLOPs = 2 * MACs, plus one FLOP per output element for a bias add and for a fused activation,
    plus the element ops of everything else: 1 per output element for elementwise arithmetic,
    activations, comparisons, (de)quantization and resizes; 1 per input element for reductions
    (MEAN, SUM, REDUCE_*, ARG_*, CUMSUM); kh * kw per output element for pooling; 5 per element for
    SOFTMAX / LOG_SOFTMAX (max, subtract, exp, sum, divide); 0 for data movement (RESHAPE,
    TRANSPOSE, CONCATENATION, GATHER, PAD, SLICE, ...). Every subgraph's ops count once: a WHILE
    body is counted for one iteration.

peak_activation_bytes
    The arena TFLite's memory planner lays out for the builtin kernels (no delegate): activations
    plus kernel scratch such as im2col. Python does not expose the arena size, so it is measured
    from the addresses the planner gave the non-constant tensors (the span each contiguous region
    covers, summed over regions and subgraphs); tensors with a dynamic shape, which the interpreter
    allocates on the heap as their op runs, are added at their size at the stated batch. XNNPACK
    plans its own workspace, which is not visible from Python. When the addresses cannot be read,
    a liveness peak stands in: the sum of the non-constant tensors live at once, maximised over
    the ops in execution order (also reported as `liveness_peak_bytes`, with the largest tensors
    live at that point).

Everything that runs the interpreter does so in a forked child with a time limit per step: some
models crash the interpreter, and invoke() on a data-dependent loop may never return.

latency_ms, latency_ms_all_cores
    Median wall time of `invoke()` at batch 1 in ai-edge-litert with its default delegate (XNNPACK),
    1 thread and os.cpu_count() threads, after warm-up runs, with random inputs.

per op
    `xnnpack` is observed: the interpreter with the default delegate replaces the ops XNNPACK takes
    by DELEGATE nodes; walking back from each DELEGATE node's outputs to its inputs through the
    original graph gives the ops it absorbed (subgraph 0; other subgraphs are not observable from
    Python and get None). `gpu_delegate` is tflx.dialects.gpu_delegate's verdict.
"""
from __future__ import annotations

import gc
import json
import math
import os
import re
import select
import signal
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field

from .errors import TflxError

# ---- the flatbuffer, read once ------------------------------------------------------------


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    signature: tuple
    dtype: str  # float32, int8, ...
    bits: int
    is_const: bool
    buffer: int
    quantized: bool

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return (self.elements * self.bits + 7) // 8


@dataclass
class Op:
    subgraph: int
    index: int
    name: str  # CONV_2D, or CUSTOM:<code>
    inputs: tuple  # tensor indices; -1 for an omitted optional input
    outputs: tuple
    options: dict


@dataclass
class Graph:
    index: int
    tensors: list
    ops: list
    inputs: tuple
    outputs: tuple


def _schema():
    from litert_converter import schema_py_generated as s
    return s


_ENUM_FIELDS = {"fused_activation_function": "ActivationFunctionType", "padding": "Padding",
                "weights_format": "FullyConnectedOptionsWeightsFormat", "mode": "MirrorPadMode"}


def _options(op) -> dict:
    """The operator's builtin options as a dict: snake_case keys, enums by name."""
    s = _schema()
    try:
        obj = s.OperatorT.InitFromObj(op).builtinOptions
    except Exception:  # noqa: BLE001 - options this schema cannot decode: no options
        return {}
    out = {}
    for k, v in (vars(obj) if obj is not None else {}).items():
        key = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", k).lower()
        enum = _ENUM_FIELDS.get(key)
        if enum is not None and isinstance(v, int):
            names = {val: name for name, val in vars(getattr(s, enum)).items() if not name.startswith("_")}
            v = names.get(v, v)
        out[key] = v
    return out


def read_graphs(tflite: bytes) -> list[Graph]:
    """Subgraphs, tensors (shapes as stored) and operators of a .tflite."""
    from .flatbuffer import _type_bits, builtin_names
    s = _schema()
    names = builtin_names()
    bits = _type_bits()
    types = {v: k.lower() for k, v in vars(s.TensorType).items() if isinstance(v, int) and not k.startswith("_")}
    m = s.Model.GetRootAs(tflite, 0)
    nonempty = set()
    for b in range(m.BuffersLength()):
        buf = m.Buffers(b)
        if buf.DataLength() > 0 or buf.Size() > 0:
            nonempty.add(b)
    graphs = []
    for gi in range(m.SubgraphsLength()):
        g = m.Subgraphs(gi)
        tensors = []
        for ti in range(g.TensorsLength()):
            t = g.Tensors(ti)
            shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            sig = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else shape
            q = t.Quantization()
            tensors.append(Tensor(ti, (t.Name() or b"").decode("utf-8", "replace"), shape, sig,
                                  types.get(t.Type(), str(t.Type())), bits.get(t.Type(), 0),
                                  t.Buffer() in nonempty, t.Buffer(), bool(q is not None and q.ScaleLength())))
        ops = []
        for oi in range(g.OperatorsLength()):
            op = g.Operators(oi)
            oc = m.OperatorCodes(op.OpcodeIndex())
            name = names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "UNKNOWN")
            if name == "CUSTOM":
                name = "CUSTOM:" + (oc.CustomCode() or b"").decode("utf-8", "replace")
            ins = tuple(int(i) for i in op.InputsAsNumpy()) if op.InputsLength() else ()
            outs = tuple(int(i) for i in op.OutputsAsNumpy()) if op.OutputsLength() else ()
            ops.append(Op(gi, oi, name, ins, outs, _options(op)))
        gin = tuple(int(i) for i in g.InputsAsNumpy()) if g.InputsLength() else ()
        gout = tuple(int(i) for i in g.OutputsAsNumpy()) if g.OutputsLength() else ()
        graphs.append(Graph(gi, tensors, ops, gin, gout))
    return graphs


def _entry_subgraphs(tflite: bytes) -> list[int]:
    """Subgraphs a caller feeds (subgraph 0 and each signature's), as opposed to control-flow bodies."""
    m = _schema().Model.GetRootAs(tflite, 0)
    return sorted({0} | {m.SignatureDefs(i).SubgraphIndex() for i in range(m.SignatureDefsLength())})


# ---- shapes at a batch size ---------------------------------------------------------------

def _interpreter(tflite: bytes, *, delegates: bool, threads: int | None = None):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kind = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Interpreter(model_content=tflite, experimental_op_resolver_type=kind, num_threads=threads)


def _resize_entries(interp, tflite: bytes, graphs: list[Graph], batch: int) -> None:
    """Dim 0 of every entry input that is dynamic there becomes `batch`; other dynamic dims stay 1."""
    import numpy as np
    raw = interp._interpreter
    for gi in _entry_subgraphs(tflite):
        g = graphs[gi]
        for t in g.inputs:
            sig = g.tensors[t].signature
            if sig and any(d < 0 for d in sig):
                shape = [batch if (k == 0 and d < 0) else (1 if d < 0 else d) for k, d in enumerate(sig)]
                raw.ResizeInputTensor(t, np.array(shape, np.int32), False, gi)


def _sizes(tflite: bytes, graphs: list[Graph], batch: int):
    """In a child process, yields: tensor shapes at `batch` (builtin-kernel interpreter), the arena
    it planned, which ops of subgraph 0 the default delegate (XNNPACK) absorbs; then, when some
    tensors have dynamic shapes (known only once their op runs), their shapes after one invoke()."""
    out = {"shapes": None, "arena": None, "absorbed": None, "unallocated": [], "notes": []}
    try:
        interp = _interpreter(tflite, delegates=False)
        _resize_entries(interp, tflite, graphs, batch)
        interp.allocate_tensors()
    except Exception as e:  # noqa: BLE001 - ops this runtime lacks: the parent uses the file's shapes
        out["notes"].append(f"the interpreter could not allocate the model ({_first_line(e)}); shapes are the "
                            "file's, with dynamic dims set to the batch (dim 0) or 1")
        yield out
        return
    out["shapes"] = _shapes_now(interp, graphs)
    out["arena"], out["unallocated"] = arena_bytes(interp, graphs)
    try:
        out["absorbed"] = sorted(xnnpack_absorbed(_delegated_interpreter(tflite, 1), graphs[0]))
    except Exception as e:  # noqa: BLE001
        out["notes"].append(f"the default delegate could not be applied ({_first_line(e)}): XNNPACK not observed")
    yield out
    if out["unallocated"]:
        try:
            _fill_inputs(interp)
            interp.invoke()
        except Exception as e:  # noqa: BLE001
            yield {"notes": [f"dynamic shapes not resolved: invoke() failed ({_first_line(e)})"]}
            return
        yield {"shapes": _shapes_now(interp, graphs)}


def _shapes_now(interp, graphs: list[Graph]) -> dict:
    raw = interp._interpreter
    shapes = {}
    for g in graphs:
        for t in g.tensors:
            try:
                shapes[f"{g.index}:{t.index}"] = [int(d) for d in raw.TensorSize(t.index, g.index)]
            except Exception:  # noqa: BLE001 - a tensor without a shape (unused optional)
                pass
    return shapes


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:160]


def size_graphs(tflite: bytes, graphs: list[Graph], batch: int = 1, timeout: float = 30.0) -> dict:
    """Set every tensor's shape in `graphs` to its shape at `batch`, as the interpreter sizes it (the
    file's shapes, dynamic dims filled in, when it cannot). Returns the facts _sizes gathered. The
    interpreter runs in a child process: some models crash it."""
    facts = run_forked(lambda: _sizes(tflite, graphs, batch), timeout, "sizing the model in ai-edge-litert")
    if facts.get("error") and facts.get("shapes"):
        facts["error"] = "dynamic shapes not resolved: " + facts["error"]
    facts.setdefault("notes", [])
    if facts.get("error"):
        facts["notes"].append(facts["error"])
    shapes = facts.get("shapes")
    if not shapes:
        _static_fallback(graphs, batch)
    else:
        for g in graphs:
            for t in g.tensors:
                got = shapes.get(f"{g.index}:{t.index}")
                if got is not None:
                    t.shape = tuple(got)
    dyn_batch = any(graphs[0].tensors[t].signature[:1] and graphs[0].tensors[t].signature[0] < 0
                    for t in graphs[0].inputs)
    if batch != 1 and not dyn_batch:
        facts["notes"].append(f"the inputs have a static batch dimension: counted at the model's own batch, "
                              f"not {batch}")
    return facts


def _results(fn):
    """fn() returns a dict, or yields dicts (partial results first, refinements after)."""
    got = fn()
    return [got] if isinstance(got, dict) else got


def _merge(parts) -> dict:
    out = {}
    for part in parts:
        for k, v in part.items():
            if k == "notes":
                out.setdefault("notes", []).extend(v)
            else:
                out[k] = v
    return out


def run_forked(fn, timeout: float, what: str) -> dict:
    """fn() -> a JSON-able dict (or a generator of dicts, merged in order), run in a forked child
    that is killed when `timeout` seconds pass without a result: an interpreter may crash on a
    model, and invoke() on a data-dependent loop may never return. What arrived before a failure is
    kept; the failure is {"error": "..."} in the result."""
    if not hasattr(os, "fork"):
        parts = []
        try:
            parts.extend(_results(fn))
        except Exception as e:  # noqa: BLE001
            parts.append({"error": f"{what} failed: {_first_line(e)}"})
        return _merge(parts)
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: no garbage collection (it would touch every page), native chatter muted
        gc.disable()
        try:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            try:
                for part in _results(fn):
                    _write_line(w, part)
            except BaseException as e:  # noqa: BLE001 - reported by the parent
                _write_line(w, {"error": f"{what} failed: {_first_line(e)}"})
        finally:
            os._exit(0)
    os.close(w)
    chunks, deadline, timed_out = [], time.monotonic() + timeout, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                timed_out = True
                break
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\n" in chunk:  # a part arrived: the next one gets the full time again
                deadline = time.monotonic() + timeout
    finally:
        os.close(r)
        if timed_out:
            _kill(pid)
        else:
            try:
                _, st = os.waitpid(pid, 0)
            except BaseException:
                _kill(pid)
                raise
    parts = [json.loads(ln) for ln in b"".join(chunks).decode().splitlines(keepends=True) if ln.endswith("\n")]
    if timed_out:
        parts.append({"error": f"{what} did not finish within {timeout:g} s (stopped; a data-dependent loop?)"})
    elif os.WIFSIGNALED(st) or not parts:
        why = signal.Signals(os.WTERMSIG(st)).name if os.WIFSIGNALED(st) else "no result"
        parts.append({"error": f"{what} crashed ({why})"})
    return _merge(parts)


def _write_line(fd: int, part: dict) -> None:
    view = memoryview((json.dumps(part) + "\n").encode())
    while view:
        view = view[os.write(fd, view):]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _static_fallback(graphs: list[Graph], batch: int) -> None:
    for g in graphs:
        for t in g.tensors:
            if any(d < 0 for d in t.signature):
                t.shape = tuple(batch if (k == 0 and d < 0) else (1 if d < 0 else d) for k, d in enumerate(t.signature))


# ---- compute ------------------------------------------------------------------------------

_ELEMENTWISE = {
    "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "POW", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD",
    "ATAN2", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LEAKY_RELU", "PRELU", "LOGISTIC", "TANH",
    "HARD_SWISH", "GELU", "ELU", "EXP", "LOG", "SQRT", "RSQRT", "SQUARE", "ABS", "NEG", "SIN", "COS", "FLOOR",
    "CEIL", "ROUND", "SIGN", "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "SELECT", "SELECT_V2", "QUANTIZE", "DEQUANTIZE",
    "RESIZE_BILINEAR", "ADD_N", "RIGHT_SHIFT", "BITWISE_XOR",
}
_REDUCTIONS = {"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL", "ARG_MAX",
               "ARG_MIN", "CUMSUM"}
_POOLS = {"AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"}
_SOFTMAX = {"SOFTMAX", "LOG_SOFTMAX"}
_RECURRENT = {"LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN",
              "UNIDIRECTIONAL_SEQUENCE_RNN", "BIDIRECTIONAL_SEQUENCE_RNN", "SVDF"}


def _t(g: Graph, i: int):
    return g.tensors[i] if 0 <= i < len(g.tensors) else None


def _macs(op: Op, g: Graph) -> int:
    ins = [_t(g, i) for i in op.inputs]
    out = _t(g, op.outputs[0]) if op.outputs else None
    if out is None:
        return 0
    n = op.name
    if n == "CONV_2D":
        _, kh, kw, cin = ins[1].shape
        return out.elements * kh * kw * cin
    if n == "DEPTHWISE_CONV_2D":
        return out.elements * ins[1].shape[1] * ins[1].shape[2]
    if n == "FULLY_CONNECTED":
        return out.elements * ins[1].shape[-1]
    if n == "BATCH_MATMUL":
        lhs = ins[0].shape
        k = lhs[-2] if op.options.get("adj_x") else lhs[-1]
        return out.elements * k
    if n == "TRANSPOSE_CONV":
        cout, kh, kw, _ = ins[1].shape
        return ins[2].elements * kh * kw * cout
    if n == "CONV_3D":
        kd, kh, kw, cin, _ = ins[1].shape
        return out.elements * kd * kh * kw * cin
    if n == "CONV_3D_TRANSPOSE":
        kd, kh, kw, cout, _ = ins[1].shape
        return ins[2].elements * kd * kh * kw * cout
    if n in _RECURRENT:
        x = ins[0]
        rows = x.elements // max(1, x.shape[-1]) if x is not None else 0
        return rows * sum(t.elements for t in ins[1:] if t is not None and t.is_const and len(t.shape) == 2)
    return 0


def _element_flops(op: Op, g: Graph) -> int:
    ins = [_t(g, i) for i in op.inputs]
    out = _t(g, op.outputs[0]) if op.outputs else None
    n = op.name
    if out is None:
        return 0
    if n in _ELEMENTWISE:
        return out.elements * (max(1, len(ins) - 1) if n == "ADD_N" else 1)
    if n in _REDUCTIONS:
        return ins[0].elements if ins and ins[0] is not None else 0
    if n in _POOLS:
        return out.elements * op.options.get("filter_height", 1) * op.options.get("filter_width", 1)
    if n in _SOFTMAX:
        return 5 * out.elements
    if n == "L2_NORMALIZATION":
        return 3 * out.elements
    return 0


_HAS_BIAS = {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 2, "TRANSPOSE_CONV": 3, "CONV_3D": 2}


def op_cost(op: Op, g: Graph) -> tuple[int, int]:
    """(MACs, FLOPs) of one operator with the graph's current tensor shapes; see the module doc."""
    try:
        macs = _macs(op, g)
        flops = 2 * macs + _element_flops(op, g)
    except (IndexError, ValueError, AttributeError, TypeError):
        return 0, 0  # operands not in the expected form: not counted
    out = _t(g, op.outputs[0]) if op.outputs else None
    if out is not None:
        b = _HAS_BIAS.get(op.name)
        if b is not None and b < len(op.inputs) and op.inputs[b] >= 0:
            flops += out.elements
        if op.options.get("fused_activation_function", "NONE") not in ("NONE", None):
            flops += out.elements
    return macs, flops


def per_op(tflite: bytes, batch: int = 1) -> list[dict]:
    """One dict per operator, every subgraph: subgraph, index, op, macs, flops, output_bytes (and
    output_shapes), with shapes at `batch`."""
    graphs = read_graphs(tflite)
    size_graphs(tflite, graphs, batch)
    return _per_op(graphs)


def _per_op(graphs: list[Graph]) -> list[dict]:
    rows = []
    for g in graphs:
        for op in g.ops:
            macs, flops = op_cost(op, g)
            outs = [g.tensors[i] for i in op.outputs if 0 <= i < len(g.tensors)]
            rows.append({"subgraph": g.index, "index": op.index, "op": op.name, "macs": macs, "flops": flops,
                         "output_bytes": sum(t.nbytes for t in outs),
                         "output_shapes": [list(t.shape) for t in outs]})
    return rows


# ---- parameters ---------------------------------------------------------------------------

def _is_param(t: Tensor) -> bool:
    if not t.is_const or len(t.shape) == 0:
        return False
    return t.dtype.startswith(("float", "bfloat")) or (t.quantized and t.dtype.startswith(("int", "uint")))


def quantized_sizes(tflite_bytes: int, graphs: list[Graph]) -> dict[str, int]:
    """The .tflite size each --quantize mode would give, estimated: float32 weight tensors of 64+
    elements (what the modes quantize) stored in a quarter (int8 modes) or half (float16) of
    their bytes; measured within 10 % on a CNN + dense model (tests/test_profile.py)."""
    seen, f32 = set(), 0
    for g in graphs:
        for t in g.tensors:
            if _is_param(t) and t.buffer not in seen and t.dtype == "float32" and t.elements >= 64:
                seen.add(t.buffer)
                f32 += t.nbytes
    int8 = int(tflite_bytes - 0.75 * f32)
    return {"dynamic": int8, "weight-only": int8, "int8": int8, "float16": int(tflite_bytes - 0.5 * f32)}


def count_params(graphs: list[Graph]) -> tuple[int, int]:
    """(parameters, their bytes as stored): weight tensors, each buffer once."""
    seen, n, nbytes = set(), 0, 0
    for g in graphs:
        for t in g.tensors:
            if _is_param(t) and t.buffer not in seen:
                seen.add(t.buffer)
                n += t.elements
                nbytes += t.nbytes
    return n, nbytes


# ---- memory -------------------------------------------------------------------------------

def arena_bytes(interp, graphs: list[Graph]) -> tuple[int | None, list[str]]:
    """(bytes, unallocated): the bytes the interpreter's planner laid out for non-constant tensors
    (activations and kernel scratch), from the tensors' addresses -- contiguous regions' spans,
    summed; None if unreadable -- and the "subgraph:tensor" keys of the non-constant tensors with no
    memory yet (dynamic shapes: allocated on the heap when the op runs)."""
    raw = interp._interpreter
    spans, unallocated = [], []
    for g in graphs:
        try:
            count = raw.NumTensors(g.index)
        except Exception:  # noqa: BLE001
            return None, []
        for i in range(count):
            if i < len(g.tensors) and g.tensors[i].is_const:
                continue
            try:
                raw.TensorSize(i, g.index)  # raises for a tensor without dims; tensor() would crash on it
                if raw.TensorType(i, g.index) in (None, object):
                    continue
            except Exception:  # noqa: BLE001 - no dims, string, resource: not in the arena
                continue
            try:
                a = raw.tensor(raw, i, g.index)
                start = a.__array_interface__["data"][0]
            except ValueError:  # "Tensor data is null": allocated at run time
                unallocated.append(f"{g.index}:{i}")
                continue
            except Exception:  # noqa: BLE001
                continue
            if a.nbytes and start:
                spans.append((start, start + a.nbytes))
    if not spans:
        return None, unallocated
    spans.sort()
    total, (lo, hi) = 0, spans[0]
    for s, e in spans[1:]:
        if s <= hi + 256:  # the planner aligns offsets to 64 bytes; a larger gap is another region
            hi = max(hi, e)
        else:
            total += hi - lo
            lo, hi = s, e
    return total + hi - lo, unallocated


def liveness_peak(g: Graph) -> tuple[int, list]:
    """(peak bytes, tensors live then, largest first): non-constant tensors live from their producer
    (or the start, for inputs) to their last consumer (or the end, for outputs), ops in order."""
    end = len(g.ops)
    first, last = {}, {}
    for t in g.inputs:
        first[t], last[t] = -1, -1
    for op in g.ops:
        for t in op.inputs:
            if t >= 0 and not g.tensors[t].is_const:
                first.setdefault(t, -1)
                last[t] = max(last.get(t, -1), op.index)
        for t in op.outputs:
            if t >= 0:
                first.setdefault(t, op.index)
                last[t] = max(last.get(t, op.index), op.index)
    for t in g.outputs:
        if t >= 0:
            first.setdefault(t, -1)
            last[t] = end
    delta = [0] * (end + 3)  # step s lives at delta[s + 1]; a tensor stops counting after `last`
    for t in first:
        delta[first[t] + 1] += g.tensors[t].nbytes
        delta[last[t] + 2] -= g.tensors[t].nbytes
    peak, size, peak_step = 0, 0, -1
    for step in range(-1, end + 1):
        size += delta[step + 1]
        if size > peak:
            peak, peak_step = size, step
    live = [g.tensors[t] for t in first if first[t] <= peak_step <= last[t]]
    return peak, sorted(live, key=lambda t: -t.nbytes)


# ---- delegation, latency ------------------------------------------------------------------

def xnnpack_absorbed(interp, g: Graph) -> set[int]:
    """Indices of subgraph 0's ops that the default delegate (XNNPACK) took: the ops between each
    DELEGATE node's outputs and its inputs in the original graph."""
    producer = {t: op.index for op in g.ops for t in op.outputs}
    absorbed = set()
    for node in interp._get_ops_details():
        if node.get("op_name") != "DELEGATE":
            continue
        stop = {int(t) for t in node["inputs"]}
        todo = [int(t) for t in node["outputs"]]
        seen = set()
        while todo:
            t = todo.pop()
            if t in seen or t in stop or t not in producer:
                continue
            seen.add(t)
            i = producer[t]
            absorbed.add(i)
            todo.extend(x for x in g.ops[i].inputs if x >= 0)
    return absorbed


def _fill_inputs(interp) -> None:
    import numpy as np
    rng = np.random.default_rng(0)
    for d in interp.get_input_details():
        shape, dt = d["shape"], np.dtype(d["dtype"])
        if dt.kind == "f":
            interp.set_tensor(d["index"], rng.standard_normal(shape).astype(dt))
        else:  # ids, indices, masks: zeros are in range for any table
            interp.set_tensor(d["index"], np.zeros(shape, dt))


def measure_latency(interp, *, warmup: int = 3, runs: int = 50, seconds: float = 1.0) -> float:
    """Median invoke() time in ms after warm-up: up to `runs` runs within about `seconds`, and at
    least 3 (a slow model gets one warm-up run only)."""
    _fill_inputs(interp)
    t0 = time.perf_counter()
    interp.invoke()
    if time.perf_counter() - t0 < seconds / 10:
        for _ in range(warmup - 1):
            interp.invoke()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < runs and (len(times) < 3 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _latencies(tflite: bytes, seconds: float, threads: int):
    """In a child process, yields: that one invoke() returns, then the batch-1 latency with the
    default delegate on 1 thread, then on `threads`."""
    interp = _delegated_interpreter(tflite, 1)
    _fill_inputs(interp)
    interp.invoke()
    yield {}
    yield {"latency_ms": measure_latency(interp, seconds=seconds / 2)}
    del interp
    yield {"latency_ms_all_cores": measure_latency(_delegated_interpreter(tflite, threads), seconds=seconds / 2)}


def _delegated_interpreter(tflite: bytes, threads: int):
    interp = _interpreter(tflite, delegates=True, threads=threads)
    interp.allocate_tensors()
    return interp


# ---- the profile --------------------------------------------------------------------------

@dataclass
class Profile:
    batch: int
    tflite_bytes: int
    tflite_bytes_quantized: dict  # --quantize mode -> estimated .tflite bytes
    params: int
    param_bytes: int
    macs: int
    flops: int
    peak_activation_bytes: int | None
    peak_activation_source: str  # arena | liveness
    liveness_peak_bytes: int
    largest_live: list  # [{name, shape, dtype, bytes}]
    latency_ms: float | None
    latency_ms_all_cores: float | None
    threads_all_cores: int
    ops: list  # per op type: op, count, macs, flops, output_bytes, xnnpack, gpu_delegate
    restricted: list  # [{op, subgraph, index, reason}]
    notes: list = field(default_factory=list)
    budgets: list = field(default_factory=list)  # [{kind, limit, value, over, message}]

    @property
    def over_budget(self) -> bool:
        return any(b["over"] for b in self.budgets)

    def to_dict(self) -> dict:
        from dataclasses import asdict
        return asdict(self)

    def render(self) -> list[str]:
        return _render(self)


def _tensor_specs(g: Graph):
    from tflx.dialects.gpu_delegate import TensorSpec
    return [TensorSpec(t.shape, t.signature, t.dtype, t.is_const, t.quantized) for t in g.tensors]


def gpu_verdicts(graphs: list[Graph]) -> dict[tuple[int, int], object]:
    """(subgraph, op index) -> True or the reason the GPU delegate would not take it."""
    from tflx.dialects.gpu_delegate import OpDetails, verdict
    out = {}
    for g in graphs:
        specs = _tensor_specs(g)
        for op in g.ops:
            d = OpDetails(tuple(specs[i] if i >= 0 else None for i in op.inputs),
                          tuple(specs[i] for i in op.outputs if i >= 0), op.options)
            out[(g.index, op.index)] = verdict(op.name, d)
    return out


def _restriction(op: Op, g: Graph, delegated: bool | None) -> str | None:
    """Why this op runs slower than it could, or None."""
    name = op.name
    if name.startswith("CUSTOM:Flex"):
        return "Flex op: runs on the TensorFlow runtime (Flex delegate), not on TFLite kernels"
    if name.startswith("CUSTOM:"):
        return "custom op: needs its kernel registered with the interpreter; no delegate takes it"
    if delegated is False:
        tensors = [g.tensors[i] for i in op.inputs + op.outputs if i >= 0]
        if any(d < 0 for t in tensors if not t.is_const for d in t.signature):
            return "dynamic shape: XNNPACK left it to the builtin (reference/optimized) kernel"
        return "not delegated to XNNPACK: runs on the builtin (reference/optimized) kernel"
    return None


def _aggregate(graphs, costs, absorbed, gpu) -> list[dict]:
    by = {}
    for g in graphs:
        for op in g.ops:
            macs, flops, out_bytes = costs[(g.index, op.index)]
            e = by.setdefault(op.name, {"op": op.name, "count": 0, "macs": 0, "flops": 0, "output_bytes": 0,
                                        "_x": [], "_g": []})
            e["count"] += 1
            e["macs"] += macs
            e["flops"] += flops
            e["output_bytes"] += out_bytes
            e["_x"].append(None if absorbed is None or g.index != 0 else op.index in absorbed)
            e["_g"].append(gpu[(g.index, op.index)])
    out = []
    for e in by.values():
        e["xnnpack"] = _summary(e.pop("_x"))
        e["gpu_delegate"] = _summary(e.pop("_g"))
        out.append(e)
    return sorted(out, key=lambda e: (-e["macs"], -e["flops"], e["op"]))


def _summary(values: list):
    """One verdict for an op type: the common value, or 'k of n' / the first reason when mixed."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    if all(v is True for v in known):
        return True if len(known) == len(values) else f"{len(known)} of {len(values)} observed, all delegated"
    if all(v is False for v in known) and len(known) == len(values):
        return False
    yes = sum(1 for v in known if v is True)
    reasons = [v for v in known if isinstance(v, str)]
    if reasons:
        return reasons[0] if yes == 0 else f"{yes} of {len(values)}; others: {reasons[0]}"
    return f"{yes} of {len(values)}"


def profile(tflite: bytes, *, batch: int = 1, latency: bool = True, latency_seconds: float = 1.0,
            timeout: float = 30.0) -> Profile:
    """The device-fitness profile of a .tflite (see the module doc for every number's meaning).
    `timeout`: how long one step in the interpreter (loading, one invoke(), a latency series) may
    take before it is stopped and the profile goes on without it."""
    if batch < 1:
        raise TflxError(f"--batch must be >= 1, not {batch}")
    graphs = read_graphs(tflite)
    facts = size_graphs(tflite, graphs, batch, timeout)
    notes = list(facts["notes"])
    costs = {(r["subgraph"], r["index"]): (r["macs"], r["flops"], r["output_bytes"]) for r in _per_op(graphs)}
    params, param_bytes = count_params(graphs)
    live_peak, live = max((liveness_peak(g) for g in graphs), key=lambda pl: pl[0], default=(0, []))
    arena = facts.get("arena")
    if arena is not None:  # plus what the interpreter allocates on the heap as the ops run
        index = {f"{g.index}:{t.index}": t for g in graphs for t in g.tensors}
        arena += sum(index[k].nbytes for k in facts.get("unallocated", []) if k in index)
    absorbed = set(facts["absorbed"]) if facts.get("absorbed") is not None else None
    threads = os.cpu_count() or 1
    lat = {}
    if latency and facts.get("shapes") and "did not finish" not in str(facts.get("error")):
        lat = run_forked(lambda: _latencies(tflite, latency_seconds, threads), timeout,
                         "measuring latency in ai-edge-litert")
        if lat.get("error"):
            notes.append(lat["error"] + ": no latency")
    if len(graphs) > 1:
        notes.append(f"{len(graphs) - 1} more subgraph(s) (control-flow bodies or signatures): counted once each; "
                     "XNNPACK delegation observed in subgraph 0 only")
    return Profile(
        batch=batch, tflite_bytes=len(tflite), tflite_bytes_quantized=quantized_sizes(len(tflite), graphs),
        params=params, param_bytes=param_bytes,
        macs=sum(c[0] for c in costs.values()), flops=sum(c[1] for c in costs.values()),
        peak_activation_bytes=arena if arena is not None else live_peak,
        peak_activation_source="arena" if arena is not None else "liveness",
        liveness_peak_bytes=live_peak,
        largest_live=[{"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "bytes": t.nbytes} for t in live[:5]],
        latency_ms=lat.get("latency_ms"), latency_ms_all_cores=lat.get("latency_ms_all_cores"),
        threads_all_cores=threads, ops=_aggregate(graphs, costs, absorbed, gpu_verdicts(graphs)),
        restricted=_restricted(graphs, absorbed), notes=notes)


def _restricted(graphs: list[Graph], absorbed: set | None) -> list[dict]:
    out = []
    for g in graphs:
        for op in g.ops:
            delegated = (op.index in absorbed) if (absorbed is not None and g.index == 0) else None
            why = _restriction(op, g, delegated)
            if why:
                out.append({"op": op.name, "subgraph": g.index, "index": op.index, "reason": why})
    return out


# ---- budgets ------------------------------------------------------------------------------

_SIZE_UNITS = {"": 1, "b": 1, "kb": 1 << 10, "kib": 1 << 10, "k": 1 << 10, "mb": 1 << 20, "mib": 1 << 20,
               "m": 1 << 20, "gb": 1 << 30, "gib": 1 << 30, "g": 1 << 30}
_TIME_UNITS = {"": 1.0, "ms": 1.0, "s": 1000.0, "us": 1e-3, "µs": 1e-3}


def _number_unit(text: str, what: str, example: str):
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Zµ]*)\s*", text or "")
    if not m:
        raise TflxError(f"{what}: cannot read '{text}' (e.g. {example})")
    return float(m.group(1)), m.group(2).lower()


def parse_size(text: str, what: str = "--memory-budget") -> int:
    """'64MB', '512KB', '1GB', '4096' -> bytes; KB/MB/GB are powers of 1024."""
    value, unit = _number_unit(text, what, "64MB, 512KB, 1GB")
    if unit not in _SIZE_UNITS:
        raise TflxError(f"{what}: unknown size unit in '{text}' (use B, KB, MB or GB)")
    return int(value * _SIZE_UNITS[unit])


def parse_time(text: str, what: str = "--latency-budget") -> float:
    """'10ms', '0.5s', '250us', '10' -> milliseconds."""
    value, unit = _number_unit(text, what, "10ms, 0.5s")
    if unit not in _TIME_UNITS:
        raise TflxError(f"{what}: unknown time unit in '{text}' (use ms, s or us)")
    return value * _TIME_UNITS[unit]


def apply_budgets(p: Profile, memory_bytes: int | None = None, latency_ms: float | None = None) -> list[dict]:
    """Compare the profile with the budgets; the results go to p.budgets (and are returned)."""
    p.budgets = []
    if memory_bytes is not None and p.peak_activation_bytes is not None:
        over = p.peak_activation_bytes > memory_bytes
        p.budgets.append({"kind": "memory-budget", "limit": memory_bytes, "value": p.peak_activation_bytes,
                          "over": over, "message": f"peak activation memory {fmt_bytes(p.peak_activation_bytes)} "
                                                   f"{'exceeds' if over else 'is within'} the budget "
                                                   f"{fmt_bytes(memory_bytes)}"})
    if latency_ms is not None:
        if p.latency_ms is None:
            p.budgets.append({"kind": "latency-budget", "limit": latency_ms, "value": None, "over": True,
                              "message": "latency could not be measured, so the budget cannot be checked"})
        else:
            over = p.latency_ms > latency_ms
            p.budgets.append({"kind": "latency-budget", "limit": latency_ms, "value": p.latency_ms, "over": over,
                              "message": f"batch-1 latency {p.latency_ms:.3g} ms (1 thread) "
                                         f"{'exceeds' if over else 'is within'} the budget {latency_ms:g} ms"})
    return p.budgets


# ---- text ---------------------------------------------------------------------------------

def fmt_bytes(n: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def fmt_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{int(n)}"


def latency_text(one: float | None, many: float | None, threads: int) -> str:
    if one is None:
        return "not measured"
    def ms(v: float) -> str:
        return f"{v * 1000:.3g} µs" if v < 0.1 else f"{v:.3g} ms"
    more = f", {ms(many)} ({threads} threads)" if many is not None else ""
    return f"{ms(one)} (1 thread){more}; median, batch 1, XNNPACK"


def _short(name: str) -> str:
    """A fused tensor's name lists every TF node folded into it; the first names it well enough."""
    first = name.split(";", 1)[0]
    return first if len(first) <= 48 else "..." + first[-45:]


def _verdict_text(v) -> str:
    return "yes" if v is True else "no" if v is False else "-" if v is None else str(v)


def _render(p: Profile) -> list[str]:
    out = [f"profile (batch {p.batch}; ai-edge-litert on this machine, {p.threads_all_cores} cores):",
           f"  parameters        {p.params:,} ({fmt_bytes(p.param_bytes)} stored); .tflite {fmt_bytes(p.tflite_bytes)}",
           f"  with --quantize   about {fmt_bytes(p.tflite_bytes_quantized['int8'])} (dynamic, weight-only, int8), "
           f"{fmt_bytes(p.tflite_bytes_quantized['float16'])} (float16)",
           f"  compute           {fmt_count(p.macs)} MACs, {fmt_count(p.flops)} FLOPs"]
    src = ("arena planned by the interpreter, builtin kernels" if p.peak_activation_source == "arena"
           else "liveness estimate")
    peak = fmt_bytes(p.peak_activation_bytes) if p.peak_activation_bytes is not None else "unknown"
    out.append(f"  peak activations  {peak} ({src}); liveness peak {fmt_bytes(p.liveness_peak_bytes)}")
    if p.largest_live:
        out.append("  largest live      " + ", ".join(f"{_short(t['name'])} {t['shape']} {fmt_bytes(t['bytes'])}"
                                                     for t in p.largest_live[:3]))
    if p.latency_ms is not None:
        out.append(f"  latency           {latency_text(p.latency_ms, p.latency_ms_all_cores, p.threads_all_cores)}")
    w = max([len(o["op"]) for o in p.ops] + [8])
    out.append(f"  {'op':<{w}} {'count':>5} {'MACs':>10} {'FLOPs':>10}  {'XNNPACK':<8} GPU delegate")
    for o in p.ops:
        out.append(f"  {o['op']:<{w}} {o['count']:5d} {fmt_count(o['macs']):>10} {fmt_count(o['flops']):>10}  "
                   f"{_verdict_text(o['xnnpack']):<8} {_verdict_text(o['gpu_delegate'])}")
    if p.restricted:
        out.append("  restricted for performance:")
        groups = {}
        for r in p.restricted:
            groups.setdefault((r["op"], r["reason"]), []).append(r)
        for (op, reason), rs in groups.items():
            where = ", ".join(f"#{r['index']}" if r["subgraph"] == 0 else f"{r['subgraph']}:#{r['index']}"
                              for r in rs[:4]) + (" ..." if len(rs) > 4 else "")
            out.append(f"    {op} {where}: {reason}")
    for n in p.notes:
        out.append(f"  note: {n}")
    return out
