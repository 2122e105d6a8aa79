"""Cost of the guard around the native .tflite reader, on a valid Keras MobileNetV2 (weights=None).

`tflx-translate -tflite-flatbuffer-to-mlir` does not hand a file straight to litert-converter's
reader: `tflx.flatbuffer.validate` first runs the flatbuffers verifier rules and the index /
shape / buffer-size checks in Python, then the reader runs in a forked child (tflx.isolate) so a
file that still makes it abort cannot take the process down. This measures, median of --repeats:

    raw        new_context(); model_utils_ext.flatbuffer_to_mlir(); print        (no guard)
    guarded    tflx.cli.translate.flatbuffer_to_mlir(): validate + the same read in a child
    raw -o     raw, then the text written to a file (atomically)
    guarded -o tflx-translate -tflite-flatbuffer-to-mlir X -o FILE, in this process (main())
    validate   tflx.flatbuffer.validate alone
    fork       run_isolated of a function returning 1 byte (the isolation's fixed cost)

    raw process / guarded process   the same as whole commands (python -c ... vs tflx-translate)

    python bench/guard_cost.py [--repeats 5] [--processes 3] [--tflite mobilenet_v2.tflite]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# The whole command without the guard: start Python, import, read, print, write atomically.
RAW_PROCESS = """
import sys
from tflx.cli.common import native_stderr_silenced
with native_stderr_silenced():
    from litert_converter import model_utils_ext as mu
    from tflx.atomic import write_atomic
    from tflx.mlir import new_context, print_module
data = open(sys.argv[1], "rb").read()
ctx = new_context()
with ctx:
    module = mu.flatbuffer_to_mlir(data, ctx)
write_atomic(sys.argv[2], print_module(module).encode())
"""

BUILD = """
import sys, keras, tflx
m = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
tflx.convert(m).save(sys.argv[1])
"""


def build_mobilenet(path: str) -> None:
    subprocess.run([sys.executable, "-c", BUILD, path], check=True, capture_output=True, timeout=600)


def _median(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tflite", help="a MobileNetV2 .tflite (built with weights=None when absent)")
    ap.add_argument("--processes", type=int, default=3, metavar="N",
                    help="also time the whole command as a process, median of N (0: skip)")
    args = ap.parse_args(argv)
    path = args.tflite or os.path.join(tempfile.gettempdir(), "tflx_guard_cost_mobilenet_v2.tflite")
    if not os.path.isfile(path):
        print(f"building {path} (Keras MobileNetV2, weights=None) ...", file=sys.stderr)
        build_mobilenet(path)
    with open(path, "rb") as f:
        data = f.read()

    from tflx.cli.common import native_stderr_silenced
    with native_stderr_silenced():
        from litert_converter import model_utils_ext as mu
        from tflx.atomic import write_atomic
        from tflx.cli.translate import flatbuffer_to_mlir
        from tflx.cli.translate import main as translate_main
        from tflx.flatbuffer import validate
        from tflx.isolate import run_isolated
        from tflx.mlir import new_context, print_module

    def raw():
        ctx = new_context()
        with ctx:
            module = mu.flatbuffer_to_mlir(data, ctx)
        return print_module(module)

    def guarded():
        return flatbuffer_to_mlir(path, data, True, False)

    out = os.path.join(tempfile.mkdtemp(prefix="tflx-guard-cost-"), "out.mlir")

    def raw_cli():  # what tflx-translate -o would do without the guard: read, print, write
        write_atomic(out, raw().encode())

    def guarded_cli():
        assert translate_main(["-tflite-flatbuffer-to-mlir", path, "-o", out]) == 0

    # Same output both ways (the guard changes nothing about the result).
    assert raw() == guarded(), "guarded and raw reads differ"
    results = {}
    for name, fn in (("raw", raw), ("guarded", guarded), ("raw -o", raw_cli), ("guarded -o", guarded_cli),
                     ("validate", lambda: validate(data)), ("fork", lambda: run_isolated(lambda: b"x"))):
        fn()  # warm
        results[name] = _median(fn, args.repeats)
    print(f"MobileNetV2 .tflite: {len(data):,} bytes -> {len(raw()):,} chars of MLIR; median of {args.repeats}")
    for name, (med, times) in results.items():
        print(f"  {name:<11} {med * 1000:8.1f} ms   (runs: {', '.join(f'{t * 1000:.1f}' for t in times)})")
    if args.processes:
        exe = shutil.which("tflx-translate")
        cmd = [exe] if exe else [sys.executable, "-m", "tflx.cli.translate"]
        for name, argv in (("raw process", [sys.executable, "-c", RAW_PROCESS, path, out]),
                           ("guarded process", cmd + ["-tflite-flatbuffer-to-mlir", path, "-o", out])):
            run = lambda: subprocess.run(argv, check=True, capture_output=True)  # noqa: E731
            results[name] = _median(run, args.processes)
            med, times = results[name]
            print(f"  {name:<15} {med * 1000:8.1f} ms   (runs: {', '.join(f'{t * 1000:.1f}' for t in times)})")
    pairs = [("raw", "guarded"), ("raw -o", "guarded -o")]
    if args.processes:
        pairs.append(("raw process", "guarded process"))
    for a, b in pairs:
        ra, gu = results[a][0], results[b][0]
        print(f"  guard cost ({b}): {(gu - ra) * 1000:+.1f} ms ({(gu / ra - 1) * 100:+.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
