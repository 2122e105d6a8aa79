"""strided-slice-new-axis-to-expand-dims: `x[None, :, None, ...]` -> `tf.ExpandDims` per new axis.

A `tf.StridedSlice` that only inserts axes (every other dimension taken whole: begin and end
masked, stride 1; no shrink, no ellipsis) is an ExpandDims chain. With dynamic dims neither
route lowers it as a slice: the direct TF -> TFL legalization leaves it for Flex, and stock
fails the same way (Keras' causal attention mask, `mask[None, None, :, :]`). EXPAND_DIMS is a
builtin for any shape.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def _mask(op, name: str) -> int:
    return ir.IntegerAttr(op.attributes[name]).value if name in op.attributes else 0


@register_pass
@dataclass(frozen=True)
class StridedSliceNewAxisToExpandDims(PatternPass):
    name = "strided-slice-new-axis-to-expand-dims"
    stage = "tf"
    description = "tf.StridedSlice that only inserts new axes (x[None, :, ...]) -> tf.ExpandDims per axis"

    @rewrite("tf.StridedSlice")
    def expand(self, op, rewriter):
        new_axis = _mask(op, "new_axis_mask")
        if not new_axis or _mask(op, "shrink_axis_mask") or _mask(op, "ellipsis_mask"):
            return NO_MATCH
        strides = b.constant_value(op.operands[3])
        if strides is None or strides.ndim != 1:
            return NO_MATCH
        begin, end = _mask(op, "begin_mask"), _mask(op, "end_mask")
        for i, s in enumerate(strides.tolist()):
            whole = (begin >> i) & 1 and (end >> i) & 1 and s == 1
            if not (new_axis >> i) & 1 and not whole:
                return NO_MATCH
        x = op.operands[0]
        axes = [i for i in range(len(strides)) if (new_axis >> i) & 1]
        if len(b.shape_of(x)) + len(axes) != len(b.shape_of(op.result)):
            return NO_MATCH
        dims, etype = b.shape_of(x), b.element_type_of(x)
        # Spec entry i is output axis i (no ellipsis, no shrink): insert the new axes in order;
        # the last ExpandDims gets the original result type (it may know more static dims).
        with rewriter.ip, op.location:
            for n, axis in enumerate(axes):
                dims = dims[:axis] + [1] + dims[axis:]
                t = op.result.type if n == len(axes) - 1 else ir.RankedTensorType.get(
                    [ir.ShapedType.get_dynamic_size() if d is None else d for d in dims], etype)
                x = b.tf("ExpandDims", [x, b.constant(axis, "int32", dialect="tf")], t)
        rewriter.replace_op(op, [x])
