"""Example plugin, TFL stage: fuse `(a - b) * (a - b)` into one SQUARED_DIFFERENCE op.

Matches a `tfl.mul` whose two operands are the same `tfl.sub` result, with no fused
activation on either and no other use of the difference.

    tflx convert model/ -o m.tflite --plugin examples/plugins/squared_difference.py
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import PatternPass, register_pass, rewrite


def _no_activation(op) -> bool:
    return ir.StringAttr(op.attributes["fused_activation_function"]).value == "NONE"


@register_pass
@dataclass(frozen=True)
class FuseSquaredDifference(PatternPass):
    name = "fuse-squared-difference"
    stage = "tfl"
    description = "tfl.mul(d, d) with d = tfl.sub(a, b) -> tfl.squared_difference(a, b)"

    @rewrite("tfl.mul")
    def fuse(self, op, rewriter):
        lhs, rhs = op.operands
        if lhs != rhs or not _no_activation(op):
            return True
        sub = lhs.owner
        if not isinstance(sub, (ir.Operation, ir.OpView)) or sub.operation.name != "tfl.sub":
            return True
        sub = sub.operation
        if not _no_activation(sub) or len(list(sub.result.uses)) != 2:
            return True
        with rewriter.ip, op.location:
            fused = b.tfl("squared_difference", list(sub.operands), op.result.type)
        rewriter.replace_op(op, [fused])
