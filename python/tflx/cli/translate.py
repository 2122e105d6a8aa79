"""`tflx-translate`: flatbuffer_translate's command line over litert-converter.

    tflx-translate -mlir-to-tflite-flatbuffer model.mlir -o model.tflite
    tflx-translate -tflite-flatbuffer-to-mlir model.tflite -o model.mlir
    tflx-translate -mlir-to-tflite-flatbuffer in.mlir -o - | tflx-translate -tflite-flatbuffer-to-mlir -

A .tflite is checked by `tflx.flatbuffer.validate` before the native reader sees it, so a
malformed file is a one-line error, not a crashed process.
"""
from __future__ import annotations

import sys

from .common import native_stderr_silenced, run_cli

USAGE = """usage: tflx-translate (-mlir-to-tflite-flatbuffer | -tflite-flatbuffer-to-mlir) [options] [INPUT | -]

  -mlir-to-tflite-flatbuffer   MLIR (TFL dialect) -> .tflite bytes
  -tflite-flatbuffer-to-mlir   .tflite -> MLIR text
  -o FILE                      output file ('-' or none: stdout; binary-safe)
  --mlir-print-debuginfo       (to MLIR) print locations
  --mlir-print-op-generic      (to MLIR) print ops in generic form
  -h, --help                   this text

INPUT defaults to stdin.
"""

TO_FLATBUFFER, TO_MLIR = "mlir-to-tflite-flatbuffer", "tflite-flatbuffer-to-mlir"


def parse_args(argv):
    from ..errors import TflxError
    opts = {"mode": None, "input": None, "output": None, "debug_info": False, "generic": False, "help": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            if opts["input"] is not None:
                raise TflxError(f"more than one input file ('{opts['input']}' and '{arg}')")
            opts["input"] = arg
            continue
        key, eq, value = arg.lstrip("-").partition("=")
        if key in (TO_FLATBUFFER, TO_MLIR):
            if opts["mode"] not in (None, key):
                raise TflxError(f"give one of -{TO_FLATBUFFER} and -{TO_MLIR}, not both")
            opts["mode"] = key
        elif key == "o":
            if not eq:
                if i >= len(argv):
                    raise TflxError("option '-o' needs a value")
                value = argv[i]
                i += 1
            opts["output"] = value
        elif key == "mlir-print-debuginfo":
            opts["debug_info"] = True
        elif key == "mlir-print-op-generic":
            opts["generic"] = True
        elif key in ("h", "help"):
            opts["help"] = True
        else:
            raise TflxError(f"unknown option '{arg}' (see tflx-translate --help)")
    if not opts["help"] and opts["mode"] is None:
        raise TflxError(f"say which translation: -{TO_FLATBUFFER} or -{TO_MLIR}")
    return opts


def _read(path) -> tuple[str, bytes]:
    from ..errors import TflxError
    if path in (None, "-"):
        return "-", sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return path, f.read()
    except OSError as e:
        raise TflxError(f"cannot read '{path}': {e.strerror or e}") from None


def _write(path, data: bytes) -> None:
    if path in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        from ..atomic import write_atomic
        write_atomic(path, data)


def mlir_to_flatbuffer(name: str, data: bytes) -> bytes:
    from .. import stages
    from ..errors import TflxError
    from ..isolate import run_isolated
    from ..mlir import ir, new_context
    from ..opt_driver import diags_from_mlir_error

    if len(data) >= 8 and data[4:8] == b"TFL3":
        raise TflxError(f"'{name}' is already a .tflite flatbuffer (did you mean -{TO_MLIR}?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TflxError(f"'{name}' is not MLIR text (not UTF-8)") from None
    if "\0" in text or not text.strip():
        raise TflxError(f"'{name}' is not MLIR text" + (" (empty)" if not text.strip() else ""))
    from .opt import _first_token, _mlir_start
    tok = _first_token(text)
    if tok is None or not _mlir_start(tok):
        raise TflxError(f"'{name}' is not MLIR text (it starts with {(tok or '')[:40]!r})")

    def export() -> bytes:
        ctx = new_context()
        with ctx:
            try:
                module = ir.Module.parse(text)
            except ir.MLIRError as e:
                d = diags_from_mlir_error(e)[0]
                raise TflxError(f"{d.where(name)}: {d.message}" if d.line is not None else d.message) from None
        return stages.export_flatbuffer(module, ctx)

    return run_isolated(export, what="the flatbuffer exporter")


def flatbuffer_to_mlir(name: str, data: bytes, debug_info: bool, generic: bool,
                       out_fd: int | None = None) -> str | None:
    """The MLIR text of a .tflite; with `out_fd`, written there by the reading child process
    instead (a large model's text is not copied through this process), and None returned."""
    import os

    from .. import stages
    from ..flatbuffer import validate
    from ..isolate import run_isolated
    from ..mlir import new_context, print_module

    validate(data, what=f"'{name}'")

    def read() -> bytes:
        ctx = new_context()
        module = stages.flatbuffer_to_module(data, ctx, validated=True)
        text = print_module(module, debug_info=debug_info, generic=generic).encode()
        if out_fd is None:
            return text
        view = memoryview(text)
        while view:
            view = view[os.write(out_fd, view):]
        return b""

    # The native reader aborts on some corrupt files that pass `validate`: read in a child.
    text = run_isolated(read, what=f"the flatbuffer reader, on malformed '{name}',")
    return None if out_fd is not None else text.decode()


def _main(argv) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = parse_args(argv)
    if opts["help"]:
        sys.stdout.write(USAGE)
        return 0
    with native_stderr_silenced():
        from .. import mlir  # noqa: F401  (litert-converter's banner goes to fd 2)
    name, data = _read(opts["input"])
    if opts["mode"] == TO_FLATBUFFER:
        out = mlir_to_flatbuffer(name, data)
    elif opts["output"] not in (None, "-"):  # the reading child writes the (atomic) output file
        from ..atomic import atomic_file
        with atomic_file(opts["output"]) as f:
            flatbuffer_to_mlir(name, data, opts["debug_info"], opts["generic"], out_fd=f.fileno())
        return 0
    else:
        out = flatbuffer_to_mlir(name, data, opts["debug_info"], opts["generic"]).encode()
    _write(opts["output"], out)
    return 0


def main(argv=None) -> int:
    return run_cli(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
