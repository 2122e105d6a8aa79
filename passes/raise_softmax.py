"""raise-softmax: exp(x - max(x)) / sum(exp(x - max(x))) over the last axis -> `tfl.softmax`.

With a static batch litert-converter emits SOFTMAX; with a dynamic batch the keep-dims
reductions become reduce + run-time reshape and its pattern no longer matches, leaving 12 ops
(REDUCE_MAX, SHAPE, CAST, CONCATENATION, RESHAPE, SUB, EXP, SUM, ..., DIV) where stock has one.
Matched on the last axis only, with the max and the sum each either kept-dims or reshaped back
to the input's rank with a trailing 1.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def _no_activation(op) -> bool:
    return "fused_activation_function" not in op.attributes or \
        ir.StringAttr(op.attributes["fused_activation_function"]).value == "NONE"


def _last_axis_reduction(v: ir.Value, name: str):
    """The input of `name` (tfl.reduce_max / tfl.sum) over the last axis whose result, kept
    or reshaped back, is `v` (shape [..., 1]); else None."""
    reshape = b.defining_op(v, "tfl.reshape")
    reduced = b.defining_op(reshape.operands[0], name) if reshape is not None else b.defining_op(v, name)
    if reduced is None:
        return None
    x = reduced.operands[0]
    dims = b.shape_of(x)
    axes = b.constant_value(reduced.operands[1])
    if axes is None or axes.size != 1 or int(axes.reshape(())) % len(dims) != len(dims) - 1:
        return None
    keep = ir.BoolAttr(reduced.attributes["keep_dims"]).value
    if reshape is None and not keep:
        return None
    out_dims = b.shape_of(v)
    if len(out_dims) != len(dims) or out_dims[-1] != 1 or out_dims[:-1] != dims[:-1]:
        return None
    return x


@register_pass
@dataclass(frozen=True)
class RaiseSoftmax(PatternPass):
    name = "raise-softmax"
    stage = "tfl"
    description = "exp(x - max x) / sum exp(x - max x) over the last axis -> tfl.softmax"

    @rewrite("tfl.div")
    def raise_softmax(self, op, rewriter):
        numerator, denominator = op.operands
        if not _no_activation(op) or numerator.type != op.result.type:
            return NO_MATCH
        exp = b.defining_op(numerator, "tfl.exp")
        summed = _last_axis_reduction(denominator, "tfl.sum")
        if exp is None or summed is None or summed != numerator:
            return NO_MATCH
        sub = b.defining_op(exp.operands[0], "tfl.sub")
        if sub is None or not _no_activation(sub):
            return NO_MATCH
        x, shifted_by = sub.operands
        maxed = _last_axis_reduction(shifted_by, "tfl.reduce_max")
        if x.type != op.result.type or maxed is None or maxed != x:
            return NO_MATCH
        with rewriter.ip, op.location:
            softmax = b.op("tfl.softmax", [x], [op.result.type],
                           {"beta": ir.FloatAttr.get(ir.F32Type.get(), 1.0)}).result
        rewriter.replace_op(op, [softmax])
