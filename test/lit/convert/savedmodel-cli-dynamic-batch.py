# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t/saved
# RUN: tflx convert %t/saved -o %t/model.tflite --dump-dir %t/dump -q --route stablehlo
# RUN: filecheck %s --check-prefix=TF --input-file %t/dump/00-tf.mlir
# RUN: filecheck %s --check-prefix=HLO --input-file %t/dump/01-stablehlo.mlir
# RUN: filecheck %s --check-prefix=TFL --input-file %t/dump/02-tfl.mlir
# RUN: filecheck %s --check-prefix=OPT --input-file %t/dump/03-tfl-opt.mlir
# RUN: filecheck %s --check-prefix=FB --input-file %t/dump/04-flatbuffer.mlir
# RUN: tflx-translate -tflite-flatbuffer-to-mlir %t/model.tflite | filecheck %s --check-prefix=FB
# RUN: tflx convert %t/saved -o %t/auto.tflite --dump-dir %t/auto -q
# RUN: filecheck %s --check-prefix=AUTO --input-file %t/auto/01-stablehlo.mlir
# RUN: filecheck %s --check-prefix=OPT --input-file %t/auto/03-tfl-opt.mlir
#
# A SavedModel with a dynamic batch dim through the `tflx convert` CLI with --dump-dir. Through
# StableHLO (--route stablehlo) the dynamic dim makes tf-stablehlo emit shape.* ops (legalized
# by legalize-shape-to-stablehlo) and the legalized dot leaves identity reshapes (removed by
# fold-identity-reshape). On the default route the ops go direct, as stock: still TF ops at the
# stablehlo stage, and the same fully_connected + tanh at the end.
#
# AUTO: // tflx-stage: stablehlo
# AUTO-NOT: stablehlo.dot
# AUTO: "tf.MatMul"(%arg0, %{{.*}}) <{{.*}}transpose_b = false}>
# AUTO: "tf.AddV2"
# AUTO: "tf.Tanh"
#
# TF: // tflx-stage: tf
# TF: func.func @serving_default(%arg0: tensor<?x8xf32>{{.*}}) -> tensor<?x3xf32>
# TF-SAME: tflx.signature_outputs = ["y"]
# TF: "tf.MatMul"
# TF: "tf.Tanh"
#
# HLO: // tflx-stage: stablehlo
# HLO-NOT: shape.
# HLO: stablehlo.dot %arg0
# HLO: stablehlo.dynamic_broadcast_in_dim
# HLO: stablehlo.tanh
#
# TFL: // tflx-stage: tfl
# TFL-NOT: tfl.reshape
# TFL: "tfl.fully_connected"(%arg0, {{.*}}) -> tensor<?x3xf32>
# TFL: "tfl.tanh"
#
# tfl-optimize folds the bias add into fully_connected (direct route: the weights are a folded
# transpose, typed tensor<*xf32> until export).
# OPT: // tflx-stage: tfl-opt
# OPT-NOT: tfl.add
# OPT: %[[FC:.*]] = "tfl.fully_connected"(%arg0, %{{.*}}, %{{.*}}) <{fused_activation_function = "NONE"{{.*}}(tensor<?x8xf32>, tensor<{{3x8|\*}}xf32>, tensor<3xf32>) -> tensor<?x3xf32>
# OPT-NEXT: "tfl.tanh"(%[[FC]])
#
# FB: func.func @main(%arg0: tensor<?x8xf32> {tf_saved_model.index_path = ["x"]}{{.*}}) -> (tensor<?x3xf32> {tf_saved_model.index_path = ["y"]}{{.*}})
# FB: "tfl.fully_connected"
# FB: "tfl.tanh"
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class Dense(tf.Module):
    def __init__(self):
        self.w = tf.Variable(np.arange(24, dtype=np.float32).reshape(8, 3) / 10.0)
        self.b = tf.Variable(np.ones([3], np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
    def __call__(self, x):
        return {"y": tf.tanh(tf.matmul(x, self.w) + self.b)}


m = Dense()
tf.saved_model.save(m, sys.argv[1], signatures={"serving_default": m.__call__})
