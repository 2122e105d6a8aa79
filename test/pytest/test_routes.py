"""Route selection (tflx.routes): per-op choice between direct TF -> TFL legalization and StableHLO."""
import numpy as np
import pytest

from tflxtest import run_signature


@pytest.mark.parametrize("half_pixel", [True, False])
def test_resize_bilinear_is_one_exact_builtin(tf, half_pixel):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([1, 3, 5, 2], tf.float32, name="x")])
    def resize(x):
        return tf.raw_ops.ResizeBilinear(images=x, size=[6, 10], half_pixel_centers=half_pixel)

    r = tflx.convert(resize)
    assert r.op_histogram() == {"RESIZE_BILINEAR": 1}
    x = np.random.RandomState(0).rand(1, 3, 5, 2).astype(np.float32)
    np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], resize(x).numpy(), atol=1e-6)
    # Forced through StableHLO, tf-stablehlo's lowering runs but computes other values.
    plain = tflx.convert(resize, route_ops={"ResizeBilinear": "stablehlo"})
    assert "RESIZE_BILINEAR" not in plain.op_histogram()


def test_scatter_and_segment_ops_run(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([4, 1], tf.int32, name="i"), tf.TensorSpec([4], tf.float32, name="u"),
                                  tf.TensorSpec([6], tf.int32, name="s")])
    def f(i, u, s):
        return (tf.scatter_nd(i, u, [8]),
                tf.math.unsorted_segment_sum(tf.range(6, dtype=tf.float32), s, num_segments=3))

    r = tflx.convert(f)
    assert r.op_histogram() == {"SCATTER_ND": 1, "UNSORTED_SEGMENT_SUM": 1}
    i, u, s = np.array([[4], [3], [1], [4]], np.int32), np.array([9, 10, 11, 12], np.float32), np.array([0, 1, 0, 2, 2, 1], np.int32)
    out = run_signature(r.flatbuffer, i=i, u=u, s=s)
    ref = f(i, u, s)
    np.testing.assert_array_equal(out["output_0"], ref[0].numpy())
    np.testing.assert_array_equal(out["output_1"], ref[1].numpy())
