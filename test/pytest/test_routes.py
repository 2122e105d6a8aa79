"""Route selection (tflx.routes): per-op choice between direct TF -> TFL legalization and StableHLO."""
import numpy as np
import pytest

from tflxtest import TINY_CNN, run_signature, tflx_cli


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


@pytest.fixture(scope="module")
def dense_erf(tf):
    """A dense layer (stock's lowering wins) feeding erf (TFLite has no builtin: StableHLO wins)."""
    w = np.random.RandomState(0).randn(6, 4).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
    def f(x):
        return tf.math.erf(tf.matmul(x, w) + 0.25)
    return f


def test_auto_routes_per_op_with_fallback(dense_erf):
    import tflx
    r = tflx.convert(dense_erf)
    hist = r.op_histogram()
    assert hist["FULLY_CONNECTED"] == 1 and "CUSTOM" not in str(hist), hist
    by = r.routes.by_route()
    assert by["direct"]["MatMul"] == 1 and by["stablehlo"] == {"Erf": 1}
    assert r.routes.route_of("tf.Erf") == "stablehlo" and r.routes.route_of("MatMul") == "direct"
    assert any("tf.Erf" in line and "retried through StableHLO" in line for line in r.routes.fallbacks)
    # The stablehlo dump: the matmul is still a TF op (direct route), erf became StableHLO.
    shlo = r.op_histogram("stablehlo")
    assert shlo.get("tf.MatMul") == 1 and "tf.Erf" not in shlo
    for n in (1, 3):
        x = np.random.RandomState(n).randn(n, 6).astype(np.float32)
        np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["output_0"], dense_erf(x).numpy(), atol=1e-5)
    assert r.routes.to_json()["ops"]["Erf"]["routes"] == {"stablehlo": 1}


def test_forced_routes(dense_erf):
    import tflx
    with pytest.raises(tflx.TflxError) as e:  # no fallback when the user chose the route
        tflx.convert(dense_erf, route="direct")
    assert "tf.Erf" in e.value.one_line()
    with pytest.raises(tflx.TflxError):
        tflx.convert(dense_erf, route_ops={"Erf": "direct"})
    shlo = tflx.convert(dense_erf, route="stablehlo")
    assert shlo.routes.by_route()["direct"] == {} and not shlo.routes.fallbacks
    pinned = tflx.convert(dense_erf, route_ops={"tf.Erf": "stablehlo"})  # 'tf.' prefix accepted
    assert pinned.routes.by_route()["stablehlo"] == {"Erf": 1} and not pinned.routes.fallbacks


def test_bad_route_words(dense_erf, tmp_path):
    import tflx
    with pytest.raises(tflx.TflxError, match="unknown route 'fast'"):
        tflx.convert(dense_erf, route="fast")
    with pytest.raises(tflx.TflxError, match="'sideways' is not one of direct, stablehlo"):
        tflx.convert(dense_erf, route_ops={"Erf": "sideways"})
    r = tflx_cli("convert", TINY_CNN, "-o", str(tmp_path / "m.tflite"), "--route-op", "Erf")
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1].startswith("tflx: error: --route-op 'Erf'")
    assert "Traceback" not in r.stderr and not (tmp_path / "m.tflite").exists()


def test_stablehlo_failure_falls_back_to_direct(tf, monkeypatch):
    """An op the route table sends through StableHLO whose lowering fails there (SAME AvgPool with
    a dynamic batch) is retried directly."""
    import tflx
    from tflx.dialects import routes as table

    real = table.route_table()
    monkeypatch.setattr(table, "route_table", lambda: table.RouteTable(
        stablehlo={**real.stablehlo, "AvgPool": "test"}, direct_only=real.direct_only))

    @tf.function(input_signature=[tf.TensorSpec([None, 5, 5, 1], tf.float32, name="x")])
    def pool(x):
        return tf.nn.avg_pool2d(x, 2, 2, "SAME")

    r = tflx.convert(pool)
    assert r.op_histogram() == {"AVERAGE_POOL_2D": 1}
    assert r.routes.by_route()["direct"]["AvgPool"] == 1 and not r.routes.by_route()["stablehlo"]
    assert r.routes.fallbacks == ["StableHLO lowering of tf.AvgPool failed: retried directly"]


def test_cli_summary_names_routes(tmp_path):
    r = tflx_cli("convert", TINY_CNN, "-o", str(tmp_path / "m.tflite"), "--route-op", "Mean=stablehlo")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stderr.splitlines() if ln.strip().startswith("routes:"))
    assert "direct:" in line and "stablehlo: Mean" in line


def test_dynamic_batch_topk_is_topk_v2(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([None, 9], tf.float32, name="x")])
    def f(x):
        return tf.math.top_k(x, k=3)

    r = tflx.convert(f)
    assert r.op_histogram() == {"TOPK_V2": 1}
    x = np.random.RandomState(1).randn(4, 9).astype(np.float32)
    out = run_signature(r.flatbuffer, x=x)
    ref = f(x)
    np.testing.assert_array_equal(out["output_0"], ref.values.numpy())
    np.testing.assert_array_equal(out["output_1"], ref.indices.numpy())


def test_transpose_convolutions_run(tf):
    """Conv2DTranspose / Conv3DTranspose with a dynamic batch: TRANSPOSE_CONV / CONV_3D_TRANSPOSE
    as stock, and they run (the StableHLO route gave a TRANSPOSE_CONV that failed to prepare)."""
    import keras
    import tflx
    keras.utils.set_random_seed(0)
    for layer, shape in ((keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"), (8, 8, 3)),
                         (keras.layers.Conv3DTranspose(2, 3, strides=2, padding="same"), (4, 4, 4, 3))):
        inp = keras.Input(shape, name="x")
        model = keras.Model(inp, layer(inp))
        r = tflx.convert(model)
        assert not any(k.startswith(("STABLEHLO_", "CUSTOM")) for k in r.op_histogram()), r.op_histogram()
        for n in (1, 2):
            x = np.random.RandomState(n).randn(n, *shape).astype(np.float32)
            out = next(iter(run_signature(r.flatbuffer, x=x).values()))
            np.testing.assert_allclose(out, model(x).numpy(), atol=1e-4)


def test_where_with_dynamic_count(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([6], tf.float32, name="x")])
    def f(x):
        return tf.where(x > 0)

    r = tflx.convert(f)
    assert r.op_histogram().get("WHERE") == 1
    x = np.array([1, -1, 2, 0, 3, -4], np.float32)
    np.testing.assert_array_equal(run_signature(r.flatbuffer, x=x)["output_0"], f(x).numpy())


def test_tf_cond_becomes_if_and_takes_both_branches(tf):
    """A functional tf.If is written by the exporter as IF with its branches as subgraphs, as
    stock does (it is not a leftover op)."""
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([], tf.bool, name="p"), tf.TensorSpec([2, 3], tf.float32, name="t")])
    def f(p, t):
        return tf.cond(p, lambda: t * 2.0, lambda: t - 1.0)

    r = tflx.convert(f)
    assert r.op_histogram() == {"IF": 1, "MUL": 1, "SUB": 1}
    t = np.arange(6, dtype=np.float32).reshape(2, 3)
    for p in (True, False):
        np.testing.assert_array_equal(run_signature(r.flatbuffer, p=np.array(p), t=t)["output_0"], f(p, t).numpy())
