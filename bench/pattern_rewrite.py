"""Cost of a one-op Python rewrite pattern on a large module (issue target: <= 50 ms per 10k ops).

Builds a TFL module of N ops (a chain of tfl.add / tfl.mul with a tfl.sub(x, x)*... pattern every
other op), then times `PatternPass.run` for a pass with one rule that matches every `tfl.mul`
(rewrite to tfl.squared_difference when it squares a sub; else a no-match return), and for a rule
that matches nothing. Medians of --repeats runs, each on a freshly parsed module.

    python bench/pattern_rewrite.py [--ops 10000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass


def build_module_text(n_ops: int) -> str:
    lines = ["func.func @main(%arg0: tensor<8x16xf32>) -> tensor<8x16xf32> {"]
    prev = "%arg0"
    i = 0
    k = 0
    while k < n_ops:
        lines.append(f'  %s{i} = tfl.sub %{prev[1:]}, %arg0 {{fused_activation_function = "NONE"}} : tensor<8x16xf32>')
        lines.append(f'  %m{i} = tfl.mul %s{i}, %s{i} {{fused_activation_function = "NONE"}} : tensor<8x16xf32>')
        lines.append(f'  %a{i} = tfl.add %m{i}, %arg0 {{fused_activation_function = "NONE"}} : tensor<8x16xf32>')
        prev = f"%a{i}"
        i += 1
        k += 3
    lines.append(f"  return {prev} : tensor<8x16xf32>")
    lines.append("}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    sys.path.insert(0, "examples/plugins")
    from tflx import plugin_loader as plugins
    from tflx.mlir import new_context, op_histogram, parse_module
    from tflx.plugin import PatternPass, rewrite

    fuse_cls = plugins.load("examples/plugins/squared_difference.py").passes[0]

    @dataclass(frozen=True)
    class NeverMatches(PatternPass):
        name = "bench-never-matches"
        stage = "tfl"

        @rewrite("tfl.mul")
        def no(self, op, rewriter):
            return True

    text = build_module_text(args.ops)
    ctx = new_context()
    t0 = time.perf_counter()
    parse_module(text, ctx)
    parse_s = time.perf_counter() - t0
    rows = []
    for label, cls in (("one-op pattern, rewrites every tfl.mul", fuse_cls),
                       ("one-op pattern, matches nothing", NeverMatches)):
        times, rewrites, n = [], 0, 0
        for _ in range(args.repeats):
            module = parse_module(text, ctx)
            n = sum(op_histogram(module).values())
            t0 = time.perf_counter()
            with ctx:
                rewrites = cls().run(module)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        rows.append((label, n, rewrites, med, med * 1e3 * 10000 / n))
    print(f"module: {args.ops} ops requested; parse {parse_s * 1e3:.1f} ms")
    print(f"{'case':<42} {'ops':>6} {'rewrites':>8} {'median ms':>10} {'ms/10k ops':>11}")
    for label, n, rw, med, per10k in rows:
        print(f"{label:<42} {n:>6} {rw:>8} {med * 1e3:>10.1f} {per10k:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
