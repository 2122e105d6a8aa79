"""Shared, session-scoped models: TF imports and conversions cost seconds, so build once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_CNN = os.path.join(REPO, "examples", "models", "tiny_cnn")


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


def run_signature(model_bytes: bytes, signature: str = "serving_default", **inputs):
    from ai_edge_litert.interpreter import Interpreter
    runner = Interpreter(model_content=model_bytes).get_signature_runner(signature)
    return runner(**inputs)


def tflx_cli(*args, cwd=None, timeout=300):
    """Run the `tflx` console entry point in a fresh process."""
    exe = shutil.which("tflx")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "tflx.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def random_images(batch, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, 32, 32, 3)).astype(np.float32)
