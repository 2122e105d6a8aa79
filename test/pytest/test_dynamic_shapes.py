"""Dynamic batch beyond plain CNNs: run-time reshapes, batched matmuls, average pools."""
import numpy as np
import pytest

from tflxtest import run_signature


def _check(fn, make_input, batches=(1, 3), atol=1e-5):
    import tflx
    r = tflx.convert(fn)
    for batch in batches:
        x = make_input(batch)
        out = run_signature(r.flatbuffer, x=x)["output_0"]
        ref = fn(x).numpy()
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, atol=atol)
    return r


def test_flatten_with_runtime_batch(tf):
    """tf.shape(x)[0] in a reshape: shape_of + index_cast reach the stablehlo stage."""
    @tf.function(input_signature=[tf.TensorSpec([None, 2, 3], tf.float32, name="x")])
    def flatten(x):
        return tf.reshape(x, [tf.shape(x)[0], 6]) * 2.0

    _check(flatten, lambda n: np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3))


def test_batched_matmul_with_dynamic_batch(tf):
    """A Dense on a 3-D input: split_at / concat / to_extent_tensor shape ops."""
    w = np.random.RandomState(0).randn(4, 5).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 3, 4], tf.float32, name="x")])
    def matmul3d(x):
        return tf.matmul(x, w)

    _check(matmul3d, lambda n: np.random.RandomState(n).randn(n, 3, 4).astype(np.float32))


def test_avg_pool_with_dynamic_batch_is_one_builtin(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, 4, 4, 2], tf.float32, name="x")])
    def pool(x):
        return tf.nn.avg_pool2d(x, 2, 2, "VALID")

    r = _check(pool, lambda n: np.random.RandomState(n).randn(n, 4, 4, 2).astype(np.float32))
    assert r.op_histogram() == {"AVERAGE_POOL_2D": 1}


def test_same_padded_avg_pool_with_dynamic_batch(tf):
    """tf-stablehlo (TF 2.21) cannot lower a SAME AvgPool with a dynamic batch: it builds a
    dynamically shaped divisor constant. The direct route converts it as stock does; forced
    through StableHLO, the error says where it failed."""
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([None, 5, 5, 1], tf.float32, name="x")])
    def pool(x):
        return tf.nn.avg_pool2d(x, 2, 2, "SAME")

    r = tflx.convert(pool)
    assert r.op_histogram() == {"AVERAGE_POOL_2D": 1}
    x = np.random.RandomState(0).randn(3, 5, 5, 1).astype(np.float32)
    np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], pool(x).numpy(), atol=1e-6)
    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(pool, route_ops={"AvgPool": "stablehlo"})
    msg = e.value.one_line()
    assert "stage 'stablehlo'" in msg and "pass 'tf-stablehlo'" in msg and "statically shaped" in msg


def test_attention_block_with_dynamic_batch(tf):
    """MultiHeadAttention + LayerNorm: tensor.dim / from_elements shapes and broadcasts."""
    import keras
    import tflx
    keras.utils.set_random_seed(0)
    inp = keras.Input((3, 4), name="x")
    att = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)(inp, inp)
    model = keras.Model(inp, keras.layers.LayerNormalization()(att + inp))
    r = tflx.convert(model)
    for n in (1, 3):
        x = np.random.RandomState(n).randn(n, 3, 4).astype(np.float32)
        np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], model(x).numpy(), atol=1e-5)


def test_softmax_head_with_dynamic_batch_is_one_builtin():
    import keras
    import tflx
    keras.utils.set_random_seed(1)
    inp = keras.Input((8,), name="x")
    model = keras.Model(inp, keras.layers.Dense(5, activation="softmax")(inp))
    r = tflx.convert(model)
    assert r.op_histogram() == {"FULLY_CONNECTED": 1, "SOFTMAX": 1}
    for n in (1, 4):
        x = np.random.RandomState(n).randn(n, 8).astype(np.float32) * 3
        np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], model(x).numpy(), atol=1e-6)
