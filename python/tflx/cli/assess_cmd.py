"""`tflx assess MODEL`: each TF op's fate before converting, and the converted model's device
profile; exit 0 only if all ops become builtins and the profile is within the budgets."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "assess", help="list the model's TF ops and whether each converts to TFLite builtins",
        description="Import MODEL, run the conversion pipeline (built-in passes and plugins included) and "
                    "report every TF op: count, the source line that created it, and its status -- builtin "
                    "via tflx, handled by a built-in pass or plugin, would need Flex, or unsupported (with a "
                    "code skeleton to fix it). Also flags model size, large constants, dynamic shapes and "
                    "float64/int64 use. When the model converts, profiles the .tflite: parameters, MACs and "
                    "FLOPs, peak activation memory, batch-1 latency in ai-edge-litert, and per op type "
                    "XNNPACK delegation (observed) and the GPU delegate's verdict. Exit 0 when the model "
                    "converts to TFLite builtins only and is within the budgets, 1 otherwise.")
    p.add_argument("model", help="SavedModel directory or .keras file")
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py|MODULE", help="load passes from a plugin")
    p.add_argument("--signature", action="append", help="SavedModel signature key (repeatable; default: all)")
    p.add_argument("--no-builtin-passes", action="store_true")
    p.add_argument("--disable-pass", action="append", default=[], metavar="NAME")
    p.add_argument("--route", choices=("auto", "direct", "stablehlo"), default="auto",
                   help="how TF ops reach TFL (as tflx convert --route)")
    p.add_argument("--route-op", action="append", default=[], metavar="OP=ROUTE", help="route one TF op type")
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.add_argument("--no-profile", action="store_true", help="skip the device profile of the converted model")
    p.add_argument("--batch", type=int, default=1, metavar="N",
                   help="batch size for MACs, FLOPs and memory (the inputs' dynamic batch dim; default 1)")
    p.add_argument("--memory-budget", metavar="SIZE",
                   help="flag (and exit 1) when peak activation memory exceeds SIZE, e.g. 64MB, 512KB "
                        "(KB/MB/GB are powers of 1024)")
    p.add_argument("--latency-budget", metavar="TIME",
                   help="flag (and exit 1) when the 1-thread batch-1 latency exceeds TIME, e.g. 10ms, 0.5s")
    p.set_defaults(fn=_run)


def _run(args) -> int:
    from tflx.assess import assess
    from tflx.errors import TflxError
    from tflx.profile import parse_size, parse_time
    from .common import native_stderr_silenced
    from .main import _route_ops
    # Budgets are read before the (slow) assessment: a typo fails at once, in one line.
    memory = parse_size(args.memory_budget) if args.memory_budget is not None else None
    latency = parse_time(args.latency_budget) if args.latency_budget is not None else None
    if args.batch < 1:
        raise TflxError(f"--batch must be >= 1, not {args.batch}")
    with native_stderr_silenced():
        res = assess(args.model, plugins=args.plugin, signatures=args.signature,
                     builtin_passes=not args.no_builtin_passes, disable_passes=args.disable_pass,
                     route=args.route, route_ops=_route_ops(args.route_op), profile=not args.no_profile,
                     batch=args.batch, memory_budget=memory, latency_budget_ms=latency)
    print(res.to_json() if args.json else res.render())
    sys.stdout.flush()
    return 0 if res.convertible and not res.over_budget else 1
