"""tfl-lower-static-tensor-list: litert-opt's TensorList lowering pass, by name and options, for
`tflx-opt` on TF-dialect IR (litert-converter's Python registry does not expose it; its
run_convert_to_tfl_passes runs it internally).

It is decompose-dynamic-tensor-lists with litert-opt's defaults: a list that cannot be lowered is
an error unless `allow-tensorlist-pass-through`; writes are slice + concat unless
`enable-dynamic-update-slice`; `default-to-single-batch` makes unknown element dims 1. Unlike
litert's pass it also lowers lists whose element shape is only known at run time (dynamic batch).

    tflx-opt tf.mlir -tfl-lower-static-tensor-list
    tflx-opt tf.mlir '--pass-pipeline=builtin.module(tfl-lower-static-tensor-list{enable-dynamic-update-slice=true})'
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx.passes.decompose_dynamic_tensor_lists import DecomposeDynamicTensorLists
from tflx.plugin import register_pass


@register_pass
@dataclass(frozen=True)
class LowerStaticTensorList(DecomposeDynamicTensorLists):
    name = "tfl-lower-static-tensor-list"
    stage = "tf"
    description = ("TensorList ops carried by tf.While -> tensor ops (litert-opt's pass and options: "
                   "allow-tensorlist-pass-through, default-to-single-batch, enable-dynamic-update-slice)")
    allow_tensorlist_pass_through: bool = False
    default_to_single_batch: bool = False
    enable_dynamic_update_slice: bool = False
