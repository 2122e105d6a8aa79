"""`tflx explore PATH` and `tflx convert ... --explore`: Model Explorer on tflx's artifacts.

    tflx explore examples/models/tiny_cnn              # convert, then every stage side by side
    tflx explore dumps/                                 # a --dump-dir folder (failed ones too)
    tflx explore model.tflite --port 8081 --no-browser
    tflx convert MODEL -o m.tflite --explore            # convert as usual, then explore the stages

The server runs in the foreground until Ctrl-C (or SIGTERM). Model Explorer is an optional
extra: pip install -e '.[explore]'.
"""
from __future__ import annotations

import shutil
import sys
import tempfile


def add_parser(sub) -> None:
    p = sub.add_parser(
        "explore", help="open Google's Model Explorer on a model, a .tflite, a stage dump or a --dump-dir",
        description="Serve Model Explorer (pip install -e '.[explore]') on PATH: a SavedModel directory or "
                    ".keras file (converted first, every stage shown), a .tflite, a .mlir stage dump, or a "
                    "--dump-dir folder (every stage side by side; a failed conversion's failing op marked). "
                    "Overlays per node: MACs at batch 1, output bytes at batch 1, the tflx pass that created "
                    "the node. Runs until Ctrl-C.")
    p.add_argument("path", metavar="PATH", help="SavedModel dir, .keras, .tflite, .mlir or a --dump-dir folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: the first free of 8080-8099)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the URL")
    p.set_defaults(fn=_run)

    conv = sub.choices["convert"]
    conv.add_argument("--explore", action="store_true",
                      help="afterwards open Model Explorer on every stage (also after a failure; Ctrl-C stops it)")
    original = conv.get_default("fn")
    conv.set_defaults(fn=lambda args: _convert(args, original))


def _progress():
    from .main import Progress
    return Progress()


def _run(args) -> int:
    from tflx import explore
    return explore.explore(args.path, host=args.host, port=args.port, open_browser=not args.no_browser,
                           progress=_progress())


def _convert(args, original) -> int:
    """Convert as asked (into a temporary dump directory unless --dump-dir is given), then
    explore the dumps -- also those of a failed conversion, whose failing op is marked."""
    if not getattr(args, "explore", False):
        return original(args)
    from tflx import explore
    from tflx.errors import TflxError
    explore.require()  # before a long conversion, not after it
    tmp = None
    if not args.dump_dir:
        tmp = tempfile.mkdtemp(prefix="tflx-convert-")
        args.dump_dir = tmp
    try:
        try:
            status = original(args)
        except TflxError as e:
            if not explore.has_dumps(args.dump_dir):
                raise
            print(e.one_line(), file=sys.stderr)
            status = 1
        if not explore.has_dumps(args.dump_dir):
            return status
        explore.explore(args.dump_dir, open_browser=True)
        return status
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
