"""The other input formats: keras.Model, .keras file, tf.function, ConcreteFunction."""
import numpy as np
import pytest

from tflxtest import run_signature


@pytest.fixture(scope="module")
def mlp():
    import keras
    keras.utils.set_random_seed(3)
    inp = keras.Input((6,), name="features")
    x = keras.layers.Dense(12, activation="relu")(inp)
    return keras.Model(inp, keras.layers.Dense(4)(x))


def test_keras_model_in_memory(mlp):
    import tflx
    r = tflx.convert(mlp)
    x = np.random.RandomState(0).randn(1, 6).astype(np.float32)
    out = run_signature(r.flatbuffer, features=x)["output_0"]
    np.testing.assert_allclose(out, mlp(x).numpy(), atol=1e-5)
    assert r.op_histogram() == {"FULLY_CONNECTED": 2}


def test_keras_file_loads_safely(mlp, tmp_path):
    import tflx
    path = tmp_path / "mlp.keras"
    mlp.save(path)
    r = tflx.convert(str(path))
    x = np.ones((1, 6), np.float32)
    np.testing.assert_allclose(run_signature(r.flatbuffer, features=x)["output_0"], mlp(x).numpy(), atol=1e-5)


def test_keras_file_with_lambda_is_refused(tmp_path):
    import keras
    import tflx
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2)(inp))
    path = tmp_path / "lam.keras"
    model.save(path)
    with pytest.raises(tflx.TflxError, match="cannot load Keras model"):
        tflx.convert(str(path))


def test_tf_function_and_concrete_function(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def f(x):
        return tf.nn.relu(x) * 3.0 + 1.0

    for model in (f, f.get_concrete_function()):
        r = tflx.convert(model)
        x = np.array([[-1, 0.5, 2]], np.float32)
        np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], f(x).numpy(), atol=1e-6)


def test_tf_function_without_signature_is_refused(tf):
    import tflx
    with pytest.raises(tflx.TflxError, match="input_signature"):
        tflx.convert(tf.function(lambda x: x))


def test_python_default_arguments_are_not_inputs(tf):
    """A defaulted Python parameter is traced in, not an input (it once crashed set_signature)."""
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    f = tf.function(lambda t, scale=2.0: tf.nn.relu(t) * scale, input_signature=[tf.TensorSpec([3], tf.float32, name="t")])
    r = tflx.convert(f)
    assert Interpreter(model_content=r.flatbuffer).get_signature_list()["serving_default"]["inputs"] == ["t"]
    x = np.array([-1, 0.5, 2], np.float32)
    np.testing.assert_allclose(run_signature(r.flatbuffer, t=x)["output_0"], [0, 1, 4])
