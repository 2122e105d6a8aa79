"""fold-fake-quant-constants: a TF fake-quant op on constant weights becomes the constant it computes.

A quantization-aware-trained model wraps its weights in `FakeQuantWithMinMaxVars[PerChannel]`
with constant ranges. litert-converter's legalization turns the op's *result* into a
`tfl.quantize`/`tfl.dequantize` pair carrying the range, but leaves the fake-quant op itself:
the stock converter folds it afterwards with TF's kernels, which litert-converter lacks. This
pass does that fold with TF's arithmetic (ranges nudged so that zero is exact), so the weights
reach the quantizer as constants and no `tf.FakeQuant*` is left for the exporter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def nudged_range(lo, hi, num_bits: int, narrow_range: bool):
    """TF's nudge (fake_quant_ops_functor.h): the range moved so that 0.0 is a grid point.
    Returns (nudged_min, nudged_max, scale, qmin - zero_point), float32 like TF's kernel."""
    lo, hi = np.float32(lo), np.float32(hi)
    qmin = np.float32(1 if narrow_range else 0)
    qmax = np.float32((1 << num_bits) - 1)
    scale = (hi - lo) / (qmax - qmin)
    zero_from_min = qmin - lo / scale
    # std::round: half away from zero (numpy's round is half to even); here zero_from_min >= qmin >= 0
    zero = np.where(zero_from_min < qmin, qmin,
                    np.where(zero_from_min > qmax, qmax, np.floor(zero_from_min + np.float32(0.5))))
    return (qmin - zero) * scale, (qmax - zero) * scale, scale, qmin - zero


def fake_quant(x: np.ndarray, lo, hi, num_bits: int = 8, narrow_range: bool = False) -> np.ndarray:
    """tf.quantization.fake_quant_with_min_max_vars[_per_channel] on an array (channels last),
    bit for bit: TF 2.21 dequantizes as (steps from the bottom + qmin - zero point) * scale,
    which differs in the last bit from steps * scale + nudged_min (checked in test_quantize.py)."""
    nmin, nmax, scale, offset = nudged_range(np.asarray(lo, np.float32), np.asarray(hi, np.float32),
                                             num_bits, narrow_range)
    x = np.clip(x.astype(np.float32), nmin, nmax)
    steps = np.floor((x - nmin) / scale + np.float32(0.5))
    return ((steps + offset) * scale).astype(np.float32)


@register_pass
@dataclass(frozen=True)
class FoldFakeQuantConstants(PatternPass):
    name = "fold-fake-quant-constants"
    stage = "tfl"
    description = "Fold TF fake-quant ops on constant weights (QAT models) into constants, as TF would"

    @rewrite("tf.FakeQuantWithMinMaxVars", "tf.FakeQuantWithMinMaxVarsPerChannel", "tf.FakeQuantWithMinMaxArgs")
    def fold(self, op, rewriter):
        x = b.constant_value(op.operands[0])
        if x is None or not b.is_float(op.operands[0]):
            return NO_MATCH
        if op.name == "tf.FakeQuantWithMinMaxArgs":
            lo, hi = b.attr_value(op, "min", -6.0), b.attr_value(op, "max", 6.0)
        else:
            lo, hi = b.constant_value(op.operands[1]), b.constant_value(op.operands[2])
            if lo is None or hi is None:
                return NO_MATCH
        folded = fake_quant(x, lo, hi, b.attr_value(op, "num_bits", 8), b.bool_attr(op, "narrow_range"))
        with rewriter.ip, op.location:
            rewriter.replace_op(op, [b.constant(folded, dialect="arith")])
