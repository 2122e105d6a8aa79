"""shape-skips-dequantize: `tfl.shape(tfl.dequantize(x))` reads the shape of `x` itself.

A tensor's shape does not depend on its element type, but litert-quantizer's int8 recipe keeps
SHAPE's input in float and feeds it through a DEQUANTIZE of the int8 tensor: one extra kernel
per SHAPE at every invoke (4 on a Keras MultiHeadAttention block; the stock converter has none).
Runs on the quantized model (stage "quantize"); a DEQUANTIZE left without users goes with it.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class ShapeSkipsDequantize(PatternPass):
    name = "shape-skips-dequantize"
    stage = "quantize"
    description = "tfl.shape(tfl.dequantize(x)) -> tfl.shape(x) in quantized models"

    @rewrite("tfl.shape")
    def skip(self, op, rewriter):
        dq = b.defining_op(op.operands[0], "tfl.dequantize")
        if dq is None:
            return NO_MATCH
        with rewriter.ip, op.location:
            shape = b.op("tfl.shape", [dq.operands[0]], [op.result.type], b.attributes(op)).result
        rewriter.replace_op(op, [shape])
        if not list(dq.result.uses):
            rewriter.erase_op(dq)
