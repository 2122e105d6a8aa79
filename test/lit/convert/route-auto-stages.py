# RUN: %python %s %t | filecheck %s --check-prefix=RUNS
# RUN: filecheck %s --check-prefix=HLO --input-file %t/01-stablehlo.mlir
# RUN: filecheck %s --check-prefix=TFL --input-file %t/02-tfl.mlir
#
# The default route on mixed IR: the dense layer goes direct (stock's TF -> TFL legalization,
# still TF ops in the stablehlo dump), erf has no TFLite builtin and goes through StableHLO (the
# direct route would leave it for Flex: the fallback retries it). The .tflite is builtins only.
#
# RUNS: routes: direct: {{[0-9]+}} ops ({{[0-9]+}} types); stablehlo: Erf
# RUNS: fallback: the direct route left tf.Erf unconverted: retried through StableHLO
# RUNS: ops: ADD={{[0-9]+}} {{.*}}FULLY_CONNECTED=1 {{.*}}MUL={{[0-9]+}}
# RUNS-NOT: CUSTOM
# RUNS: litert matches tf: True
#
# HLO: // tflx-stage: stablehlo
# HLO-NOT: "tf.Erf"
# HLO: "tf.MatMul"(%arg0,
# HLO: "tf.AddV2"
# HLO: stablehlo.custom_call @mhlo.erf(%1)
#
# TFL: // tflx-stage: tfl
# TFL-NOT: "tf.
# TFL: "tfl.fully_connected"(%arg0
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tflx  # noqa: E402

w = tf.constant(np.arange(32, dtype=np.float32).reshape(8, 4) / 10.0)


@tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32, name="x")])
def model(x):
    return tf.math.erf(tf.matmul(x, w) + 1.0)


result = tflx.convert(model, dump_dir=sys.argv[1])
print("routes:", result.routes.summary())
for line in result.routes.fallbacks:
    print("fallback:", line)
print("ops:", " ".join(f"{k}={v}" for k, v in sorted(result.op_histogram().items())))

from ai_edge_litert.interpreter import Interpreter  # noqa: E402

x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
got = Interpreter(model_content=result.flatbuffer).get_signature_runner("serving_default")(x=x)["output_0"]
print("litert matches tf:", bool(np.allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-6)))
