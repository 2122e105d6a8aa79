"""decompose-truncate-mod: `tf.TruncateMod` (C's fmod / %: the result takes the dividend's sign)
-> FLOOR_MOD corrected by a SELECT.

TFLite has FLOOR_MOD (the result takes the divisor's sign) but no truncated remainder; the stock
converter writes a custom op. The two differ exactly when the remainder r = floor_mod(x, y) is
nonzero and x and y have opposite signs; then trunc_mod = r - y:

    r = FloorMod(x, y);  out = Select(r != 0 and (x < 0) != (y < 0), r - y, r)

5 ops (FLOOR_MOD, NOT_EQUAL, 2 LESS + NOT_EQUAL, LOGICAL_AND, SUB, SELECT_V2). Integers: exact.
float32: FLOOR_MOD itself adds y to fmod's result in that case, and r - y undoes it, so the
error is at most ~1 ulp of |y| (TF's fmod is exact). Refused: dtypes other than int32 / float32.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf, shape


@register_pass
@dataclass(frozen=True)
class DecomposeTruncateMod(PatternPass):
    name = "decompose-truncate-mod"
    stage = "tf"
    description = "tf.TruncateMod -> FLOOR_MOD with a sign correction (SELECT)"

    @rewrite("tf.TruncateMod")
    def truncate_mod(self, op, rewriter):
        x, y = op.operands
        try:
            et = b.element_type_of(x)
            shape(x), shape(y)
        except (ValueError, TypeError):
            return NO_MATCH
        if not (et == ir.F32Type.get() or et == ir.IntegerType.get_signless(32)):
            return NO_MATCH
        out_t = op.results[0].type
        with rewriter.ip, op.location:
            tf = Tf()
            zero = tf.const(0, "float32" if et == ir.F32Type.get() else "int32")
            r = b.tf("FloorMod", [x, y], out_t)
            nonzero = b.tf("NotEqual", [r, zero], b.tensor(shape(r), "bool"), incompatible_shape_error=True)
            xneg = b.tf("Less", [x, zero], b.tensor(shape(x), "bool"))
            yneg = b.tf("Less", [y, zero], b.tensor(shape(y), "bool"))
            signs = b.tf("NotEqual", [xneg, yneg], b.tensor(shape(r), "bool"), incompatible_shape_error=True)
            fix = b.tf("LogicalAnd", [nonzero, signs], b.tensor(shape(r), "bool"))
            out = tf.select(fix, b.tf("Sub", [r, y], out_t), r)
        rewriter.replace_op(op, [out])
        return
