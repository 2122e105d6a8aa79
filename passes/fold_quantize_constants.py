"""fold-quantize-constants: `tfl.quantize` of a float constant becomes a `tfl.pseudo_qconst`.

After the in-converter quantization of a quantization-aware-trained model, weights whose
fake-quant was folded (fold-fake-quant-constants) reach the exporter as float constants with a
`tfl.quantize` on them: a QUANTIZE kernel would run at every invoke and the float weights would
be stored. Folding stores the integers, as the stock converter does.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.dialects.quant import UniformType
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class FoldQuantizeConstants(PatternPass):
    name = "fold-quantize-constants"
    stage = "tfl-opt"
    description = "Store tfl.quantize(float constant) as tfl.pseudo_qconst (integers, no QUANTIZE at run time)"

    @rewrite("tfl.quantize")
    def fold(self, op, rewriter):
        x = b.constant_value(op.operands[0])
        if x is None or not b.is_float(op.operands[0]):
            return NO_MATCH
        qtype = ir.TypeAttr(op.attributes["qtype"]).value
        try:
            uniform = UniformType.parse(str(qtype))
        except ValueError:  # another quantized type: left to the runtime
            return NO_MATCH
        # the value holds the storage bits as signless integers (u8 as i8), as litert's importer does
        stored = uniform.quantize(x)
        stored = stored.view(f"int{stored.dtype.itemsize * 8}")
        with rewriter.ip, op.location:
            const = b.op("tfl.pseudo_qconst", results=[op.result.type],
                         attributes={"qtype": ir.TypeAttr.get(qtype), "value": b.dense(stored)})
        rewriter.replace_op(op, [const.result])
