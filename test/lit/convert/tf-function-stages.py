# RUN: %python %s %t | filecheck %s --check-prefix=RUNS
# RUN: filecheck %s --check-prefix=TF --input-file %t/00-tf.mlir
# RUN: filecheck %s --check-prefix=HLO --input-file %t/01-stablehlo.mlir
# RUN: filecheck %s --check-prefix=TFL --input-file %t/02-tfl.mlir
# RUN: filecheck %s --check-prefix=OPT --input-file %t/03-tfl-opt.mlir
# RUN: filecheck %s --check-prefix=FB --input-file %t/04-flatbuffer.mlir
#
# A tf.function through the Python API with dump_dir: one NN-<stage>.mlir per stage, each
# FileChecked below; the .tflite runs in ai-edge-litert and matches TensorFlow. Every op takes
# the StableHLO route here (route="stablehlo"), so each stage shows its own lowering; the
# default route is pinned by route-auto-stages.py.
#
# RUNS: ops: FULLY_CONNECTED=1 MEAN=1
# RUNS: litert matches tf: True
#
# TF: // tflx-stage: tf
# TF: func.func @serving_default(%arg0: tensor<1x8xf32>{{.*}}) -> tensor<1x1xf32>
# TF-SAME: tflx.signature_key = "serving_default"
# TF: "tf.MatMul"(%arg0,
# TF: "tf.AddV2"
# TF: "tf.Relu"
# TF: "tf.Mean"
#
# HLO: // tflx-stage: stablehlo
# HLO-NOT: "tf.
# HLO: stablehlo.dot %arg0
# HLO: stablehlo.maximum
# HLO: stablehlo.reduce{{.*}}applies stablehlo.add across dimensions = [1]
# HLO: stablehlo.divide
#
# The stage's output includes its passes: raise-sum-mul-to-mean turned SUM * 1/4 into MEAN.
# TFL: // tflx-stage: tfl
# TFL-NOT: stablehlo.
# TFL: %[[FC:.*]] = "tfl.fully_connected"(%arg0, {{.*}}) <{fused_activation_function = "RELU"
# TFL-NEXT: "tfl.mean"(%[[FC]], %{{.*}}) <{keep_dims = true}>
# TFL-NOT: tfl.sum
# TFL-NOT: tfl.mul
#
# OPT: // tflx-stage: tfl-opt
# OPT: "tfl.fully_connected"
# OPT: "tfl.mean"
#
# The flatbuffer stage is the .tflite read back: signature and tensor names are set.
# FB: // tflx-stage: flatbuffer
# FB: func.func @main(%arg0: tensor<1x8xf32> {tf_saved_model.index_path = ["x"]}{{.*}}) -> (tensor<1x1xf32> {tf_saved_model.index_path = ["output_0"]}{{.*}})
# FB-SAME: inputs = "serving_default_x:0", outputs = "serving_default_output_0:0"
# FB-SAME: tf_saved_model.exported_names = ["serving_default"]
# FB: "tfl.fully_connected"
# FB: "tfl.mean"
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tflx  # noqa: E402

dump_dir = sys.argv[1]
w = tf.constant(np.arange(32, dtype=np.float32).reshape(8, 4) / 10.0)


@tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32, name="x")])
def model(x):
    return tf.reduce_mean(tf.nn.relu(tf.matmul(x, w) + 1.0), axis=1, keepdims=True)


result = tflx.convert(model, dump_dir=dump_dir, route="stablehlo")
hist = result.op_histogram()
print("ops:", " ".join(f"{k}={v}" for k, v in sorted(hist.items())))
for name in ("00-tf", "01-stablehlo", "02-tfl", "03-tfl-opt", "04-flatbuffer"):
    assert os.path.exists(os.path.join(dump_dir, name + ".mlir")), name

from ai_edge_litert.interpreter import Interpreter  # noqa: E402

x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
runner = Interpreter(model_content=result.flatbuffer).get_signature_runner("serving_default")
got = runner(x=x)["output_0"]
print("litert matches tf:", bool(np.allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-6)))
