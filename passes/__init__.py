"""tflx's built-in rewrite-pass library: one module per pass, each registered by name.

Importing this package registers every built-in pass (see `tflx-opt --list-passes`).
"""
from . import fold_identity_reshape, legalize_shape_to_stablehlo, raise_avg_pool, raise_mean, raise_softmax  # noqa: F401
from . import fold_fake_quant_constants, fold_quantize_constants, fresh_stateful_operands, shape_skips_dequantize  # noqa: F401,E501
from . import symmetric_batch_matmul_rhs  # noqa: F401
from . import decompose_misc_ops  # noqa: F401
from . import decompose_resize_bicubic, decompose_dilation2d, decompose_truncate_mod, decompose_cumulative_logsumexp  # noqa: F401,E501
from . import decompose_segment_scatter  # noqa: F401
from . import decompose_matrix_solve  # noqa: F401
from . import decompose_triangular_solve  # noqa: F401
from . import decompose_bitwise  # noqa: F401
from . import decompose_cholesky, decompose_dynamic_tensor_lists, decompose_matrix_determinant, decompose_matrix_inverse  # noqa: F401,E501
from . import legalize_topk_to_tfl, outline_while_regions, route_tf_ops, sink_loop_invariant_constants  # noqa: F401
from . import lower_static_tensor_list, raise_keras_lstm, select_tf_ops, strided_slice_new_axis_to_expand_dims  # noqa: F401

# Passes the pipeline runs by default, in this order, at their stage. (route-tf-ops and
# restore-routed-ops are not among them: the stablehlo stage routes ops itself, see tflx.routes.)
DEFAULT_PASSES = ("sink-loop-invariant-constants", "decompose-dynamic-tensor-lists", "raise-keras-lstm", "strided-slice-new-axis-to-expand-dims", "fold-fake-quant-constants", "fold-identity-reshape", "raise-sum-mul-to-mean", "raise-avg-pool", "raise-softmax",
                  "decompose-matrix-determinant", "decompose-matrix-inverse", "decompose-cholesky",
                  "decompose-bitwise", "decompose-triangular-solve", "decompose-matrix-solve", "decompose-segment-scatter", "decompose-resize-bicubic", "decompose-dilation2d", "decompose-truncate-mod", "decompose-cumulative-logsumexp", "decompose-misc-ops", "legalize-topk-to-tfl", "outline-tfl-while", "fold-quantize-constants", "fresh-stateful-operands",
                  "shape-skips-dequantize", "symmetric-batch-matmul-rhs")


def registered_passes() -> dict:
    """Every registered pass by name: this library's (imported above) and the plugins' loaded so far."""
    from tflx.plugin import registry
    return registry()
