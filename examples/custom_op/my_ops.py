"""Custom-op declarations for the worked example (a tflx plugin file).

    tflx convert MODEL -o m.tflite --plugin examples/custom_op/my_ops.py

TflxScaledTanh  an op TensorFlow does not know. The declaration carries its OpDef (derived from
                the declaration: opdef=True), registered with the converter API when this file
                is loaded, so TF can build and import graphs that use it.
TflxSwish       a standard TF subgraph, x * sigmoid(beta * x), matched by a pattern and replaced
                by one custom op; beta is read from the graph's constant.

Both lower to `tfl.custom` (kernels in kernels/*.c); with lowering="composite" (pass option
`lowering`, see convert.py --lowering composite) they become `stablehlo.composite` ops whose
decomposition runs in any interpreter.
"""
import numpy as np

import tflx


@tflx.custom_op("TflxScaledTanh", version=1,
                inputs={"x": "float32"}, outputs={"y": "float32"},
                attrs={"alpha": float, "beta": (float, 1.0)},
                source="tf.TflxScaledTanh", opdef=True,
                shape=lambda x, **attrs: x,
                decomposition=lambda x, alpha, beta: alpha * __import__("tensorflow").tanh(beta * x))
def scaled_tanh(x, alpha, beta):
    """y = alpha * tanh(beta * x)"""
    return alpha * np.tanh(beta * x)


def _swish_tf(x, beta):
    import tensorflow as tf
    return x * tf.sigmoid(beta * x)


@tflx.custom_op("TflxSwish", version=1,
                inputs={"x": "float32"}, outputs={"y": "float32"},
                attrs={"beta": float},
                source="tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))",
                decomposition=_swish_tf)
def swish(x, beta):
    """y = x * sigmoid(beta * x)"""
    return x / (1.0 + np.exp(-beta * x))
