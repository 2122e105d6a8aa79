"""Run native code that may abort on bad input in a forked child, so the caller survives.

litert-converter's flatbuffer reader aborts the process (`std::bad_cast`, an uncaught nanobind
error after "couldn't parse flatbuffer") on some corrupt .tflite files that pass
`tflx.flatbuffer.validate`; TensorFlow's MLIR passes stop the process with "LLVM ERROR: Failed to
infer result type(s)" on some IR that parses and verifies; the TFLite interpreter segfaults on
some models that pass the flatbuffer checks. `run_isolated` forks, runs the function in the
child, and returns its bytes; a TflxError in the child is re-raised in the parent (all its
fields); any other exception becomes a TflxError, or with errors="raise" a `ChildError` carrying
the child's message (for callers that parse it); a crash becomes a TflxError that quotes the
native library's last words. If the caller is interrupted while waiting, the child is killed.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile

from .errors import TflxError

_OK, _USER_ERROR, _OTHER_ERROR = b"O", b"U", b"X"
_FIELDS = ("stage", "pass_name", "op", "location", "details", "node")


class ChildError(Exception):
    """An exception other than TflxError raised by the isolated function: str() is its message."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _child(fn, args, w, err_fd) -> None:
    status = 0
    try:
        os.dup2(err_fd, 2)
        try:
            payload = _OK + fn(*args)
        except TflxError as e:
            fields = {"message": e.message, **{k: getattr(e, k, None) for k in _FIELDS}}
            payload, status = _USER_ERROR + json.dumps(fields).encode(), 3
        except BaseException as e:  # noqa: BLE001 - reported by the parent
            payload, status = _OTHER_ERROR + json.dumps({"type": type(e).__name__, "message": str(e)}).encode(), 4
        view = memoryview(payload)
        while view:
            n = os.write(w, view)
            view = view[n:]
    finally:
        os._exit(status)


def run_isolated(fn, *args, what: str = "native code", errors: str = "tflx", **error_fields) -> bytes:
    """fn(*args) -> bytes, run in a forked child. Crashes become a one-line TflxError (with
    `error_fields`, e.g. stage=, pass_name=); see the module docstring for exceptions."""
    if not hasattr(os, "fork"):
        return fn(*args)
    err_file = tempfile.TemporaryFile()
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        _child(fn, args, w, err_file.fileno())
    os.close(w)
    chunks = []
    try:
        with os.fdopen(r, "rb") as pipe:
            while True:
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        _, st = os.waitpid(pid, 0)
    except BaseException:  # interrupted (Ctrl-C / SIGTERM): do not leave the child running
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        err_file.close()
        raise
    data = b"".join(chunks)
    err_file.seek(0)
    native = err_file.read().decode("utf-8", "replace")
    err_file.close()
    if os.WIFSIGNALED(st) or not data:
        last = [ln.strip() for ln in native.splitlines() if ln.strip() and "absl::InitializeLog" not in ln]
        why = _signal_name(os.WTERMSIG(st)) if os.WIFSIGNALED(st) else f"exit status {os.WEXITSTATUS(st)}"
        errs = [ln for ln in last if ln.startswith(("error:", "LLVM ERROR:"))]
        said = f": {errs[0]}" if errs else (f": {'; '.join(last[-2:])}" if last else "")
        raise TflxError(f"{what} crashed ({why}){said}", **error_fields)
    kind, body = data[:1], data[1:]
    if kind == _OK:
        return body
    info = json.loads(body.decode("utf-8", "replace"))
    if kind == _USER_ERROR:
        err = TflxError(info["message"], **{k: info.get(k) for k in _FIELDS if k != "node"})
        err.node = info.get("node")
        raise err
    if errors == "raise":
        raise ChildError(info["type"], info["message"])
    raise TflxError(f"{what} failed: {info['type']}: {info['message']}", **error_fields)


def run_tf_pipeline(text: str, pipeline: str, show_debug_info: bool = True, *, what: str | None = None,
                    **error_fields) -> str:
    """`tf.mlir.experimental.run_pass_pipeline` in a forked child. TensorFlow's passes stop the
    process ("LLVM ERROR: Failed to infer result type(s)") on some IR that parses and verifies,
    e.g. a tf.Mean whose reduction indices repeat an axis, lowered by tf-stablehlo. An error TF
    raises comes back as a ChildError with TF's message; a crash is a TflxError."""
    import tensorflow as tf

    def run() -> bytes:
        return tf.mlir.experimental.run_pass_pipeline(text, pipeline, show_debug_info=show_debug_info).encode()

    what = what or f"TensorFlow's pass pipeline '{pipeline}'"
    return run_isolated(run, what=what, errors="raise", **error_fields).decode()
