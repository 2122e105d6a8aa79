"""Post-training quantization: --quantize dynamic | weight-only | float16 | int8 (the quantize stage)."""
import numpy as np
import pytest

from tflxtest import run_signature, tflx_cli


@pytest.fixture(scope="module")
def cnn_dense(tf, tmp_path_factory):
    """A small CNN + dense model (weights dominate its size), its TF reference and calibration data."""
    import keras
    keras.utils.set_random_seed(0)
    L = keras.layers
    inp = keras.Input((32, 32, 3), name="image")
    x = L.Conv2D(16, 3, activation="relu")(inp)
    x = L.GlobalAveragePooling2D()(L.Conv2D(32, 3, strides=2, activation="relu")(x))
    out = L.Dense(10)(L.Dense(256, activation="relu")(L.Dense(256, activation="relu")(x)))
    model = keras.Model(inp, out)
    root = tmp_path_factory.mktemp("quant")
    model.export(str(root / "m"), verbose=False)
    rs = np.random.RandomState(1)
    np.savez(root / "rep.npz", image=rs.uniform(-1, 1, (16, 32, 32, 3)).astype(np.float32))
    return str(root / "m"), str(root / "rep.npz"), model


@pytest.mark.parametrize("mode,max_size,max_rel,weight_type", [
    ("dynamic", 0.35, 0.05, "INT8"), ("weight-only", 0.35, 0.05, "INT8"), ("float16", 0.6, 0.01, "FLOAT16"),
    ("int8", 0.35, 0.15, "INT8"),
])
def test_modes_size_error_and_float_io(cnn_dense, mode, max_size, max_rel, weight_type):
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    from tflx.flatbuffer import _schema
    path, rep, model = cnn_dense
    base = tflx.convert(path)
    r = tflx.convert(path, quantize=mode, representative_data=rep)
    assert "quantize" in r.stages and len(r.flatbuffer) <= max_size * len(base.flatbuffer), len(r.flatbuffer)
    s = _schema()
    m = s.Model.GetRootAsModel(r.flatbuffer, 0)
    g = m.Subgraphs(0)
    types = {g.Tensors(i).Type() for i in range(g.TensorsLength())}
    assert getattr(s.TensorType, weight_type) in types
    runner = Interpreter(model_content=r.flatbuffer).get_signature_runner()
    assert runner.get_input_details()["image"]["dtype"] == np.float32  # float I/O, as stock
    x = np.random.RandomState(5).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    got = next(iter(runner(image=x).values()))
    assert got.dtype == np.float32
    want = model(x).numpy()
    assert np.abs(got - want).max() <= max_rel * np.abs(want).max()


def test_int8_io_type(cnn_dense):
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    path, rep, _ = cnn_dense
    r = tflx.convert(path, quantize="int8", representative_data=rep, io_type="int8")
    assert Interpreter(model_content=r.flatbuffer).get_signature_runner().get_input_details()["image"]["dtype"] == np.int8


def test_bad_data_is_one_line(cnn_dense, tmp_path):
    path, rep, _ = cnn_dense
    out = tmp_path / "q.tflite"
    r = tflx_cli("convert", path, "-o", str(out), "--quantize", "int8")
    assert r.returncode == 1 and "--representative-data" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.npz"
    np.savez(bad, image=np.zeros((4, 16, 16, 3), np.float32))
    r = tflx_cli("convert", path, "-o", str(out), "--quantize", "int8", "--representative-data", str(bad))
    assert r.returncode == 1 and "input 'image' has shape [1, 16, 16, 3]" in r.stderr, r.stderr
    np.savez(bad, other=np.zeros((4, 32, 32, 3), np.float32))
    r = tflx_cli("convert", path, "-o", str(out), "--quantize", "int8", "--representative-data", str(bad))
    assert r.returncode == 1 and "input 'image' is missing" in r.stderr, r.stderr
    np.savez(bad)
    r = tflx_cli("convert", path, "-o", str(out), "--quantize", "int8", "--representative-data", str(bad))
    assert r.returncode == 1 and "holds no arrays" in r.stderr, r.stderr
    assert not out.exists()


def test_assess_estimates_the_quantized_size(cnn_dense):
    import re

    import tflx
    from tflx.assess import assess
    path, rep, _ = cnn_dense
    a = assess(path)
    text = next(f.message for f in a.flags if f.kind == "model-size")
    est = float(re.search(r"with --quantize about ([0-9.]+) MB \(dynamic", text)[1]) * 1e6
    actual = len(tflx.convert(path, quantize="dynamic").flatbuffer)
    assert 0.75 * actual <= est <= 1.25 * actual, (est, actual)


def test_verify_per_tensor_reports_the_quantization_error(cnn_dense):
    """Intermediate int8 tensors are dequantized (their scales) before the comparison with TF."""
    import tflx
    from tflx.verify import verify
    path, rep, _ = cnn_dense
    r = tflx.convert(path, quantize="int8", representative_data=rep)
    res = verify(path, r.flatbuffer, per_tensor=True, atol=0.2, rtol=0.2)
    matched = [c for c in res.tensors if c.max_abs is not None]
    assert res.ok and len(matched) >= 5 and all(c.ok for c in matched), matched


def test_stop_after_flatbuffer_then_resume_at_quantize(cnn_dense, tmp_path):
    """The quantize stage is a stage: --stop-after flatbuffer keeps the float file, and
    --resume-from that .tflite runs only quantization."""
    path, rep, _ = cnn_dense
    dumps = tmp_path / "dumps"
    r = tflx_cli("convert", path, "--dump-dir", str(dumps), "--stop-after", "flatbuffer", "-o",
                 str(tmp_path / "f.tflite"), "--quantize", "int8", "--representative-data", rep)
    assert r.returncode == 0 and not (dumps / "05-quantize.tflite").exists(), r.stderr
    out = tmp_path / "q.tflite"
    r = tflx_cli("convert", "--resume-from", str(dumps / "04-flatbuffer.tflite"), "--quantize", "int8",
                 "--representative-data", rep, "-o", str(out), "--dump-dir", str(dumps))
    assert r.returncode == 0 and "quantize" in r.stderr, r.stderr
    assert out.read_bytes()[4:8] == b"TFL3" and (dumps / "05-quantize.mlir").exists()
    assert len(out.read_bytes()) < 0.35 * (dumps / "04-flatbuffer.tflite").stat().st_size


@pytest.fixture(scope="module")
def qat_model(tf, tmp_path_factory):
    """A model as quantization-aware training leaves it: TF fake-quant ops with constant ranges on
    the input, the conv weights (per channel, symmetric), the activations and the dense weights."""
    rs = np.random.RandomState(0)
    w1 = rs.normal(0, 0.3, (3, 3, 3, 8)).astype(np.float32)
    bound = np.abs(w1).max((0, 1, 2))
    w2 = rs.normal(0, 0.1, (8 * 14 * 14, 10)).astype(np.float32)
    b2 = rs.normal(0, 0.1, (10,)).astype(np.float32)
    fq = tf.quantization.fake_quant_with_min_max_vars

    class Qat(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32)])
        def serve(self, x):
            x = fq(x, 0.0, 1.0)
            w = tf.quantization.fake_quant_with_min_max_vars_per_channel(
                tf.constant(w1), tf.constant(-bound), tf.constant(bound), narrow_range=True)
            y = fq(tf.nn.relu(tf.nn.conv2d(x, w, 1, "VALID")), 0.0, 6.0)
            y = tf.matmul(tf.reshape(y, [1, -1]), fq(tf.constant(w2), -1.0, 1.0, narrow_range=True)) + b2
            return {"y": fq(y, -8.0, 8.0)}

    m = Qat()
    path = str(tmp_path_factory.mktemp("qat") / "m")
    tf.saved_model.save(m, path, signatures=m.serve)
    x = np.random.RandomState(3).uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)
    return path, x, m.serve(tf.constant(x))["y"].numpy()


def test_fake_quant_fold_matches_tf(tf):
    """fold-fake-quant-constants computes what TF's kernel computes (nudged ranges, rounding)."""
    from tflx.passes.fold_fake_quant_constants import fake_quant
    rs = np.random.RandomState(7)
    for bits, narrow in ((8, False), (8, True), (4, False)):
        x = rs.normal(0, 2, (64, 5)).astype(np.float32)
        lo, hi = -rs.uniform(0.1, 3, 5).astype(np.float32), rs.uniform(0.1, 3, 5).astype(np.float32)
        want = tf.quantization.fake_quant_with_min_max_vars_per_channel(x, lo, hi, num_bits=bits,
                                                                        narrow_range=narrow).numpy()
        np.testing.assert_array_equal(fake_quant(x, lo, hi, bits, narrow), want)
        want = tf.quantization.fake_quant_with_min_max_vars(x, lo[0], hi[0], num_bits=bits, narrow_range=narrow)
        np.testing.assert_array_equal(fake_quant(x, lo[0], hi[0], bits, narrow), want.numpy())


def test_quantization_aware_trained_model_gets_int8_kernels_without_data(tf, qat_model):
    """--quantize int8 on a model with fake-quant ops: the ranges come from the model (no
    calibration), the kernels are int8, the I/O stays float32, and the output is TF's."""
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    from tflx.flatbuffer import op_histogram
    path, x, want = qat_model
    r = tflx.convert(path, quantize="int8")
    ops = dict(op_histogram(r.flatbuffer))
    assert ops == {"QUANTIZE": 1, "CONV_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1, "DEQUANTIZE": 1}, ops
    it = Interpreter(model_content=r.flatbuffer)
    types = {d["name"]: d["dtype"] for d in it.get_tensor_details()}
    assert sum(t == np.int8 for t in types.values()) >= 5, types  # activations and weights
    runner = it.get_signature_runner()
    assert runner.get_input_details()["x"]["dtype"] == np.float32
    got = runner(x=x)["y"]
    assert np.abs(got - want).max() <= 16 / 255 + 1e-6  # within one step of the output's grid
    float_model = tflx.convert(path)  # without --quantize: float kernels between Q/DQ pairs
    assert "CONV_2D" in dict(op_histogram(float_model.flatbuffer))
    np.testing.assert_allclose(run_signature(float_model.flatbuffer, x=x)["y"], want, atol=16 / 255 + 1e-6)
    stock = tf.lite.TFLiteConverter.from_saved_model(path)
    stock.optimizations = [tf.lite.Optimize.DEFAULT]
    stock = stock.convert()
    assert dict(op_histogram(stock)) == ops and len(r.flatbuffer) <= 1.02 * len(stock), (len(r.flatbuffer), len(stock))


def test_plugin_runs_after_the_quantize_stage(cnn_dense, tmp_path):
    """A pass of stage "quantize" rewrites the quantized model's IR; the file is written anew."""
    from ai_edge_litert.interpreter import Interpreter
    import tflx
    from tflx.dialects import tfl
    from tflx.plugin import NO_MATCH, PatternPass, rewrite

    class ReluLastDense(PatternPass):  # the last (int8) FULLY_CONNECTED gets a fused RELU
        name = "relu-last-dense"
        stage = "quantize"

        @rewrite("tfl.fully_connected")
        def relu(self, op, rewriter):
            from tflx.mlir import ir
            if tfl.activation(op) != "NONE":
                return NO_MATCH
            op.attributes["fused_activation_function"] = ir.StringAttr.get("RELU")

    path, rep, _ = cnn_dense
    r = tflx.convert(path, quantize="int8", representative_data=rep, plugins=[ReluLastDense()],
                     dump_dir=str(tmp_path))
    assert r.pass_counts.get("relu-last-dense", 0) >= 1
    assert '"RELU"' in (tmp_path / "05-quantize.mlir").read_text()
    runner = Interpreter(model_content=r.flatbuffer).get_signature_runner()
    x = np.random.RandomState(5).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    assert next(iter(runner(image=x).values())).min() >= 0


def test_int8_attention_runs_its_batch_matmuls_on_xnnpack(tf, tmp_path):
    """The quantize stage's built-in passes: SHAPE reads int8 tensors directly (no DEQUANTIZE in
    front), and both attention BATCH_MATMULs get a symmetric right operand, so XNNPACK takes
    them (with litert-quantizer's asymmetric activations it takes neither; stock gets one)."""
    import keras
    import tflx
    from tflx.flatbuffer import op_histogram
    from tflx.profile import profile
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 16), name="x")
    out = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(inp, inp)
    model = keras.Model(inp, out)
    rs = np.random.RandomState(0)
    rep = [{"x": rs.uniform(-1, 1, (1, 8, 16)).astype(np.float32)} for _ in range(16)]
    r = tflx.convert(model, quantize="int8", representative_data=rep)
    assert r.pass_counts.get("symmetric-batch-matmul-rhs") == 2, r.pass_counts
    from tflx.mlir import defining_op, walk_ops
    shapes = [op for op in walk_ops(r.stages["quantize"].module) if op.name == "tfl.shape"]
    assert not any(defining_op(op.operands[0], "tfl.dequantize") for op in shapes)
    ops = dict(op_histogram(r.flatbuffer))
    assert ops["BATCH_MATMUL"] == 2
    p = profile(r.flatbuffer, latency=False)
    bmm = next(o for o in p.ops if o["op"] == "BATCH_MATMUL")
    assert bmm["xnnpack"] is True, p.ops
    off = tflx.convert(model, quantize="int8", representative_data=rep,
                       disable_passes=["symmetric-batch-matmul-rhs"]).flatbuffer
    assert next(o for o in profile(off, latency=False).ops if o["op"] == "BATCH_MATMUL")["xnnpack"] is False
    x = rep[3]["x"]
    want = model(x).numpy()
    for data in (r.flatbuffer, off):  # the requantize costs no accuracy to speak of
        got = next(iter(run_signature(data, x=x).values()))
        assert np.abs(got - want).max() <= 0.15 * np.abs(want).max()
