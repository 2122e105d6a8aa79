"""Quantization benchmark: tflx's --quantize modes side by side with the stock converter's same
options, on MobileNetV2 (weights=None, 224x224) and an attention block.

    python bench/quantize.py [--models mobilenet_v2,mha_block] [--rounds 5] [--samples 16]

Per model and mode (float, dynamic, weight-only, float16, int8): .tflite size, max / mean abs error
vs the float TF model relative to its output range, batch-1 one-thread latency in ai-edge-litert
(interleaved rounds, medians: bench/parity.py's measure_latency), conversion seconds. Stock:
TFLiteConverter.from_saved_model with optimizations=[DEFAULT] (dynamic), + supported_types=[float16]
(float16), + representative_dataset (int8, float32 I/O). Weight-only has no stock equivalent.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity  # noqa: E402

MODES = ("float", "dynamic", "weight-only", "float16", "int8")


def stock_convert(path: str, mode: str, samples: list[dict]) -> bytes:
    import tensorflow as tf
    c = tf.lite.TFLiteConverter.from_saved_model(path)
    if mode != "float":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        c.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        c.representative_dataset = lambda: ([v for v in s.values()] for s in samples)
    return c.convert()


def main(argv=None) -> int:
    import tflx
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="mobilenet_v2,mha_block")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--samples", type=int, default=16)
    args = p.parse_args(argv)
    cache = os.path.join(tempfile.gettempdir(), "tflx-bench-savedmodels")
    os.makedirs(cache, exist_ok=True)
    for name in args.models.split(","):
        path, _ = parity.export_saved_model(name, cache, False)
        ref_inputs, ref = parity.tf_reference(path, name)
        key = next(iter(ref_inputs))
        inputs = ref_inputs[key]
        rs = np.random.RandomState(0)
        samples = [{k: rs.uniform(-1, 1, (1, *v.shape[1:])).astype(v.dtype) for k, v in inputs.items()}
                   for _ in range(args.samples)]
        files, rows = {}, []
        for mode in MODES:
            for who in ("tflx", "stock"):
                if who == "stock" and mode == "weight-only":
                    continue
                t0 = time.perf_counter()
                try:
                    if who == "tflx":
                        data = tflx.convert(path, quantize=None if mode == "float" else mode,
                                            representative_data=samples).flatbuffer
                    else:
                        data = stock_convert(path, mode, samples)
                except Exception as e:  # noqa: BLE001
                    rows.append((who, mode, f"FAIL {parity.one_line_error(e, 100)}"))
                    continue
                secs = time.perf_counter() - t0
                got = parity.run_tflite(data, {k: v[:1] for k, v in inputs.items()})
                want = {k: v[:1] for k, v in ref[key].items()}
                errs = [np.abs(np.asarray(got[k], np.float64) - want[k]) / max(np.abs(want[k]).max(), 1e-12)
                        for k in want if k in got]
                files[f"{who}:{mode}"] = data
                rows.append((who, mode, len(data), max(e.max() for e in errs), np.mean([e.mean() for e in errs]), secs))
        lat = parity.measure_latency(files, {k: v[:1] for k, v in inputs.items()}, args.rounds)
        float_size = {w: len(files[f"{w}:float"]) for w in ("tflx", "stock") if f"{w}:float" in files}
        float_ms = {w: lat[f"{w}:float"]["ms"] for w in ("tflx", "stock") if f"{w}:float" in lat}
        print(f"\n=== {name} ===")
        print(f"{'who':6} {'mode':12} {'bytes':>10} {'x float':>8} {'max err':>9} {'mean err':>9} {'ms':>8} {'x float':>8} {'conv s':>7}")
        for row in rows:
            if isinstance(row[2], str):
                print(f"{row[0]:6} {row[1]:12} {row[2]}")
                continue
            who, mode, size, mx, mean, secs = row
            ms = lat[f"{who}:{mode}"]["ms"]
            print(f"{who:6} {mode:12} {size:10,d} {size / float_size[who]:8.2f} {mx:9.2e} {mean:9.2e} "
                  f"{ms:8.3f} {ms / float_ms[who]:8.2f} {secs:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
