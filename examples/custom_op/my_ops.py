"""Custom-op declarations for the worked example (a tflx plugin file).

    tflx convert MODEL -o m.tflite --plugin examples/custom_op/my_ops.py

TflxScaledTanh  an op TensorFlow does not know. Its OpDef is derived from the declaration
                (opdef=True) and registered with the converter API when this file is loaded, so
                TF can build, save, load and import graphs that use it.
TflxSwish       a standard TF subgraph, x * sigmoid(beta * x), matched by a pattern and replaced
                by one custom op; beta is read from the graph's constant.

Both lower to `tfl.custom` (C kernels in kernels/). With TFLX_EXAMPLE_LOWERING=composite in the
environment they lower to `stablehlo.composite` instead, whose decomposition (the TF functions
below) runs in any interpreter, no kernel needed.
"""
import os

import numpy as np

import tflx

LOWERING = os.environ.get("TFLX_EXAMPLE_LOWERING", "custom")


def _scaled_tanh_tf(x, alpha, beta):
    import tensorflow as tf
    return alpha * tf.tanh(beta * x)


def _swish_tf(x, beta):
    import tensorflow as tf
    return x * tf.sigmoid(beta * x)


@tflx.custom_op("TflxScaledTanh", version=1,
                inputs={"x": "float32"}, outputs={"y": "float32"},
                attrs={"alpha": float, "beta": (float, 1.0)},
                source="tf.TflxScaledTanh", opdef=True,
                lowering=LOWERING, decomposition=_scaled_tanh_tf)
def scaled_tanh(x, alpha, beta):
    """y = alpha * tanh(beta * x), elementwise (the shape rule's default: output shape = input shape)."""
    return alpha * np.tanh(beta * x)


@tflx.custom_op("TflxSwish", version=1,
                inputs={"x": "float32"}, outputs={"y": "float32"},
                attrs={"beta": float},
                source="tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))",
                lowering=LOWERING, decomposition=_swish_tf)
def swish(x, beta):
    """y = x * sigmoid(beta * x)"""
    return x / (1.0 + np.exp(-beta * x))
