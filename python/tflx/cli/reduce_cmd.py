"""`tflx reduce input.mlir --pipeline P --error REGEX`: shrink a failing module to a small reproducer."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "reduce", help="delta-debug a failing MLIR module down to a small reproducer",
        description="Shrink INPUT while running PIPELINE on it still fails with an error matching REGEX. "
                    "PIPELINE is a tflx-opt pipeline ('builtin.module(...)' or 'a,b'), or 'convert' / "
                    "'convert:STAGE' for `tflx convert --resume-from INPUT [--stop-after STAGE]` (INPUT then "
                    "needs its '// tflx-stage:' header). Each candidate runs in a worker process, so a crash "
                    "of native code counts as a failure with the text 'crashed (SIGNAL): ...'.")
    p.add_argument("input", help="the failing .mlir")
    p.add_argument("--pipeline", required=True, help="what to run on each candidate (see above)")
    p.add_argument("--error", required=True, metavar="REGEX", help="the failure to keep (searched in the error text)")
    p.add_argument("-o", "--output", help="write the reduced module here (default: stdout)")
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py|MODULE", help="plugins the pipeline needs")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per candidate (default 120)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(fn=_run)


def _run(args) -> int:
    import re
    from tflx.atomic import write_atomic
    from tflx.errors import TflxError
    from tflx.reduce import reduce
    try:
        re.compile(args.error)
    except re.error as e:
        raise TflxError(f"--error: not a regular expression: {e}") from None
    try:
        with open(args.input, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise TflxError(f"cannot read '{args.input}': {e}") from None
    progress = None if args.quiet else (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    res = reduce(text, args.pipeline, args.error, plugins=args.plugin, timeout=args.timeout, progress=progress)
    if args.output:
        write_atomic(args.output, res.text)
    else:
        sys.stdout.write(res.text if res.text.endswith("\n") else res.text + "\n")
    if not args.quiet:
        print(f"tflx: reduced {res.ops_before} -> {res.ops_after} ops in {res.tests} runs, {res.seconds:.1f} s"
              + (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
        print(f"  still fails with: {res.failure}", file=sys.stderr)
    return 0
