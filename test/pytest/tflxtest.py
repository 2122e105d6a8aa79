"""Helpers shared by the tests in this folder (import them from here, not from conftest:
test/robustness has a conftest.py too, and two modules named `conftest` shadow each other)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_CNN = os.path.join(REPO, "examples", "models", "tiny_cnn")


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
