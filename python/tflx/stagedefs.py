"""What the stages are: their names in order and the pass pipelines (as text) they run.

Plain data with no imports, so any module can use it without pulling in the stage code
(`tflx.stages`) or the package's API (`tflx`).
"""
from __future__ import annotations

STAGES = ("tf", "stablehlo", "tfl", "tfl-opt", "flatbuffer")

TF_IMPORT_PIPELINE = "func.func(tf-executor-to-functional-conversion)"
TF_IMPORT_TAIL_PIPELINE = "tf-shape-inference,canonicalize,symbol-dce"
TF_LIFTED_IMPORT_TAIL = "inline,symbol-dce"  # the inliner canonicalizes too
# remove-shape-constraints drops broadcastability witnesses (TFLite checks at run time); after
# it only const_shape/shape_of/broadcast remain for legalize-shape-to-stablehlo.
TF_STABLEHLO_PIPELINE = "tf-stablehlo,canonicalize,func.func(remove-shape-constraints),canonicalize,cse"
TFL_OPT_PIPELINE = "builtin.module(func.func(tfl-optimize),canonicalize,cse)"

__all__ = ["STAGES", "TF_IMPORT_PIPELINE", "TF_IMPORT_TAIL_PIPELINE", "TF_LIFTED_IMPORT_TAIL",
           "TF_STABLEHLO_PIPELINE", "TFL_OPT_PIPELINE"]
