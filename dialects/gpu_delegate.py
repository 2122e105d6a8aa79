"""Which TFLite operators the LiteRT GPU delegate takes, and under what constraints.

Why tflx keeps its own table: the GPU-compatibility check in the pip builds of TF 2.21's and
ai-edge-litert's model Analyzer is compiled out (it calls Flex and WHILE models "compatible with
GPU delegate"), so a per-op verdict has to come from here.

Source, restated in our own words (no code copied):
  - LiteRT's GPU compatibility checker, `tflite/tools/versioning/gpu_compatibility.cc` in
    google-ai-edge/LiteRT (the same file is `tensorflow/lite/tools/versioning/gpu_compatibility.cc`
    in tensorflow/tensorflow), function CheckGpuDelegateCompatibility: the op list and each op's
    constraints (runtime/constant input counts, fused activations, axes, paddings, masks, ...).
    The offline check assumes "enhanced broadcast", so ADD/MUL accept any numpy-compatible
    broadcast.
  - The delegate's graph partitioner, `tflite/delegates/gpu/common/model_builder.cc`
    (IsAllAllowedTensors): every tensor of a delegated node has rank < 5, and runtime (non-constant)
    tensors are float32/float16 -- or int8/uint8 in quantized models, int32 and bool where the op
    allows them; int64, float64, strings and resources never are.
  - Dynamic shapes: the delegate compiles its kernels for fixed shapes when it is applied. A
    dynamic batch (dim 0) is fixed by resizing the inputs first; any other dynamic dimension is
    reported as "dynamic shape".

`verdict(op_name, details)` returns True or the reason as a short string. `details` is an
OpDetails (tensors and builtin options, as tflx.profile reads them from the .tflite); with None
only the op list is consulted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

NOT_SUPPORTED = "not supported by the GPU delegate"


@dataclass(frozen=True)
class TensorSpec:
    shape: tuple[int, ...]
    signature: tuple[int, ...]  # shape_signature: -1 where dynamic
    dtype: str  # numpy-style name: float32, int8, int64, ...
    is_const: bool
    quantized: bool = False


@dataclass(frozen=True)
class OpDetails:
    inputs: tuple  # TensorSpec, or None for an omitted optional input (index -1)
    outputs: tuple
    options: dict = field(default_factory=dict)  # builtin options, snake_case; enums by name


# ---- constraint helpers: each returns None when satisfied, else the reason ----------------

_ACTIVATIONS_OK = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGMOID"}


def _present(d: OpDetails) -> list:
    return [t for t in d.inputs if t is not None]


def _runtime(d: OpDetails) -> int:
    return sum(1 for t in _present(d) if not t.is_const)


def _consts(d: OpDetails) -> int:
    return sum(1 for t in _present(d) if t.is_const)


def fused_activation(d: OpDetails):
    act = d.options.get("fused_activation_function", "NONE")
    return None if act in _ACTIVATIONS_OK else f"fused activation {act} not supported"


def runtime_inputs(*allowed: int):
    """The number of non-constant inputs must be one of `allowed`."""
    def check(d):
        n = _runtime(d)
        return None if n in allowed else f"{n} runtime inputs (the GPU delegate takes {' or '.join(map(str, allowed))})"
    return check


def inputs_const_pattern(*patterns: tuple[int, int]):
    """(runtime, constant) input counts must match one of `patterns`."""
    def check(d):
        got = (_runtime(d), _consts(d))
        return None if got in patterns else f"{got[0]} runtime and {got[1]} constant inputs not supported"
    return check


def outputs(n: int):
    def check(d):
        return None if len(d.outputs) == n else f"{len(d.outputs)} outputs (expects {n})"
    return check


def const_int32_axes(idx: int):
    """Reductions and REVERSE_V2 need their axes as an int32 constant."""
    def check(d):
        t = d.inputs[idx] if idx < len(d.inputs) else None
        if t is None or not t.is_const:
            return "axes must be a constant"
        return None if t.dtype == "int32" else f"axes must be int32, not {t.dtype}"
    return check


def input_rank(idx: int, ranks: tuple[int, ...]):
    def check(d):
        t = d.inputs[idx] if idx < len(d.inputs) else None
        r = len(t.shape) if t is not None else 0
        return None if r in ranks else f"{r}-D input (supports {' or '.join(f'{k}-D' for k in ranks)})"
    return check


def option_equals(name: str, value, why: str):
    def check(d):
        return None if d.options.get(name, value) == value else why
    return check


def no_masks(*names: str):
    def check(d):
        for n in names:
            if d.options.get(n):
                return f"{n} not supported"
        return None
    return check


def strides_positive(d: OpDetails):
    for k in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor", "filter_height", "filter_width"):
        if k in d.options and d.options[k] <= 0:
            return f"{k} = {d.options[k]} must be positive"
    return None


def broadcastable(d: OpDetails):
    """ADD/MUL: with both operands of rank > 1 and different ranks, numpy broadcasting must hold."""
    ins = _present(d)
    if len(ins) != 2:
        return f"{len(ins)} inputs (expects 2)"
    a, b = ins[0].shape, ins[1].shape
    if len(a) > 1 and len(b) > 1 and len(a) != len(b):
        for x, y in zip(reversed(a), reversed(b)):
            if x != y and 1 not in (x, y):
                return f"cannot broadcast {list(a)} with {list(b)}"
    return None


def depthwise_shapes(d: OpDetails):
    x, w = d.inputs[0], d.inputs[1]
    y = d.outputs[0]
    if any(len(t.shape) != 4 for t in (x, w, y)):
        return "input, filter and output must be 4-D"
    if y.shape[3] != x.shape[3] * d.options.get("depth_multiplier", 1) and d.options.get("depth_multiplier", 0) > 0:
        return "output channels != input channels * depth_multiplier"
    return None


def fully_connected(d: OpDetails):
    if d.options.get("weights_format", "DEFAULT") != "DEFAULT":
        return f"weights format {d.options['weights_format']} not supported"
    if _runtime(d) > 2:
        return "more than 2 runtime inputs"
    if d.options.get("keep_num_dims") and len(d.inputs[0].shape) != len(d.outputs[0].shape):
        return "keep_num_dims with input and output ranks differing"
    return None


def gather_indices(d: OpDetails):
    idx = d.inputs[1]
    if len(idx.shape) != 1:
        return "indices must be 1-D"
    return None if idx.dtype == "int32" else f"indices must be int32, not {idx.dtype}"


def paddings_shape(d: OpDetails):
    p = d.inputs[1] if len(d.inputs) > 1 else None
    if p is None or len(p.shape) != 2 or p.shape[0] not in (3, 4) or p.shape[1] != 2:
        return f"paddings of shape {list(p.shape) if p else None} (supports 3x2 or 4x2)"
    return None


def cast_types(d: OpDetails):
    src, dst = d.inputs[0].dtype, d.outputs[0].dtype
    floats = {"float32", "float16"}
    ok = ((src == "bool" and dst in floats) or (src in floats and dst == "bool")
          or (src in {"float32", "int32"} and dst in {"float32", "int32"}))
    return None if ok else f"cast {src} -> {dst} not supported"


def block_size_over_1(d: OpDetails):
    return None if d.options.get("block_size", 2) > 1 else "block_size must be > 1"


def not_int16_input(d: OpDetails):
    return "int16 dequantization not supported" if d.inputs[0].dtype == "int16" else None


def softmax_beta(d: OpDetails):
    return None if d.options.get("beta", 1.0) == 1.0 else "beta != 1 not supported"


def resize_bilinear(d: OpDetails):
    if d.options.get("align_corners") and d.options.get("half_pixel_centers"):
        return "align_corners with half_pixel_centers not supported"
    return None


def batch_matmul(d: OpDetails):
    return None if len(_present(d)) == 2 and len(d.outputs) == 1 else "expects 2 inputs and 1 output"


_UNARY = (inputs_const_pattern((1, 0)), outputs(1))
_BINARY = (inputs_const_pattern((2, 0), (1, 1)), outputs(1))
_CONV = (runtime_inputs(1, 2), outputs(1), strides_positive, fused_activation)
_POOL = (runtime_inputs(1), outputs(1), strides_positive, fused_activation)
_REDUCE = (runtime_inputs(1), outputs(1), const_int32_axes(1))

# op name -> the constraints to check (all must hold). Ops not listed are not supported.
TABLE: dict[str, tuple] = {
    "ADD": (broadcastable,),
    "ADD_N": (lambda d: None if len(_present(d)) == 2 else "ADD_N only with 2 inputs",),
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "BATCH_MATMUL": (batch_matmul,),
    "CAST": (runtime_inputs(1), outputs(1), cast_types),
    "CONCATENATION": (),
    "CONV_2D": _CONV,
    "TRANSPOSE_CONV": (runtime_inputs(1, 2), outputs(1), strides_positive),
    "DEPTHWISE_CONV_2D": _CONV + (depthwise_shapes,),
    "CUMSUM": (lambda d: None if d.inputs[1].is_const and d.inputs[1].dtype == "int32"
               else "axis must be a constant int32",),
    "DENSIFY": (runtime_inputs(0), outputs(1)),
    "DEPTH_TO_SPACE": (runtime_inputs(1), outputs(1), block_size_over_1),
    "SPACE_TO_DEPTH": (runtime_inputs(1), outputs(1), block_size_over_1),
    "DEQUANTIZE": (outputs(1), not_int16_input),
    "QUANTIZE": (runtime_inputs(1), outputs(1)),
    "EMBEDDING_LOOKUP": (lambda d: None if len(d.inputs[0].shape) == 1 else "ids must be 1-D",),
    "DYNAMIC_UPDATE_SLICE": (lambda d: None if d.inputs[2].dtype == "int32" else "start indices must be int32",),
    "FULLY_CONNECTED": (fully_connected,),
    "GATHER": (inputs_const_pattern((2, 0), (1, 1)), outputs(1), gather_indices),
    "HARD_SWISH": (runtime_inputs(1), outputs(1)),
    "LSTM": (),
    "MEAN": (inputs_const_pattern((1, 1)),) + _REDUCE,
    "SUM": _REDUCE, "REDUCE_MAX": _REDUCE, "REDUCE_MIN": _REDUCE, "REDUCE_PROD": _REDUCE,
    "REDUCE_ANY": _REDUCE, "REDUCE_ALL": _REDUCE,
    "MUL": (broadcastable, fused_activation),
    "PACK": (),
    "ONE_HOT": (lambda d: None if d.inputs[0].dtype == "int32" else "indices must be int32",),
    "PRELU": (),
    "RELU": (), "RELU6": (), "RELU_N1_TO_1": (), "LEAKY_RELU": (),
    "RESHAPE": (runtime_inputs(1), outputs(1)),
    "SELECT": (outputs(1),), "SELECT_V2": (outputs(1),),
    "SLICE": (input_rank(0, (3, 4)),),
    "SOFTMAX": (softmax_beta,),
    "SPLIT": (), "SPLIT_V": (),
    "STRIDED_SLICE": (no_masks("ellipsis_mask", "new_axis_mask", "shrink_axis_mask"), input_rank(0, (3, 4))),
    "TILE": (runtime_inputs(1), outputs(1)),
    "TOPK_V2": (runtime_inputs(1), outputs(2)),
    "TRANSPOSE": (runtime_inputs(1), outputs(1)),
    "RESIZE_BILINEAR": (runtime_inputs(1), outputs(1), resize_bilinear),
    "RESIZE_NEAREST_NEIGHBOR": (runtime_inputs(1), outputs(1)),
    "PAD": (runtime_inputs(1), outputs(1), paddings_shape),
    "PADV2": (runtime_inputs(1), outputs(1), paddings_shape),
    "MIRROR_PAD": (option_equals("mode", "REFLECT", "only REFLECT mirror padding"), runtime_inputs(1), outputs(1),
                   paddings_shape),
    "REVERSE_V2": (inputs_const_pattern((1, 1)), outputs(1), const_int32_axes(1)),
    "BITCAST": (runtime_inputs(1), outputs(1)),
    "STABLEHLO_BROADCAST_IN_DIM": (inputs_const_pattern((1, 1)), outputs(1)),
    "STABLEHLO_CBRT": _UNARY,
    "STABLEHLO_CLAMP": (inputs_const_pattern((3, 0)), outputs(1)),
}
for _name in ("ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "LOGICAL_NOT", "LOGISTIC", "NEG", "ROUND",
              "RSQRT", "SIGN", "SIN", "SQRT", "SQUARE", "TANH"):
    TABLE[_name] = _UNARY
for _name in ("ATAN2", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL", "LOGICAL_AND",
              "LOGICAL_OR", "LESS", "LESS_EQUAL", "MAXIMUM", "MINIMUM", "NOT_EQUAL", "POW", "RIGHT_SHIFT",
              "STABLEHLO_REMAINDER", "STABLEHLO_SHIFT_LEFT", "SQUARED_DIFFERENCE", "SUB"):
    TABLE[_name] = _BINARY + ((fused_activation,) if _name in ("DIV", "SUB") else ())

# Custom ops the delegate implements (MediaPipe's).
CUSTOM_TABLE: dict[str, tuple] = {
    "Convolution2DTransposeBias": (strides_positive,),
    "MaxPoolingWithArgmax2D": (runtime_inputs(1), outputs(2)),
    "MaxUnpooling2D": (runtime_inputs(2), outputs(1)),
    "Resampler": (runtime_inputs(2), outputs(1)),
}

# Reasons more useful than the generic one, for ops people ask about.
_WHY_NOT = {
    "WHILE": "control flow (WHILE) is not supported by the GPU delegate",
    "IF": "control flow (IF) is not supported by the GPU delegate",
    "CALL_ONCE": "CALL_ONCE (variable initialization) is not supported by the GPU delegate",
    "VAR_HANDLE": "resource variables are not supported by the GPU delegate",
    "READ_VARIABLE": "resource variables are not supported by the GPU delegate",
    "ASSIGN_VARIABLE": "resource variables are not supported by the GPU delegate",
    "SHAPE": "SHAPE (dynamic-shape plumbing) is not supported by the GPU delegate",
}

_RUNTIME_TYPES = {"float32", "float16", "int32", "bool"}
_QUANTIZED_TYPES = {"int8", "uint8"}


def _tensor_constraints(d: OpDetails):
    """The delegate's graph-level filter: rank < 5, allowed runtime types, static shapes but dim 0."""
    for t in _present(d) + list(d.outputs):
        if len(t.shape) >= 5:
            return f"{len(t.shape)}-D tensor"
        if not t.is_const and t.dtype not in _RUNTIME_TYPES and not (t.dtype in _QUANTIZED_TYPES and t.quantized):
            return f"{t.dtype} tensors"
        if any(s < 0 for s in t.signature[1:]):
            return "dynamic shape"
    return None


def verdict(op_name: str, details: OpDetails | None = None):
    """True when the GPU delegate would take this operator, else the reason (a short string).

    op_name: a builtin name ('CONV_2D'), or a custom op as 'CUSTOM:<code>' (Flex ops: 'CUSTOM:Flex...'
    or 'Flex...')."""
    custom = op_name.split(":", 1)[1] if op_name.startswith("CUSTOM:") else None
    if (custom or op_name).startswith("Flex"):
        return "Flex op (TensorFlow kernel): runs only on the CPU with the Flex delegate"
    if custom is not None:
        rules = CUSTOM_TABLE.get(custom)
        if rules is None:
            return f"custom op '{custom}' is not supported by the GPU delegate"
    else:
        rules = TABLE.get(op_name)
        if rules is None:
            return _WHY_NOT.get(op_name, NOT_SUPPORTED)
    if details is None:
        return True
    for check in (_tensor_constraints,) + tuple(rules):
        try:
            why = check(details)
        except (IndexError, AttributeError, TypeError):
            why = "operands not in the form the GPU delegate expects"
        if why:
            return why
    return True
