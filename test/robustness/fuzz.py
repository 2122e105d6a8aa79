"""Fuzz tflx's command lines with mutated .tflite, .mlir and model files.

    python test/robustness/fuzz.py                    # the CI-sized run (same as the pytest test)
    python test/robustness/fuzz.py --long             # >= 2,000 mutants (about 1,000 .tflite, 1,000 .mlir)
    python test/robustness/fuzz.py --n 5000 --seed 7 --json tally.json --keep DIR

Prints a tally per tool and per mutation kind: accepted (exit 0), rejected (exit 1 with a
one-line error), verdict (verify/assess judging a readable model), and failures: CRASH (a
signal), TRACEBACK, TIMEOUT, BAD-EXIT (status not 0/1), NO-ERROR-LINE, LEFTOVER (temp or partial
output left), CODE-RAN (code from a model file executed). Exit 1 if there is any failure.
Failing inputs are kept under --keep (default: a temp dir) with the command and its output.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fuzz_campaign as fc  # noqa: E402
import fuzz_seeds  # noqa: E402

CI_COUNTS = {"translate-to-mlir": 200, "verify": 36, "run": 30, "translate-to-tflite": 80, "opt-tfl-pipeline": 50,
             "opt-tflx-passes": 50, "opt-tf-passes": 30, "convert-resume": 80, "assess": 16, "verify-model": 8}
LONG_TOTAL = 2400  # ~1,060 .tflite, ~1,150 .mlir, ~190 model mutants


def counts(args) -> dict[str, int]:
    if args.n:
        return fc.counts_for(args.n)
    if args.long or os.environ.get("TFLX_FUZZ_LONG"):
        return fc.counts_for(int(os.environ.get("TFLX_FUZZ_N", LONG_TOTAL)))
    return dict(CI_COUNTS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long", action="store_true", help=f"the long run ({LONG_TOTAL} mutants)")
    ap.add_argument("--n", type=int, help="total number of mutants, spread over the tools")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="only this target (repeatable)")
    ap.add_argument("--keep", help="directory for seeds, work files and failing inputs (default: a temp dir)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per tool run")
    ap.add_argument("--json", help="write the tally here")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    base = args.keep or tempfile.mkdtemp(prefix="tflx-fuzz-")
    seeds = fuzz_seeds.build(os.path.join(base, "seeds"))
    plan = counts(args)
    if args.only:
        plan = {k: v for k, v in plan.items() if k in args.only}
    camp = fc.Campaign(seeds, os.path.join(base, "work"), seed=args.seed, timeout=args.timeout)
    t0 = time.perf_counter()

    def progress(i, n, o):
        if not args.quiet and (i % 50 == 0 or i == n or o.verdict in fc.FAILURES):
            flag = f"  {o.verdict} {o.target} {o.kind}: {o.error[:160]}" if o.verdict in fc.FAILURES else ""
            print(f"[{i}/{n} {time.perf_counter() - t0:.0f} s]{flag}", file=sys.stderr, flush=True)

    try:
        outcomes = camp.run(plan, progress)
    finally:
        camp.close()
    t = fc.tally(outcomes)
    print(fc.render(t))
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; work dir {base}")
    if args.json:
        t = dict(t, failures=[o.__dict__ for o in t["failures"]])
        with open(args.json, "w") as f:
            json.dump(t, f, indent=2)
    return 1 if t["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
