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

import gc
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


def _child(fn, args, out_fd, err_fd) -> None:
    status = 0
    try:
        # A collection would walk (and so copy-on-write) every object the parent has: the child
        # lives briefly, its garbage goes with it.
        gc.disable()
        os.dup2(err_fd, 2)
        try:
            kind, payload = _OK, fn(*args)
        except TflxError as e:
            fields = {"message": e.message, **{k: getattr(e, k, None) for k in _FIELDS}}
            kind, payload, status = _USER_ERROR, json.dumps(fields).encode(), 3
        except BaseException as e:  # noqa: BLE001 - reported by the parent
            kind, payload, status = _OTHER_ERROR, json.dumps({"type": type(e).__name__, "message": str(e)}).encode(), 4
        for part in (kind, payload):  # not kind + payload: no copy of a large result
            view = memoryview(part)
            while view:
                view = view[os.write(out_fd, view):]
    finally:
        os._exit(status)


def _read_at(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        chunk = os.pread(fd, size - got, offset + got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _result_file() -> int:
    """An anonymous in-memory file for the child's result (a pipe would move a large result
    64 KiB at a time, switching between the processes at every step)."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create("tflx-isolated-result", getattr(os, "MFD_CLOEXEC", 0))
        except OSError:
            pass
    f = tempfile.TemporaryFile()
    fd = os.dup(f.fileno())
    f.close()
    return fd


def run_isolated(fn, *args, what: str = "native code", errors: str = "tflx", **error_fields) -> bytes:
    """fn(*args) -> bytes, run in a forked child. Crashes become a one-line TflxError (with
    `error_fields`, e.g. stage=, pass_name=); see the module docstring for exceptions."""
    if not hasattr(os, "fork"):
        return fn(*args)
    err_file = tempfile.TemporaryFile()
    out_fd = _result_file()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        _child(fn, args, out_fd, err_file.fileno())
    try:
        _, st = os.waitpid(pid, 0)
        size = os.lseek(out_fd, 0, os.SEEK_END)
        kind = os.pread(out_fd, 1, 0) if size else b""
        body = _read_at(out_fd, size - 1, 1) if size else b""
    except BaseException:  # interrupted (Ctrl-C / SIGTERM): do not leave the child running
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        err_file.close()
        raise
    finally:
        os.close(out_fd)
    err_file.seek(0)
    native = err_file.read().decode("utf-8", "replace")
    err_file.close()
    if os.WIFSIGNALED(st) or not kind:
        last = [ln.strip() for ln in native.splitlines() if ln.strip() and "absl::InitializeLog" not in ln
                and not ln.startswith(("INFO: ", "I0000 ", "W0000 "))]  # informational log lines
        why = _signal_name(os.WTERMSIG(st)) if os.WIFSIGNALED(st) else f"exit status {os.WEXITSTATUS(st)}"
        errs = [ln for ln in last if ln.startswith(("error:", "LLVM ERROR:"))]
        said = f": {errs[0]}" if errs else (f": {'; '.join(last[-2:])}" if last else "")
        raise TflxError(f"{what} crashed ({why}){said}", **error_fields)
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
