"""Example plugin, TFL stage: fuse `(a - b) * (a - b)` into one SQUARED_DIFFERENCE op.

A DAG pattern finds a `tfl.mul` whose two operands are the same value; the rule checks that the
value is a `tfl.sub` used only there, with no fused activation on either op.

    tflx convert model/ -o m.tflite --plugin examples/plugins/squared_difference.py
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.dialects import tfl
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class FuseSquaredDifference(PatternPass):
    name = "fuse-squared-difference"
    stage = "tfl"
    description = "tfl.mul(d, d) with d = tfl.sub(a, b) -> tfl.squared_difference(a, b)"

    @rewrite(match="tfl.mul(%d, %d)")
    def fuse(self, op, rewriter, d):
        sub = b.defining_op(d, "tfl.sub")
        if sub is None or tfl.activation(op) != "NONE" or tfl.activation(sub) != "NONE":
            return NO_MATCH
        if len(list(d.uses)) != 2:  # the difference is needed elsewhere too
            return NO_MATCH
        with rewriter.ip, op.location:
            fused = b.tfl("squared_difference", list(sub.operands))
        rewriter.replace_op(op, [fused])
