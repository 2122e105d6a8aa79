"""`tflx assess`'s device profile (tflx.profile) and the GPU delegate table (tflx.dialects.gpu_delegate).

MACs and parameters are checked against counts worked out by hand from the layer shapes. The Keras
models get random biases: tflx drops all-zero biases and deduplicates identical constants, and
then the .tflite (rightly) stores fewer parameters than Keras counts."""
import json

import pytest

from tflxtest import TINY_CNN, tflx_cli


def _keras_cnn():
    """The acceptance model: two convolutions and a dense layer on a 32x32x3 image."""
    import keras
    keras.utils.set_random_seed(0)
    r = keras.initializers.RandomNormal(stddev=0.1)
    inp = keras.Input((32, 32, 3), name="image")
    x = keras.layers.Conv2D(8, 3, activation="relu", bias_initializer=r)(inp)  # -> 30x30x8
    x = keras.layers.Conv2D(16, 3, strides=2, activation="relu", bias_initializer=r)(x)  # -> 14x14x16
    x = keras.layers.Flatten()(x)
    return keras.Model(inp, keras.layers.Dense(10, bias_initializer=r)(x))


def _convert(model) -> bytes:
    import tflx
    return tflx.convert(model).flatbuffer


@pytest.fixture(scope="module")
def cnn(tf):
    model = _keras_cnn()
    return model, _convert(model)


@pytest.fixture(scope="module")
def cnn_profile(cnn):
    from tflx.profile import profile
    return profile(cnn[1])


# ---- hand counts --------------------------------------------------------------------------

CONV1_OUT = 30 * 30 * 8
CONV2_OUT = 14 * 14 * 16
CNN_MACS = CONV1_OUT * 3 * 3 * 3 + CONV2_OUT * 3 * 3 * 8 + (14 * 14 * 16) * 10
CNN_PARAMS = (3 * 3 * 3 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (14 * 14 * 16 * 10 + 10)


def test_cnn_acceptance(cnn, cnn_profile):
    model, _ = cnn
    p = cnn_profile
    assert p.params == model.count_params() == CNN_PARAMS
    assert abs(p.macs - CNN_MACS) <= 0.02 * CNN_MACS
    largest_activation = CONV1_OUT * 4  # float32
    assert p.peak_activation_bytes >= largest_activation
    assert p.latency_ms > 0 and p.latency_ms_all_cores > 0
    assert p.ops and all(o["gpu_delegate"] is True or (isinstance(o["gpu_delegate"], str) and o["gpu_delegate"])
                         for o in p.ops)


def test_quantized_size_estimates(cnn, cnn_profile):
    """The per-mode .tflite sizes the profile states are within 15 % of what --quantize writes."""
    import tflx
    model, _ = cnn
    for mode in ("dynamic", "float16"):
        actual = len(tflx.convert(model, quantize=mode).flatbuffer)
        est = cnn_profile.tflite_bytes_quantized[mode]
        assert 0.85 * actual <= est <= 1.15 * actual, (mode, est, actual)


def test_cnn_details(cnn_profile):
    p = cnn_profile
    ops = {o["op"]: o for o in p.ops}
    assert ops["CONV_2D"]["count"] == 2
    assert ops["CONV_2D"]["macs"] == CONV1_OUT * 27 + CONV2_OUT * 72
    assert ops["FULLY_CONNECTED"]["macs"] == 3136 * 10
    # FLOPs: 2 per MAC, plus one per output element for each bias add and fused ReLU.
    assert ops["CONV_2D"]["flops"] == 2 * ops["CONV_2D"]["macs"] + 2 * (CONV1_OUT + CONV2_OUT)
    assert ops["FULLY_CONNECTED"]["flops"] == 2 * 3136 * 10 + 10
    # XNNPACK is observed, not assumed: the convolutions go to it, the dynamic-batch Flatten
    # plumbing (SHAPE) stays on the builtin kernels.
    assert ops["CONV_2D"]["xnnpack"] is True and ops["FULLY_CONNECTED"]["xnnpack"] is True
    assert ops["SHAPE"]["xnnpack"] is False
    assert any(r["op"] == "SHAPE" and "dynamic shape" in r["reason"] for r in p.restricted)
    # Liveness by hand: the peak is while conv2 runs, its input and output live.
    assert p.liveness_peak_bytes == 4 * (CONV1_OUT + CONV2_OUT)
    assert p.largest_live[0]["shape"] == [1, 30, 30, 8]


def test_batch_scales_compute_and_memory(cnn, cnn_profile):
    from tflx.profile import per_op, profile
    p4 = profile(cnn[1], batch=4, latency=False)
    assert p4.macs == 4 * cnn_profile.macs and p4.params == cnn_profile.params
    assert p4.liveness_peak_bytes == 4 * cnn_profile.liveness_peak_bytes
    assert p4.latency_ms is None
    rows = per_op(cnn[1], batch=4)
    assert sum(r["macs"] for r in rows) == p4.macs
    conv = next(r for r in rows if r["op"] == "CONV_2D")
    assert set(conv) >= {"subgraph", "index", "op", "macs", "flops", "output_bytes"}
    assert conv["subgraph"] == 0 and conv["output_bytes"] == 4 * CONV1_OUT * 4


def test_depthwise_transpose_and_grouped_conv(tf):
    import keras
    from tflx.profile import profile
    keras.utils.set_random_seed(1)
    r = keras.initializers.RandomNormal(stddev=0.1)
    inp = keras.Input((8, 8, 4))
    dw = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", bias_initializer=r)(inp)  # 8x8x8
    tc = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", bias_initializer=r)(inp)  # 16x16x3
    gc = keras.layers.Conv2D(6, 3, groups=2, bias_initializer=r)(inp)  # 6x6x6, 2 input channels per group
    model = keras.Model(inp, [dw, tc, gc])
    p = profile(_convert(model), latency=False)
    ops = {o["op"]: o for o in p.ops}
    assert ops["DEPTHWISE_CONV_2D"]["macs"] == 8 * 8 * 8 * 3 * 3
    assert ops["TRANSPOSE_CONV"]["macs"] == 8 * 8 * 4 * 3 * 3 * 3  # each input element scatters a 3x3x3 kernel
    assert ops["CONV_2D"]["macs"] == 6 * 6 * 6 * 3 * 3 * 2
    assert p.params == model.count_params() == (3 * 3 * 4 * 2 + 8) + (3 * 3 * 3 * 4 + 3) + (3 * 3 * 2 * 6 + 6)


def test_dense_and_attention(tf):
    import keras
    from tflx.profile import profile
    keras.utils.set_random_seed(2)
    r = keras.initializers.RandomNormal(stddev=0.1)
    dense_in = keras.Input((12,))
    dense = keras.Model(dense_in, keras.layers.Dense(7, bias_initializer=r)(dense_in))
    pd = profile(_convert(dense), latency=False)
    assert pd.macs == 12 * 7 and pd.params == dense.count_params() == 12 * 7 + 7

    seq, width, heads, key_dim = 6, 8, 2, 4
    inp = keras.Input((seq, width))
    att = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim, bias_initializer=r)(inp, inp)
    mha = keras.Model(inp, att)
    p = profile(_convert(mha), latency=False)
    projections = 3 * seq * width * heads * key_dim + seq * heads * key_dim * width  # q, k, v in; out
    scores = heads * seq * seq * key_dim  # q . k^T
    mix = heads * seq * key_dim * seq  # softmax(scores) . v
    assert p.macs == projections + scores + mix
    assert p.params == mha.count_params() == 4 * (width * heads * key_dim) + 3 * heads * key_dim + width
    ops = {o["op"]: o for o in p.ops}
    assert ops["BATCH_MATMUL"]["macs"] == scores + mix
    assert ops["SOFTMAX"]["flops"] == 5 * heads * seq * seq


# ---- the GPU delegate table ---------------------------------------------------------------

def _spec(shape, dtype="float32", const=False, signature=None):
    from tflx.dialects.gpu_delegate import TensorSpec
    return TensorSpec(tuple(shape), tuple(signature or shape), dtype, const)


def _conv(activation="NONE", dtype="float32", rank=4, signature=None):
    from tflx.dialects.gpu_delegate import OpDetails
    x = _spec((1, 8, 8, 3)[:rank] + (1,) * (rank - 4), dtype, signature=signature)
    w = _spec((4, 3, 3, 3), const=True)
    b = _spec((4,), const=True)
    y = _spec((1, 8, 8, 4)[:rank] + (1,) * (rank - 4), dtype, signature=signature)
    return OpDetails((x, w, b), (y,), {"fused_activation_function": activation, "stride_h": 1, "stride_w": 1,
                                       "dilation_h_factor": 1, "dilation_w_factor": 1})


def test_gpu_delegate_verdicts():
    from tflx.dialects.gpu_delegate import OpDetails, verdict
    assert verdict("CONV_2D", _conv()) is True
    assert verdict("CONV_2D", _conv(signature=(-1, 8, 8, 3))) is True  # a dynamic batch is fixed first
    assert verdict("CONV_2D", _conv(signature=(1, -1, 8, 3))) == "dynamic shape"
    assert verdict("CONV_2D", _conv("SIGN_BIT")) == "fused activation SIGN_BIT not supported"
    assert verdict("CONV_2D", _conv(dtype="int64")) == "int64 tensors"
    assert verdict("CONV_2D", _conv(rank=5)) == "5-D tensor"
    assert "not supported" in verdict("WHILE") and "WHILE" in verdict("WHILE")
    assert "Flex" in verdict("CUSTOM:FlexMatrixDeterminant")
    assert "custom op 'MyOp'" in verdict("CUSTOM:MyOp")
    assert verdict("SOME_NEW_OP") == "not supported by the GPU delegate"
    x, axes = _spec((1, 4, 4, 8)), _spec((2,), "int32", const=True)
    mean = OpDetails((x, axes), (_spec((1, 8)),), {"keep_dims": False})
    assert verdict("MEAN", mean) is True
    assert "constant" in verdict("MEAN", OpDetails((x, _spec((2,), "int32")), (_spec((1, 8)),), {}))
    sl = OpDetails((x, _spec((4,), "int32", True), _spec((4,), "int32", True), _spec((4,), "int32", True)),
                   (_spec((1, 4, 4, 1)),), {"shrink_axis_mask": 8})
    assert verdict("STRIDED_SLICE", sl) == "shrink_axis_mask not supported"
    for op in ("ADD", "MUL", "SUB", "DIV", "AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "SOFTMAX", "CONCATENATION",
               "PAD", "TRANSPOSE", "BATCH_MATMUL", "LOGISTIC", "TANH", "RELU", "RELU6", "GATHER",
               "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert verdict(op) is True, op


# ---- budgets, JSON, CLI -------------------------------------------------------------------

def test_parse_budgets():
    from tflx.errors import TflxError
    from tflx.profile import parse_size, parse_time
    assert parse_size("64MB") == 64 << 20 and parse_size("512KB") == 512 << 10 and parse_size("1GB") == 1 << 30
    assert parse_size("4096") == 4096 and parse_size("1.5 KiB") == 1536
    assert parse_time("10ms") == 10 and parse_time("0.5s") == 500 and parse_time("250us") == 0.25
    for bad in ("64XB", "lots", "", "-3MB"):
        with pytest.raises(TflxError) as e:
            parse_size(bad)
        assert "--memory-budget" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(TflxError):
        parse_time("10 parsecs")


def test_assess_json_has_the_profile(cnn):
    from tflx.assess import assess
    model, _ = cnn
    data = json.loads(assess(model, memory_budget=1 << 10).to_json())
    p = data["profile"]
    assert {"params", "macs", "flops", "peak_activation_bytes", "latency_ms", "ops"} <= set(p)
    assert p["params"] == CNN_PARAMS and p["macs"] == CNN_MACS
    for o in p["ops"]:
        assert {"op", "count", "macs", "xnnpack", "gpu_delegate"} <= set(o)
    assert data["over_budget"] is True
    assert p["budgets"][0]["kind"] == "memory-budget" and p["budgets"][0]["over"] is True
    assert any(f["kind"] == "memory-budget" for f in data["flags"])


def test_cli_budgets_exit_1_when_over():
    r = tflx_cli("assess", TINY_CNN, "--memory-budget", "1KB", "--latency-budget", "1000s")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[memory-budget]" in r.stdout and "[latency-budget]" not in r.stdout
    assert "verdict: OVER BUDGET (memory-budget)" in r.stdout
    assert "profile (batch 1" in r.stdout and "CONV_2D" in r.stdout


def test_cli_within_budget_and_bad_text(capsys):
    from tflx.cli.common import run_cli
    from tflx.cli.main import _main
    capsys.readouterr()
    rc = run_cli(_main, ["assess", TINY_CNN, "--memory-budget", "1GB", "--latency-budget", "10s", "--batch", "2"])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "profile (batch 2" in out.out and "[memory-budget]" not in out.out
    rc = run_cli(_main, ["assess", TINY_CNN, "--latency-budget", "soon"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.startswith("tflx: error: --latency-budget: cannot read 'soon'") and "\n" not in err
    rc = run_cli(_main, ["assess", TINY_CNN, "--no-profile", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["profile"] is None
