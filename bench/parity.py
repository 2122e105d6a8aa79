#!/usr/bin/env python3
"""Parity benchmark: tflx vs the stock TFLite converter on a set of Keras models.

For every model: build it (fixed seed, random weights), export it as a SavedModel with
`model.export(dir)` (dynamic batch, as Keras exports), convert it with `tflx.convert(dir)` and
with `tf.lite.TFLiteConverter.from_saved_model(dir).convert()`, then run both .tflite files in
`ai_edge_litert.interpreter.Interpreter` at batch 1 and batch 2 and compare against the
SavedModel's `serving_default` signature called on the same random input.

    python bench/parity.py                       # all models
    python bench/parity.py --models mlp,lstm --json out.json

One row per model: converted by each converter (or its one-line error), whether the op
histograms are equal (and the difference if not), .tflite sizes, max abs / max relative diff
(max|a-b| / max|ref|, worst over outputs and both batch sizes) for each converter.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED = 1234
BATCHES = (1, 2)
REL_TOL = 1e-4  # a converter whose relative diff is above this is flagged in the summary


# ---------------------------------------------------------------------------------------------
# Models (built lazily; every builder gets a fresh seed so a rebuilt model has the same weights)

def _apps(name, **kw):
    def build():
        import keras
        cls = getattr(keras.applications, name)
        return cls(weights=None, input_shape=(224, 224, 3), classifier_activation=None, **kw)
    return build


def _conv_bn_relu():
    import keras
    import numpy as np
    x = inp = keras.Input((32, 32, 3), name="image")
    for filters in (16, 32):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(10)(x)
    model = keras.Model(inp, out, name="conv_bn_relu")
    # Non-trivial BN statistics, so folding them into the convolution is actually exercised.
    rng = np.random.default_rng(SEED)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype("float32"))
            layer.beta.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_mean.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, n).astype("float32"))
    return model


def _mlp():
    import keras
    x = inp = keras.Input((64,), name="features")
    for units in (256, 128):
        x = keras.layers.Dense(units, activation="relu")(x)
    out = keras.layers.Dense(10)(x)
    return keras.Model(inp, out, name="mlp")


def _lstm():
    import keras
    x = inp = keras.Input((20, 16), name="sequence")
    x = keras.layers.LSTM(32, return_sequences=True)(x)
    x = keras.layers.LSTM(32)(x)
    out = keras.layers.Dense(4)(x)
    return keras.Model(inp, out, name="lstm2")


def _transformer():
    import keras
    d_model, heads, ff = 64, 4, 128
    inp = keras.Input((16, d_model), name="tokens")
    att = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=d_model // heads)(inp, inp)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(inp + att)
    h = keras.layers.Dense(ff, activation="relu")(x)
    h = keras.layers.Dense(d_model)(h)
    out = keras.layers.LayerNormalization(epsilon=1e-6)(x + h)
    return keras.Model(inp, out, name="transformer_block")


MODELS = {
    "mobilenet_v2": _apps("MobileNetV2"),
    "mobilenet_v3_small": _apps("MobileNetV3Small"),
    "efficientnet_b0": _apps("EfficientNetB0"),
    "resnet50": _apps("ResNet50"),
    "densenet121": _apps("DenseNet121"),
    "conv_bn_relu": _conv_bn_relu,
    "mlp": _mlp,
    "lstm2": _lstm,
    "transformer": _transformer,
}


# ---------------------------------------------------------------------------------------------
# Helpers

def one_line_error(exc: BaseException, limit: int | None = None) -> str:
    """A single line for any exception: TflxError.one_line(), else the first MLIR 'error:' line."""
    try:
        import tflx
        if isinstance(exc, tflx.TflxError):
            text = exc.one_line()
            return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
    except ImportError:
        pass
    raw = str(exc)
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    picked = next((ln for ln in lines if "error:" in ln), lines[0] if lines else "")
    if "error:" in picked:
        picked = _strip_loc(picked.split("error:", 1)[1].strip())
    n_err = sum(1 for ln in lines if "error:" in ln)
    more = f" (+{n_err - 1} more errors)" if n_err > 1 else ""
    text = f"{type(exc).__name__}: {picked}{more}"
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _strip_loc(text: str) -> str:
    """Drop a leading MLIR `loc(...)`: prefix (balanced parentheses, quoted strings skipped)."""
    if not text.startswith("loc("):
        return text
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return text[i + 1:].lstrip(": ").strip() or text
    return text


def tflite_op_histogram(data: bytes) -> Counter:
    """Builtin op name -> count over all subgraphs, read with the TFLite schema (independent of
    tflx's own reader, so the two can be cross-checked)."""
    try:
        from tensorflow.lite.python import schema_py_generated as schema
    except ImportError:  # pragma: no cover
        from litert_converter import schema_py_generated as schema
    code_to_name = {v: k for k, v in vars(schema.BuiltinOperator).items()
                    if not k.startswith("_") and isinstance(v, int)}
    model = schema.Model.GetRootAs(data, 0)
    hist = Counter()
    for si in range(model.SubgraphsLength()):
        g = model.Subgraphs(si)
        for oi in range(g.OperatorsLength()):
            oc = model.OperatorCodes(g.Operators(oi).OpcodeIndex())
            # Codes < 127 are stored in the deprecated int8 field too; take the larger.
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            name = code_to_name.get(code, f"OP_{code}")
            if name == "CUSTOM":
                name = "CUSTOM:" + (oc.CustomCode() or b"").decode(errors="replace")
            hist[name] += 1
    return hist


def histogram_diff(a: dict, b: dict) -> str:
    """'NAME tflx/stock' for every op whose count differs."""
    names = sorted(set(a) | set(b))
    return ", ".join(f"{n} {a.get(n, 0)}/{b.get(n, 0)}" for n in names if a.get(n, 0) != b.get(n, 0))


def input_arrays(spec: dict, batch: int, model_name: str) -> dict:
    """Same random inputs for TF and both .tflite files (seeded by model name and batch)."""
    import numpy as np
    rng = np.random.default_rng([SEED, zlib.crc32(model_name.encode()), batch])
    out = {}
    for key, (shape, dtype) in sorted(spec.items()):
        shape = [batch if (i == 0 and d is None) else d for i, d in enumerate(shape)]
        if any(d is None for d in shape):
            raise ValueError(f"input '{key}' has an unknown non-batch dimension: {shape}")
        if np.issubdtype(dtype, np.floating):
            out[key] = rng.standard_normal(shape).astype(dtype)
        else:
            out[key] = rng.integers(0, 10, shape).astype(dtype)
    return out


def run_tflite(data: bytes, inputs: dict, sig_key: str = "serving_default") -> dict:
    """Run a .tflite through its signature runner (which resizes inputs for the batch)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=data, num_threads=2)
    sigs = interp.get_signature_list()
    if sig_key in sigs or (len(sigs) == 1):
        key = sig_key if sig_key in sigs else next(iter(sigs))
        runner = interp.get_signature_runner(key)
        names = list(runner.get_input_details())
        if set(names) != set(inputs):
            if len(names) != len(inputs):
                raise ValueError(f"tflite signature inputs {names} vs model inputs {sorted(inputs)}")
            feed = dict(zip(sorted(names), [inputs[k] for k in sorted(inputs)]))
        else:
            feed = inputs
        return {k: np.array(v) for k, v in runner(**feed).items()}
    # No SignatureDef: resize the raw input tensors by position.
    details = interp.get_input_details()
    if len(details) != len(inputs):
        raise ValueError(f"{len(details)} tflite inputs vs {len(inputs)} model inputs")
    arrays = [inputs[k] for k in sorted(inputs)]
    for d, a in zip(details, arrays):
        interp.resize_tensor_input(d["index"], a.shape, strict=False)
    interp.allocate_tensors()
    for d, a in zip(details, arrays):
        interp.set_tensor(d["index"], a)
    interp.invoke()
    return {f"output_{i}": np.array(interp.get_tensor(d["index"]))
            for i, d in enumerate(interp.get_output_details())}


def compare(ref: dict, got: dict) -> tuple[float, float, str | None]:
    """(max abs diff, max|a-b|/max|ref|, note) over all outputs; outputs matched by key, or by
    sorted position when the key sets differ."""
    import numpy as np
    note = None
    if set(ref) == set(got):
        pairs = [(k, ref[k], got[k]) for k in sorted(ref)]
    elif len(ref) == len(got):
        pairs = [(f"{a}~{b}", ref[a], got[b]) for a, b in zip(sorted(ref), sorted(got))]
        note = f"output keys differ ({sorted(ref)} vs {sorted(got)}): matched by position"
    else:
        raise ValueError(f"{len(got)} outputs vs {len(ref)} in TF")
    max_abs, max_rel = 0.0, 0.0
    for key, r, g in pairs:
        if r.shape != g.shape:
            raise ValueError(f"output '{key}' shape {list(g.shape)} vs TF {list(r.shape)}")
        r64, g64 = r.astype(np.float64), g.astype(np.float64)
        if not np.all(np.isfinite(g64) == np.isfinite(r64)):
            return float("inf"), float("inf"), f"output '{key}': non-finite values differ"
        diff = float(np.max(np.abs(r64 - g64))) if r.size else 0.0
        scale = float(np.max(np.abs(r64))) if r.size else 0.0
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf")))
    return max_abs, max_rel, note


# ---------------------------------------------------------------------------------------------
# One model

def export_saved_model(name: str, cache_dir: str, rebuild: bool) -> tuple[str, float]:
    """Build + export the model (once; reused from the cache afterwards). Returns (dir, seconds)."""
    import keras
    path = os.path.join(cache_dir, name)
    if not rebuild and os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path, 0.0
    t0 = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    model = MODELS[name]()
    tmp = tempfile.mkdtemp(prefix=f".{name}-", dir=cache_dir)
    try:
        model.export(tmp, verbose=False)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        del model
        keras.backend.clear_session()
        gc.collect()
    return path, time.perf_counter() - t0


def tf_reference(path: str, name: str) -> tuple[dict, dict]:
    """{batch: inputs} and {batch: outputs} from the SavedModel's serving_default."""
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    _, kwargs = fn.structured_input_signature
    spec = {k: (list(s.shape.as_list()), s.dtype.as_numpy_dtype) for k, s in kwargs.items()}
    inputs, outputs = {}, {}
    for b in BATCHES:
        feed = input_arrays(spec, b, name)
        inputs[b] = feed
        res = fn(**{k: tf.constant(v) for k, v in feed.items()})
        outputs[b] = {k: np.array(v) for k, v in res.items()}
    del fn, loaded
    return inputs, outputs


def convert_tflx(path: str) -> tuple[bytes, float, dict, dict]:
    import tflx
    t0 = time.perf_counter()
    result = tflx.convert(path)
    seconds = time.perf_counter() - t0
    if result.flatbuffer is None:
        raise RuntimeError("tflx.convert returned no flatbuffer")
    return result.flatbuffer, seconds, dict(result.op_histogram()), dict(result.timings)


def convert_stock(path: str) -> tuple[bytes, float]:
    import tensorflow as tf
    t0 = time.perf_counter()
    data = tf.lite.TFLiteConverter.from_saved_model(path).convert()
    return data, time.perf_counter() - t0


def evaluate(data: bytes, inputs: dict, ref: dict) -> dict:
    out = {"abs": None, "rel": None, "per_batch": {}, "run_error": None, "notes": []}
    worst_abs, worst_rel = 0.0, 0.0
    for b in BATCHES:
        try:
            got = run_tflite(data, inputs[b])
            a, r, note = compare(ref[b], got)
            out["per_batch"][b] = {"abs": a, "rel": r}
            if note and note not in out["notes"]:
                out["notes"].append(note)
            worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
        except Exception as e:  # noqa: BLE001 - a failing run is a result, not a crash
            out["per_batch"][b] = {"error": one_line_error(e)}
            out["run_error"] = out["run_error"] or f"batch {b}: {one_line_error(e)}"
    if any("abs" in v for v in out["per_batch"].values()):
        out["abs"], out["rel"] = worst_abs, worst_rel
    return out


def bench_model(name: str, cache_dir: str, rebuild: bool, keep_dir: str | None) -> dict:
    row = {"model": name}
    try:
        path, export_s = export_saved_model(name, cache_dir, rebuild)
        row["saved_model"], row["export_s"] = path, round(export_s, 2)
    except Exception as e:  # noqa: BLE001
        row["export_error"] = one_line_error(e)
        row["export_traceback"] = traceback.format_exc(limit=4)
        return row
    try:
        inputs, ref = tf_reference(path, name)
    except Exception as e:  # noqa: BLE001
        row["tf_error"] = one_line_error(e)
        return row
    gc.collect()

    # tflx
    t = row["tflx"] = {"ok": False}
    try:
        data, secs, hist_api, timings = convert_tflx(path)
        hist = dict(tflite_op_histogram(data))
        t.update(ok=True, size=len(data), seconds=round(secs, 3), histogram=hist,
                 stage_seconds={k: round(v, 3) for k, v in timings.items()})
        if hist_api != hist:
            t["histogram_api_mismatch"] = histogram_diff(hist_api, hist)
        t.update(evaluate(data, inputs, ref))
        if keep_dir:
            with open(os.path.join(keep_dir, f"{name}.tflx.tflite"), "wb") as f:
                f.write(data)
        del data
    except Exception as e:  # noqa: BLE001
        import tflx
        t["error"] = one_line_error(e)
        if not isinstance(e, tflx.TflxError):
            t["error_is_not_TflxError"] = True
            t["traceback"] = traceback.format_exc(limit=6)
    gc.collect()

    # stock
    s = row["stock"] = {"ok": False}
    try:
        data, secs = convert_stock(path)
        s.update(ok=True, size=len(data), seconds=round(secs, 3), histogram=dict(tflite_op_histogram(data)))
        s.update(evaluate(data, inputs, ref))
        if keep_dir:
            with open(os.path.join(keep_dir, f"{name}.stock.tflite"), "wb") as f:
                f.write(data)
        del data
    except Exception as e:  # noqa: BLE001
        s["error"] = one_line_error(e)

    if t["ok"] and s["ok"]:
        row["hist_equal"] = t["histogram"] == s["histogram"]
        if not row["hist_equal"]:
            row["hist_diff"] = histogram_diff(t["histogram"], s["histogram"])
    del inputs, ref
    return row


# ---------------------------------------------------------------------------------------------
# Output

def _fmt_num(x):
    if x is None:
        return "-"
    if x == float("inf"):
        return "inf"
    return f"{x:.1e}" if x else "0"


def _status(c: dict) -> str:
    if not c:
        return "-"
    if not c.get("ok"):
        return "FAIL"
    if c.get("run_error"):
        return "RUNFAIL" if c.get("abs") is None else "partial"
    return "yes"


def print_table(rows: list[dict]) -> None:
    head = ["model", "tflx", "stock", "hist==", "tflx KB", "stock KB", "tflx s", "stock s",
            "tflx abs", "tflx rel", "stock abs", "stock rel"]
    table = []
    for r in rows:
        t, s = r.get("tflx", {}), r.get("stock", {})
        if "export_error" in r or "tf_error" in r:
            table.append([r["model"], "n/a", "n/a", "-", "-", "-", "-", "-", "-", "-", "-", "-"])
            continue
        heq = {True: "yes", False: "NO"}.get(r.get("hist_equal"), "-")
        table.append([
            r["model"], _status(t), _status(s), heq,
            f"{t['size'] / 1024:.0f}" if t.get("ok") else "-",
            f"{s['size'] / 1024:.0f}" if s.get("ok") else "-",
            f"{t['seconds']:.1f}" if t.get("ok") else "-",
            f"{s['seconds']:.1f}" if s.get("ok") else "-",
            _fmt_num(t.get("abs")), _fmt_num(t.get("rel")),
            _fmt_num(s.get("abs")), _fmt_num(s.get("rel")),
        ])
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))
    print(line)
    print("-" * len(line))
    for row in table:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print("\n(abs = max|tflite - TF|, rel = abs / max|TF|; worst over outputs and batch sizes "
          f"{', '.join(map(str, BATCHES))}; sizes in KiB; s = conversion wall time)")

    notes = []
    for r in rows:
        m = r["model"]
        for k in ("export_error", "tf_error"):
            if k in r:
                notes.append(f"{m}: {k.replace('_', ' ')}: {r[k]}")
        for conv in ("tflx", "stock"):
            c = r.get(conv, {})
            if c.get("error"):
                extra = " [not a TflxError]" if c.get("error_is_not_TflxError") else ""
                notes.append(f"{m}: {conv} failed{extra}: {c['error']}")
            if c.get("run_error"):
                notes.append(f"{m}: {conv} .tflite failed to run: {c['run_error']}")
            for n in c.get("notes", []):
                notes.append(f"{m}: {conv}: {n}")
            if c.get("histogram_api_mismatch"):
                notes.append(f"{m}: tflx result.op_histogram() disagrees with the .tflite: "
                             f"{c['histogram_api_mismatch']}")
            if c.get("rel") is not None and c["rel"] > REL_TOL:
                pb = ", ".join(f"b{b}: abs {_fmt_num(v.get('abs'))} rel {_fmt_num(v.get('rel'))}"
                               for b, v in c["per_batch"].items())
                notes.append(f"{m}: {conv} rel diff above {REL_TOL:g} ({pb})")
        if r.get("hist_equal") is False:
            notes.append(f"{m}: op histogram differs (tflx/stock): {r['hist_diff']}")
    if notes:
        print("\nDetails:")
        for n in notes:
            print("  - " + n)


def _progress(row: dict) -> str:
    t, s = row.get("tflx", {}), row.get("stock", {})
    bits = [f"[{row['model']}]"]
    if "export_error" in row:
        return f"[{row['model']}] export failed: {row['export_error']}"
    bits.append(f"tflx={_status(t)}" + (f" ({t['error']})" if t.get("error") else ""))
    bits.append(f"stock={_status(s)}" + (f" ({one_line_error_short(s['error'])})" if s.get("error") else ""))
    if "hist_equal" in row:
        bits.append(f"hist=={row['hist_equal']}")
    return " ".join(bits)


def one_line_error_short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------

def _child(name: str, args) -> int:
    """--isolate: run one model in this process and print its row as JSON on the last line."""
    row = bench_model(name, args.cache_dir, args.rebuild, args.keep_tflite)
    sys.stdout.write("\n" + "PARITY_ROW " + json.dumps(row, default=str) + "\n")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", help=f"comma-separated subset of: {','.join(MODELS)}")
    p.add_argument("--json", metavar="OUT", help="write all results as JSON here")
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "tflx-bench-savedmodels"),
                   help="where exported SavedModels are kept between runs (default: %(default)s)")
    p.add_argument("--rebuild", action="store_true", help="re-export SavedModels even if cached")
    p.add_argument("--keep-tflite", metavar="DIR", help="also write every .tflite here")
    p.add_argument("--isolate", action="store_true",
                   help="run each model in its own subprocess (survives native crashes, frees all memory)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    os.makedirs(args.cache_dir, exist_ok=True)
    if args.keep_tflite:
        os.makedirs(args.keep_tflite, exist_ok=True)
    if args.child:
        return _child(args.child, args)

    names = [n.strip() for n in args.models.split(",")] if args.models else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")

    rows = []
    t_all = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        if args.isolate:
            row = _run_isolated(name, args)
        else:
            try:
                row = bench_model(name, args.cache_dir, args.rebuild, args.keep_tflite)
            except Exception as e:  # noqa: BLE001 - belt and braces: never stop the sweep
                row = {"model": name, "tf_error": f"benchmark crashed: {one_line_error(e)}"}
            try:
                import keras
                keras.backend.clear_session()
            except Exception:  # noqa: BLE001
                pass
            gc.collect()
        row["bench_s"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
        print(_progress(row) + f"  ({row['bench_s']:.0f} s)", flush=True)

    print(f"\n=== tflx vs stock TFLite converter: parity ({len(rows)} models, "
          f"{time.perf_counter() - t_all:.0f} s) ===\n")
    print_table(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"seed": SEED, "batches": BATCHES, "rows": rows}, f, indent=2, default=str)
        print(f"\nwrote {args.json}")
    return 0


def _run_isolated(name: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--cache-dir", args.cache_dir]
    if args.rebuild:
        cmd.append("--rebuild")
    if args.keep_tflite:
        cmd += ["--keep-tflite", args.keep_tflite]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("PARITY_ROW "):
            row = json.loads(line[len("PARITY_ROW "):])
            # JSON turned the integer batch keys into strings; that is fine for printing.
            return row
    return {"model": name, "tf_error": f"child process died (exit code {proc.returncode})"}


if __name__ == "__main__":
    sys.exit(main())
