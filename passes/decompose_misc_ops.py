"""decompose-misc-ops: TF ops with no TFLite builtin that are short compositions of ops that
have one. Runs at the `tf` stage; one rule per op, each refusing (leaving the op) outside its range.

tf.EuclideanNorm (float32, constant non-empty axes) -> SQRT(SUM(x * x, axes, keep_dims)): MUL,
    SUM, SQRT. The formula TF evaluates (Eigen's EuclideanNormReducer: sum of squares, then sqrt),
    so overflow/underflow of x * x behaves as in TF; the sum may add in another order: a few ulps.
tf.ConjugateTranspose on a real tensor (float32, int32, int64, bool) -> TRANSPOSE: the conjugate
    of a real number is itself. Exact.
tf.BesselI0 / tf.BesselI1 (float32) -> BesselI0e(x) * EXP(|x|), BesselI1e(x) * EXP(|x|): ABS, EXP,
    MUL next to the tf.BesselI0e/I1e op, which tflx converts to builtins (polynomial ops via
    StableHLO). TF's CPU kernel computes I0/I1 the same way: exp(|x|) times the scaled function,
    inf from |x| = 88.72 where exp overflows. Error: that of BesselI0e/I1e plus EXP and MUL.
    Measured on |x| <= 88.1 against TF (and float64 scipy): with ai-edge-litert's reference
    kernels max relative error 4.7e-7 (I0) / 8.8e-7 (I1), as TF's own vs float64 (3.5e-7 / 1.0e-6);
    with the default XNNPACK delegate, whose EXP is less accurate for large arguments, 6e-7 / 9e-7
    for |x| <= 10, 3.9e-6 on |x| <= 88.1, and inf from |x| = 88.38 instead of 88.72.
tf.Einsum with one operand and
    'aa->a' (diagonal, static [n, n] float32) -> RESHAPE to [n*n], GATHER of entries 0, n+1, ..
        (exact);
    'ab..->' (sum of all entries, distinct letters, float32) -> SUM over every axis (a few ulps:
        the order of the additions may differ from TF's).
    Other equations are left to the existing routes (binary contractions, transposes legalize).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf

_REAL_TRANSPOSE = {"float32": ir.F32Type.get, "int32": lambda: ir.IntegerType.get_signless(32),
                   "int64": lambda: ir.IntegerType.get_signless(64), "bool": lambda: ir.IntegerType.get_signless(1)}


def _ranked(x: ir.Value) -> ir.RankedTensorType | None:
    try:
        return ir.RankedTensorType(x.type)
    except ValueError:
        return None


def _is_f32(x: ir.Value) -> bool:
    t = _ranked(x)
    return t is not None and t.element_type == ir.F32Type.get()


def _bessel_scaled(op, rewriter, scaled: str) -> bool:
    x = op.operands[0]
    if not _is_f32(x) or not _is_f32(op.results[0]):
        return NO_MATCH
    with rewriter.ip, op.location:
        growth = b.tf("Exp", [b.tf("Abs", [x], x.type)], x.type)
        out = b.tf("Mul", [b.tf(scaled, [x], x.type), growth], op.results[0].type)
    rewriter.replace_op(op, [out])
    return


@register_pass
@dataclass(frozen=True)
class DecomposeMiscOps(PatternPass):
    name = "decompose-misc-ops"
    stage = "tf"
    description = ("tf.EuclideanNorm, real tf.ConjugateTranspose, tf.BesselI0/I1, unary tf.Einsum "
                   "'aa->a' / 'ab->' -> TFLite-convertible TF ops")

    @rewrite("tf.EuclideanNorm")
    def euclidean_norm(self, op, rewriter):
        x, axes = op.operands
        if not _is_f32(x) or _ranked(op.results[0]) is None:
            return NO_MATCH
        value = b.constant_value(axes)
        if value is None or value.size == 0:
            return NO_MATCH
        keep = b.bool_attr(op, "keep_dims")
        with rewriter.ip, op.location:
            squares = b.tf("Mul", [x, x], x.type)
            total = b.tf("Sum", [squares, axes], op.results[0].type, keep_dims=keep)
            out = b.tf("Sqrt", [total], total.type)
        rewriter.replace_op(op, [out])
        return

    @rewrite("tf.ConjugateTranspose")
    def conjugate_transpose(self, op, rewriter):
        x, perm = op.operands
        t = _ranked(x)
        if t is None or not any(t.element_type == make() for make in _REAL_TRANSPOSE.values()):
            return NO_MATCH
        with rewriter.ip, op.location:
            out = b.tf("Transpose", [x, perm], op.results[0].type)
        rewriter.replace_op(op, [out])
        return

    @rewrite("tf.BesselI0")
    def bessel_i0(self, op, rewriter):
        return _bessel_scaled(op, rewriter, "BesselI0e")

    @rewrite("tf.BesselI1")
    def bessel_i1(self, op, rewriter):
        return _bessel_scaled(op, rewriter, "BesselI1e")

    @rewrite("tf.Einsum")
    def einsum_unary(self, op, rewriter):
        if len(op.operands) != 1 or "equation" not in op.attributes:
            return NO_MATCH
        x = op.operands[0]
        if not _is_f32(x) or _ranked(op.results[0]) is None:
            return NO_MATCH
        eq = ir.StringAttr(op.attributes["equation"]).value.replace(" ", "")
        m = re.fullmatch(r"([A-Za-z]+)->([A-Za-z]*)", eq)
        if m is None:
            return NO_MATCH
        lhs, rhs = m.groups()
        dims = b.shape_of(x)
        if len(lhs) != len(dims):
            return NO_MATCH
        if len(lhs) == 2 and lhs[0] == lhs[1] and rhs == lhs[0]:      # diagonal
            n = dims[0]
            if n is None or dims[1] != n or n == 0:
                return NO_MATCH
            with rewriter.ip, op.location:
                tf = Tf()
                flat = tf.reshape(x, [n * n])
                out = b.tf("GatherV2", [flat, tf.const(np.arange(n) * (n + 1), "int32"), tf.const(0, "int32")],
                           op.results[0].type, batch_dims=b.i64_attr(0))
        elif rhs == "" and len(set(lhs)) == len(lhs):                # sum of all entries
            with rewriter.ip, op.location:
                tf = Tf()
                out = b.tf("Sum", [x, tf.const(list(range(len(dims))), "int32")], op.results[0].type,
                           keep_dims=False)
        else:
            return NO_MATCH
        rewriter.replace_op(op, [out])
        return
