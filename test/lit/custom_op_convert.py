# RUN: %python %s %t | filecheck %s --check-prefix=RUNS
# RUN: filecheck %s --check-prefix=TF --input-file %t/custom/00-tf.mlir
# RUN: filecheck %s --check-prefix=FB --input-file %t/custom/04-flatbuffer.mlir
# RUN: filecheck %s --check-prefix=COMP --input-file %t/composite/04-flatbuffer.mlir
#
# The worked example (examples/custom_op) through tflx.convert, both lowerings. The .tflite
# read back (stage flatbuffer) holds the custom ops with their options, or the composites with
# their decompositions (litert-converter's own reader aborts on composites; tflx reads them
# back through placeholders).
#
# RUNS: custom: CUSTOM:TflxScaledTanh=1 CUSTOM:TflxSwish=1 FULLY_CONNECTED=1
# RUNS: composite: FULLY_CONNECTED=1 LOGISTIC=1 MUL=4 STABLEHLO_COMPOSITE=2 TANH=1
#
# TF: // tflx-stage: tf
# TF: func.func @serving_default(%arg0: tensor<?x8xf32>{{.*}}) -> (tensor<?x16xf32>{{.*}}, tensor<?x16xf32>
# TF: %[[S:.*]] = "tf.TflxSwish"(%{{.*}}) {beta = 1.500000e+00 : f32} : (tensor<?x16xf32>) -> tensor<?x16xf32>
# TF: "tf.TflxScaledTanh"(%[[S]]) {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32{{.*}}} : (tensor<?x16xf32>) -> tensor<?x16xf32>
#
# FB: // tflx-stage: flatbuffer
# FB: %[[FC:.*]] = "tfl.fully_connected"(%arg0,
# FB: %[[S:.*]] = "tfl.custom"(%[[FC]]) <{custom_code = "TflxSwish", custom_option = #tfl<const_bytes : "0x62657461000106000200000001000000010000000000C03F0E052601">}> : (tensor<?x16xf32>) -> tensor<?x16xf32>
# FB: "tfl.custom"(%[[S]]) <{custom_code = "TflxScaledTanh", custom_option = #tfl<const_bytes : "0x616C706861006265746100020C0700000400000001000000020000000000003F000000400E0E0A2601">}> : (tensor<?x16xf32>) -> tensor<?x16xf32>
#
# COMP: // tflx-stage: flatbuffer
# COMP: %[[S:.*]] = stablehlo.composite "tflx.TflxSwish" %{{.*}} {composite_attributes = {beta = 1.500000e+00 : f32}, decomposition = @[[SD:[^,]+]], version = 1 : i32}
# COMP: stablehlo.composite "tflx.TflxScaledTanh" %[[S]] {composite_attributes = {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32}, decomposition = @[[TD:[^,]+]], version = 1 : i32}
# COMP-NOT: tflx.read_back
# COMP-DAG: func.func private @[[SD]](
# COMP-DAG: func.func private @[[TD]](
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "custom_op"))

import tflx  # noqa: E402
import model  # noqa: E402

out = sys.argv[1]
scaled_tanh, swish = model.ops()
fn = model.model_fn()
for lowering in ("custom", "composite"):
    passes = scaled_tanh.pass_instances(lowering) + swish.pass_instances(lowering)
    result = tflx.convert(fn, plugins=passes, dump_dir=os.path.join(out, lowering))
    hist = result.op_histogram()
    print(f"{lowering}: " + " ".join(f"{k}={v}" for k, v in sorted(hist.items())))
