"""raise-sum-mul-to-mean: `tfl.mul(tfl.sum(x, axes), 1/N)` -> `tfl.mean(x, axes)`.

StableHLO has no mean: `tf.Mean` lowers to reduce-add then divide by the reduced element
count, which legalizes to SUM + MUL. Stock TFLite emits one MEAN; so do we, when N is the
static product of the reduced dims and the scale is a scalar constant equal to 1/N.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class RaiseSumMulToMean(PatternPass):
    name = "raise-sum-mul-to-mean"
    stage = "tfl"
    description = "Fuse tfl.sum followed by a multiply with 1/N into tfl.mean"

    @rewrite("tfl.mul")
    def raise_mean(self, op, rewriter):
        if ir.StringAttr(op.attributes["fused_activation_function"]).value != "NONE":
            return NO_MATCH
        for sum_value, scale_value in (op.operands, reversed(list(op.operands))):
            total = b.defining_op(sum_value, "tfl.sum")
            if total is None:
                continue
            scale = b.constant_value(scale_value)
            axes = b.constant_value(total.operands[1])
            if scale is None or scale.size != 1 or axes is None or len(list(total.result.uses)) != 1:
                continue
            in_dims = b.shape_of(total.operands[0])
            axes = [int(a) % len(in_dims) for a in axes.reshape(-1)]
            reduced = [in_dims[a] for a in axes]
            if None in reduced:
                continue
            count = int(np.prod(reduced))
            if not np.isclose(float(scale.reshape(())), 1.0 / count, rtol=1e-6, atol=0):
                continue
            if total.result.type != op.result.type:
                continue
            with rewriter.ip, op.location:
                mean = b.op("tfl.mean", [total.operands[0], total.operands[1]], [op.result.type],
                            {"keep_dims": total.attributes["keep_dims"]})
            rewriter.replace_op(op, mean)
            return
        return NO_MATCH
