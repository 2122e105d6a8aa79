"""ResizeBicubic, Dilation2D, TruncateMod, CumulativeLogsumexp and IsInf: builtins with tflx's
default passes (the stock converter needs Flex or a custom op, or gets IsInf wrong)."""
import numpy as np

from tflxtest import run_signature


def test_ops_convert_to_builtins_and_match_tf(tf):
    import tflx
    rs = np.random.RandomState(0)
    img = rs.uniform(-3, 3, (2, 4, 5, 3)).astype(np.float32)
    kern = rs.uniform(-1, 1, (3, 3, 3)).astype(np.float32)
    xi = rs.randint(-50, 50, (3, 6)).astype(np.int32)
    yi = (np.where(rs.rand(6) < 0.5, -1, 1) * rs.randint(1, 9, (6,))).astype(np.int32)
    seq = rs.uniform(-3, 3, (2, 5)).astype(np.float32)
    seq[0, 0] = -120.0  # far below the running max: a shift by max(x) would lose it
    special = np.array([1.0, np.inf, -np.inf, np.nan, -2.0, 0.0], np.float32)

    @tf.function(input_signature=[tf.TensorSpec(img.shape, tf.float32, name="img"),
                                  tf.TensorSpec(kern.shape, tf.float32, name="kern"),
                                  tf.TensorSpec(xi.shape, tf.int32, name="xi"),
                                  tf.TensorSpec(yi.shape, tf.int32, name="yi"),
                                  tf.TensorSpec(seq.shape, tf.float32, name="seq"),
                                  tf.TensorSpec(special.shape, tf.float32, name="special")])
    def f(img, kern, xi, yi, seq, special):
        return {
            "bicubic": tf.raw_ops.ResizeBicubic(images=img, size=[7, 9], half_pixel_centers=True),
            "dilation": tf.raw_ops.Dilation2D(input=img, filter=kern, strides=[1, 2, 2, 1], rates=[1, 1, 1, 1],
                                              padding="SAME"),
            "truncmod": tf.raw_ops.TruncateMod(x=xi, y=yi),
            "cumlse": tf.raw_ops.CumulativeLogsumexp(x=seq, axis=1, exclusive=True, reverse=True),
            "isinf": tf.math.is_inf(special),
        }

    r = tflx.convert(f)
    hist = r.op_histogram()
    assert not any(k.startswith(("CUSTOM", "STABLEHLO_")) for k in hist), hist
    for name in ("decompose-resize-bicubic", "decompose-dilation2d", "decompose-truncate-mod",
                 "decompose-cumulative-logsumexp"):
        assert r.pass_counts.get(name) == 1, (name, r.pass_counts)
    feed = dict(img=img, kern=kern, xi=xi, yi=yi, seq=seq, special=special)
    got = run_signature(r.flatbuffer, **feed)
    want = {k: v.numpy() for k, v in f(**feed).items()}
    np.testing.assert_array_equal(got["truncmod"], want["truncmod"])
    np.testing.assert_array_equal(got["isinf"], want["isinf"])  # +-inf constants are kept
    np.testing.assert_array_equal(got["dilation"], want["dilation"])
    np.testing.assert_allclose(got["bicubic"], want["bicubic"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["cumlse"], want["cumlse"], rtol=1e-5, atol=1e-5)  # -inf at the end too
