"""Custom ops from one declaration: converter lowering, runtime contract and numpy reference.

    import tflx

    @tflx.custom_op("TflxScaledTanh", version=1,
                    inputs={"x": "float32"}, outputs={"y": "float32"},
                    attrs={"alpha": float, "beta": (float, 1.0)},
                    source="tf.TflxScaledTanh", opdef=True)       # a TF op TF does not know
    def scaled_tanh(x, alpha, beta):
        return alpha * np.tanh(beta * x)

    @tflx.custom_op("TflxSwish", inputs={"x": "float32"}, outputs={"y": "float32"},
                    attrs={"beta": float},
                    source="tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))")
    def swish(x, beta):
        return x / (1 + np.exp(-beta * x))

A declaration in a plugin file registers two passes:

  custom-op-NAME        [tf]         the source: a TF op by name (its result type is refined with
                                     the shape rule) or a pattern, rewritten into `tf.NAME`
  custom-op-NAME-lower  [stablehlo]  `tf.NAME` -> `tfl.custom` (custom_code NAME, custom_option =
                                     the attributes as a FlexBuffer map) or, with
                                     lowering="composite", `stablehlo.composite` whose
                                     decomposition (a TF function of the inputs) runs anywhere;
                                     pass option `lowering` overrides the declaration's
                                     (`decl.pass_instances("composite")`, tflx-opt
                                     `-custom-op-NAME-lower=lowering=composite`)

A declared `version` other than 1 is stamped into the .tflite's OperatorCode table after export
(litert-converter writes 1 for every custom op). Kernels: see tflx.runtime.

Attributes: `attrs={"name": type}` (required) or `{"name": (type, default)}`; type is int, float,
bool, str, list[int] or list[float]. In the .tflite they are a FlexBuffer map
{name: value} (floats as float32), the layout TFLite's stock converter uses for custom ops.

Sources: "tf.NAME" is a TF op. With `opdef=` (OpDef text, or True to derive it from the
declaration) the op is registered with the converter API (`RegisterCustomOpdefs`) when the
declaration runs, so TF can build, save, load and import graphs holding it; `decl.tf(x, ...)`
builds it inside a tf.function. A source with parentheses is a pattern:
`op(arg, ...){attr=$capture}` where an arg is `%input` (a declared input, the same name twice
means the same value), a nested pattern, or `_` (anything); `{value=$a}` on a `tf.Const` captures
its (scalar) value. Binary ops that commute (Mul, AddV2, ...) match in either operand order.
"""
from __future__ import annotations

# The package, by job (each module's doc says more; the pattern language is tflx.pattern):
#   declare        CustomOp, AttrSpec, the @custom_op decorator, declared()
#   opdef          TF OpDefs: derived or checked, registered with TF; building the TF op
#   passes         the two passes generated per declaration
#   decomposition  tracing a decomposition= to a StableHLO function
#   tflite         .tflite side: custom_ops_in, set_custom_op_versions, composites read back
#   options        the FlexBuffer custom_options: encode_options / decode_options
import sys
import types

from .declare import AttrSpec, CustomOp, custom_op, declared
from .options import decode_options, encode_options
from .passes import LOWERINGS
from ..pattern import Pattern, parse_pattern
from .tflite import CustomOpUse, custom_ops_in, has_composites, read_back_with_composites, set_custom_op_versions

__all__ = ["AttrSpec", "CustomOp", "CustomOpUse", "LOWERINGS", "Pattern", "custom_op", "custom_ops_in",
           "declared", "decode_options", "encode_options", "has_composites", "parse_pattern",
           "read_back_with_composites", "set_custom_op_versions"]


# `tflx.custom_op` is this package; calling it declares an op: @tflx.custom_op("Name", ...).
class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return custom_op(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
