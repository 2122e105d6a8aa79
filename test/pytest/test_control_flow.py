"""Loops: tfl.while regions are outlined so the exporter can write WHILE with subgraphs."""
import numpy as np
import pytest

from tflxtest import run_signature


def test_while_loop_with_captured_bound_runs(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32, name="x"), tf.TensorSpec([], tf.int32, name="n")])
    def f(x, n):
        i = tf.constant(0)
        return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 2.0 + 1.0), [i, x])[1]

    r = tflx.convert(f)
    assert r.op_histogram()["WHILE"] == 1
    assert r.pass_counts["outline-tfl-while"] == 2
    x = np.array([1, -2, 0.5], np.float32)
    for n in (0, 1, 4):
        np.testing.assert_allclose(run_signature(r.flatbuffer, x=x, n=np.int32(n))["output_0"], f(x, n).numpy())


def test_without_outlining_the_export_error_is_named(tf):
    import pytest
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32, name="x")])
    def f(x):
        return tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0), [tf.constant(0), x])[1]

    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(f, disable_passes=["outline-tfl-while"])
    assert "stage 'flatbuffer'" in e.value.one_line() and "pass 'export'" in e.value.one_line()


def _rnn_model(kind, batch_size=None):
    import keras
    keras.utils.set_random_seed(0)
    L = keras.layers
    x = inp = keras.Input((5, 3), batch_size=batch_size, name="seq")
    if kind == "lstm2":
        x = L.LSTM(8)(L.LSTM(8, return_sequences=True)(x))
    elif kind == "gru":
        x = L.GRU(8)(x)
    elif kind == "bilstm":
        x = L.Bidirectional(L.LSTM(8, return_sequences=True))(x)
    elif kind == "simple_rnn":
        x = L.SimpleRNN(8, return_sequences=True)(x)
    return keras.Model(inp, L.Dense(2)(x))


@pytest.mark.parametrize("kind,batch_size,batches,fused", [
    ("gru", None, (1, 3), False), ("bilstm", None, (1, 2), True), ("bilstm", None, (1, 2), False),
    ("simple_rnn", None, (1, 3), False), ("lstm2", 1, (1,), True), ("lstm2", 1, (1,), False),
])
def test_keras_rnn_converts_to_builtins(tf, tmp_path, kind, batch_size, batches, fused):
    """Keras 3 RNNs: dynamic batch as `model.export` writes them (no converter handled these: the
    TensorList element shape is not static) and fixed batch. LSTMs become
    UNIDIRECTIONAL_SEQUENCE_LSTM (raise-keras-lstm), other cells (or with that pass disabled)
    WHILE loops of builtins. Each runner is invoked twice: a fused LSTM's states are variable
    tensors, which must not carry the first run's final state into the second."""
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    from tflx.passes.raise_keras_lstm import RaiseKerasLstm
    model = _rnn_model(kind, batch_size)
    if batch_size:  # a fixed batch: the Keras model itself (model.export writes a None batch)
        r = tflx.convert(model, disable_passes=() if fused else ["raise-keras-lstm"])
        ref = model
    else:  # a dynamic batch is fused only on request (faster at batch 1 only)
        model.export(str(tmp_path / "m"), verbose=False)
        r = tflx.convert(str(tmp_path / "m"), disable_passes=["raise-keras-lstm"],
                         plugins=[RaiseKerasLstm(dynamic_batch=True)] if fused else ())
        sig = tf.saved_model.load(str(tmp_path / "m")).signatures["serving_default"]
        ref = lambda x: next(iter(sig(seq=tf.constant(x)).values()))  # noqa: E731
    hist = r.op_histogram()
    assert not any(k.startswith(("CUSTOM", "STABLEHLO_")) for k in hist), hist
    if fused:
        assert hist["UNIDIRECTIONAL_SEQUENCE_LSTM"] == 2 and "WHILE" not in hist, hist
    else:
        assert hist["WHILE"] >= 1 and "UNIDIRECTIONAL_SEQUENCE_LSTM" not in hist, hist
    for n in batches:
        runner = Interpreter(model_content=r.flatbuffer).get_signature_runner()
        for seed in (n, n + 10):
            x = np.random.RandomState(seed).randn(n, 5, 3).astype(np.float32)
            want = np.asarray(ref(x))
            got = next(iter(runner(seq=x).values()))
            assert got.shape == want.shape
            assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max(), (kind, n, seed)


def test_unsupported_op_in_a_loop_body_names_the_loop(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32, name="x")])
    def f(x):
        return tf.while_loop(lambda i, m: i < 3, lambda i, m: (i + 1, tf.linalg.sqrtm(m)), [tf.constant(0), x])[1]

    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(f)
    line = next(i for i, ln in enumerate(open(__file__), 1) if "tf.linalg.sqrtm(m)), [tf.constant(0)" in ln)
    msg = e.value.one_line()
    assert "op 'tf.MatrixSquareRoot'" in msg and "\n" not in msg
    assert f"inside the body of the while loop at {__file__}:{line}" in msg


def test_slice_concat_list_writes_match_tf(tf, tmp_path):
    """tfl-lower-static-tensor-list's default (enable-dynamic-update-slice=false) writes a list
    element with slice + concat; a dynamic-batch SimpleRNN (all steps returned) still matches TF."""
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    from tflx.passes.lower_static_tensor_list import LowerStaticTensorList
    _rnn_model("simple_rnn").export(str(tmp_path / "m"), verbose=False)
    r = tflx.convert(str(tmp_path / "m"), disable_passes=["decompose-dynamic-tensor-lists"],
                     plugins=[LowerStaticTensorList(allow_tensorlist_pass_through=True)])
    hist = r.op_histogram()
    assert "DYNAMIC_UPDATE_SLICE" not in hist and hist["SLICE"] >= 2, hist
    ref = tf.saved_model.load(str(tmp_path / "m")).signatures["serving_default"]
    x = np.random.RandomState(2).randn(2, 5, 3).astype(np.float32)
    want = next(iter(ref(seq=tf.constant(x)).values())).numpy()
    got = next(iter(Interpreter(model_content=r.flatbuffer).get_signature_runner()(seq=x).values()))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
