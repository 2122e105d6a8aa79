"""decompose-dilation2d: `tf.Dilation2D` (grayscale morphological dilation) -> strided slices,
ADD and MAXIMUM, unrolled over the filter window.

    out[b, y, x, c] = max over (dy, dx) of  in[b, y*sh + dy*rh - top, x*sw + dx*rw - left, c] + f[dy, dx, c]

TFLite has no dilation op (the stock converter needs Flex). With static shapes each filter tap is
one STRIDED_SLICE of the (for SAME: -inf padded, PADV2) input, one SLICE of the filter, one ADD
and one MAXIMUM: 4 ops per tap plus the padding. Exact (max and one add per term, as TF).
Refused: dynamic shapes, non-float32, more than max_taps filter taps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf, strided_slice


def _ints(op, name: str) -> list[int]:
    return [int(ir.IntegerAttr(a).value) for a in ir.ArrayAttr(op.attributes[name])]


@register_pass
@dataclass(frozen=True)
class DecomposeDilation2D(PatternPass):
    name = "decompose-dilation2d"
    stage = "tf"
    description = "tf.Dilation2D -> STRIDED_SLICE / ADD / MAXIMUM per filter tap"
    max_taps: int = 49

    @rewrite("tf.Dilation2D")
    def dilation(self, op, rewriter):
        x, f = op.operands[0], op.operands[1]
        try:
            xd, fd, od = b.shape_of(x), b.shape_of(f), b.shape_of(op.results[0])
        except ValueError:
            return NO_MATCH
        if None in xd + fd + od or len(xd) != 4 or len(fd) != 3 or b.element_type_of(x) != ir.F32Type.get():
            return NO_MATCH
        (nb, h, w, c), (fh, fw, _), (_, oh, ow, _) = xd, fd, od
        _, sh, sw, _ = _ints(op, "strides")
        _, rh, rw, _ = _ints(op, "rates")
        if fh * fw > self.max_taps:
            return NO_MATCH
        same = ir.StringAttr(op.attributes["padding"]).value == "SAME"
        eh, ew = (fh - 1) * rh + 1, (fw - 1) * rw + 1  # the dilated filter's extent
        top = max((oh - 1) * sh + eh - h, 0) // 2 if same else 0
        left = max((ow - 1) * sw + ew - w, 0) // 2 if same else 0
        need_h, need_w = (oh - 1) * sh + eh, (ow - 1) * sw + ew  # rows / cols the taps read
        bottom, right = max(need_h - top - h, 0), max(need_w - left - w, 0)
        with rewriter.ip, op.location:
            tf = Tf()
            if top or left or bottom or right:  # out-of-image taps never win the max
                pads = tf.const([[0, 0], [top, bottom], [left, right], [0, 0]], "int32")
                x = b.tf("PadV2", [x, pads, tf.const(-np.inf)],
                         b.tensor([nb, h + top + bottom, w + left + right, c]))
            out = None
            for dy in range(fh):
                for dx in range(fw):
                    y0, x0 = dy * rh, dx * rw
                    tap = strided_slice(x, [0, y0, x0, 0], [nb, y0 + (oh - 1) * sh + 1, x0 + (ow - 1) * sw + 1, c],
                                        [1, sh, sw, 1])
                    term = b.tf("AddV2", [tap, tf.slice(f, [dy, dx, 0], [1, 1, c])], tap.type)
                    out = term if out is None else b.tf("Maximum", [out, term], tap.type)
        rewriter.replace_op(op, [out])
        return
