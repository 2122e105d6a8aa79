"""Run native code that may abort on bad input in a forked child, so the caller survives.

litert-converter's flatbuffer reader aborts the process (`std::bad_cast`, an uncaught nanobind
error after "couldn't parse flatbuffer") on some corrupt .tflite files that pass
`tflx.flatbuffer.validate`. `run_isolated` forks, runs the function in the child, and returns its
bytes; a TflxError in the child is re-raised in the parent; a crash becomes a TflxError that
quotes the native library's last words.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile

from .errors import TflxError

_OK, _USER_ERROR, _OTHER_ERROR = b"O", b"U", b"X"


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def run_isolated(fn, *args, what: str = "native code") -> bytes:
    """fn(*args) -> bytes, run in a forked child. Crashes become a one-line TflxError."""
    if not hasattr(os, "fork"):
        return fn(*args)
    err_file = tempfile.TemporaryFile()
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(r)
            os.dup2(err_file.fileno(), 2)
            try:
                payload = _OK + fn(*args)
            except TflxError as e:
                payload, status = _USER_ERROR + e.one_line().encode(), 3
            except BaseException as e:  # noqa: BLE001 - reported by the parent
                payload, status = _OTHER_ERROR + f"{type(e).__name__}: {e}".encode(), 4
            view = memoryview(payload)
            while view:
                n = os.write(w, view)
                view = view[n:]
        finally:
            os._exit(status)
    os.close(w)
    chunks = []
    with os.fdopen(r, "rb") as pipe:
        while True:
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, st = os.waitpid(pid, 0)
    data = b"".join(chunks)
    err_file.seek(0)
    native = err_file.read().decode("utf-8", "replace")
    err_file.close()
    if os.WIFSIGNALED(st) or not data:
        last = [ln.strip() for ln in native.splitlines() if ln.strip() and "absl::InitializeLog" not in ln]
        why = _signal_name(os.WTERMSIG(st)) if os.WIFSIGNALED(st) else f"exit status {os.WEXITSTATUS(st)}"
        errors = [ln for ln in last if ln.startswith("error:")]
        said = f": {errors[0]}" if errors else (f": {'; '.join(last[-2:])}" if last else "")
        raise TflxError(f"{what} crashed ({why}){said}")
    kind, body = data[:1], data[1:]
    if kind == _OK:
        return body
    text = body.decode("utf-8", "replace")
    if kind == _USER_ERROR:
        prefix = "tflx: error: "
        raise TflxError(text[len(prefix):] if text.startswith(prefix) else text)
    raise TflxError(f"{what} failed: {text}")
