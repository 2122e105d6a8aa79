"""Shared, session-scoped models: TF imports and conversions cost seconds, so build once.
Plain helpers live in tflxtest.py."""
from __future__ import annotations

import pytest

from tflxtest import TINY_CNN


@pytest.fixture(scope="session")
def tiny_cnn_dir():
    return TINY_CNN


@pytest.fixture(scope="session")
def tf():
    import tflx  # noqa: F401  (sets TF's log level first)
    import tensorflow
    return tensorflow


@pytest.fixture(scope="session")
def tiny_cnn_tf(tf, tiny_cnn_dir):
    """The SavedModel's serving_default signature, as TF runs it."""
    fn = tf.saved_model.load(tiny_cnn_dir).signatures["serving_default"]
    return lambda x: fn(image=tf.constant(x))["output_0"].numpy()


@pytest.fixture(scope="session")
def tiny_cnn_result(tiny_cnn_dir, tmp_path_factory):
    import tflx
    dump = tmp_path_factory.mktemp("tiny_cnn_dump")
    result = tflx.convert(tiny_cnn_dir, dump_dir=str(dump))
    return result, dump


@pytest.fixture(scope="session")
def tiny_cnn_stock(tf, tiny_cnn_dir):
    return tf.lite.TFLiteConverter.from_saved_model(tiny_cnn_dir).convert()
