"""tflx's built-in rewrite-pass library: one module per pass, each registered by name.

Importing this package registers every built-in pass (see `tflx-opt --list-passes`).
"""
from . import fold_identity_reshape, legalize_shape_to_stablehlo, raise_mean  # noqa: F401

# Passes the pipeline runs by default, in this order, at their stage.
DEFAULT_PASSES = ("fold-identity-reshape", "raise-sum-mul-to-mean")
