"""Linear solves without Flex: MatrixTriangularSolve (decompose-triangular-solve),
LogMatrixDeterminant (decompose-matrix-determinant), MatrixSolve (decompose-matrix-solve) and
MatrixInverse with adjoint (decompose-matrix-inverse) become TFLite builtins that ai-edge-litert
runs, matching TensorFlow and float64 numpy within 1e-4.

Inputs cover what each op reads and allows: the unused triangle full of junk (TF reads only the
named one), batch dims that broadcast, row exchanges, negative and overflowing determinants, a
singular matrix (sign 0, log|det| -inf)."""
import numpy as np
import pytest

from tflxtest import run_signature

RTOL = 1e-4


def assert_builtins_only(hist):
    bad = {k: v for k, v in hist.items()
           if "CUSTOM" in k or k.upper().startswith("FLEX") or k.startswith("STABLEHLO_")}
    assert not bad, f"non-builtin ops left: {bad} in {hist}"


def matrix_rel_err(got, ref):
    """Per-matrix normwise relative error: max |got - ref| / max |ref| over the last two dims."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    return np.abs(got - ref).max(axis=(-2, -1)) / np.abs(ref).max(axis=(-2, -1))


def assert_matrix_close(got, ref, what):
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    err = matrix_rel_err(got, ref)
    assert np.all(err <= RTOL), (what, err.max())


def triangular(rs, shape):
    """Random [..., n, n] whose both triangles are well-conditioned triangular matrices: normal
    entries, diagonal +-[1, 3] * sqrt(n)."""
    n = shape[-1]
    a = rs.randn(*shape)
    idx = np.arange(n)
    a[..., idx, idx] = rs.uniform(1, 3, shape[:-1]) * np.sqrt(n) * np.where(rs.rand(*shape[:-1]) < 0.5, -1, 1)
    return a.astype(np.float32)


def triangle(a, lower):
    a = np.asarray(a, np.float64)
    return np.tril(a) if lower else np.triu(a)


def well_conditioned(rs, shape, cond=30.0):
    """Random [..., n, n] with singular values in [1, cond] times a random scale."""
    *batch, n, _ = shape
    count = int(np.prod(batch, dtype=np.int64)) if batch else 1

    def orth():
        q, r = np.linalg.qr(rs.randn(count, n, n))
        return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]

    s = rs.uniform(1.0, cond, (count, n)) * 10.0 ** rs.uniform(-1, 1, (count, 1))
    return np.einsum("bij,bj,bkj->bik", orth(), s, orth()).reshape(shape).astype(np.float32)


def with_junk(rs, a, lower):
    """a with the triangle TF does not read replaced by large junk."""
    n = a.shape[-1]
    other = np.triu(np.ones((n, n), bool), 1) if lower else np.tril(np.ones((n, n), bool), -1)
    return np.where(other, np.float32(1e4) * rs.randn(*a.shape).astype(np.float32), a).astype(np.float32)


def _convert(tf_fn):
    import tflx
    result = tflx.convert(tf_fn)
    assert_builtins_only(result.op_histogram())
    return result


# ---- acceptance: one model, default passes ------------------------------------------------------

@pytest.fixture(scope="module")
def acceptance(tf):
    @tf.function(input_signature=[tf.TensorSpec([2, 3, 4, 4], tf.float32, name="a"),
                                  tf.TensorSpec([2, 3, 4, 2], tf.float32, name="b"),
                                  tf.TensorSpec([2, 3, 5, 5], tf.float32, name="m")])
    def f(a, b, m):
        sign, logdet = tf.linalg.slogdet(m)
        return {"x": tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
                "sign": sign, "logdet": logdet}
    return f, _convert(f)


def test_triangular_solve_and_slogdet_convert_to_builtins_and_match_tf(acceptance):
    f, result = acceptance
    hist = result.op_histogram()
    assert hist.get("TRANSPOSE", 0) >= 1 and hist.get("LOG", 0) >= 1, hist
    assert result.pass_counts.get("decompose-triangular-solve") == 1
    assert result.pass_counts.get("decompose-matrix-determinant") == 1
    rs = np.random.RandomState(0)
    a = with_junk(rs, triangular(rs, (2, 3, 4, 4)), lower=False)
    b = rs.randn(2, 3, 4, 2).astype(np.float32)
    m = well_conditioned(rs, (2, 3, 5, 5))
    m[0, 1] = -m[0, 1]  # determinants of both signs
    m[1, 2, 3] = 0.0    # a zero row: singular
    got = run_signature(result.flatbuffer, a=a, b=b, m=m)
    ref = {k: v.numpy() for k, v in f(a, b, m).items()}

    assert_matrix_close(got["x"], ref["x"], "x vs TF")
    exact = np.linalg.solve(np.swapaxes(triangle(a, lower=False), -1, -2), b.astype(np.float64))
    assert_matrix_close(got["x"], exact, "x vs numpy")

    np.testing.assert_array_equal(got["sign"], ref["sign"])
    sign, logdet = np.linalg.slogdet(m.astype(np.float64))
    regular = np.isfinite(logdet)
    assert regular.sum() == 5
    np.testing.assert_array_equal(got["sign"][regular], sign[regular])
    # log|det| error = relative error of |det|
    assert np.abs(got["logdet"][regular] - ref["logdet"][regular]).max() <= RTOL
    assert np.abs(got["logdet"][regular] - logdet[regular]).max() <= RTOL
    assert got["sign"][1, 2] == 0 and got["logdet"][1, 2] == -np.inf == ref["logdet"][1, 2]


# ---- MatrixTriangularSolve: every lower/adjoint combination, broadcast batch dims -----------------

TRI_CASES = {  # name: (matrix shape, rhs shape)
    "same": ((2, 3, 4, 4), (2, 3, 4, 3)),
    "matrix_unbatched": ((5, 5), (3, 5, 2)),
    "rhs_unbatched": ((2, 3, 3), (3, 4)),
    "broadcast": ((2, 1, 3, 3), (4, 3, 1)),
    "n1": ((2, 1, 1), (2, 1, 3)),
    "n16": ((3, 16, 16), (3, 16, 2)),
}


@pytest.fixture(scope="module")
def trisolve(tf):
    specs = []
    for name, (sa, sb) in TRI_CASES.items():
        specs += [tf.TensorSpec(sa, tf.float32, name=f"{name}_a"), tf.TensorSpec(sb, tf.float32, name=f"{name}_b")]
    names = [s.name for s in specs]

    @tf.function(input_signature=specs)
    def f(*xs):
        d = dict(zip(names, xs))
        return {f"{name}_{int(lower)}{int(adjoint)}":
                tf.linalg.triangular_solve(d[f"{name}_a"], d[f"{name}_b"], lower=lower, adjoint=adjoint)
                for name in TRI_CASES for lower in (True, False) for adjoint in (False, True)}
    return f, _convert(f), names


def test_triangular_solve_every_variant_matches_tf_and_numpy(trisolve):
    f, result, names = trisolve
    assert result.pass_counts.get("decompose-triangular-solve") == 4 * len(TRI_CASES)
    rs = np.random.RandomState(1)
    inputs = {}
    for name, (sa, sb) in TRI_CASES.items():
        inputs[f"{name}_a"] = triangular(rs, sa)  # both triangles usable: the strict parts are N(0, 1)
        inputs[f"{name}_b"] = rs.randn(*sb).astype(np.float32)
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in f(*[inputs[k] for k in names]).items()}
    for name in TRI_CASES:
        a, b = inputs[f"{name}_a"].astype(np.float64), inputs[f"{name}_b"].astype(np.float64)
        b = np.broadcast_to(b, np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:])
        for lower in (True, False):
            for adjoint in (False, True):
                key = f"{name}_{int(lower)}{int(adjoint)}"
                t = triangle(a, lower)
                exact = np.linalg.solve(np.swapaxes(t, -1, -2) if adjoint else t, b)
                assert_matrix_close(got[key], ref[key], key + " vs TF")
                assert_matrix_close(got[key], exact, key + " vs numpy")


def test_triangular_solve_reads_only_its_triangle(tf):
    @tf.function(input_signature=[tf.TensorSpec([4, 6, 6], tf.float32, name="a"),
                                  tf.TensorSpec([4, 6, 2], tf.float32, name="b")])
    def f(a, b):
        return {"lo": tf.linalg.triangular_solve(a, b, lower=True),
                "up_adj": tf.linalg.triangular_solve(a, b, lower=False, adjoint=True)}

    result = _convert(f)
    rs = np.random.RandomState(2)
    a = triangular(rs, (4, 6, 6))
    b = rs.randn(4, 6, 2).astype(np.float32)
    clean = run_signature(result.flatbuffer, a=a, b=b)
    for key, lower in (("lo", True), ("up_adj", False)):
        junk = with_junk(rs, a, lower)
        junk[0, 1 if lower else 4, 4 if lower else 1] = np.inf  # not even inf leaks through
        got = run_signature(result.flatbuffer, a=junk, b=b)[key]
        np.testing.assert_array_equal(got, clean[key])
        assert_matrix_close(got, f(junk, b)[key].numpy(), key)


# ---- MatrixSolve (adjoint or not) and MatrixInverse with adjoint -------------------------------

SOLVE_NS = (1, 2, 3, 5, 8)


def pivoting(rs, n):
    """[3, n, n]: a zero leading entry with ties, an anti-diagonal (a swap at every step), a zero
    diagonal: every one needs row exchanges (n = 1: three plain numbers)."""
    if n == 1:
        return np.array([3.0, -0.5, 1e-3], np.float32).reshape(3, 1, 1)
    while True:
        a = rs.randint(-4, 5, (n, n)).astype(np.float64)
        a[0, 0] = 0.0
        if abs(np.linalg.det(a)) > 0.5:
            break
    anti = np.eye(n)[::-1] * rs.uniform(0.5, 2, (n, 1)) * np.where(rs.rand(n, 1) < 0.5, -1, 1)
    zero_diag = rs.randn(n, n) + 2.0 * np.eye(n)[np.roll(np.arange(n), 1)]
    np.fill_diagonal(zero_diag, 0.0)
    return np.stack([a, anti, zero_diag]).astype(np.float32)


@pytest.fixture(scope="module")
def solve(tf):
    specs = []
    for n in SOLVE_NS:
        specs += [tf.TensorSpec([2, 3, n, n], tf.float32, name=f"a{n}"),
                  tf.TensorSpec([2, 3, n, 4], tf.float32, name=f"b{n}")]
    names = [s.name for s in specs]

    @tf.function(input_signature=specs)
    def f(*xs):
        d = dict(zip(names, xs))
        out = {}
        for n in SOLVE_NS:
            a, b = d[f"a{n}"], d[f"b{n}"]
            out[f"solve{n}"] = tf.linalg.solve(a, b)
            out[f"solve_adj{n}"] = tf.linalg.solve(a, b, adjoint=True)
            out[f"inv_adj{n}"] = tf.linalg.inv(a, adjoint=True)
        return out
    return f, _convert(f), names


def test_matrix_solve_and_inverse_adjoint_match_tf_and_numpy(solve):
    f, result, names = solve
    assert result.pass_counts.get("decompose-matrix-solve") == 2 * len(SOLVE_NS)
    assert result.pass_counts.get("decompose-matrix-inverse") == len(SOLVE_NS)
    rs = np.random.RandomState(3)
    inputs = {}
    for n in SOLVE_NS:
        inputs[f"a{n}"] = np.concatenate([pivoting(rs, n), well_conditioned(rs, (3, n, n))]).reshape(2, 3, n, n)
        inputs[f"b{n}"] = rs.randn(2, 3, n, 4).astype(np.float32)
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in f(*[inputs[k] for k in names]).items()}
    for n in SOLVE_NS:
        a, b = inputs[f"a{n}"].astype(np.float64), inputs[f"b{n}"].astype(np.float64)
        at = np.swapaxes(a, -1, -2)
        for key, exact in ((f"solve{n}", np.linalg.solve(a, b)), (f"solve_adj{n}", np.linalg.solve(at, b)),
                           (f"inv_adj{n}", np.linalg.inv(at))):
            assert_matrix_close(got[key], ref[key], key + " vs TF")
            assert_matrix_close(got[key], exact, key + " vs numpy")


# ---- LogMatrixDeterminant beyond float32's det range ------------------------------------------

def test_slogdet_where_det_overflows(tf):
    @tf.function(input_signature=[tf.TensorSpec([4, 16, 16], tf.float32, name="m"),
                                  tf.TensorSpec([3, 1, 1], tf.float32, name="s")])
    def f(m, s):
        sign, logdet = tf.linalg.slogdet(m)
        sign1, logdet1 = tf.linalg.slogdet(s)
        return {"sign": sign, "logdet": logdet, "sign1": sign1, "logdet1": logdet1, "det": tf.linalg.det(m)}

    result = _convert(f)
    rs = np.random.RandomState(4)
    m = well_conditioned(rs, (4, 16, 16)) * np.float32(1e4)   # |det| >= 1e48: inf in float32
    m[1] = -m[1][::-1]                                         # a row reversal and sign flips
    s = np.array([2.5, -1e-3, 0.0], np.float32).reshape(3, 1, 1)
    got = run_signature(result.flatbuffer, m=m, s=s)
    assert np.all(np.isinf(got["det"]))
    sign, logdet = np.linalg.slogdet(m.astype(np.float64))
    assert np.all(logdet > 100)
    np.testing.assert_array_equal(got["sign"], sign)
    assert np.abs(got["logdet"] - logdet).max() <= RTOL
    ref = {k: v.numpy() for k, v in f(m, s).items()}
    np.testing.assert_array_equal(got["sign"], ref["sign"])
    assert np.abs(got["logdet"] - ref["logdet"]).max() <= RTOL
    np.testing.assert_array_equal(got["sign1"], [1.0, -1.0, 0.0])
    np.testing.assert_allclose(got["logdet1"][:2], np.log(np.abs(s.reshape(3)[:2])), rtol=1e-6)
    assert got["logdet1"][2] == -np.inf


# ---- registration ------------------------------------------------------------------------------

def test_new_passes_registered_at_tf_stage_and_on_by_default():
    from tflx.passes import DEFAULT_PASSES
    from tflx.passes import registered_passes
    reg = registered_passes()
    for name in ("decompose-triangular-solve", "decompose-matrix-solve"):
        assert reg[name].stage == "tf" and name in DEFAULT_PASSES
        assert reg[name]().max_n == 16


def test_linalg_and_bitwise_in_one_function_builtins_only(tf):
    """The pass-library acceptance function: batched triangular_solve(lower=False, adjoint=True),
    slogdet, bitwise_and and left_shift together, default passes, builtins only, rel <= 1e-4."""
    import tflx
    rs = np.random.RandomState(13)
    a = (np.triu(rs.randn(2, 4, 4)) + 4 * np.eye(4)).astype(np.float32)
    rhs = rs.randn(2, 4, 3).astype(np.float32)
    m = (rs.randn(2, 3, 3) + 2 * np.eye(3)).astype(np.float32)
    x = rs.randint(-2**31, 2**31 - 1, (2, 6), dtype=np.int64).astype(np.int32)
    y = rs.randint(-1000, 1000, (6,)).astype(np.int32)
    s = rs.randint(0, 32, (2, 6)).astype(np.int32)

    @tf.function(input_signature=[tf.TensorSpec(a.shape, tf.float32, name="a"),
                                  tf.TensorSpec(rhs.shape, tf.float32, name="rhs"),
                                  tf.TensorSpec(m.shape, tf.float32, name="m"),
                                  tf.TensorSpec(x.shape, tf.int32, name="x"),
                                  tf.TensorSpec(y.shape, tf.int32, name="y"),
                                  tf.TensorSpec(s.shape, tf.int32, name="s")])
    def f(a, rhs, m, x, y, s):
        sign, logdet = tf.linalg.slogdet(m)
        return {"solve": tf.linalg.triangular_solve(a, rhs, lower=False, adjoint=True),
                "sign": sign, "logdet": logdet,
                "and": tf.bitwise.bitwise_and(x, y), "shift": tf.bitwise.left_shift(x, s)}

    r = tflx.convert(f)
    hist = r.op_histogram()
    assert not any(k.startswith(("CUSTOM", "STABLEHLO_")) for k in hist), hist
    feed = dict(a=a, rhs=rhs, m=m, x=x, y=y, s=s)
    got = run_signature(r.flatbuffer, **feed)
    want = {k: v.numpy() for k, v in f(**feed).items()}
    for k in ("solve", "logdet"):
        assert np.abs(got[k] - want[k]).max() <= 1e-4 * np.abs(want[k]).max(), k
    for k in ("sign", "and", "shift"):
        np.testing.assert_array_equal(got[k], want[k])
