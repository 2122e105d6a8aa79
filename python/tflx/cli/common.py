"""What every tflx command shares: quiet native start-up, user errors as one line."""
from __future__ import annotations

import os
import sys

from .. import _quiet  # noqa: F401
from ..nativeio import native_stderr_silenced  # noqa: F401  (re-exported: tflx.cli.common.native_stderr_silenced)


def import_runtime():
    with native_stderr_silenced():
        import tensorflow  # noqa: F401
        import litert_converter.converter_api_ext  # noqa: F401


def route_native_stderr() -> None:
    """For the rest of the process, C++ writes to fd 2 (TF/absl banners and "W0000 ... unknown
    op" lines that appear mid-run) go to /dev/null, while Python's sys.stderr keeps the real
    stderr: the user sees tflx's progress and one-line errors only. TFLX_VERBOSE=1 keeps both."""
    if os.environ.get("TFLX_VERBOSE") or sys.stderr is not sys.__stderr__:
        return  # verbose, already routed, or stderr captured in-process (tests): leave it
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    os.dup2(devnull, 2)
    os.close(devnull)
    stream = os.fdopen(real, "w", buffering=1, errors="backslashreplace")
    sys.stderr = stream


def run_cli(body, argv=None) -> int:
    """Run a command body; TflxError -> one line on stderr and exit 1; Ctrl-C -> 130."""
    from ..errors import TflxError
    try:
        return body(argv) or 0
    except TflxError as e:
        print(e.one_line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tflx: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
