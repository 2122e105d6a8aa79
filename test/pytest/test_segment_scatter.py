"""decompose-segment-scatter and decompose-misc-ops: TF ops the stock converter needs Flex for
(SegmentMax/Min/Mean/Prod, TensorScatterSub/Max/Min, EuclideanNorm, ConjugateTranspose, BesselI0/I1,
unary Einsum) convert to TFLite builtins only, run in ai-edge-litert and match TensorFlow.

Inputs exercise the edges: segment ids that skip values (TF's 0 for an empty segment), a dynamic
row count, int32 data, int64 ids; repeated scatter indices, index pairs, +-inf in the tensor."""
import numpy as np
import pytest

from tflxtest import run_signature

NOT_BUILTIN = ("CUSTOM", "FLEX", "STABLEHLO_")


def _convert(fn):
    import tflx
    result = tflx.convert(fn)
    hist = result.op_histogram()
    bad = {k: v for k, v in hist.items() if k.startswith(NOT_BUILTIN)}
    assert not bad, f"non-builtin ops left: {bad} in {hist}"
    return result, hist


def _run_and_compare(fn, result, inputs, exact=(), rtol=1e-5, atol=1e-6):
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in fn(**inputs).items()}
    assert set(got) == set(ref)
    for key, want in ref.items():
        assert got[key].shape == want.shape, key
        assert got[key].dtype == want.dtype, key
        if key in exact:
            np.testing.assert_array_equal(got[key], want, err_msg=key)
        else:
            np.testing.assert_allclose(got[key], want, rtol=rtol, atol=atol, err_msg=key)


# ---- sorted segment reductions -------------------------------------------------------------

@pytest.fixture(scope="module")
def segment_model(tf):
    R = tf.raw_ops
    spec = [tf.TensorSpec([7, 3], tf.float32, name="data"), tf.TensorSpec([7], tf.int32, name="ids"),
            tf.TensorSpec([7, 3], tf.int32, name="idata"), tf.TensorSpec([None, 2], tf.float32, name="ddata"),
            tf.TensorSpec([None], tf.int64, name="dids")]

    @tf.function(input_signature=spec)
    def f(data, ids, idata, ddata, dids):
        out = {}
        for op in ("SegmentMax", "SegmentMin", "SegmentMean", "SegmentProd"):
            out[op] = getattr(R, op)(data=data, segment_ids=ids)
            out[op + "_dynamic"] = getattr(R, op)(data=ddata, segment_ids=dids)
        for op in ("SegmentMax", "SegmentMin", "SegmentProd"):
            out[op + "_i32"] = getattr(R, op)(data=idata, segment_ids=ids)
        return out

    return f, *_convert(f)


def _segment_inputs(rs, rows):
    ids = np.sort(rs.choice([0, 2, 3, 6], rows)).astype(np.int64)  # ids 1, 4, 5 are empty
    return rs.uniform(-2, 2, (rows, 2)).astype(np.float32), ids


def test_segment_ops_become_unsorted_segment_builtins(segment_model):
    _, _, hist = segment_model
    for name in ("UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_MIN", "UNSORTED_SEGMENT_PROD",
                 "UNSORTED_SEGMENT_SUM", "REDUCE_MAX", "SELECT_V2"):
        assert hist.get(name, 0) >= 1, (name, hist)


@pytest.mark.parametrize("rows", [5, 1])
def test_segment_ops_match_tf(segment_model, rows):
    f, result, _ = segment_model
    rs = np.random.RandomState(rows)
    ddata, dids = _segment_inputs(rs, rows)
    inputs = {"data": rs.uniform(-2, 2, (7, 3)).astype(np.float32),
              "ids": np.array([1, 1, 3, 3, 3, 6, 6], np.int32),    # 0, 2, 4, 5 empty
              "idata": rs.randint(-6, 7, (7, 3)).astype(np.int32),
              "ddata": ddata, "dids": dids}
    inputs["data"][2, 1] = -np.inf
    exact = {k for k in ("SegmentMax", "SegmentMin", "SegmentMax_dynamic", "SegmentMin_dynamic")} | \
        {op + "_i32" for op in ("SegmentMax", "SegmentMin", "SegmentProd")}
    _run_and_compare(f, result, inputs, exact=exact)


# ---- TensorScatterSub / Max / Min ----------------------------------------------------------

@pytest.fixture(scope="module")
def scatter_model(tf):
    R = tf.raw_ops
    spec = [tf.TensorSpec([5, 3], tf.float32, name="t"), tf.TensorSpec([4, 1], tf.int32, name="rows"),
            tf.TensorSpec([4, 3], tf.float32, name="u"),
            tf.TensorSpec([4, 5, 3], tf.float32, name="t3"), tf.TensorSpec([2, 2, 2], tf.int64, name="pairs"),
            tf.TensorSpec([2, 2, 3], tf.float32, name="u3"),
            tf.TensorSpec([5, 3], tf.int32, name="ti"), tf.TensorSpec([4, 3], tf.int32, name="ui")]

    @tf.function(input_signature=spec)
    def f(t, rows, u, t3, pairs, u3, ti, ui):
        out = {}
        for op in ("TensorScatterSub", "TensorScatterMax", "TensorScatterMin"):
            fn = getattr(R, op)
            out[op] = fn(tensor=t, indices=rows, updates=u)
            out[op + "_pairs"] = fn(tensor=t3, indices=pairs, updates=u3)
            out[op + "_i32"] = fn(tensor=ti, indices=rows, updates=ui)
        return out

    return f, *_convert(f)


def test_tensor_scatter_ops_become_builtins(scatter_model):
    _, _, hist = scatter_model
    for name in ("SCATTER_ND", "SUB", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_MIN", "MAXIMUM", "MINIMUM"):
        assert hist.get(name, 0) >= 1, (name, hist)


def test_tensor_scatter_ops_match_tf_with_repeated_indices(scatter_model):
    f, result, _ = scatter_model
    rs = np.random.RandomState(3)
    t = rs.uniform(-2, 2, (5, 3)).astype(np.float32)
    t[4, 0], t[2, 2] = -np.inf, np.inf
    inputs = {"t": t, "rows": np.array([[4], [2], [4], [0]], np.int32),          # row 4 twice
              "u": rs.uniform(-2, 2, (4, 3)).astype(np.float32),
              "t3": rs.uniform(-2, 2, (4, 5, 3)).astype(np.float32),
              "pairs": np.array([[[3, 1], [0, 4]], [[3, 1], [2, 2]]], np.int64),  # (3, 1) twice
              "u3": rs.uniform(-2, 2, (2, 2, 3)).astype(np.float32),
              "ti": rs.randint(-9, 9, (5, 3)).astype(np.int32), "ui": rs.randint(-9, 9, (4, 3)).astype(np.int32)}
    exact = {k + s for k in ("TensorScatterMax", "TensorScatterMin") for s in ("", "_pairs", "_i32")}
    exact.add("TensorScatterSub_i32")
    _run_and_compare(f, result, inputs, exact=exact)


# ---- EuclideanNorm, ConjugateTranspose, BesselI0/I1, unary Einsum -------------------------------

@pytest.fixture(scope="module")
def misc_model(tf):
    R = tf.raw_ops
    spec = [tf.TensorSpec([2, 3, 4], tf.float32, name="x"), tf.TensorSpec([None, 4], tf.float32, name="dx"),
            tf.TensorSpec([2, 3], tf.int32, name="ix"), tf.TensorSpec([64], tf.float32, name="b"),
            tf.TensorSpec([4, 4], tf.float32, name="sq")]

    @tf.function(input_signature=spec)
    def f(x, dx, ix, b, sq):
        return {"norm_axis1": R.EuclideanNorm(input=x, axis=[1]),
                "norm_keep": R.EuclideanNorm(input=x, axis=[0, 2], keep_dims=True),
                "norm_dynamic": R.EuclideanNorm(input=dx, axis=[-1]),
                "ctranspose": R.ConjugateTranspose(x=x, perm=[2, 0, 1]),
                "ctranspose_i32": R.ConjugateTranspose(x=ix, perm=[1, 0]),
                "i0": R.BesselI0(x=b), "i1": R.BesselI1(x=b),
                "diag": R.Einsum(inputs=[sq], equation="ii->i"),
                "sum_all": R.Einsum(inputs=[x[0]], equation="ij->")}

    return f, *_convert(f)


def test_misc_ops_become_builtins(misc_model):
    _, _, hist = misc_model
    for name in ("SQRT", "SUM", "TRANSPOSE", "EXP", "GATHER"):
        assert hist.get(name, 0) >= 1, (name, hist)


def test_misc_ops_match_tf(misc_model):
    f, result, _ = misc_model
    rs = np.random.RandomState(5)
    b = np.concatenate([np.linspace(-12, 12, 61), [0.0, 1e-20, -1e-5]]).astype(np.float32)
    inputs = {"x": rs.uniform(-3, 3, (2, 3, 4)).astype(np.float32),
              "dx": rs.uniform(-3, 3, (5, 4)).astype(np.float32),
              "ix": rs.randint(-9, 9, (2, 3)).astype(np.int32), "b": b,
              "sq": rs.uniform(-3, 3, (4, 4)).astype(np.float32)}
    # Bessel: BesselI0e/I1e's polynomial and EXP; the rest are exact or sums of a few terms.
    _run_and_compare(f, result, inputs, exact={"ctranspose", "ctranspose_i32", "diag"}, rtol=1e-5, atol=1e-30)


def test_passes_registered_at_tf_stage_and_on_by_default():
    from tflx.passes import DEFAULT_PASSES
    from tflx.passes import registered_passes
    reg = registered_passes()
    for name in ("decompose-segment-scatter", "decompose-misc-ops"):
        assert reg[name].stage == "tf" and name in DEFAULT_PASSES
