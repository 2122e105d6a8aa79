"""`tflx assess MODEL`: each TF op's fate before converting; exit 0 only if all become builtins."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "assess", help="list the model's TF ops and whether each converts to TFLite builtins",
        description="Import MODEL, run the conversion pipeline (built-in passes and plugins included) and "
                    "report every TF op: count, the source line that created it, and its status -- builtin "
                    "via tflx, handled by a built-in pass or plugin, would need Flex, or unsupported (with a "
                    "code skeleton to fix it). Also flags model size, large constants, dynamic shapes and "
                    "float64/int64 use. Exit 0 when the model converts to TFLite builtins only, 1 otherwise.")
    p.add_argument("model", help="SavedModel directory or .keras file")
    p.add_argument("--plugin", action="append", default=[], metavar="FILE.py|MODULE", help="load passes from a plugin")
    p.add_argument("--signature", action="append", help="SavedModel signature key (repeatable; default: all)")
    p.add_argument("--no-builtin-passes", action="store_true")
    p.add_argument("--disable-pass", action="append", default=[], metavar="NAME")
    p.add_argument("--route", choices=("auto", "direct", "stablehlo"), default="auto",
                   help="how TF ops reach TFL (as tflx convert --route)")
    p.add_argument("--route-op", action="append", default=[], metavar="OP=ROUTE", help="route one TF op type")
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.set_defaults(fn=_run)


def _run(args) -> int:
    from tflx.assess import assess
    from .common import native_stderr_silenced
    from .main import _route_ops
    with native_stderr_silenced():
        res = assess(args.model, plugins=args.plugin, signatures=args.signature,
                     builtin_passes=not args.no_builtin_passes, disable_passes=args.disable_pass,
                     route=args.route, route_ops=_route_ops(args.route_op))
    print(res.to_json() if args.json else res.render())
    sys.stdout.flush()
    return 0 if res.convertible else 1
