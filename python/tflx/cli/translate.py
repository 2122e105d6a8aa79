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
  (to .tflite, flatbuffer_translate's flags)
  -emit-builtin-tflite-ops[=false]  builtin ops allowed (default true)
  -emit-select-tf-ops          TF ops in TF's Flex allow-list -> Flex ops
  -emit-custom-ops             other TF ops -> plain custom ops
  -select-user-tf-ops=A,B      these TF op types are Flex-able too
  -strip-debug-info            drop locations (tensor names then come from op names)
  (to MLIR)
  -input-arrays=A,B            prune: these tensors become the function's inputs
  -output-arrays=X,Y           prune: only these tensors are returned (and what they need)
  --mlir-print-debuginfo       print locations
  --mlir-print-op-generic      print ops in generic form
  -h, --help                   this text

INPUT defaults to stdin. Constants read from a .tflite print as tfl.pseudo_const, as
flatbuffer_translate prints them.
"""

# flatbuffer_translate flags litert-converter 0.5.0's exporter has no option for.
UNAVAILABLE = ("use-buffer-offset", "use-external-constant", "serialize-debug-metadata", "emit-stablehlo-ops",
               "disable-vhlo-to-stablehlo")

TO_FLATBUFFER, TO_MLIR = "mlir-to-tflite-flatbuffer", "tflite-flatbuffer-to-mlir"


def parse_args(argv):
    from ..errors import TflxError
    opts = {"mode": None, "input": None, "output": None, "debug_info": False, "generic": False, "help": False,
            "emit_builtin": True, "select_tf_ops": False, "custom_ops": False, "user_ops": (),
            "strip_debug_info": False, "input_arrays": None, "output_arrays": None}
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
        elif key == "emit-builtin-tflite-ops":
            opts["emit_builtin"] = _bool(arg, value if eq else "true")
        elif key in ("emit-select-tf-ops", "emit-custom-ops", "strip-debug-info"):
            opts[{"emit-select-tf-ops": "select_tf_ops", "emit-custom-ops": "custom_ops",
                  "strip-debug-info": "strip_debug_info"}[key]] = _bool(arg, value if eq else "true")
        elif key in ("select-user-tf-ops", "input-arrays", "output-arrays"):
            if not eq:
                raise TflxError(f"option '{arg}' needs a value: -{key}=A,B")
            names = tuple(v.strip() for v in value.split(",") if v.strip())
            opts[{"select-user-tf-ops": "user_ops", "input-arrays": "input_arrays",
                  "output-arrays": "output_arrays"}[key]] = names
        elif key in UNAVAILABLE:
            raise TflxError(f"option '-{key}' is not available: litert-converter 0.5.0's flatbuffer exporter "
                            "takes no options, and tflx does not emulate this one")
        else:
            raise TflxError(f"unknown option '{arg}' (see tflx-translate --help)")
    if not opts["help"] and opts["mode"] is None:
        raise TflxError(f"say which translation: -{TO_FLATBUFFER} or -{TO_MLIR}")
    wrong = [f for f, on, mode in (("-input-arrays", opts["input_arrays"], TO_MLIR),
                                   ("-output-arrays", opts["output_arrays"], TO_MLIR),
                                   ("-emit-select-tf-ops", opts["select_tf_ops"], TO_FLATBUFFER),
                                   ("-emit-custom-ops", opts["custom_ops"], TO_FLATBUFFER),
                                   ("-select-user-tf-ops", opts["user_ops"], TO_FLATBUFFER),
                                   ("-strip-debug-info", opts["strip_debug_info"], TO_FLATBUFFER))
             if on and opts["mode"] not in (None, mode)]
    if wrong:
        raise TflxError(f"option '{wrong[0]}' applies to the other direction")
    return opts


def _bool(arg: str, value: str) -> bool:
    from ..errors import TflxError
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise TflxError(f"option '{arg}': expected true or false")


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


def mlir_to_flatbuffer(name: str, data: bytes, opts: dict | None = None) -> bytes:
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

    opts = opts or {}

    def export() -> bytes:
        ctx = new_context()
        with ctx:
            try:
                module = ir.Module.parse(text)
            except ir.MLIRError as e:
                d = diags_from_mlir_error(e)[0]
                raise TflxError(f"{d.where(name)}: {d.message}" if d.line is not None else d.message) from None
            if opts.get("strip_debug_info"):
                from ..mlir import print_module
                module = ir.Module.parse(print_module(module, debug_info=False))
            if not opts.get("emit_builtin", True):
                _refuse_builtins(module, name)
            if opts.get("select_tf_ops") or opts.get("custom_ops") or opts.get("user_ops"):
                from ..passes.select_tf_ops import SelectTfOps
                try:
                    SelectTfOps(select_tf_ops=bool(opts.get("select_tf_ops") or opts.get("user_ops")),
                                allow_custom_ops=bool(opts.get("custom_ops")),
                                user_ops=tuple(opts.get("user_ops", ()))).run(module)
                except TflxError as e:  # name this tool's flags
                    for convert_flag, flag in (("--select-tf-ops", "-emit-select-tf-ops"),
                                               ("--allow-custom-ops", "-emit-custom-ops"),
                                               ("--select-user-tf-ops ", "-select-user-tf-ops=")):
                        e.message = e.message.replace(convert_flag, flag)
                    raise
        return stages.export_flatbuffer(module, ctx)

    return run_isolated(export, what="the flatbuffer exporter")


def _refuse_builtins(module, name: str) -> None:
    """-emit-builtin-tflite-ops=false: a builtin op is an error, as in flatbuffer_translate."""
    from ..dialects.tfl_builtins import is_builtin
    from ..errors import TflxError
    from ..mlir import walk_ops
    from ..opt_driver import _loc_line_col
    for op in walk_ops(module):
        if op.name.startswith("tfl.") and is_builtin(op.name[len("tfl."):].upper()):
            line, col = _loc_line_col(str(op.location))
            where = f"{name}:{line}:{col}: " if line is not None else ""
            raise TflxError(f"{where}'{op.name}' op is a TFLite builtin op but builtin emission is not enabled")


def pseudo_constants(module) -> int:
    """Constants as flatbuffer_translate prints a .tflite's buffers: tfl.pseudo_const."""
    from ..mlir import ir, walk_ops
    found = [op for op in walk_ops(module) if op.name in ("stablehlo.constant", "arith.constant")]
    for op in found:
        with op.location, ir.InsertionPoint(op):
            new = ir.Operation.create("tfl.pseudo_const", results=[op.results[0].type],
                                      attributes={"value": op.attributes["value"]})
        op.results[0].replace_all_uses_with(new.results[0])
        op.erase()
    return len(found)


def prune(module, inputs, outputs) -> None:
    """-input-arrays / -output-arrays: the main function returns only the tensors named in
    `outputs`, takes the tensors named in `inputs` as arguments, and keeps only what that needs.
    A tensor's name is its location (loc("name")) or, for an argument, tf.entry_function."""
    from ..errors import TflxError
    from ..mlir import ir
    from ..builder import functions
    funcs = functions(module)
    main = funcs.get("main") or next(iter(funcs.values()))
    block = main.regions[0].blocks[0]
    entry = ir.DictAttr(main.attributes["tf.entry_function"]) if "tf.entry_function" in main.attributes else None
    arg_names = ir.StringAttr(entry["inputs"]).value.split(",") if entry is not None else []
    named = {n: block.arguments[i] for i, n in enumerate(arg_names) if i < len(block.arguments)}
    import re
    for op in block.operations:  # loc("name"), or as the reader writes it: loc(fused<"...">["name"])
        m = re.match(r'loc\((?:fused<"[^"]*">\[)?"([^"]+)"', str(op.location))
        if m and len(op.results) == 1:
            named.setdefault(m[1], op.results[0])
    ret = block.operations[len(block.operations) - 1]
    out_names = ir.StringAttr(entry["outputs"]).value.split(",") if entry is not None else []
    for i, n in enumerate(out_names):
        if i < len(ret.operands):
            named.setdefault(n, ret.operands[i])
    missing = [n for n in list(inputs or ()) + list(outputs or ()) if n not in named]
    if missing:
        raise TflxError(f"no tensor named '{missing[0]}' in the model (tensor names: "
                        f"{', '.join(sorted(named)[:12])}{', ...' if len(named) > 12 else ''})")
    new_outs = [named[n] for n in outputs] if outputs else list(ret.operands)
    out_names = list(outputs) if outputs else out_names
    in_names = list(arg_names)
    if inputs:
        for n in inputs:
            v = named[n]
            if v in list(block.arguments):
                continue
            arg = block.add_argument(v.type, ir.Location.unknown())
            v.replace_all_uses_with(arg)
            new_outs = [arg if o == v else o for o in new_outs]
            in_names.append(n)
    with ret.location, ir.InsertionPoint(ret):
        ir.Operation.create("func.return", operands=new_outs)
    ret.erase()
    for op in reversed(list(block.operations)[:-1]):  # dead ops, users first
        if not any(len(list(r.uses)) for r in op.results):
            op.erase()
    keep = [i for i, a in enumerate(block.arguments) if len(list(a.uses)) or (inputs and in_names[i] in inputs)
            or not inputs]
    for i in reversed(range(len(block.arguments))):
        if i not in keep:
            block.erase_argument(i)
    in_names = [in_names[i] for i in keep]
    main.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
        [a.type for a in block.arguments], [v.type for v in new_outs]))
    for attr in ("arg_attrs", "res_attrs"):
        if attr in main.attributes:
            del main.attributes[attr]
    main.attributes["tf.entry_function"] = ir.DictAttr.get({
        "inputs": ir.StringAttr.get(",".join(in_names)), "outputs": ir.StringAttr.get(",".join(out_names))})


def flatbuffer_to_mlir(name: str, data: bytes, debug_info: bool, generic: bool,
                       out_fd: int | None = None, inputs=None, outputs=None) -> str | None:
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
        with ctx:
            pseudo_constants(module)
            if inputs or outputs:
                prune(module, inputs, outputs)
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
    arrays = {"inputs": opts["input_arrays"], "outputs": opts["output_arrays"]}
    if opts["mode"] == TO_FLATBUFFER:
        out = mlir_to_flatbuffer(name, data, opts)
    elif opts["output"] not in (None, "-"):  # the reading child writes the (atomic) output file
        from ..atomic import atomic_file
        with atomic_file(opts["output"]) as f:
            flatbuffer_to_mlir(name, data, opts["debug_info"], opts["generic"], out_fd=f.fileno(), **arrays)
        return 0
    else:
        out = flatbuffer_to_mlir(name, data, opts["debug_info"], opts["generic"], **arrays).encode()
    _write(opts["output"], out)
    return 0


def main(argv=None) -> int:
    return run_cli(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
