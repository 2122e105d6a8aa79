#!/usr/bin/env python3
"""Parity benchmark: tflx vs the stock TFLite converter on a set of Keras models.

For every model: build it (fixed seed, random weights), export it as a SavedModel with
`model.export(dir)` (dynamic batch, and whatever other dims Keras leaves dynamic), convert it with
`tflx.convert(dir)` and with `tf.lite.TFLiteConverter.from_saved_model(dir).convert()`, then:

- correctness: run both .tflite files in `ai_edge_litert.interpreter.Interpreter` at batch 1 and
  batch 2 and compare against the SavedModel's `serving_default` signature called on the same
  random input. A model with dynamic non-batch dims (a sequence length) declares the lengths to
  use in MODEL_DYNAMIC; it is compared at every batch x length (b1/L16, b2/L16, b1/L24, ...).
  Integer inputs get random ids below MODEL_INT_HIGH[model] (default 10).
- operators: total operators over all subgraphs, read from each flatbuffer (not from the
  interpreter's node list, which XNNPACK rewrites).
- latency (only when both converters produced a .tflite that ran): batch 1 (and the first
  declared length), one interpreter per file with num_threads=1, inputs set once, warm-up, one
  calibration that picks N invokes per round (~0.1 s a round), then --rounds rounds
  INTERLEAVED (tflx, stock, tflx, stock, ...); the per-invoke median over the rounds is reported
  for each file, plus the ratio tflx/stock.

    python bench/parity.py                       # all models
    python bench/parity.py --models mlp,mha_block,causal_lm --isolate
    python bench/parity.py --route direct --rounds 7 --json out.json
    python bench/parity.py --no-latency --keep-tflite /tmp/tfl

--route {auto,direct,stablehlo} is passed on as tflx.convert(dir, route=VALUE); without it,
tflx.convert(dir) is called with its defaults. --isolate runs each model in a subprocess.

One table row per model: converted by each converter (or FAIL / RUNFAIL / partial), operator
counts tflx/stock, latency ms tflx, stock and the ratio, max relative diff vs TF for each
(max|a-b| / max|ref|, worst over outputs and all batch/length cases), conversion seconds. Then
details (errors, op-histogram differences, diffs above tolerance), one verdict per model against
the acceptance criteria, and "ACCEPTANCE: n/m models pass":
- stock converted (and its .tflite ran at batch 1): tflx ops <= stock ops, latency ratio
  <= MAX_LATENCY_RATIO, tflx rel <= REL_TOL (and tflx's .tflite ran in every case);
- stock cannot (conversion failed, or its .tflite does not run): tflx must convert, contain only
  builtin operators (no CUSTOM, hence no Flex, ops) and match TF (rel <= REL_TOL in every case).
With --no-latency the latency criterion is not checked (said so in each verdict).
JSON rows (--json) carry everything, incl. per-case diffs, histograms, ops, latency_ms, ratio,
per-round latencies and the verdict.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import statistics
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
MAX_LATENCY_RATIO = 1.05  # acceptance: tflx latency / stock latency
ROUND_TARGET_S = 0.1  # calibration aims a timing round at this many seconds (N invokes)
ROUTES = ("auto", "direct", "stablehlo")
NOISY_SPREAD = 0.10  # rounds of one file varying more than this around their median: flagged


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


def _rnn(kind: str, batch_size=None):
    """Keras 3 recurrent models (20 steps of 16 features): a dynamic batch as Keras exports it,
    or batch_size=1 fixed (the stock converter needs a static TensorList element shape)."""
    def build():
        import keras
        L = keras.layers
        x = inp = keras.Input((20, 16), batch_size=batch_size, name="sequence")
        if kind == "lstm2":
            x = L.LSTM(32)(L.LSTM(32, return_sequences=True)(x))
        elif kind == "gru":
            x = L.GRU(32)(x)
        elif kind == "bilstm":
            x = L.GlobalAveragePooling1D()(L.Bidirectional(L.LSTM(32, return_sequences=True))(x))
        elif kind == "simple_rnn":
            x = L.SimpleRNN(32)(L.SimpleRNN(32, return_sequences=True)(x))
        return keras.Model(inp, L.Dense(4)(x), name=kind + ("_b1" if batch_size else ""))
    return build


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


_LAYERS: dict = {}


def _layer_classes() -> dict:
    """The two custom layers the sequence models use (defined once keras is imported)."""
    if _LAYERS:
        return _LAYERS
    import keras

    class LearnedPositions(keras.layers.Layer):
        """x + a learned (length, dim) table; for a static length (ViT patches)."""

        def build(self, input_shape):
            self.table = self.add_weight(shape=tuple(input_shape[1:]), name="table",
                                         initializer=keras.initializers.RandomNormal(stddev=0.02))

        def call(self, x):
            return x + self.table

    class TokenAndPositionEmbedding(keras.layers.Layer):
        """Token embedding + an Embedding over arange(seq_len), seq_len read from the input at
        run time (the usual Keras text-model recipe; keeps the sequence dim dynamic)."""

        def __init__(self, vocab, max_len, dim, **kw):
            super().__init__(**kw)
            self.tokens = keras.layers.Embedding(vocab, dim)
            self.positions = keras.layers.Embedding(max_len, dim)

        def call(self, ids):
            seq_len = keras.ops.shape(ids)[-1]
            return self.tokens(ids) + self.positions(keras.ops.arange(0, seq_len))

    _LAYERS.update(LearnedPositions=LearnedPositions,
                   TokenAndPositionEmbedding=TokenAndPositionEmbedding)
    return _LAYERS


def _encoder_block(x, d_model=64, heads=4, ff=128, activation="relu", causal=False):
    """Post-norm transformer encoder block: MHA + residual + LayerNorm, FFN + residual + LN."""
    import keras
    att = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=d_model // heads)(
        x, x, use_causal_mask=causal)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x + att)
    h = keras.layers.Dense(ff, activation=activation)(x)
    h = keras.layers.Dense(d_model)(h)
    return keras.layers.LayerNormalization(epsilon=1e-6)(x + h)


def _mha_block():
    import keras
    inp = keras.Input((None, 64), name="tokens")
    return keras.Model(inp, _encoder_block(inp), name="mha_block")


def _vit_like():
    import keras
    x = inp = keras.Input((32, 32, 3), name="image")
    x = keras.layers.Conv2D(64, 4, strides=4)(x)  # 8x8 patches of 4x4 -> (8, 8, 64)
    x = keras.layers.Reshape((64, 64))(x)
    x = _layer_classes()["LearnedPositions"]()(x)
    for _ in range(2):
        x = _encoder_block(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(10)(x)
    return keras.Model(inp, out, name="vit_like")


LM_VOCAB, LM_MAX_LEN = 1000, 128


def _token_model(causal, activation):
    import keras
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    x = _layer_classes()["TokenAndPositionEmbedding"](LM_VOCAB, LM_MAX_LEN, 64, name="embed")(ids)
    for _ in range(2):
        x = _encoder_block(x, activation=activation, causal=causal)
    return ids, x


def _causal_lm():
    import keras
    ids, x = _token_model(causal=True, activation="relu")
    return keras.Model(ids, keras.layers.Dense(LM_VOCAB)(x), name="causal_lm")


def _bert_like():
    import keras
    ids, x = _token_model(causal=False, activation="gelu")
    return keras.Model(ids, keras.layers.Dense(2)(x[:, 0, :]), name="bert_like")


def _unet_decoder():
    import keras
    x = inp = keras.Input((64, 64, 3), name="image")
    d1 = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)    # 32x32
    d2 = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(d1)   # 16x16
    u1 = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(d2)
    u1 = keras.layers.Concatenate()([u1, d1])                                            # skip
    u2 = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(u1)
    out = keras.layers.Conv2D(1, 1)(u2)                                                  # 64x64x1
    return keras.Model(inp, out, name="unet_decoder")


MODELS = {
    "mobilenet_v2": _apps("MobileNetV2"),
    "mobilenet_v3_small": _apps("MobileNetV3Small"),
    "efficientnet_b0": _apps("EfficientNetB0"),
    "resnet50": _apps("ResNet50"),
    "densenet121": _apps("DenseNet121"),
    "conv_bn_relu": _conv_bn_relu,
    "mlp": _mlp,
    "lstm2": _rnn("lstm2"),
    "gru": _rnn("gru"),
    "bilstm": _rnn("bilstm"),
    "simple_rnn": _rnn("simple_rnn"),
    "lstm2_b1": _rnn("lstm2", batch_size=1),
    "gru_b1": _rnn("gru", batch_size=1),
    "bilstm_b1": _rnn("bilstm", batch_size=1),
    "simple_rnn_b1": _rnn("simple_rnn", batch_size=1),
    "transformer": _transformer,
    "mha_block": _mha_block,
    "vit_like": _vit_like,
    "causal_lm": _causal_lm,
    "bert_like": _bert_like,
    "unet_decoder": _unet_decoder,
}

# Lengths used for every dynamic non-batch dim of a model's inputs: correctness runs each of
# them (at every batch size), latency uses the first.
MODEL_DYNAMIC = {
    "mha_block": (16, 24),
    "causal_lm": (16, 24),
    "bert_like": (16, 24),
}

# Integer inputs are random ids in [0, MODEL_INT_HIGH[model]) (default 10).
MODEL_INT_HIGH = {"causal_lm": LM_VOCAB, "bert_like": LM_VOCAB}


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


def cases(model_name: str) -> list[tuple[int, int | None]]:
    """(batch, length) pairs checked for correctness; the first is the latency case (batch 1)."""
    lengths = MODEL_DYNAMIC.get(model_name) or (None,)
    batches = (1,) if model_name in FROM_KERAS else BATCHES  # fixed batch 1: nothing else runs
    return [(b, n) for n in lengths for b in batches]


def case_key(batch: int, length: int | None) -> str:
    return f"b{batch}" if length is None else f"b{batch}/L{length}"


def input_arrays(spec: dict, batch: int, model_name: str, length: int | None = None) -> dict:
    """Same random inputs for TF and both .tflite files (seeded by model name, batch, length).
    A None dim becomes `batch` in position 0 and `length` anywhere else."""
    import numpy as np
    seed = [SEED, zlib.crc32(model_name.encode()), batch] + ([length] if length is not None else [])
    rng = np.random.default_rng(seed)
    high = MODEL_INT_HIGH.get(model_name, 10)
    out = {}
    for key, (shape, dtype) in sorted(spec.items()):
        dims = []
        for i, d in enumerate(shape):
            if d is None and i == 0:
                d = batch
            elif d is None:
                if length is None:
                    raise ValueError(f"input '{key}' has an unknown non-batch dimension: {shape} "
                                     f"(declare the lengths to use in MODEL_DYNAMIC['{model_name}'])")
                d = length
            dims.append(d)
        if np.issubdtype(dtype, np.floating):
            out[key] = rng.standard_normal(dims).astype(dtype)
        elif dtype == np.bool_:
            out[key] = rng.integers(0, 2, dims).astype(dtype)
        else:
            out[key] = rng.integers(0, high, dims).astype(dtype)
    return out


def prepare_tflite(data: bytes, inputs: dict, num_threads: int, sig_key: str = "serving_default"):
    """An interpreter with `inputs` resized, allocated, set and run once. Returns (interpreter,
    invoke, outputs): invoke() runs the model again on the same inputs (no resize, no copies),
    outputs are the first run's results. Goes through the signature runner (which resizes the
    inputs) when there is one, else resizes the raw input tensors by position."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=data, num_threads=num_threads)
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
        outputs = {k: np.array(v) for k, v in runner(**feed).items()}
        # The runner has resized, allocated and set the inputs; invoking its subgraph again reruns
        # exactly that. Through the runner's native wrapper (what runner(...) itself calls): the
        # public interp.invoke() reaches subgraph 0 only and adds a Python safety check per call,
        # which is a visible share of a few-microsecond model.
        wrapper = getattr(runner, "_interpreter_wrapper", None)
        subgraph = getattr(runner, "_subgraph_index", None)
        if wrapper is not None and subgraph is not None:
            def invoke():
                wrapper.Invoke(subgraph)
        elif subgraph in (None, 0):
            del runner  # interp.invoke() refuses to run while anything else holds its wrapper
            invoke = interp.invoke
        else:
            raise RuntimeError(f"cannot invoke signature subgraph {subgraph} of this interpreter")
        return interp, invoke, outputs
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
    outputs = {f"output_{i}": np.array(interp.get_tensor(d["index"]))
               for i, d in enumerate(interp.get_output_details())}
    return interp, interp.invoke, outputs


def run_tflite(data: bytes, inputs: dict) -> dict:
    """Outputs of one run of a .tflite on `inputs` (2 threads; only correctness matters here)."""
    _, _, outputs = prepare_tflite(data, inputs, num_threads=2)
    return outputs


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
# Latency

def measure_latency(files: dict[str, bytes], inputs: dict, rounds: int) -> dict:
    """Per-invoke latency of each .tflite in `files` (label -> bytes) on the same inputs, one
    thread each. All interpreters are built and warmed up first; each is calibrated once to N
    invokes per round (~ROUND_TARGET_S); then `rounds` rounds run interleaved (A, B, A, B, ...)
    so drifting machine load hits every file alike. Per label: median ms per invoke over the
    rounds, N, and every round's ms per invoke."""
    prepared = {}
    for label, data in files.items():
        interp, invoke, _ = prepare_tflite(data, inputs, num_threads=1)
        prepared[label] = (interp, invoke)
    per_round = {}
    for label, (_, invoke) in prepared.items():
        for _ in range(3):  # warm-up (the first run in prepare_tflite was one more)
            invoke()
        n, t0 = 0, time.perf_counter()
        while True:  # calibration: at least 3 invokes and 50 ms
            invoke()
            n += 1
            elapsed = time.perf_counter() - t0
            if n >= 3 and elapsed >= 0.05:
                break
        per_round[label] = max(1, min(100_000, math.ceil(ROUND_TARGET_S / (elapsed / n))))
    samples = {label: [] for label in prepared}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for label, (_, invoke) in prepared.items():
                n = per_round[label]
                t0 = time.perf_counter()
                for _ in range(n):
                    invoke()
                samples[label].append((time.perf_counter() - t0) / n * 1e3)
    finally:
        if gc_was_enabled:
            gc.enable()
    del prepared
    out = {}
    for label, ms in samples.items():
        med = statistics.median(ms)
        out[label] = {"ms": med, "invokes_per_round": per_round[label],
                      "rounds_ms": [float(f"{x:.4g}") for x in ms],
                      "spread": round(max(abs(x - med) for x in ms) / med, 4) if med > 0 else 0.0}
    return out


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
    """{case: inputs} and {case: outputs} from the SavedModel's serving_default, for every
    (batch, length) case of the model (keys as case_key gives them)."""
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]
    _, kwargs = fn.structured_input_signature
    spec = {k: (list(s.shape.as_list()), s.dtype.as_numpy_dtype) for k, s in kwargs.items()}
    inputs, outputs = {}, {}
    for b, n in cases(name):
        key = case_key(b, n)
        feed = input_arrays(spec, b, name, n)
        inputs[key] = feed
        res = fn(**{k: tf.constant(v) for k, v in feed.items()})
        outputs[key] = {k: np.array(v) for k, v in res.items()}
    del fn, loaded
    return inputs, outputs


def _keras_model(name: str):
    import keras
    keras.utils.set_random_seed(SEED)
    return MODELS[name]()


def convert_tflx(path: str, route: str | None = None, name: str | None = None,
                 disable_passes=()) -> tuple[bytes, float, dict, dict]:
    import tflx
    kwargs = {} if route is None else {"route": route}
    if disable_passes:
        kwargs["disable_passes"] = tuple(disable_passes)
    source = _keras_model(name) if name in FROM_KERAS else path
    t0 = time.perf_counter()
    result = tflx.convert(source, **kwargs)
    seconds = time.perf_counter() - t0
    if result.flatbuffer is None:
        raise RuntimeError("tflx.convert returned no flatbuffer")
    return result.flatbuffer, seconds, dict(result.op_histogram()), dict(result.timings)


# Fixed-batch RNNs: `model.export` writes a None batch anyway, and stock's SavedModel path fails
# on the RNN (TensorListReserve's element shape is not static); from_keras_model keeps batch 1
# and converts. Both converters take the Keras model for these (rebuilt with the same seed: the
# same weights, which the comparison with the exported SavedModel checks).
FROM_KERAS = {"lstm2_b1", "gru_b1", "bilstm_b1", "simple_rnn_b1"}


def convert_stock(path: str, name: str | None = None) -> tuple[bytes, float]:
    import tensorflow as tf
    if name in FROM_KERAS:
        model = _keras_model(name)
        t0 = time.perf_counter()
        data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
        return data, time.perf_counter() - t0
    t0 = time.perf_counter()
    data = tf.lite.TFLiteConverter.from_saved_model(path).convert()
    return data, time.perf_counter() - t0


def evaluate(data: bytes, inputs: dict, ref: dict) -> dict:
    """Run `data` on every case; worst abs/rel over the cases that ran (None if none ran)."""
    out = {"abs": None, "rel": None, "per_case": {}, "run_error": None, "notes": []}
    worst_abs, worst_rel = 0.0, 0.0
    for key in inputs:
        try:
            got = run_tflite(data, inputs[key])
            a, r, note = compare(ref[key], got)
            out["per_case"][key] = {"abs": a, "rel": r}
            if note and note not in out["notes"]:
                out["notes"].append(note)
            worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
        except Exception as e:  # noqa: BLE001 - a failing run is a result, not a crash
            out["per_case"][key] = {"error": one_line_error(e)}
            out["run_error"] = out["run_error"] or f"{key}: {one_line_error(e)}"
    if any("abs" in v for v in out["per_case"].values()):
        out["abs"], out["rel"] = worst_abs, worst_rel
    return out


def _ran(c: dict, key: str) -> bool:
    return bool(c.get("ok")) and "abs" in c.get("per_case", {}).get(key, {})


def bench_model(name: str, cache_dir: str, rebuild: bool, keep_dir: str | None,
                route: str | None = None, latency: bool = True, rounds: int = 5, disable_passes=()) -> dict:
    row = {"model": name, "route": route or "default"}
    if disable_passes:
        row["disabled_passes"] = list(disable_passes)
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
    files = {}  # label -> .tflite bytes, kept for the latency step
    data = None

    # tflx
    t = row["tflx"] = {"ok": False}
    try:
        data, secs, hist_api, timings = convert_tflx(path, route, name, disable_passes)
        hist = dict(tflite_op_histogram(data))
        t.update(ok=True, size=len(data), seconds=round(secs, 3), ops=sum(hist.values()),
                 histogram=hist, stage_seconds={k: round(v, 3) for k, v in timings.items()})
        if hist_api != hist:
            t["histogram_api_mismatch"] = histogram_diff(hist_api, hist)
        t.update(evaluate(data, inputs, ref))
        if keep_dir:
            with open(os.path.join(keep_dir, f"{name}.tflx.tflite"), "wb") as f:
                f.write(data)
        files["tflx"] = data
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
        data, secs = convert_stock(path, name)
        hist = dict(tflite_op_histogram(data))
        s.update(ok=True, size=len(data), seconds=round(secs, 3), ops=sum(hist.values()),
                 histogram=hist)
        s.update(evaluate(data, inputs, ref))
        if keep_dir:
            with open(os.path.join(keep_dir, f"{name}.stock.tflite"), "wb") as f:
                f.write(data)
        files["stock"] = data
    except Exception as e:  # noqa: BLE001
        s["error"] = one_line_error(e)
    data = None

    if t["ok"] and s["ok"]:
        row["hist_equal"] = t["histogram"] == s["histogram"]
        if not row["hist_equal"]:
            row["hist_diff"] = histogram_diff(t["histogram"], s["histogram"])
        row["ops"] = {"tflx": t["ops"], "stock": s["ops"]}

    # latency: batch 1 (first declared length), only where both converted and ran that case
    lat_key = case_key(*cases(name)[0])
    if not latency:
        row["latency_skipped"] = "--no-latency"
    elif not (_ran(t, lat_key) and _ran(s, lat_key)):
        who = [c for c, d in (("tflx", t), ("stock", s)) if not _ran(d, lat_key)]
        row["latency_skipped"] = f"{' and '.join(who)} did not convert or run at {lat_key}"
    else:
        gc.collect()
        try:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            lat = measure_latency(files, inputs[lat_key], rounds)
            row["latency_ms"] = {k: round(v["ms"], 4) for k, v in lat.items()}
            row["ratio"] = round(lat["tflx"]["ms"] / lat["stock"]["ms"], 4)
            spread = max(v["spread"] for v in lat.values())
            row["latency"] = {"case": lat_key, "rounds": rounds, "threads": 1,
                              "load_avg_1m": load, "cpus": os.cpu_count(), "spread": spread,
                              "noisy": spread > NOISY_SPREAD,
                              **{k: {key: v[key] for key in ("invokes_per_round", "rounds_ms", "spread")}
                                 for k, v in lat.items()}}
        except Exception as e:  # noqa: BLE001
            row["latency_error"] = one_line_error(e)
    del files, inputs, ref
    return row


# ---------------------------------------------------------------------------------------------
# Verdict (acceptance) and output

def verdict(row: dict) -> tuple[bool, str]:
    """(passes, reasons) of one row against the acceptance criteria (module docstring)."""
    t, s = row.get("tflx", {}), row.get("stock", {})
    for k in ("export_error", "tf_error"):
        if k in row:
            return False, f"no TF reference ({k.replace('_', ' ')})"
    lat_key = case_key(*cases(row["model"])[0])
    stock_baseline = _ran(s, lat_key)
    checks = []  # (ok, text)
    if not t.get("ok"):
        checks.append((False, "tflx did not convert"))
    else:
        if stock_baseline:
            ok = t["ops"] <= s["ops"]
            checks.append((ok, f"ops {t['ops']} {'<=' if ok else '>'} {s['ops']}"))
            if row.get("ratio") is not None:
                ok = row["ratio"] <= MAX_LATENCY_RATIO
                noisy = " (noisy timing)" if row.get("latency", {}).get("noisy") else ""
                checks.append((ok, f"latency x{row['ratio']:.2f} {'<=' if ok else '>'} "
                               f"{MAX_LATENCY_RATIO:g}{noisy}"))
            elif row.get("latency_skipped") == "--no-latency":
                checks.append((True, "latency not checked (--no-latency)"))
            else:
                why = row.get("latency_error") or row.get("latency_skipped") or "not measured"
                checks.append((False, f"latency not measured ({why})"))
        else:
            custom = sorted(n for n in t.get("histogram", {}) if n.startswith("CUSTOM"))
            checks.append((not custom, "builtin-only" if not custom
                           else f"not builtin-only: {', '.join(custom)}"))
        if t.get("run_error"):
            checks.append((False, f"tflx .tflite failed to run ({t['run_error'].split(':')[0]})"))
        if t.get("rel") is not None:
            ok = t["rel"] <= REL_TOL
            checks.append((ok, f"rel {_fmt_num(t['rel'])} {'<=' if ok else '>'} {REL_TOL:.0e}"))
    passed = all(ok for ok, _ in checks)
    basis = "" if stock_baseline else ("[stock cannot convert] " if not s.get("ok")
                                       else "[stock .tflite does not run] ")
    return passed, basis + ", ".join(text for _, text in checks)


def _fmt_num(x):
    if x is None:
        return "-"
    if x == float("inf"):
        return "inf"
    return f"{x:.1e}" if x else "0"


def _fmt_ms(x) -> str:
    """4 significant digits, no exponent (0.01493, 1.234, 12.35, 123.5)."""
    if x is None:
        return "-"
    return f"{x:.{max(0, 3 - math.floor(math.log10(x)))}f}" if x > 0 else "0"


def _status(c: dict) -> str:
    if not c:
        return "-"
    if not c.get("ok"):
        return "FAIL"
    if c.get("run_error"):
        return "RUNFAIL" if c.get("abs") is None else "partial"
    return "yes"


def _pair(a, b, fmt="{}") -> str:
    return f"{'-' if a is None else fmt.format(a)}/{'-' if b is None else fmt.format(b)}"


def print_table(rows: list[dict]) -> None:
    head = ["model", "tflx", "stock", "ops tflx/stock", "ms tflx", "ms stock", "ratio",
            "tflx rel", "stock rel", "conv s tflx/stock"]
    table = []
    for r in rows:
        t, s = r.get("tflx", {}), r.get("stock", {})
        if "export_error" in r or "tf_error" in r:
            table.append([r["model"], "n/a", "n/a"] + ["-"] * (len(head) - 3))
            continue
        lat = r.get("latency_ms", {})
        table.append([
            r["model"], _status(t), _status(s),
            _pair(t.get("ops"), s.get("ops")),
            _fmt_ms(lat.get("tflx")), _fmt_ms(lat.get("stock")),
            (f"{r['ratio']:.2f}" + ("*" if r.get("latency", {}).get("noisy") else ""))
            if r.get("ratio") is not None else "-",
            _fmt_num(t.get("rel")), _fmt_num(s.get("rel")),
            _pair(t.get("seconds"), s.get("seconds"), "{:.1f}"),
        ])
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))
    print(line)
    print("-" * len(line))
    for row in table:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print("\n(ops = operators over all subgraphs of the .tflite; ms = median ms per invoke, batch 1, "
          "1 thread, rounds interleaved; ratio = tflx/stock; rel = max|tflite - TF| / max|TF|, worst "
          f"over outputs, batch sizes {', '.join(map(str, BATCHES))} and declared lengths; "
          f"conv s = conversion wall time; * = noisy timing: some round more than {NOISY_SPREAD:.0%} "
          "off its median, see Details)")

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
                pc = ", ".join(f"{k}: abs {_fmt_num(v.get('abs'))} rel {_fmt_num(v.get('rel'))}"
                               for k, v in c["per_case"].items())
                notes.append(f"{m}: {conv} rel diff above {REL_TOL:g} ({pc})")
        if r.get("hist_equal") is False:
            notes.append(f"{m}: op histogram differs (tflx/stock): {r['hist_diff']}")
        if r.get("latency_error"):
            notes.append(f"{m}: latency measurement failed: {r['latency_error']}")
        lat = r.get("latency", {})
        if lat.get("noisy"):
            load = f"; 1-min load average {lat['load_avg_1m']:.1f} on {lat['cpus']} CPUs" \
                if lat.get("load_avg_1m") is not None else ""
            notes.append(f"{m}: noisy timing (a round up to {lat['spread']:.0%} off the median{load}; "
                         f"rounds ms tflx {lat['tflx']['rounds_ms']}, stock {lat['stock']['rounds_ms']}): "
                         "the ratio is not reliable to 5%; rerun on a quiet machine or with more --rounds")
    if notes:
        print("\nDetails:")
        for n in notes:
            print("  - " + n)

    print("\nVerdicts (tflx ops <= stock ops, latency ratio <= "
          f"{MAX_LATENCY_RATIO:g}, tflx rel <= {REL_TOL:.0e}; where stock cannot: tflx converts, "
          "builtin-only, matches TF):")
    n_pass = 0
    for r in rows:
        passed, why = r["verdict"]["pass"], r["verdict"]["why"]
        n_pass += passed
        print(f"  {'PASS' if passed else 'FAIL'}  {r['model']}: {why}")
    unchecked = " (latency not checked: --no-latency)" if any(
        r.get("latency_skipped") == "--no-latency" for r in rows) else ""
    print(f"\nACCEPTANCE: {n_pass}/{len(rows)} models pass{unchecked}")


def _progress(row: dict) -> str:
    t, s = row.get("tflx", {}), row.get("stock", {})
    bits = [f"[{row['model']}]"]
    if "export_error" in row:
        return f"[{row['model']}] export failed: {row['export_error']}"
    if "tf_error" in row:
        return f"[{row['model']}] TF reference failed: {row['tf_error']}"
    bits.append(f"tflx={_status(t)}" + (f" ({t['error']})" if t.get("error") else ""))
    bits.append(f"stock={_status(s)}" + (f" ({one_line_error_short(s['error'])})" if s.get("error") else ""))
    if "ops" in row:
        bits.append(f"ops={row['ops']['tflx']}/{row['ops']['stock']}")
    if row.get("ratio") is not None:
        bits.append(f"latency={_fmt_ms(row['latency_ms']['tflx'])}/{_fmt_ms(row['latency_ms']['stock'])} ms "
                    f"(x{row['ratio']:.2f})")
    return " ".join(bits)


def one_line_error_short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------

def _bench_kwargs(args) -> dict:
    return dict(route=args.route, latency=not args.no_latency, rounds=args.rounds,
                disable_passes=tuple(args.disable_pass))


def _child(name: str, args) -> int:
    """--isolate: run one model in this process and print its row as JSON on the last line."""
    row = bench_model(name, args.cache_dir, args.rebuild, args.keep_tflite, **_bench_kwargs(args))
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
    p.add_argument("--route", choices=ROUTES,
                   help="pass tflx.convert(dir, route=ROUTE); default: do not pass a route")
    p.add_argument("--disable-pass", action="append", default=[], metavar="NAME",
                   help="pass tflx.convert(dir, disable_passes=[NAME, ...]) (repeatable): measure a "
                        "built-in pass against its absence, e.g. --disable-pass raise-keras-lstm")
    p.add_argument("--no-latency", action="store_true", help="skip the latency measurement")
    p.add_argument("--rounds", type=int, default=5,
                   help="interleaved timing rounds per .tflite; the median is reported (default: 5, min 3)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds < 3:
        p.error("--rounds must be at least 3")

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
                row = bench_model(name, args.cache_dir, args.rebuild, args.keep_tflite,
                                  **_bench_kwargs(args))
            except Exception as e:  # noqa: BLE001 - belt and braces: never stop the sweep
                row = {"model": name, "tf_error": f"benchmark crashed: {one_line_error(e)}"}
            try:
                import keras
                keras.backend.clear_session()
            except Exception:  # noqa: BLE001
                pass
            gc.collect()
        row["bench_s"] = round(time.perf_counter() - t0, 1)
        passed, why = verdict(row)
        row["verdict"] = {"pass": passed, "why": why}
        rows.append(row)
        print(_progress(row) + f"  ({row['bench_s']:.0f} s)", flush=True)

    route = f", tflx route={args.route}" if args.route else ""
    print(f"\n=== tflx vs stock TFLite converter: parity, ops, latency ({len(rows)} models{route}, "
          f"{time.perf_counter() - t_all:.0f} s) ===\n")
    print_table(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"seed": SEED, "batches": BATCHES, "dynamic_lengths": MODEL_DYNAMIC,
                       "route": args.route, "rounds": args.rounds, "latency": not args.no_latency,
                       "rel_tol": REL_TOL, "max_latency_ratio": MAX_LATENCY_RATIO,
                       "rows": rows}, f, indent=2, default=str)
        print(f"\nwrote {args.json}")
    return 0


def _run_isolated(name: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--cache-dir", args.cache_dir,
           "--rounds", str(args.rounds)]
    if args.rebuild:
        cmd.append("--rebuild")
    if args.keep_tflite:
        cmd += ["--keep-tflite", args.keep_tflite]
    if args.route:
        cmd += ["--route", args.route]
    if args.no_latency:
        cmd.append("--no-latency")
    for name_ in args.disable_pass:
        cmd += ["--disable-pass", name_]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("PARITY_ROW "):
            return json.loads(line[len("PARITY_ROW "):])
    return {"model": name, "tf_error": f"child process died (exit code {proc.returncode})"}


if __name__ == "__main__":
    sys.exit(main())
