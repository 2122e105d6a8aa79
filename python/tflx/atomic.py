"""Atomic file output: write a temp file beside the target, then rename over it.

A reader of `path` sees the old file or the complete new one, never a partial one, whatever
happens to the writing process (an error, Ctrl-C, SIGTERM, SIGKILL); on an error or interrupt
the temp file is removed (only a SIGKILL can leave a `.<name>.*.tmp` behind).
"""
from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """`with atomic_file(p) as f: f.write(...)` -- a binary file beside `p`, renamed to `p`
    when the block completes, removed when it raises. Its fd may be written by a forked child
    (`os.write(f.fileno(), ...)`): the data is in the file, not in a Python buffer."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the replaced file's).
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    with atomic_file(path) as f:
        f.write(data.encode() if isinstance(data, str) else data)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
