"""raise-avg-pool: sum-pool `stablehlo.reduce_window` times 1/(kh*kw) -> `tfl.average_pool_2d`.

With a dynamic batch, `tf-stablehlo` divides a summing reduce_window by a dynamically
broadcast constant, which litert's average-pool pattern does not recognise; the result is
STABLEHLO_REDUCE_WINDOW + MUL where stock emits AVERAGE_POOL_2D (DenseNet's transitions).
Matches only VALID windows over H and W of an NHWC tensor (no padding, no dilation), where
every window has kh*kw elements, so the two are the same computation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def _i64s(op, name):
    if name not in op.attributes:
        return None
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _is_sum_body(window) -> bool:
    block = window.regions[0].blocks[0]
    ops = [o.operation for o in block.operations]
    if len(ops) != 2 or ops[0].name not in ("tfl.add", "stablehlo.add"):
        return False
    if ops[0].name == "tfl.add" and ir.StringAttr(ops[0].attributes["fused_activation_function"]).value != "NONE":
        return False
    return set(ops[0].operands) == set(block.arguments) and ops[1].operands[0] == ops[0].result


@register_pass
@dataclass(frozen=True)
class RaiseAvgPool(PatternPass):
    name = "raise-avg-pool"
    stage = "tfl"
    description = "Sum-pool reduce_window scaled by 1/(kh*kw) -> tfl.average_pool_2d (VALID, NHWC)"

    @rewrite("tfl.mul")
    def raise_avg_pool(self, op, rewriter):
        if ir.StringAttr(op.attributes["fused_activation_function"]).value != "NONE":
            return NO_MATCH
        window, scale = op.operands
        rw = b.defining_op(window, "stablehlo.reduce_window")
        if rw is None:
            return NO_MATCH
        if len(rw.operands) != 2 or len(list(rw.results[0].uses)) != 1 or not _is_sum_body(rw):
            return NO_MATCH
        dims, strides = _i64s(rw, "window_dimensions"), _i64s(rw, "window_strides") or [1, 1, 1, 1]
        if dims is None or len(dims) != 4 or dims[0] != 1 or dims[3] != 1 or strides[0] != 1 or strides[3] != 1:
            return NO_MATCH
        for dilation in ("base_dilations", "window_dilations"):
            if any(d != 1 for d in (_i64s(rw, dilation) or [1])):
                return NO_MATCH
        if "padding" in rw.attributes and np.any(np.array(ir.DenseElementsAttr(rw.attributes["padding"]))):
            return NO_MATCH
        init, c = b.constant_value(rw.operands[1]), b.constant_value(scale)
        if init is None or init.size != 1 or float(init.reshape(())) != 0.0:
            return NO_MATCH
        if c is None or c.size != 1 or not np.isclose(float(c.reshape(())), 1.0 / (dims[1] * dims[2]), rtol=1e-6, atol=0):
            return NO_MATCH
        with rewriter.ip, op.location:
            pool = b.tfl("average_pool_2d", [rw.operands[0]], op.result.type, filter_height=dims[1],
                         filter_width=dims[2], stride_h=strides[1], stride_w=strides[2], padding="VALID",
                         fused_activation_function="NONE")
        rewriter.replace_op(op, [pool])
