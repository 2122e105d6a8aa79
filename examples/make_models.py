"""Rebuild the bundled example models (small, deterministic, weights from a fixed seed).

    python examples/make_models.py        # writes examples/models/tiny_cnn (SavedModel)

tiny_cnn: Conv+BatchNorm+ReLU6 x2, depthwise conv, global average pool, dense logits;
exported by Keras with a dynamic batch dimension, like real serving models.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))


def tiny_cnn():
    import keras
    keras.utils.set_random_seed(7)
    inp = keras.Input((32, 32, 3), name="image")
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.Conv2D(16, 1, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(10, name="logits", bias_initializer=keras.initializers.Constant(-0.2))(x)
    model = keras.Model(inp, out, name="tiny_cnn")
    # Non-trivial BatchNorm statistics so folding them is visible in the numbers.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(keras.random.normal((n,), seed=1) * 0.1)
            layer.moving_variance.assign(keras.random.uniform((n,), 0.5, 1.5, seed=2))
    return model


def main(out_dir=os.path.join(HERE, "models")):
    model = tiny_cnn()
    path = os.path.join(out_dir, "tiny_cnn")
    model.export(path, verbose=False)
    print(path)


if __name__ == "__main__":
    main(*sys.argv[1:])
