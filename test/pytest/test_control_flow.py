"""Loops: tfl.while regions are outlined so the exporter can write WHILE with subgraphs."""
import numpy as np

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
