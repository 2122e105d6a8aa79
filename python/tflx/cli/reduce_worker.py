"""The `tflx reduce` worker: `python -m tflx.cli.reduce_worker`, started by tflx.reduce.Worker.

It reads JSON requests on stdin, one per line ({"text", "pipeline", "plugins"}), runs each
candidate through `tflx convert --resume-from` or `tflx-opt` in this process, and answers one
JSON line each on stdout: {"failed": bool, "text": the command's error text}. TensorFlow and
litert-converter are thus imported once; a native crash kills only this process.
"""
from __future__ import annotations

import json
import os
import sys

from ..reduce import Outcome


def _run_candidate(text: str, pipeline: str, plugins: list[str], workdir: str) -> Outcome:
    """Run in the worker: the candidate through `tflx convert --resume-from` or `tflx-opt`."""
    import contextlib
    import io
    path = os.path.join(workdir, "candidate.mlir")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    err = io.StringIO()
    if pipeline == "convert" or pipeline.startswith("convert:"):
        from . import main as tflx_main
        stop = pipeline.split(":", 1)[1] if ":" in pipeline else None
        out = os.path.join(workdir, "out.tflite" if stop in (None, "flatbuffer") else "out.mlir")
        argv = ["convert", "--resume-from", path, "-o", out, "-q"] + (["--stop-after", stop] if stop else [])
        for p in plugins:
            argv += ["--plugin", p]
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = _call(tflx_main._main, argv)
    else:
        from . import opt as opt_cli
        from .. import plugin_loader as loader
        for p in plugins:  # their passes become known to tflx-opt by registering
            loader.load(p)
        argv = [path, f"--pass-pipeline={pipeline}", "-o", os.path.join(workdir, "out.mlir")]
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = _call(opt_cli._main, argv)
    return Outcome(rc != 0, err.getvalue().strip())


def _call(fn, argv) -> int:
    from ..errors import TflxError as E
    try:
        return fn(argv) or 0
    except E as e:
        print(e.one_line(), file=sys.stderr)
        return 1
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    except Exception as e:  # noqa: BLE001 - an internal error is a failure like any other
        print(f"tflx: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


def _worker_main() -> int:
    """Read JSON requests on stdin, one per line; answer one JSON line each on stdout."""
    import tempfile
    from .common import native_stderr_silenced
    with native_stderr_silenced():  # TensorFlow is imported only if a candidate needs it
        from .. import mlir  # noqa: F401
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything else printed to stdout must not corrupt the protocol
    workdir = tempfile.mkdtemp(prefix="tflx-reduce-")
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        o = _run_candidate(req["text"], req["pipeline"], req.get("plugins", []), workdir)
        out.write(json.dumps({"failed": o.failed, "text": o.text}) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
