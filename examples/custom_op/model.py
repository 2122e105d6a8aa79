"""The example model: dense layer -> swish (TF ops; a pattern makes them one custom op) ->
TflxScaledTanh (an op TensorFlow does not know). Two outputs: `features` (what TF itself can
compute) and `y`.

    python examples/custom_op/model.py OUT_DIR     # OUT_DIR/saved_model, OUT_DIR/x.npz
"""
from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.join(HERE, "my_ops.py")
FEATURES, UNITS = 8, 16
ALPHA, BETA, SWISH_BETA = 0.5, 2.0, 1.5


def weights():
    rs = np.random.RandomState(7)
    return (rs.randn(FEATURES, UNITS) * 0.4).astype(np.float32), (rs.randn(UNITS) * 0.1).astype(np.float32)


def inputs(batch: int = 4, seed: int = 0) -> dict:
    return {"x": np.random.RandomState(seed).uniform(-2, 2, (batch, FEATURES)).astype(np.float32)}


def ops():
    """The declarations (loading the plugin registers TflxScaledTanh's OpDef with TF)."""
    from tflx import plugin_loader as plugins
    loaded = plugins.load(PLUGIN)
    module = sys.modules[loaded.module]
    return module.scaled_tanh, module.swish


def features_tf(x):
    """The part of the model TF can run itself: dense + swish, in TF ops."""
    import tensorflow as tf
    w, b = weights()
    h = tf.matmul(x, w) + b
    return h * tf.sigmoid(SWISH_BETA * h)


def model_fn():
    """The model as a tf.function (batch dimension dynamic)."""
    import tensorflow as tf
    scaled_tanh, _ = ops()

    @tf.function(input_signature=[tf.TensorSpec([None, FEATURES], tf.float32, name="x")])
    def model(x):
        f = features_tf(x)
        return {"features": f, "y": scaled_tanh.tf(f, alpha=ALPHA, beta=BETA)}

    return model


def reference(x) -> dict:
    """The model in numpy, with the declarations' reference implementations."""
    scaled_tanh, swish = ops()
    w, b = weights()
    f = swish(x @ w + b, beta=SWISH_BETA)
    return {"features": f, "y": scaled_tanh(f, alpha=ALPHA, beta=BETA)}


def save(out_dir: str) -> str:
    import tensorflow as tf
    path = os.path.join(out_dir, "saved_model")
    module = tf.Module()
    module.serve = model_fn()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    np.savez(os.path.join(out_dir, "x.npz"), **inputs())
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/custom_op/model.py OUT_DIR")
    import tflx  # noqa: F401  (quiet TF start-up)
    print(save(sys.argv[1]))
