"""`tflx verify MODEL model.tflite`: run TF and ai-edge-litert on the same inputs and compare."""
from __future__ import annotations

import json
import sys


def add_arguments(p, *, prefix: str = "") -> None:
    from tflx.verify import DEFAULT_ATOL, DEFAULT_RTOL
    p.add_argument(f"--{prefix}inputs", metavar="X.npz", dest="verify_inputs",
                   help="input values by name (or '<signature>/<name>'); default: random, seeded")
    p.add_argument("--atol", type=float, default=DEFAULT_ATOL, help=f"absolute tolerance (default {DEFAULT_ATOL:g})")
    p.add_argument("--rtol", type=float, default=DEFAULT_RTOL, help=f"relative tolerance (default {DEFAULT_RTOL:g})")
    p.add_argument("--per-tensor", action="store_true",
                   help="compare every intermediate tensor with its TF node; name the first op that diverges")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs")


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="compare a .tflite with the TF model it came from",
                       description="Run the TF model and the .tflite (ai-edge-litert) on the same inputs; "
                                   "per output max abs / max rel error, pass/fail at a tolerance. "
                                   "Exit 0 when every output is within tolerance, 1 otherwise.")
    p.add_argument("model", help="SavedModel directory or .keras file")
    p.add_argument("tflite", help="the .tflite to check")
    add_arguments(p)
    p.add_argument("--signature", action="append", help="only this signature (repeatable)")
    p.add_argument("--json", metavar="OUT.json", help="also write the result as JSON")
    p.set_defaults(fn=_run)


def run_verify(args, model, tflite):
    from tflx import verify
    from .common import native_stderr_silenced
    with native_stderr_silenced():
        return verify.verify(model, tflite, inputs=args.verify_inputs, atol=args.atol, rtol=args.rtol,
                             per_tensor=args.per_tensor, seed=args.seed,
                             signatures=getattr(args, "signature", None) if model and not str(model).endswith(".keras") else None)


def _run(args) -> int:
    from tflx.atomic import write_atomic
    res = run_verify(args, args.model, args.tflite)
    print(res.render(per_tensor_rows=40 if args.per_tensor else 0))
    if args.json:
        write_atomic(args.json, json.dumps(res.to_dict(), indent=2) + "\n")
    sys.stdout.flush()
    return 0 if res.ok else 1
