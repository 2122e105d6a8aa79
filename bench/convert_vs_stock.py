#!/usr/bin/env python3
"""Conversion time and peak memory: tflx vs the stock TFLite converter on MobileNetV2.

    python bench/convert_vs_stock.py                 # 3 rounds + one memory child per converter
    python bench/convert_vs_stock.py --rounds 5 --saved-model DIR

Part 1 (one process): the MobileNetV2 SavedModel (weights=None, Keras `model.export`) is converted
by `tflx.convert(dir)` and by `tf.lite.TFLiteConverter.from_saved_model(dir).convert()`
alternately, N rounds. TensorFlow, litert-converter and tflx are imported before the first round,
so import cost is not in any round. Printed: every round (wall and process CPU time; CPU time is
less disturbed by other load on the machine), medians, the tflx/stock ratios, tflx's
per-stage medians (`result.timings`) and the time `tflx.importer.load` (SavedModel load + variable
freezing, which `result.timings` does not cover) took inside each `tflx.convert` call.

Part 2 (one fresh subprocess per converter, run one after the other): peak RSS (VmHWM) of a
process that imports what the converter needs and converts once; the peak after the imports alone
is reported too, so the conversion's own share is visible.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED = 1234
DEFAULT_DIR = os.path.join(tempfile.gettempdir(), "tflx-bench-savedmodels", "mobilenet_v2")
CHILD_TAG = "CONVERT_VS_STOCK_CHILD "


# ---------------------------------------------------------------------------------------------

def ensure_saved_model(path: str) -> None:
    """Export Keras MobileNetV2 (random weights) to `path` unless a SavedModel is already there."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return
    import keras
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    keras.utils.set_random_seed(SEED)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3),
                                           classifier_activation=None)
    tmp = tempfile.mkdtemp(prefix=".mobilenet_v2-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        model.export(tmp, verbose=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        del model
        keras.backend.clear_session()
        gc.collect()


def vm_status() -> dict[str, int]:
    """VmHWM / VmRSS in KiB from /proc/self/status (Linux)."""
    out = {}
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def one_line(exc: BaseException) -> str:
    if hasattr(exc, "one_line"):
        return exc.one_line()
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    first = next((ln for ln in lines if "error:" in ln), lines[0] if lines else "")
    return f"{type(exc).__name__}: {first[:300]}"


@contextlib.contextmanager
def timing_wrappers(records: dict[str, list[float]]):
    """Time `tflx.importer.load` (and, inside it, the variable freezing) while tflx.convert runs.

    `tflx.convert` looks both up as module attributes at call time, so wrapping the attributes
    measures them inside the real call without changing what it does."""
    from tflx import importer

    patched = []

    def wrap(name, label):
        orig = getattr(importer, name, None)
        if orig is None:
            return

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            finally:
                records.setdefault(label, []).append(time.perf_counter() - t0)

        setattr(importer, name, timed)
        patched.append((name, orig))

    wrap("load", "load")
    wrap("_freeze", "freeze")  # private; measured only while it exists under that name
    try:
        yield
    finally:
        for name, orig in reversed(patched):
            setattr(importer, name, orig)


def convert_tflx(path: str) -> dict:
    import tflx
    rec: dict[str, list[float]] = {}
    with timing_wrappers(rec):
        t0, c0 = time.perf_counter(), time.process_time()
        result = tflx.convert(path)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"total": total, "cpu": cpu, "size": len(result.flatbuffer), "stages": dict(result.timings),
            "load": sum(rec.get("load", [])), "freeze": sum(rec.get("freeze", [])) if "freeze" in rec else None,
            "ops": sum(result.op_histogram().values())}


def convert_stock(path: str) -> dict:
    import tensorflow as tf
    t0, c0 = time.perf_counter(), time.process_time()
    data = tf.lite.TFLiteConverter.from_saved_model(path).convert()
    return {"total": time.perf_counter() - t0, "cpu": time.process_time() - c0, "size": len(data)}


# ---------------------------------------------------------------------------------------------
# Part 1: alternating rounds in one process

def timing_rounds(path: str, rounds: int) -> dict:
    runs = {"tflx": [], "stock": []}
    errors = {}
    print(f"--- timing: {rounds} round(s), tflx and stock alternately, one process ---")
    for i in range(1, rounds + 1):
        for name, fn in (("tflx", convert_tflx), ("stock", convert_stock)):
            gc.collect()
            try:
                r = fn(path)
            except Exception as e:  # noqa: BLE001 - record and keep going
                errors.setdefault(name, one_line(e))
                print(f"round {i}  {name:<5}  FAILED: {one_line(e)}", flush=True)
                continue
            runs[name].append(r)
            extra = ""
            if name == "tflx":
                stages = "  ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
                extra = f"  [load {r['load']:.2f}"
                extra += f" (freeze {r['freeze']:.2f})" if r["freeze"] is not None else ""
                extra += f" | {stages}]"
            print(f"round {i}  {name:<5}  {r['total']:6.2f} s  (cpu {r['cpu']:5.2f} s)  {r['size']:>10,} B{extra}",
                  flush=True)
            del r
    return {"runs": runs, "errors": errors}


def median(xs):
    return statistics.median(xs) if xs else None


def summarize_timing(t: dict) -> dict:
    tf_runs, st_runs = t["runs"]["tflx"], t["runs"]["stock"]
    s = {"tflx_median": median([r["total"] for r in tf_runs]),
         "stock_median": median([r["total"] for r in st_runs]),
         "tflx_cpu_median": median([r["cpu"] for r in tf_runs]),
         "stock_cpu_median": median([r["cpu"] for r in st_runs]),
         "tflx_all": [r["total"] for r in tf_runs],
         "stock_all": [r["total"] for r in st_runs]}
    s["ratio"] = (s["tflx_median"] / s["stock_median"]) if s["tflx_median"] and s["stock_median"] else None
    s["cpu_ratio"] = ((s["tflx_cpu_median"] / s["stock_cpu_median"])
                      if s["tflx_cpu_median"] and s["stock_cpu_median"] else None)
    if tf_runs:
        stage_names = list(tf_runs[0]["stages"])
        s["tflx_stage_medians"] = {k: median([r["stages"].get(k, 0.0) for r in tf_runs]) for k in stage_names}
        s["tflx_load_median"] = median([r["load"] for r in tf_runs])
        fr = [r["freeze"] for r in tf_runs if r["freeze"] is not None]
        s["tflx_freeze_median"] = median(fr) if fr else None
        rest = [r["total"] - r["load"] - sum(r["stages"].values()) for r in tf_runs]
        s["tflx_other_median"] = median(rest)
    return s


# ---------------------------------------------------------------------------------------------
# Part 2: peak RSS, one subprocess per converter

def child_main(which: str, path: str) -> int:
    """Import what `which` needs, record the peak, convert once, record the peak again."""
    t0 = time.perf_counter()
    if which == "tflx":
        import tflx  # noqa: F401
        from tflx import pipeline, stages  # noqa: F401  (what tflx.convert imports lazily)
        import tensorflow  # noqa: F401
        import litert_converter.converter_api_ext  # noqa: F401
    else:
        import tensorflow  # noqa: F401
    after_import = vm_status()
    t_import = time.perf_counter() - t0
    out = {"which": which, "import_s": t_import, "hwm_after_import_kb": after_import.get("VmHWM")}
    try:
        r = convert_tflx(path) if which == "tflx" else convert_stock(path)
        out.update(ok=True, convert_s=r["total"], size=r["size"])
    except Exception as e:  # noqa: BLE001
        out.update(ok=False, error=one_line(e))
    gc.collect()
    end = vm_status()
    out["hwm_kb"] = end.get("VmHWM")
    out["rss_end_kb"] = end.get("VmRSS")
    out["ru_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    sys.stdout.write("\n" + CHILD_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


def memory_children(path: str) -> dict:
    print("\n--- peak memory: one fresh subprocess per converter (run one after the other) ---")
    results = {}
    for which in ("tflx", "stock"):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", which, "--saved-model", path]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        # RUSAGE_CHILDREN's ru_maxrss is the largest of all waited-for children so far: a cross-check.
        children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rec = None
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith(CHILD_TAG):
                rec = json.loads(line[len(CHILD_TAG):])
                break
        if rec is None:
            tail = " | ".join(ln for ln in proc.stderr.strip().splitlines()[-3:])
            rec = {"which": which, "ok": False, "error": f"child exited {proc.returncode}: {tail[-300:]}"}
        rec["wall_s"] = wall
        rec["rusage_children_max_kb"] = children_max
        results[which] = rec
        if rec.get("hwm_kb"):
            line = (f"{which:<5}  peak RSS {rec['hwm_kb'] / 1024:7.0f} MiB"
                    f"  (after imports {rec['hwm_after_import_kb'] / 1024:.0f} MiB,"
                    f" conversion adds {(rec['hwm_kb'] - rec['hwm_after_import_kb']) / 1024:.0f} MiB)"
                    f"  imports {rec['import_s']:.1f} s")
            line += f", convert {rec['convert_s']:.2f} s" if rec.get("ok") else f", FAILED: {rec.get('error')}"
            line += f", process wall {wall:.1f} s"
            print(line, flush=True)
        else:
            print(f"{which:<5}  FAILED: {rec.get('error')}", flush=True)
    return results


# ---------------------------------------------------------------------------------------------

def print_summary(path: str, s: dict, mem: dict | None, errors: dict) -> None:
    def f(x, unit=" s"):
        return "-" if x is None else f"{x:.2f}{unit}"

    print("\n=== Summary: MobileNetV2 SavedModel (dynamic batch) -> .tflite ===")
    print(f"model: {path}")
    print(f"rounds (tflx): {', '.join(f'{x:.2f}' for x in s['tflx_all']) or '-'}")
    print(f"rounds (stock): {', '.join(f'{x:.2f}' for x in s['stock_all']) or '-'}")
    print(f"{'':<28}{'tflx':>10}{'stock':>10}")
    print(f"{'median conversion time':<28}{f(s['tflx_median']):>10}{f(s['stock_median']):>10}")
    ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}x"
    print(f"{'ratio tflx / stock':<28}{ratio:>10}")
    print(f"{'median CPU time (process)':<28}{f(s['tflx_cpu_median']):>10}{f(s['stock_cpu_median']):>10}")
    cpu_ratio = "-" if s["cpu_ratio"] is None else f"{s['cpu_ratio']:.2f}x"
    print(f"{'CPU ratio tflx / stock':<28}{cpu_ratio:>10}")
    if mem:
        for label, key in (("peak RSS (VmHWM)", "hwm_kb"), ("  of which after imports", "hwm_after_import_kb")):
            vals = [mem.get(w, {}).get(key) for w in ("tflx", "stock")]
            cells = ["-" if v is None else f"{v / 1024:.0f} MiB" for v in vals]
            print(f"{label:<28}{cells[0]:>10}{cells[1]:>10}")
        a, b = mem.get("tflx", {}).get("hwm_kb"), mem.get("stock", {}).get("hwm_kb")
        if a and b:
            print(f"{'peak RSS ratio tflx / stock':<28}{a / b:>9.2f}x")
    if s.get("tflx_stage_medians"):
        print("\ntflx breakdown (medians over rounds):")
        print(f"  {'import: importer.load':<26}{f(s['tflx_load_median']):>9}   (SavedModel load + freeze; not in result.timings)")
        if s.get("tflx_freeze_median") is not None:
            print(f"  {'  of which freezing':<26}{f(s['tflx_freeze_median']):>9}   (convert_variables_to_constants_v2)")
        for k, v in s["tflx_stage_medians"].items():
            print(f"  {'stage ' + k:<26}{f(v):>9}")
        print(f"  {'other (driver overhead)':<26}{f(s['tflx_other_median']):>9}")
    for name, err in errors.items():
        print(f"\n{name} FAILED: {err}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default: %(default)s)")
    p.add_argument("--saved-model", default=DEFAULT_DIR,
                   help="MobileNetV2 SavedModel dir; exported there if missing (default: %(default)s)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-RSS subprocesses")
    p.add_argument("--json", metavar="OUT", help="write the raw numbers as JSON here")
    p.add_argument("--child", choices=("tflx", "stock"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        return child_main(args.child, args.saved_model)
    if args.rounds < 1:
        p.error("--rounds must be >= 1")

    t0 = time.perf_counter()
    import tensorflow  # noqa: F401
    import litert_converter.converter_api_ext  # noqa: F401
    import tflx  # noqa: F401
    from tflx import pipeline, importer  # noqa: F401
    print(f"imports (TF, litert-converter, tflx): {time.perf_counter() - t0:.1f} s (not counted below)")
    ensure_saved_model(args.saved_model)

    t = timing_rounds(args.saved_model, args.rounds)
    s = summarize_timing(t)
    gc.collect()
    mem = None if args.no_memory else memory_children(args.saved_model)
    print_summary(args.saved_model, s, mem, t["errors"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"timing": s, "runs": t["runs"], "memory": mem, "errors": t["errors"]}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
