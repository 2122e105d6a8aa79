"""symmetric-batch-matmul-rhs: give an int8 BATCH_MATMUL's right operand zero point 0.

XNNPACK runs a quantized BATCH_MATMUL only when its right operand is symmetric (zero point 0);
otherwise the op falls back to TFLite's reference-style kernel. litert-quantizer calibrates
activations asymmetrically, so attention's Q.K^T and P.V (both operands activations) stay off
XNNPACK. A requantize (tfl.quantize int8 -> int8, same range, zero point 0, scale max|range|/127)
in front of the right operand moves the op onto XNNPACK. Runs on the quantized model.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.dialects.quant import UniformType
from tflx.mlir import dims_of, ir, tensor_type
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class SymmetricBatchMatmulRhs(PatternPass):
    name = "symmetric-batch-matmul-rhs"
    stage = "quantize"
    description = "Requantize an int8 tfl.batch_matmul's right operand to zero point 0 (XNNPACK's fast path)"

    @rewrite("tfl.batch_matmul")
    def requantize(self, op, rewriter):
        rhs = op.operands[1]
        try:
            q = UniformType.parse(str(rhs.type))
        except ValueError:
            return NO_MATCH
        if q.storage != "i8" or q.axis is not None or q.zero_points[0] == 0 or b.constant_value(rhs) is not None:
            return NO_MATCH
        scale, zero = q.scales[0], q.zero_points[0]
        bound = max(abs(scale * (q.storage_min - zero)), abs(scale * (q.storage_max - zero)))
        with rewriter.ip, op.location:
            new_type = tensor_type(dims_of(rhs.type), ir.Type.parse(f"!quant.uniform<i8:f32, {bound / 127:.17g}>"))
            sym = b.op("tfl.quantize", [rhs], [new_type], {"qtype": ir.TypeAttr.get(new_type)}).result
            new = b.op("tfl.batch_matmul", [op.operands[0], sym], [op.result.type], b.attributes(op)).result
        rewriter.replace_op(op, [new])

