"""Small TF-dialect emitters shared by the unrolled linear-algebra decompositions.

Every helper creates `tf.*` ops at the current insertion point (inside `with rewriter.ip,
op.location:`) and infers the static result shape itself, so the decompositions read like the
math. Only ops `tf-stablehlo` and the TFL legalizer turn into plain TFLite builtins are used:
Slice, Reshape, ConcatV2, elementwise arithmetic, Abs, Sqrt, ArgMax, OneHot, Equal, Greater,
SelectV2, Cast, Sum, Prod, Log, Sign, Transpose, BroadcastTo (plus GatherV2, BatchMatMulV2
emitted by the passes). Keep bool constants at <= 100 elements: larger ones are printed as hex,
which TF's tf-stablehlo (another MLIR version) misreads; build big masks with Equal/Greater of
small index constants instead (the converter folds them).
"""
from __future__ import annotations

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH

_I1 = "bool"


def shape(x: ir.Value) -> list[int]:
    return [int(d) for d in b.shape_of(x)]


def static_square(x: ir.Value, max_n: int) -> tuple[list[int], int] | None:
    """(batch dims, n) of a static [..., n, n] float32 tensor with 1 <= n <= max_n, else None."""
    try:
        t = ir.RankedTensorType(x.type)
    except ValueError:
        return None
    if t.element_type != ir.F32Type.get():
        return None
    dims = b.shape_of(x)
    if None in dims or len(dims) < 2 or dims[-1] != dims[-2] or not 1 <= dims[-1] <= max_n:
        return None
    return [int(d) for d in dims[:-2]], int(dims[-1])


def decompose_batched(op, rewriter, max_n: int, emit) -> bool:
    """Shared driver of the linalg decompositions: for a static [..., n, n] operand, flatten the
    batch to [nb, n, n], let `emit(tf, x, nb, n)` build the [nb, ...] result (or a tuple of them,
    one per result of `op`), restore the batch dims (each result keeps the trailing dims `emit`
    gives it) and replace `op`. Returns NO_MATCH when the operand is not a small static
    square float32 batch."""
    found = static_square(op.operands[0], max_n)
    if found is None:
        return NO_MATCH
    batch, n = found
    nb = int(np.prod(batch, dtype=np.int64)) if batch else 1
    with rewriter.ip, op.location:
        tf = Tf()
        outs = emit(tf, tf.reshape(op.operands[0], [nb, n, n]), nb, n)
        outs = [tf.reshape(o, batch + b.shape_of(o)[1:]) for o in (outs if isinstance(outs, tuple) else (outs,))]
    rewriter.replace_op(op, outs)
    return


def strided_slice(x: ir.Value, begin, end, strides, *, begin_mask: int = 0, end_mask: int = 0,
                  ellipsis_mask: int = 0, new_axis_mask: int = 0, shrink_axis_mask: int = 0) -> ir.Value:
    """tf.StridedSlice with int32 begin/end/strides lists and the five masks (default 0); its
    result type from TF's shape function."""
    consts = [b.constant(np.array(v, np.int32), dialect="tf") for v in (begin, end, strides)]
    masks = {"begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": ellipsis_mask,
             "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}
    return b.tf("StridedSlice", [x, *consts], **{k: b.i64_attr(v) for k, v in masks.items()})


class Tf:
    """Emit float32 TF ops; shapes are static lists of ints."""

    def __init__(self):
        self.f32 = ir.F32Type.get()
        self._consts: dict = {}  # one tf.Const per value: all ops go to one insertion point

    def _t(self, dims, dtype=None):
        return b.tensor(dims, dtype or self.f32)

    def const(self, array, dtype="float32") -> ir.Value:
        array = np.asarray(array, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._consts:
            self._consts[key] = self._new_const(array)
        return self._consts[key]

    def _new_const(self, array: np.ndarray) -> ir.Value:
        if array.dtype == np.bool_:
            # The bindings pack numpy bools themselves (pre-packed bytes of <= 8 elements would
            # read as a splat).
            attr = ir.DenseElementsAttr.get(np.ascontiguousarray(array), type=b.tensor(array.shape, "bool"))
            return b.op("tf.Const", results=[attr.type], attributes={"value": attr}).result
        return b.constant(array, dialect="tf")

    def reshape(self, x, dims) -> ir.Value:
        dims = [int(d) for d in dims]
        if shape(x) == dims:
            return x
        return b.tf("Reshape", [x, self.const(dims, "int64")], self._t(dims, b.element_type_of(x)))

    def slice(self, x, begin, size) -> ir.Value:
        """x[begin : begin + size] per dim; a size of -1 means 'to the end'."""
        dims = shape(x)
        size = [d - s if z == -1 else z for d, s, z in zip(dims, begin, size)]
        if list(begin) == [0] * len(dims) and size == dims:
            return x
        return b.tf("Slice", [x, self.const(begin, "int64"), self.const(size, "int64")],
                    self._t(size, b.element_type_of(x)))

    def concat(self, xs, axis) -> ir.Value:
        xs = [x for x in xs if 0 not in shape(x)]
        if len(xs) == 1:
            return xs[0]
        dims = shape(xs[0])
        axis %= len(dims)
        dims[axis] = sum(shape(x)[axis] for x in xs)
        return b.tf("ConcatV2", [*xs, self.const(axis, "int32")], self._t(dims, b.element_type_of(xs[0])))

    def _binary(self, name, x, y, dtype=None) -> ir.Value:
        dims = list(np.broadcast_shapes(tuple(shape(x)), tuple(shape(y))))
        return b.tf(name, [x, y], self._t(dims, dtype or b.element_type_of(x)))

    def mul(self, x, y):
        return self._binary("Mul", x, y)

    def sub(self, x, y):
        return self._binary("Sub", x, y)

    def div(self, x, y):
        return self._binary("RealDiv", x, y)

    def equal(self, x, y):
        dims = list(np.broadcast_shapes(tuple(shape(x)), tuple(shape(y))))
        return b.tf("Equal", [x, y], self._t(dims, _I1), incompatible_shape_error=True)

    def _unary(self, name, x):
        return b.tf(name, [x], x.type)

    def abs(self, x):
        return self._unary("Abs", x)

    def neg(self, x):
        return self._unary("Neg", x)

    def sqrt(self, x):
        return self._unary("Sqrt", x)

    def select(self, cond, x, y):
        dims = list(np.broadcast_shapes(tuple(shape(cond)), tuple(shape(x)), tuple(shape(y))))
        return b.tf("SelectV2", [cond, x, y], self._t(dims, b.element_type_of(x)))

    def _reduce(self, name, x, axis, keep_dims):
        dims = shape(x)
        axes = sorted({a % len(dims) for a in ([axis] if isinstance(axis, int) else axis)})
        out = [1 if i in axes else d for i, d in enumerate(dims)] if keep_dims else \
            [d for i, d in enumerate(dims) if i not in axes]
        return b.tf(name, [x, self.const(axes, "int32")], self._t(out, b.element_type_of(x)), keep_dims=keep_dims)

    def sum(self, x, axis, keep_dims=False):
        return self._reduce("Sum", x, axis, keep_dims)

    def prod(self, x, axis, keep_dims=False):
        return self._reduce("Prod", x, axis, keep_dims)

    def argmax(self, x, axis=-1):
        dims = shape(x)
        axis %= len(dims)
        out = dims[:axis] + dims[axis + 1:]
        return b.tf("ArgMax", [x, self.const(axis, "int32")], self._t(out, "int32"))  # output_type: derived


    def one_hot(self, indices, depth, axis, dtype="float32"):
        """tf.OneHot of int32 `indices` with the new dim of size `depth` at `axis`."""
        dims = shape(indices)
        axis %= len(dims) + 1
        out = dims[:axis] + [depth] + dims[axis:]
        on, off = (True, False) if dtype == "bool" else (1.0, 0.0)
        return b.tf("OneHot", [indices, self.const(depth, "int32"), self.const(on, dtype), self.const(off, dtype)],
                    self._t(out, dtype), axis=b.i64_attr(axis - len(out) if axis == len(out) - 1 else axis))

    def cast(self, x, dtype):
        return b.tf("Cast", [x], self._t(shape(x), dtype), Truncate=False)

    def greater(self, x, y):
        dims = list(np.broadcast_shapes(tuple(shape(x)), tuple(shape(y))))
        return b.tf("Greater", [x, y], self._t(dims, _I1))

    def log(self, x):
        return self._unary("Log", x)

    def sign(self, x):
        """-1, 0 or +1 (0 for a zero)."""
        return self._unary("Sign", x)

    def transpose(self, x, perm=None):
        """x with its dims permuted; by default the last two swapped (a real matrix's adjoint)."""
        dims = shape(x)
        if perm is None:
            perm = list(range(len(dims) - 2)) + [len(dims) - 1, len(dims) - 2]
        return b.tf("Transpose", [x, self.const(perm, "int32")],
                    self._t([dims[p] for p in perm], b.element_type_of(x)))

    def broadcast_to(self, x, dims):
        dims = [int(d) for d in dims]
        if shape(x) == dims:
            return x
        return b.tf("BroadcastTo", [x, self.const(dims, "int64")], self._t(dims, b.element_type_of(x)))
