"""decompose-resize-bicubic: `tf.ResizeBicubic` with static sizes -> two BATCH_MATMULs.

TFLite has no bicubic resize (the stock converter needs Flex). For fixed input and output sizes a
bicubic resize is linear and separable: out[b, y, x, c] = sum_i sum_j Wh[y, i] Ww[x, j] in[b, i, j, c].
The interpolation matrices are TensorFlow's own: TF resizes one-hot images at conversion time
(an [H, 1] column per input row gives Wh, likewise Ww), so align_corners, half_pixel_centers and
TF's edge handling come out exactly as TF computes them. Then

    [B*H, W, C]  --BATCH_MATMUL(Ww [w, W])-->  [B*H, w, C]  -> [B, H, w*C]
                 --BATCH_MATMUL(Wh [h, H])-->  [B, h, w*C]  -> [B, h, w, C]

(3 RESHAPEs, 2 BATCH_MATMULs). Float32 sums in another order than TF's: error ~1e-6 relative to
the image's range. Refused: dynamic H, W or batch, a size that is not a constant, non-float32
images, or weight matrices over max_elements entries.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf


def interpolation_matrix(n_in: int, n_out: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """[n_out, n_in]: TF's bicubic weights along one axis (resizing one-hot rows)."""
    import tensorflow as tf
    eye = np.eye(n_in, dtype=np.float32).reshape(1, n_in, 1, n_in)  # channel c: one-hot at row c
    out = tf.raw_ops.ResizeBicubic(images=eye, size=[n_out, 1], align_corners=align_corners,
                                   half_pixel_centers=half_pixel_centers)
    return np.asarray(out)[0, :, 0, :]


@register_pass
@dataclass(frozen=True)
class DecomposeResizeBicubic(PatternPass):
    name = "decompose-resize-bicubic"
    stage = "tf"
    description = "tf.ResizeBicubic (static sizes) -> BATCH_MATMULs with TF's interpolation matrices"
    max_elements: int = 1 << 20  # of each weight matrix (h*H, w*W)

    @rewrite("tf.ResizeBicubic")
    def resize(self, op, rewriter):
        x = op.operands[0]
        try:
            dims = b.shape_of(x)
        except ValueError:
            return NO_MATCH
        size = b.constant_value(op.operands[1])
        if len(dims) != 4 or None in dims or size is None or size.shape != (2,) or not b.is_float(x) \
                or b.element_type_of(x) != ir.F32Type.get():
            return NO_MATCH
        nb, h_in, w_in, c = (int(d) for d in dims)
        h_out, w_out = (int(s) for s in size)
        if h_out * h_in > self.max_elements or w_out * w_in > self.max_elements:
            return NO_MATCH
        corners, half = b.bool_attr(op, "align_corners"), b.bool_attr(op, "half_pixel_centers")
        wh = interpolation_matrix(h_in, h_out, corners, half)
        ww = interpolation_matrix(w_in, w_out, corners, half)
        with rewriter.ip, op.location:
            tf = Tf()
            rows = tf.reshape(x, [nb * h_in, w_in, c])
            across = b.tf("BatchMatMulV2", [tf.const(ww), rows], b.tensor([nb * h_in, w_out, c]))
            cols = tf.reshape(across, [nb, h_in, w_out * c])
            down = b.tf("BatchMatMulV2", [tf.const(wh), cols], b.tensor([nb, h_out, w_out * c]))
            out = tf.reshape(down, [nb, h_out, w_out, c])
        rewriter.replace_op(op, [out])
        return
