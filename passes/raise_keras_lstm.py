"""raise-keras-lstm: a Keras 3 LSTM loop (`tf.While`) becomes one UNIDIRECTIONAL_SEQUENCE_LSTM.

Keras 3 emits no `implements` annotation, so the stock converter never fuses its LSTMs: they stay
while loops of ~13 ops per step. This pass recognizes the loop after
`sink-loop-invariant-constants` and `decompose-dynamic-tensor-lists` have run:

    x_t = GatherV2(xs, t)                    xs: the time-major input, passed through unchanged
    z   = BiasAdd(MatMul(x_t, K) + MatMul(h, R), b)       (bias optional; either add order)
    i, f, g, o = Split(z, 4, axis 1)          Keras gate order
    c'  = Sigmoid(f) * c + Sigmoid(i) * Tanh(g)
    h'  = Sigmoid(o) * Tanh(c')
    out = XlaDynamicUpdateSlice(out, h'[None], [t, 0, 0])  (or h'[None]: the last output only)

with K, R, b constants, a counter t from 0 by 1 and a loop that runs exactly T (the static time
dimension) steps, and replaces it by `tfl.unidirectional_sequence_lstm` (weights per gate,
transposed to [units, in]) on the batch-major input, `time_major = false`. A backward layer
(`go_backwards`, Bidirectional's second half: xs = ReverseV2(Transpose(x))) becomes the same op on
ReverseV2(x); Keras' own reversal of its output stays.

Exact: the same float32 math per step (max abs diff ~2e-7 on a 20-step, 32-unit layer). Anything
else the body computes (masking, other activations, peepholes, a used final cell state, dynamic
time) leaves the loop as it was.

The initial states h0 = c0 = 0 are FILLs from the input's shape (a dynamic batch needs that).
TFLite keeps them as variable tensors, which must be neither constants nor shared: a static batch
folds them to constants, which `fresh-stateful-operands` (a default pass, just before export)
turns back into one FILL per slot.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import Pass, register_pass

from ._tf_emit import strided_slice


class _NoMatch(Exception):
    pass


def _need(cond, why: str = ""):
    if not cond:
        raise _NoMatch(why)


def _def(v: ir.Value, *names: str) -> ir.Operation:
    op = b.defining_op(b.skip_identity(v), *names)
    _need(op is not None, f"expected {names}")
    return op


def _scalar(v: ir.Value):
    a = b.constant_value(b.skip_identity(v))
    _need(a is not None and a.size == 1, "expected a constant scalar")
    return a.reshape(()).item()


def _const(v: ir.Value) -> np.ndarray:
    a = b.constant_value(b.skip_identity(v))
    _need(a is not None, "expected a constant")
    return a


def _pair(op: ir.Operation, first: str, second: str):
    """Operands of a commutative binary op as (defined by `first`, defined by `second`)."""
    x, y = (b.skip_identity(v) for v in op.operands)
    for p, q in ((x, y), (y, x)):
        if b.defining_op(p, first) is not None and (second == "*" or b.defining_op(q, second) is not None):
            return p, q
    raise _NoMatch(f"{op.name} of {first} and {second}")


def _sum_terms(v: ir.Value) -> list:
    """The leaves of a tree of AddV2 / BiasAdd. A Squeeze of a [1, n] term (Grappler's batch-1 form
    BiasAdd(x @ K, Squeeze(h @ R))) counts as the term itself: same values, broadcast over batch 1."""
    v = b.skip_identity(v)
    op = b.defining_op(v, "tf.AddV2", "tf.BiasAdd", "tf.Squeeze")
    if op is None:
        return [v]
    if op.name == "tf.Squeeze":
        _need(b.shape_of(op.operands[0])[:1] == [1] and len(b.shape_of(op.operands[0])) == 2, "batch-1 squeeze")
        return [b.skip_identity(op.operands[0])]
    return [t for w in op.operands for t in _sum_terms(w)]


def _is_zero(v: ir.Value) -> bool:
    """A constant zero tensor or Fill(dims, 0): the loop's initial state as Keras makes it."""
    v = b.skip_identity(v)
    a = b.constant_value(v)
    if a is None:
        fill = b.defining_op(v, "tf.Fill")
        a = None if fill is None else b.constant_value(b.skip_identity(fill.operands[1]))
    return a is not None and not np.any(a)


def _same(v: ir.Value, w: ir.Value) -> bool:
    return b.skip_identity(v) == b.skip_identity(w)


@dataclass
class _Lstm:
    kx: int  # loop-carried positions: time-major input, h, c, output buffer, time counter
    kh: int
    kc: int
    kout: int
    kt: int
    last_only: bool  # the buffer holds one element: the last output
    kernel: np.ndarray  # [in, 4u]
    recurrent: np.ndarray  # [u, 4u]
    bias: np.ndarray  # [4u]
    passthrough: frozenset  # positions the body returns unchanged


def _match_body(body) -> _Lstm:
    block = body.regions[0].blocks[0]
    args = list(block.arguments)
    ret = block.operations[len(block.operations) - 1]
    outs = list(ret.operands)

    def arg_index(v: ir.Value) -> int:
        v = b.skip_identity(v)
        _need(v in args, "expected a loop argument")
        return args.index(v)

    # the output buffer: XlaDynamicUpdateSlice(arg, ExpandDims(h', 0), [t, 0, 0]) or ExpandDims(h', 0)
    kout = h_new = kt = None
    last_only = False
    for k, v in enumerate(outs):
        op = b.defining_op(b.skip_identity(v), "tf.XlaDynamicUpdateSlice", "tf.ExpandDims")
        if op is None:
            continue
        if op.name == "tf.XlaDynamicUpdateSlice":
            if b.skip_identity(op.operands[0]) != args[k]:
                continue
            exp = _def(op.operands[1], "tf.ExpandDims")
            idx = _def(op.operands[2], "tf.ConcatV2")
            t = _def(idx.operands[0], "tf.Reshape").operands[0]
            _need(not np.any(_const(idx.operands[1])) and _scalar(idx.operands[-1]) == 0, "update index")
            kt = arg_index(t)
        else:
            exp, last_only = op, True
        _need(_scalar(exp.operands[1]) == 0, "ExpandDims axis")
        _need(kout is None, "two output buffers")
        kout, h_new = k, b.skip_identity(exp.operands[0])
    _need(kout is not None, "no output buffer")
    # h' = Sigmoid(o) * Tanh(c')
    mul = _def(h_new, "tf.Mul")
    o_sig, tanh_c = _pair(mul, "tf.Sigmoid", "tf.Tanh")
    c_new = b.skip_identity(_def(tanh_c, "tf.Tanh").operands[0])
    # c' = Sigmoid(f) * c + Sigmoid(i) * Tanh(g)
    add = _def(c_new, "tf.AddV2")
    m1, m2 = (_def(v, "tf.Mul") for v in add.operands)
    for fc, ig in ((m1, m2), (m2, m1)):
        try:
            f_sig, c_old = _pair(fc, "tf.Sigmoid", "*")
            i_sig, g_tanh = _pair(ig, "tf.Sigmoid", "tf.Tanh")
            kc = arg_index(c_old)
            break
        except _NoMatch:
            continue
    else:
        raise _NoMatch("cell update")
    gates = [_def(v, "tf.Sigmoid", "tf.Tanh").operands[0] for v in (i_sig, f_sig, g_tanh, o_sig)]
    split = b.defining_op(b.skip_identity(gates[0]), "tf.Split")
    _need(split is not None and len(split.results) == 4, "gates from one 4-way Split")
    _need([b.skip_identity(g) for g in gates] == list(split.results), "Keras gate order i, f, c, o")
    _need(_scalar(split.operands[0]) in (1, -1), "split on the units axis")
    # z: a sum (AddV2 / BiasAdd, any nesting) of MatMul(x_t, K), MatMul(h, R) and constant biases
    mms, biases = [], []
    for leaf in _sum_terms(split.operands[1]):
        if b.constant_value(leaf) is not None:
            biases.append(_const(leaf))
        else:
            mms.append(_def(leaf, "tf.MatMul"))
    _need(len(mms) == 2, "two MatMuls")
    mm_x, mm_h = mms
    if b.defining_op(b.skip_identity(mm_x.operands[0]), "tf.GatherV2") is None:
        mm_x, mm_h = mm_h, mm_x
    for mm in (mm_x, mm_h):
        _need(not ir.BoolAttr(mm.attributes["transpose_a"]).value and not ir.BoolAttr(mm.attributes["transpose_b"]).value,
              "plain MatMul")
    gather = _def(mm_x.operands[0], "tf.GatherV2")
    _need(_scalar(gather.operands[2]) == 0, "gather along time")
    kx = arg_index(gather.operands[0])
    kt_g = arg_index(gather.operands[1])
    _need(kt is None or kt == kt_g, "one time counter")
    kt = kt_g
    kh = arg_index(mm_h.operands[0])
    _need(_same(outs[kh], h_new) and _same(outs[kc], c_new), "h' and c' carried")
    _need(b.skip_identity(outs[kx]) == args[kx], "input passed through")
    kernel, recurrent = _const(mm_x.operands[1]), _const(mm_h.operands[1])
    units = recurrent.shape[0]
    _need(kernel.ndim == 2 and recurrent.shape == (units, 4 * units) and kernel.shape[1] == 4 * units, "weights")
    _need(all(v.shape == (4 * units,) for v in biases), "bias")
    bias = np.sum(biases, axis=0, dtype=np.float32) if biases else np.zeros(4 * units, np.float32)
    # nothing else computed in the body: every op feeds the matched dataflow, a counter or the return
    allowed = {"tf.Const", "tf.Identity", "func.return", "tf.AddV2", "tf.Mul", "tf.Sigmoid", "tf.Tanh", "tf.Split",
               "tf.BiasAdd", "tf.MatMul", "tf.GatherV2", "tf.ExpandDims", "tf.XlaDynamicUpdateSlice", "tf.ConcatV2",
               "tf.Reshape", "tf.Squeeze"}
    counts: dict = {}
    for op in block.operations:
        counts[op.name] = counts.get(op.name, 0) + 1
    _need(set(counts) <= allowed, f"other ops in the body: {sorted(set(counts) - allowed)}")
    _need(counts.get("tf.Sigmoid") == 3 and counts.get("tf.Tanh") == 2 and counts.get("tf.MatMul") == 2
          and counts.get("tf.Mul") == 3, "one LSTM cell")
    # every other carried value: passed through, or a counter (x + 1)
    passthrough = {k for k, v in enumerate(outs) if b.skip_identity(v) == args[k]}
    for k, v in enumerate(outs):
        if k in (kx, kh, kc, kout) or k in passthrough:
            continue
        v = b.skip_identity(v)
        inc = _def(v, "tf.AddV2")
        _need(b.skip_identity(inc.operands[0]) == args[k] and _scalar(inc.operands[1]) == 1, "counter")
    return _Lstm(kx, kh, kc, kout, kt, last_only, kernel, recurrent, bias, frozenset(passthrough))


def _steps(cond, loop, lstm: _Lstm) -> int:
    """The static step count the condition allows: counters start at 0 and step by 1; the loop runs
    min over its Less(counter, bound) conjuncts of the bounds."""
    block = cond.regions[0].blocks[0]
    args = list(block.arguments)
    ret = block.operations[len(block.operations) - 1]
    bounds = []

    def visit(v):
        v = b.skip_identity(v)
        op = b.defining_op(v, "tf.LogicalAnd", "tf.Less")
        _need(op is not None, "condition")
        if op.name == "tf.LogicalAnd":
            for w in op.operands:
                visit(w)
            return
        counter, bound = (b.skip_identity(w) for w in op.operands)
        _need(counter in args, "counter")
        _need(_scalar(loop.operands[args.index(counter)]) == 0, "counter starts at 0")
        if bound in args:
            bound = loop.operands[args.index(bound)]
        bounds.append(int(_scalar(bound)))

    visit(ret.operands[0])
    _need(bounds, "bounded loop")
    _need(_scalar(loop.operands[lstm.kt]) == 0, "time starts at 0")
    return min(bounds)


_PURE = {"tf.Const", "tf.Identity", "tf.Transpose", "tf.ReverseV2", "tf.Shape", "tf.StridedSlice", "tf.Pack",
         "tf.ConcatV2", "tf.Fill"}


def _erase_dead(block) -> None:
    """Erase the side-effect-free ops of `block` nobody uses (the loop's inputs, once it is gone);
    in reverse order, so a user goes before its producers."""
    for op in reversed(list(block.operations)):
        if op.name in _PURE and not any(len(list(r.uses)) for r in op.results):
            op.erase()


def _takes_element_0(op: ir.Operation) -> bool:
    """A StridedSlice x[0] / x[-1] of the one-element output buffer (how Keras reads the last output)."""
    if op.name != "tf.StridedSlice":
        return False
    begin = b.constant_value(b.skip_identity(op.operands[1]))
    masks = {k: ir.IntegerAttr(op.attributes[k]).value
             for k in ("shrink_axis_mask", "ellipsis_mask", "new_axis_mask")}
    return (begin is not None and begin.shape == (1,) and int(begin[0]) in (0, -1)
            and masks == {"shrink_axis_mask": 1, "ellipsis_mask": 0, "new_axis_mask": 0})


def _transpose_perm(op: ir.Operation) -> list | None:
    a = b.constant_value(b.skip_identity(op.operands[1]))
    return None if a is None else [int(v) for v in a]


@register_pass
@dataclass(frozen=True)
class RaiseKerasLstm(Pass):
    name = "raise-keras-lstm"
    stage = "tf"
    description = "Keras 3 LSTM while loops -> tfl.unidirectional_sequence_lstm (UNIDIRECTIONAL_SEQUENCE_LSTM)"
    # Measured (20 steps, 32 units, 1 thread, ai-edge-litert 2.3.0): the fused kernel takes 0.6-0.7x
    # the WHILE form's time at batch 1, 1.1x at batch 2, 2x at batch 4 (its per-batch-row matmuls
    # vs XNNPACK's FULLY_CONNECTED in the loop). So by default only a static batch <= max_batch.
    max_batch: int = 1
    dynamic_batch: bool = False  # also a dynamic batch (faster only when it runs at batch 1)

    def run(self, module: ir.Module) -> int:
        n = 0
        for w, body, cond in b.while_loops(module):
            try:
                lstm = _match_body(body)
                self._check_outside(w, cond, lstm)
            except _NoMatch:
                continue
            self._replace(w, lstm)
            n += 1
        return n

    def _check_outside(self, w, cond, lstm: _Lstm) -> None:
        xs = w.operands[lstm.kx]
        _need(ir.RankedTensorType(xs.type).element_type == ir.F32Type.get(), "float32")
        dims = b.shape_of(xs)
        _need(len(dims) == 3 and dims[0] is not None and dims[2] == lstm.kernel.shape[0], "[T, B, in] input")
        _need(dims[1] <= self.max_batch if dims[1] is not None else self.dynamic_batch, "batch size")
        _need(_steps(cond, w, lstm) == dims[0], "runs T steps")
        _need(_is_zero(w.operands[lstm.kh]) and _is_zero(w.operands[lstm.kc]), "zero initial state")
        for k, r in enumerate(w.results):  # read afterwards: only h, the outputs, pass-through values
            _need(not len(list(r.uses)) or k in (lstm.kh, lstm.kout) or k in lstm.passthrough,
                  "final cell state or a counter used")
        # the input: Transpose(x, [1, 0, 2]), or ReverseV2 of that along time (go_backwards)
        src = b.skip_identity(xs)
        rev = b.defining_op(src, "tf.ReverseV2")
        if rev is not None:
            _need([int(a) for a in _const(rev.operands[1]).reshape(-1)] in ([0], [-3]), "reverse along time")
            src = b.skip_identity(rev.operands[0])
        tr = b.defining_op(src, "tf.Transpose")
        _need(tr is not None and _transpose_perm(tr) == [1, 0, 2], "time-major transpose of the input")

    def _replace(self, w, lstm: _Lstm) -> None:
        f32 = ir.F32Type.get()
        units = lstm.recurrent.shape[0]
        src = b.skip_identity(w.operands[lstm.kx])
        rev = b.defining_op(src, "tf.ReverseV2")
        tr = b.defining_op(b.skip_identity(rev.operands[0]) if rev is not None else src, "tf.Transpose")
        x = tr.operands[0]
        xdims = b.shape_of(x)  # [B, T, in]
        batch = xdims[0]
        dyn = ir.ShapedType.get_dynamic_size()
        with w.location, ir.InsertionPoint(w):
            state_t = ir.RankedTensorType.get([dyn if batch is None else batch, units], f32)
            seq_t = ir.RankedTensorType.get([dyn if batch is None else batch, xdims[1], units], f32)
            if rev is not None:
                x = b.tf("ReverseV2", [x, b.constant(np.array([1], np.int32), dialect="tf")], x.type)
            h0, c0 = self._states(x, units, state_t)
            none = b.op("tfl.no_value", results=[ir.NoneType.get()], attributes={"value": ir.UnitAttr.get()}).result

            def per_gate(m, transpose):
                parts = np.split(m, 4, axis=-1)
                return [b.constant(np.ascontiguousarray(p.T if transpose else p).astype(np.float32), dialect="tf")
                        for p in parts]

            wx, wh, bias = per_gate(lstm.kernel, True), per_gate(lstm.recurrent, True), per_gate(lstm.bias, False)
            operands = [x, *wx, *wh, none, none, none, *bias, none, none, h0, c0, none, none, none, none]
            attrs = {"fused_activation_function": ir.StringAttr.get("TANH"),
                     "cell_clip": ir.FloatAttr.get(f32, 0.0), "proj_clip": ir.FloatAttr.get(f32, 0.0),
                     "time_major": ir.BoolAttr.get(False)}
            y = b.op("tfl.unidirectional_sequence_lstm", operands, [seq_t], attrs).result
            last = strided_slice(y, [0, -1, 0], [0, 0, 0], [1, 1, 1], begin_mask=5, end_mask=5, shrink_axis_mask=2)
        self._replace_output(w, lstm, y, last)
        w.results[lstm.kh].replace_all_uses_with(last)
        for k in lstm.passthrough:  # the input, weights: what went in
            w.results[k].replace_all_uses_with(w.operands[k])
        block = w.parent.regions[0].blocks[0] if w.parent.name == "func.func" else None
        w.erase()
        if block is not None:
            _erase_dead(block)

    @staticmethod
    def _states(x: ir.Value, units: int, type_: ir.Type) -> tuple:
        """h0, c0: Fill([batch of x, units], +0.0) and Fill(same dims, -0.0). Two values, so CSE
        cannot merge them into one shared non-constant state (which litert's convert-to-tfl
        rejects: "cannot duplicate the value since it's not constant"). -0.0 is exact as an
        initial state: it enters only as f * c0 + i * g and h0 @ R, unchanged by a zero's sign."""
        i32 = lambda a: b.constant(np.array(a, np.int32), dialect="tf")  # noqa: E731
        shape = b.tf("Shape", [x], ir.RankedTensorType.get([3], ir.IntegerType.get_signless(32)))
        batch = strided_slice(shape, [0], [1], [1])
        dims = b.tf("ConcatV2", [batch, i32([units]), i32(0)], b.tensor([2], "int32"))
        return tuple(b.tf("Fill", [dims, b.constant(np.array(v, np.float32), dialect="tf")], type_)
                     for v in (0.0, -0.0))

    @staticmethod
    def _replace_output(w, lstm: _Lstm, y: ir.Value, last: ir.Value) -> None:
        """The buffer result: the time-major sequence (a following Transpose back to batch-major
        reads `y` itself) or, for the last output only, last[None]."""
        res = w.results[lstm.kout]
        for use in list(res.uses):
            user = use.owner
            if (user.name == "tf.Transpose" and _transpose_perm(user) == [1, 0, 2] and not lstm.last_only) \
                    or (lstm.last_only and _takes_element_0(user)):
                user.result.replace_all_uses_with(last if lstm.last_only else y)
                user.erase()
        if not len(list(res.uses)):
            return
        with w.location, ir.InsertionPoint(w):
            if lstm.last_only:
                val = b.tf("ExpandDims", [last, b.constant(np.array(0, np.int32), dialect="tf")], res.type)
            else:
                val = b.tf("Transpose", [y, b.constant(np.array([1, 0, 2], np.int32), dialect="tf")], res.type)
        res.replace_all_uses_with(val)
