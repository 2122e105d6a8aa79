"""tflx's built-in rewrite-pass library: one module per pass, each registered by name.

Importing this package registers every built-in pass (see `tflx-opt --list-passes`).
"""
from . import fold_identity_reshape, legalize_shape_to_stablehlo, raise_avg_pool, raise_mean, raise_softmax  # noqa: F401
from . import decompose_cholesky, decompose_matrix_determinant, decompose_matrix_inverse  # noqa: F401
from . import defer_to_tfl_legalization, legalize_topk_to_tfl, outline_while_regions  # noqa: F401

# Passes the pipeline runs by default, in this order, at their stage.
DEFAULT_PASSES = ("defer-to-tfl-legalization", "restore-deferred-ops", "fold-identity-reshape", "raise-sum-mul-to-mean", "raise-avg-pool", "raise-softmax",
                  "decompose-matrix-determinant", "decompose-matrix-inverse", "decompose-cholesky",
                  "legalize-topk-to-tfl", "outline-tfl-while")
