"""What native code (TensorFlow, litert-converter, absl, LLVM) writes to file descriptor 2.

C++ writes start-up banners, log lines and option-parser complaints straight to fd 2, past
Python's sys.stderr. `native_stderr_silenced` hides them for a while (TFLX_VERBOSE=1 keeps
them); `native_stderr_captured` collects them so the caller can quote them.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from . import _quiet  # noqa: F401


@contextlib.contextmanager
def native_stderr_silenced():
    """TF, litert and absl print start-up banners from C++ straight to fd 2; hide them."""
    if os.environ.get("TFLX_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def native_stderr_captured():
    """Collect what native code writes to fd 2 meanwhile; yields a one-item list filled on exit."""
    out = [""]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out[0] = tmp.read().decode("utf-8", "replace")


__all__ = ["native_stderr_silenced", "native_stderr_captured"]
