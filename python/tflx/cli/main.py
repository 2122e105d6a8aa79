"""`tflx`: convert, list passes."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from .common import import_runtime, native_stderr_silenced, run_cli


class Progress:
    """One line per stage; on a terminal the line is rewritten while the stage runs."""

    def __init__(self, stream=None, quiet=False):
        self.stream, self.quiet = stream or sys.stderr, quiet  # sys.stderr now, not at import
        self.tty = self.stream.isatty()
        self.t0 = time.perf_counter()

    def start(self, stage):
        if self.tty and not self.quiet:
            self.stream.write(f"\r  {stage:<11} ...")
            self.stream.flush()

    def done(self, stage, result):
        if self.quiet:
            return
        ops = sum(result.histogram.values())
        line = f"  {stage:<11} {result.seconds:7.2f} s  {ops:6d} ops"
        self.stream.write(("\r" if self.tty else "") + line + "\n")
        self.stream.flush()


def _convert(args) -> int:
    import tflx
    from tflx import pipeline
    from tflx.atomic import write_atomic
    from tflx.errors import TflxError

    if not args.output and args.stop_after != "flatbuffer" and not args.dump_dir and args.stop_after is None:
        raise TflxError("give -o OUT.tflite (or --stop-after STAGE -o OUT.mlir, or --dump-dir DIR)")
    progress = Progress(quiet=args.quiet)
    t0 = time.perf_counter()
    from tflx import plugin_loader
    plugins = plugin_loader.passes_from(args.plugin)
    if args.resume_from and args.model:
        raise TflxError("give either MODEL or --resume-from, not both")
    if not args.resume_from and not args.model:
        raise TflxError("no MODEL given (a SavedModel directory or a .keras file)")
    from tflx.routes import RoutePlan
    plan = RoutePlan.of(args.route, _route_ops(args.route_op))
    user_ops = [o.strip() for spec in args.select_user_tf_ops for o in spec.split(",") if o.strip()]
    passes = _with_pass_options(
        tflx._passes(not args.no_builtin_passes, args.disable_pass, plugins, args.select_tf_ops,
                     args.allow_custom_ops, user_ops),
        args.pass_option)
    if args.resume_from and args.resume_from.endswith(".tflite"):  # only the quantize stage is left
        if not args.quantize:
            raise TflxError("--resume-from a .tflite resumes at the quantize stage: give --quantize MODE")
        result = pipeline.quantize_file(args.resume_from, args.quantize, args.representative_data, args.io_type,
                                        dump_dir=args.dump_dir, on_start=progress.start, on_stage=progress.done,
                                        passes=passes)
    elif args.resume_from:
        from tflx.mlir import new_context
        ctx = new_context()
        loaded = pipeline.read_stage_file(args.resume_from, args.stage, ctx)
        result = pipeline.run(resume=loaded, ctx=ctx, passes=passes, stop_after=args.stop_after,
                              dump_dir=args.dump_dir, on_stage=progress.done, on_start=progress.start,
                              on_failure=getattr(args, "on_failure", None), route_plan=plan)
    else:
        from tflx import importer
        with native_stderr_silenced():
            sigs = importer.load(args.model, args.signature)
        from tflx import debuginfo
        debuginfo.attach(args.model, sigs)  # source lines from a SavedModel's saved debug info
        for s in sigs:
            for n in s.notes:
                print(f"tflx: note: {n}", file=sys.stderr)
        result = pipeline.run(signatures=sigs, passes=passes, stop_after=args.stop_after,
                              dump_dir=args.dump_dir, on_stage=progress.done, on_start=progress.start,
                              fuse_dynamic_broadcast=not args.no_dynamic_broadcast_fusion,
                              canonicalize_inf=args.canonicalize_inf, quantize=args.quantize,
                              representative_data=args.representative_data, io_type=args.io_type,
                              on_failure=getattr(args, "on_failure", None), route_plan=plan)
    last = list(result.stages)[-1]
    if args.output:
        if last in ("flatbuffer", "quantize"):
            result.save(args.output)
        else:
            write_atomic(args.output, pipeline.STAGE_HEADER + last + "\n" + result.ir(last))
    if not args.quiet:
        _summary(result, args.output, time.perf_counter() - t0)
    if getattr(args, "on_result", None):  # e.g. --verify / --report-html (tflx.cli.convert_debug)
        return args.on_result(result)
    return 0


def _route_ops(specs) -> dict[str, str]:
    """`--route-op OP=ROUTE` (repeatable) as {op type: route}."""
    from tflx.errors import TflxError
    out = {}
    for spec in specs:
        op, eq, route = spec.partition("=")
        if not eq or not op.strip() or not route.strip():
            raise TflxError(f"--route-op '{spec}': expected OP=direct|stablehlo, e.g. Erf=stablehlo")
        out[op.strip()] = route.strip()
    return out


def _with_pass_options(passes, specs):
    """Apply `--pass-option NAME:KEY=VALUE` to the passes of this conversion."""
    from tflx.errors import TflxError
    from tflx.plugin import with_options
    wanted: dict[str, dict[str, str]] = {}
    for spec in specs:
        name, sep, rest = spec.partition(":")
        key, eq, value = rest.partition("=")
        if not sep or not eq or not key:
            raise TflxError(f"--pass-option '{spec}': expected NAME:KEY=VALUE")
        wanted.setdefault(name, {})[key] = value
    names = {p.name for p in passes}
    unknown = sorted(set(wanted) - names)
    if unknown:
        raise TflxError(f"--pass-option: no pass {unknown} in this conversion (passes: {', '.join(sorted(names))})")
    return [with_options(p, wanted[p.name]) if p.name in wanted else p for p in passes]


def _summary(result, output, seconds):
    out = sys.stderr
    if result.flatbuffer is not None:
        hist = result.op_histogram()
        print(f"tflx: wrote {output or '(nothing)'}: {len(result.flatbuffer):,} bytes, "
              f"{sum(hist.values())} ops in {seconds:.2f} s", file=out)
        for name, n in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:5d}  {name}", file=out)
    else:
        last = list(result.stages)[-1]
        print(f"tflx: stopped after stage '{last}'" + (f", wrote {output}" if output else ""), file=out)
    routes = result.routes
    if routes.counts:
        print(f"  routes: {routes.summary()}", file=out)
    for line in routes.fallbacks:
        print(f"  route fallback: {line}", file=out)
    if result.pass_counts:
        fired = ", ".join(f"{k}: {v}" for k, v in result.pass_counts.items() if v)
        if fired:
            print(f"  rewrites: {fired}", file=out)
    if "tfl-opt" in result.stages and result.pass_counts.get("select-tf-ops"):
        from tflx.passes.select_tf_ops import describe_select_ops
        for line in describe_select_ops(result.stages["tfl-opt"].module):
            print(f"  {line}", file=out)


def _passes(args) -> int:
    from tflx.passes import registered_passes
    for name, cls in sorted(registered_passes().items()):
        print(f"{name:<32} [{cls.stage}] {cls.description}")
    return 0


def _plugins(args) -> int:
    from tflx import plugin_loader
    for spec in args.plugin:
        plugin_loader.load(spec)
    plugin_loader.load_entry_points()
    loaded = plugin_loader.loaded()
    if not loaded:
        print("no plugins loaded (name them with --plugin, or install a package with a 'tflx.plugins' entry point)")
    for lp in loaded:
        print(f"{lp.spec}  (module {lp.module})")
        for cls in lp.passes:
            print(f"  {cls.name:<30} [{cls.stage}] {cls.description}")
        if not lp.passes:
            print("  (registers no passes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from tflx.stages import STAGES
    p = argparse.ArgumentParser(prog="tflx", description="TensorFlow -> TFLite conversion in named MLIR stages.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="convert a SavedModel or .keras file to .tflite")
    c.add_argument("model", nargs="?", help="SavedModel directory or .keras file")
    c.add_argument("-o", "--output", help="output .tflite (or .mlir with --stop-after)")
    c.add_argument("--signature", action="append", help="SavedModel signature key to convert (repeatable; default: all)")
    c.add_argument("--dump-dir", help="write NN-<stage>.mlir for every stage and timings.json here")
    c.add_argument("--stop-after", choices=STAGES, help="stop after this stage; -o gets its IR")
    c.add_argument("--resume-from", metavar="FILE.mlir|FILE.tflite", help="continue from a (hand-edited) stage dump")
    c.add_argument("--stage", choices=STAGES[:-1], help="which stage the --resume-from file is (default: its header)")
    c.add_argument("--plugin", action="append", default=[], metavar="FILE.py|MODULE",
                   help="load passes from a plugin (repeatable); installed 'tflx.plugins' entry points load too")
    c.add_argument("--pass-option", action="append", default=[], metavar="NAME:KEY=VALUE",
                   help="set an option of a built-in or plugin pass, e.g. decompose-matrix-determinant:leibniz_max_n=4")
    c.add_argument("--no-builtin-passes", action="store_true", help="run none of tflx's built-in passes")
    c.add_argument("--disable-pass", action="append", default=[], metavar="NAME", help="skip one built-in pass")
    c.add_argument("--route", choices=("auto", "direct", "stablehlo"), default="auto",
                   help="how TF ops reach TFL: auto (per op; default), direct (TF->TFL legalization as the stock "
                        "converter), stablehlo (tf-stablehlo, then StableHLO->TFL)")
    c.add_argument("--route-op", action="append", default=[], metavar="OP=ROUTE",
                   help="route one TF op type, e.g. --route-op Erf=stablehlo (repeatable)")
    c.add_argument("--no-dynamic-broadcast-fusion", action="store_true",
                   help="keep dynamic broadcasts explicit instead of relying on TFLite's implicit broadcasting")
    c.add_argument("--quantize", choices=("dynamic", "weight-only", "float16", "int8"),
                   help="post-training quantization after the flatbuffer stage (int8: with --representative-data)")
    c.add_argument("--representative-data", metavar="X.npz|DIR",
                   help="calibration samples for --quantize int8: .npz (input name -> [samples, ...]) or a directory "
                        "of <input>.npy")
    c.add_argument("--io-type", choices=("float32", "int8", "uint8"), default="float32",
                   help="inputs/outputs of an int8 model (default float32, as stock)")
    c.add_argument("--canonicalize-inf", action="store_true",
                   help="replace +-inf in constants by +-FLT_MAX, as the stock converter does (default: keep them)")
    c.add_argument("--select-tf-ops", action="store_true",
                   help="ops no route turns into builtins and TF's Flex allow-list admits become Flex ops "
                        "(as stock's SELECT_TF_OPS; the app then needs the Flex delegate)")
    c.add_argument("--select-user-tf-ops", action="append", default=[], metavar="OP,...",
                   help="treat these TF op types as Flex-able too (stock's select_user_tf_ops)")
    c.add_argument("--allow-custom-ops", action="store_true",
                   help="ops neither builtin nor Flex-able become plain custom ops (you supply the kernels)")
    c.add_argument("-q", "--quiet", action="store_true")
    c.set_defaults(fn=_convert)
    ps = sub.add_parser("passes", help="list the registered passes")
    ps.set_defaults(fn=_passes)
    pl = sub.add_parser("plugins", help="load plugins and list the passes each registers")
    pl.add_argument("--plugin", action="append", default=[], metavar="FILE.py|MODULE")
    pl.set_defaults(fn=_plugins)
    import importlib
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return p


# Further subcommands live in their own modules under tflx.cli, each with
# `add_parser(subparsers)` that sets `fn`; list them here.
SUBCOMMAND_MODULES: list[str] = ["tflx.cli.convert_debug", "tflx.cli.verify_cmd", "tflx.cli.assess_cmd",
                                 "tflx.cli.reduce_cmd", "tflx.cli.run_cmd", "tflx.cli.explore_cmd"]


def _main(argv):
    import_runtime()
    args = build_parser().parse_args(argv)
    return args.fn(args)


def main(argv=None) -> int:
    # SIGTERM -> KeyboardInterrupt-like exit so temp files are cleaned and no output is half written.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    from .common import route_native_stderr
    route_native_stderr()  # tflx's own output only; tflx-opt keeps MLIR's native IR printing
    return run_cli(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
