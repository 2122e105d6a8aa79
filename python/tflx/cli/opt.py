"""`tflx-opt`: an mlir-opt / litert-opt style driver over tflx, litert-converter and TF passes.

    tflx-opt in.mlir -fold-identity-reshape -canonicalize
    tflx-opt in.mlir --pass-pipeline='builtin.module(raise-sum-mul-to-mean,func.func(tfl-optimize))'
    tflx-opt tf.mlir -tf-shape-inference -tf-stablehlo -o out.mlir
    tflx-opt cases.mlir -split-input-file -verify-diagnostics -canonicalize
    tflx-opt --list-passes
"""
from __future__ import annotations

import re
import sys

from .common import native_stderr_silenced, run_cli

USAGE = """usage: tflx-opt [options] [-pass-name[='opt=val ...']]... [INPUT | -]

Reads MLIR (a file, or stdin for '-' or no INPUT), runs passes, prints the result.

options:
  -o FILE                     write the output here (atomically) instead of stdout
  --pass-pipeline=PIPELINE, -p PIPELINE
                              e.g. 'builtin.module(fold-identity-reshape,func.func(tfl-optimize))'
  -PASS[=OPTIONS]             add one pass (function passes are nested for you); repeatable
  --plugin=FILE.py|MODULE     load a tflx plugin (its passes become available); repeatable
  -split-input-file           process each '// -----'-separated chunk on its own
  -verify-diagnostics         check expected-error/warning/remark comments instead of failing
  --mlir-print-ir-after-all   print the IR after every pass to stderr
  --mlir-print-debuginfo      print locations
  --mlir-print-op-generic     print ops in generic form
  --mlir-elide-elementsattrs-if-larger=N
                              print constants with more than N elements as dense_resource
                              placeholders (output for reading, not for parsing back)
  --list-passes               list the passes of tflx, litert-converter and TensorFlow
  -h, --help                  this text

Pass providers: tflx Python passes run on the whole module; litert-converter's passes run in
its own MLIR context; TensorFlow's (tf-*, for tf-dialect IR) run in TF, which is imported only
then. A name both litert-converter and TF register (canonicalize, cse, ...) runs in TF when its
nearest neighbouring pass is a TF pass, else in litert-converter.
"""

_VALUE_OPTS = {"o", "pass-pipeline", "p", "plugin", "load-pass-plugin", "mlir-elide-elementsattrs-if-larger"}
_BOOL_OPTS = {"verify-diagnostics", "mlir-print-ir-after-all", "list-passes", "mlir-print-debuginfo",
              "mlir-print-op-generic", "h", "help", "allow-unregistered-dialect", "mlir-disable-threading",
              "split-input-file"}


class Args:
    def __init__(self):
        self.input = None
        self.output = None
        self.pipeline = None
        self.pass_flags: list[tuple[str, str | None]] = []
        self.split = False
        self.verify = False
        self.ir_after_all = False
        self.list_passes = False
        self.debug_info = False
        self.generic = False
        self.help = False
        self.plugins: list[str] = []
        self.elide: int | None = None


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def parse_args(argv: list[str]) -> Args:
    from ..errors import TflxError
    a = Args()
    i = 0
    positional_only = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if positional_only or arg == "-" or not arg.startswith("-"):
            if a.input is not None:
                raise TflxError(f"more than one input file ('{a.input}' and '{arg}')")
            a.input = arg
            continue
        if arg == "--":
            positional_only = True
            continue
        key, eq, value = arg.lstrip("-").partition("=")
        if key in _VALUE_OPTS:
            if not eq:
                if i >= len(argv):
                    raise TflxError(f"option '{arg}' needs a value")
                value = argv[i]
                i += 1
            value = _unquote(value)
            if key == "o":
                a.output = value
            elif key in ("plugin", "load-pass-plugin"):
                a.plugins.append(value)
            elif key == "mlir-elide-elementsattrs-if-larger":
                try:
                    a.elide = int(value)
                except ValueError:
                    raise TflxError(f"--{key}: expected a number, got {value!r}") from None
            else:
                if a.pipeline is not None:
                    raise TflxError("--pass-pipeline given twice")
                a.pipeline = value
        elif key in _BOOL_OPTS:
            if key == "split-input-file":
                if eq and value not in ("", "// -----", "true", "1"):
                    raise TflxError(f"-split-input-file: only the '// -----' marker is supported, not {value!r}")
                a.split = True
            elif eq:
                raise TflxError(f"option '-{key}' takes no value")
            elif key == "verify-diagnostics":
                a.verify = True
            elif key == "mlir-print-ir-after-all":
                a.ir_after_all = True
            elif key == "list-passes":
                a.list_passes = True
            elif key == "mlir-print-debuginfo":
                a.debug_info = True
            elif key == "mlir-print-op-generic":
                a.generic = True
            elif key in ("h", "help"):
                a.help = True
            # allow-unregistered-dialect, mlir-disable-threading: always so / harmless
        elif re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", key):
            a.pass_flags.append((key, _unquote(value) if eq else None))
        else:
            raise TflxError(f"unknown option '{arg}' (see tflx-opt --help)")
    if a.pipeline is not None and a.pass_flags:
        raise TflxError("give either --pass-pipeline or pass flags, not both "
                        f"(flags: {', '.join('-' + n for n, _ in a.pass_flags)})")
    return a


def read_input(path: str | None) -> tuple[str, str]:
    """(display name, text). Refuses binary and non-MLIR input with a clear message."""
    from ..errors import TflxError
    if path in (None, "-"):
        data, name = sys.stdin.buffer.read(), "-"
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise TflxError(f"cannot read '{path}': {e.strerror or e}") from None
        name = path
    if len(data) >= 8 and data[4:8] == b"TFL3":
        raise TflxError(f"'{name}' is a .tflite flatbuffer, not MLIR text: "
                        "use tflx-translate -tflite-flatbuffer-to-mlir")
    if b"\0" in data:
        raise TflxError(f"'{name}' is binary, not MLIR text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TflxError(f"'{name}' is not UTF-8 text ({e.reason} at byte {e.start}), so not MLIR") from None
    first = _first_token(text)
    if first is not None and not _mlir_start(first):
        raise TflxError(f"'{name}' is not MLIR text (it starts with {first[:40]!r}; "
                        "expected 'module', 'func.func', an op or an alias)")
    return name, text


def _first_token(text: str) -> str | None:
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("//"):
            return s.split()[0]
    return None


def _mlir_start(tok: str) -> bool:
    return (tok[0] in "#!\"%{^" or tok.startswith(("module", "builtin.module"))
            or re.match(r"[A-Za-z_][\w$]*\.[\w.$]+", tok) is not None)


_LOC_STDIN = re.compile(r'loc\("-":')


def _render(result, args: Args, filename: str) -> str:
    """The output text of a module (or of TF's text, when only TF could hold the IR)."""
    if isinstance(result, str):
        text = result
    else:
        text = result.operation.get_asm(enable_debug_info=args.debug_info, print_generic_op_form=args.generic,
                                        large_elements_limit=args.elide)
    if args.debug_info and filename != "-":
        name = filename.replace("\\", "\\\\").replace('"', '\\"')
        text = _LOC_STDIN.sub(lambda _: f'loc("{name}":', text)
    return text


def _process_chunk(chunk, leaves, args: Args, filename: str):
    """-> (output text or None, verification problems, error about this chunk or None)."""
    from .. import opt_driver as od
    from ..errors import TflxError
    from ..mlir import new_context

    ctx = new_context()
    if args.ir_after_all:
        ctx.enable_multithreading(False)
    collector = od.DiagnosticCollector(filename, keep=args.verify)
    handler = ctx.attach_diagnostic_handler(collector)
    output, error = None, None
    try:
        runner = od.Runner(leaves, od.PrintOptions(args.debug_info, args.generic, args.ir_after_all), collector, ctx)
        output = _render(runner.run(chunk.text), args, filename)
        if collector.errors:
            output = None
            error = TflxError(f"{collector.errors} error{'s' if collector.errors > 1 else ''} reported "
                              "(the passes themselves did not fail)")
    except od.PipelineFailure as f:  # about this input; other TflxErrors are usage errors: abort
        if args.verify:
            collector.diags.extend(f.diags)
        else:
            error = f.to_user_error(filename)
    finally:
        handler.detach()
    problems = []
    if args.verify:
        expected = od.parse_expectations(chunk, filename)
        problems = od.check_expectations(expected, collector.diags, filename)
    return output, problems, error


def _list_passes() -> int:
    from .. import pass_catalog as cat
    from ..passes import registered_passes

    out = sys.stdout
    tflx = registered_passes()
    print(f"tflx Python passes ({len(tflx)}; run on the whole module):", file=out)
    for name, cls in sorted(tflx.items()):
        print(f"  {name:<44} [stage {cls.stage}] {cls.description}", file=out)
    for title, provider in (("litert-converter passes", cat.LITERT),
                            ("TensorFlow passes (for tf-dialect IR; TensorFlow is imported to run them)",
                             cat.TENSORFLOW)):
        passes = provider.catalog()
        print(f"\n{title} ({len(passes)}):", file=out)
        for name, anchors in sorted(passes.items()):
            where = ", ".join(anchors) if anchors else "other ops only"
            print(f"  {name:<44} [{where}]", file=out)
    return 0


def _main(argv) -> int:
    from ..errors import TflxError
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.help:
        sys.stdout.write(USAGE)
        return 0
    with native_stderr_silenced():
        from .. import mlir  # noqa: F401  (litert-converter's banner goes to fd 2)
    if args.plugins:
        from .. import plugin_loader as plugins
        for spec in args.plugins:
            plugins.load(spec)
    if args.list_passes:
        return _list_passes()
    from .. import opt_driver as od
    from ..atomic import write_atomic

    filename, text = read_input(args.input)
    if args.pipeline is not None:
        leaves = od.leaves_from_specs(od.parse_pipeline(args.pipeline))
    else:
        leaves = [od.Leaf(name, opts, None) for name, opts in args.pass_flags]
    leaves = od.resolve(leaves)

    outputs, failed = [], False
    for chunk in od.split_input(text, args.split):
        output, problems, error = _process_chunk(chunk, leaves, args, filename)
        for p in problems:
            print(p, file=sys.stderr)
        if error is not None:
            print(error.one_line(), file=sys.stderr)
        failed = failed or bool(problems) or error is not None
        if output is not None:
            outputs.append(output)
    result = "// -----\n".join(outputs)
    if args.output and args.output != "-":
        if failed:
            raise TflxError(f"not writing '{args.output}': there were errors")
        write_atomic(args.output, result)
    else:
        sys.stdout.write(result)
        sys.stdout.flush()
    return 1 if failed else 0


def main(argv=None) -> int:
    return run_cli(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
