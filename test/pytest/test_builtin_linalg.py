"""Built-in passes for ops TFLite lacks: det, inverse, Cholesky, top-k/sort become builtins that
ai-edge-litert runs, and the results match TensorFlow (and float64 numpy) within 1e-4.

Inputs exercise partial pivoting: zero and tiny leading pivots, zero diagonals, permutation
matrices (a swap at every step), negative entries, singular matrices, batch dims."""
import os

import numpy as np
import pytest

from tflxtest import REPO, run_signature, tflx_cli

RTOL = 1e-4
NEW_PASSES = {"decompose-matrix-determinant": "tf", "decompose-matrix-inverse": "tf",
              "decompose-cholesky": "tf", "legalize-topk-to-tfl": "stablehlo"}
NOT_BUILTIN = ("CUSTOM", "FLEX", "STABLEHLO_SORT", "STABLEHLO_CUSTOM_CALL")


def assert_builtins_only(hist):
    bad = {k: v for k, v in hist.items() if k.startswith(NOT_BUILTIN) or "CUSTOM" in k}
    assert not bad, f"non-builtin ops left: {bad} in {hist}"


def matrix_rel_err(got, ref):
    """Per-matrix normwise relative error: max |got - ref| / max |ref| over the last two dims."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    return np.abs(got - ref).max(axis=(-2, -1)) / np.abs(ref).max(axis=(-2, -1))


def assert_det_close(got, ref, a):
    # Relative to |det|, plus a floor at the Hadamard scale (prod of row norms) for singular inputs.
    scale = np.prod(np.linalg.norm(np.asarray(a, np.float64), axis=-1), axis=-1)
    err = np.abs(np.asarray(got, np.float64) - ref)
    assert np.all(err <= RTOL * np.abs(ref) + 1e-6 * scale), (got, ref, err / np.abs(ref))


def pivot_cases(n, seed, singular=True):
    """[2, 3, n, n]: six matrices that need row exchanges (or are singular)."""
    rs = np.random.RandomState(seed)
    cases = []
    while True:  # small integers: ties in |column|, zero leading pivot; nonsingular
        a = rs.randint(-4, 5, (n, n)).astype(np.float64)
        a[0, 0] = 0.0
        if abs(np.linalg.det(a)) > 0.5:
            break
    cases.append(a)
    a = rs.randn(n, n)                                 # tiny leading pivot
    a[0, 0] = 1e-7
    cases.append(a)
    perm = np.eye(n)[::-1] * np.where(rs.rand(n) < 0.5, -1.0, 1.0)[:, None] * rs.uniform(0.5, 2, (n, 1))
    cases.append(perm)                                 # anti-diagonal: a swap at every step
    cases.append(-3.0 * (rs.randn(n, n) + np.eye(n)))  # negative entries
    a = rs.randn(n, n) + 2.0 * np.eye(n)[np.roll(np.arange(n), 1)]
    np.fill_diagonal(a, 0.0)                           # zero diagonal
    cases.append(a)
    if singular and n > 1:
        a = rs.randn(n, n)
        a[-1] = a[0] - 2.0 * a[1] if n > 2 else -2.0 * a[0]  # rank deficient
        cases.append(a)
    else:
        cases.append(rs.randn(n, n) + n * np.eye(n))
    return np.stack(cases).reshape(2, 3, n, n).astype(np.float32)


def well_conditioned(n, count, seed, spd=False, cond=30.0):
    """Random [count, n, n] with singular values in [1, cond] (times a random scale)."""
    rs = np.random.RandomState(seed)

    def orth():
        q, r = np.linalg.qr(rs.randn(count, n, n))
        return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]

    s = rs.uniform(1.0, cond, (count, n)) * 10.0 ** rs.uniform(-1, 1, (count, 1))
    u = orth()
    v = u if spd else orth()
    return np.einsum("bij,bj,bkj->bik", u, s, v).astype(np.float32)


def spd_cases(n, seed):
    """[2, 3, n, n] symmetric positive definite, some badly scaled, negative off-diagonals."""
    rs = np.random.RandomState(seed)
    m = rs.randn(6, n, n)
    a = m @ np.swapaxes(m, 1, 2) + 0.5 * np.eye(n)
    d = 10.0 ** rs.uniform(-2, 2, (6, n))
    a = a * d[:, :, None] * d[:, None, :]              # diagonal scaling keeps it SPD
    a[0] = -np.abs(a[0]) + np.diag(np.abs(a[0]).sum(1) * 2)  # negative off-diagonal, diag dominant
    return a.reshape(2, 3, n, n).astype(np.float32)


# ---- the acceptance model: a SavedModel converted with plain `tflx convert` -----------------

@pytest.fixture(scope="module")
def combo_saved_model(tf, tmp_path_factory):
    class Combo(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2, 3, 3], tf.float32, name="a3"),
                                      tf.TensorSpec([2, 4, 4], tf.float32, name="a4"),
                                      tf.TensorSpec([2, 10], tf.float32, name="scores")])
        def __call__(self, a3, a4, scores):
            values, indices = tf.math.top_k(scores, k=3)
            return {"det3": tf.linalg.det(a3), "det4": tf.linalg.det(a4),
                    "inv3": tf.linalg.inv(a3), "inv4": tf.linalg.inv(a4),
                    "chol3": tf.linalg.cholesky(a3), "chol4": tf.linalg.cholesky(a4),
                    "top_values": values, "top_indices": indices,
                    "sorted_up": tf.sort(scores, direction="ASCENDING")}

    path = str(tmp_path_factory.mktemp("combo") / "sm")
    mod = Combo()
    tf.saved_model.save(mod, path, signatures={"serving_default": mod.__call__})
    return path


def test_combined_model_converts_to_builtins_and_matches_tf(tf, combo_saved_model, tmp_path):
    out = tmp_path / "combo.tflite"
    r = tflx_cli("convert", combo_saved_model, "-o", str(out))
    assert r.returncode == 0, r.stderr
    from tflx.flatbuffer import op_histogram
    model = out.read_bytes()
    hist = op_histogram(model)
    assert_builtins_only(hist)
    assert hist.get("TOPK_V2", 0) >= 1 and hist.get("ARG_MAX", 0) >= 1, hist

    rs = np.random.RandomState(7)
    spd3, spd4 = spd_cases(3, 1).reshape(6, 3, 3)[:2], spd_cases(4, 2).reshape(6, 4, 4)[:2]
    spd3[1] *= -1.0  # det/inv of a negative definite matrix too (Cholesky is checked on [0])
    scores = rs.randn(2, 10).astype(np.float32)
    scores[0, 3] = scores[0, 7]  # a tie
    inputs = dict(a3=spd3, a4=spd4, scores=scores)
    got = run_signature(model, **inputs)
    ref = {k: v.numpy() for k, v in tf.saved_model.load(combo_saved_model).signatures["serving_default"](
        **{k: tf.constant(v) for k, v in inputs.items()}).items()}

    for key in ("det3", "det4"):
        a = inputs["a" + key[-1]]
        assert_det_close(got[key], ref[key], a)
        assert_det_close(got[key], np.linalg.det(a.astype(np.float64)), a)
    for key in ("inv3", "inv4"):
        assert np.all(matrix_rel_err(got[key], ref[key]) <= RTOL), key
    for key in ("chol3", "chol4"):  # matrix 0 is SPD
        assert np.all(matrix_rel_err(got[key][0], ref[key][0]) <= RTOL), key
        assert np.all(np.triu(got[key][0], 1) == 0)
    for key in ("top_values", "top_indices", "sorted_up"):
        np.testing.assert_array_equal(got[key], ref[key])


# ---- per pass ------------------------------------------------------------------------------

DET_NS = (2, 3, 4, 5, 8)
INV_NS = (2, 3, 5, 8)
CHOL_NS = (1, 3, 6)
RANDOM_COUNT = 200


def _convert(tf_fn):
    import tflx
    result = tflx.convert(tf_fn)
    assert_builtins_only(result.op_histogram())
    return result


@pytest.fixture(scope="module")
def det_result(tf):
    specs = [tf.TensorSpec([2, 3, n, n], tf.float32, name=f"p{n}") for n in DET_NS]
    specs += [tf.TensorSpec([RANDOM_COUNT, n, n], tf.float32, name=f"r{n}") for n in (3, 8)]

    @tf.function(input_signature=specs)
    def f(*ms):
        return {"det_" + spec.name: tf.linalg.det(m)
                for spec, m in zip(specs, ms)}
    return f, _convert(f), [spec.name for spec in specs]


def test_determinant_pivoting_cases_match_tf_and_numpy(det_result):
    f, result, names = det_result
    inputs = {f"p{n}": pivot_cases(n, seed=n) for n in DET_NS}
    inputs.update({f"r{n}": well_conditioned(n, RANDOM_COUNT, seed=10 + n) for n in (3, 8)})
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in f(*[inputs[n] for n in names]).items()}
    for name, a in inputs.items():
        key = "det_" + name
        assert_det_close(got[key], ref[key], a)
        assert_det_close(got[key], np.linalg.det(a.astype(np.float64)), a)
    # The permutation cases: exactly +-prod(entries), sign included.
    for n in DET_NS:
        a = inputs[f"p{n}"][0, 2].astype(np.float64)
        assert np.sign(got[f"det_p{n}"][0, 2]) == np.sign(np.linalg.det(a))


def test_determinant_histogram_leibniz_small_lu_large(det_result):
    _, result, _ = det_result
    hist = result.op_histogram()
    # n=2 by Leibniz (one gather); n=3,4,5,8 and the random 3x3 and 8x8 by LU: one ARG_MAX a step.
    assert hist["ARG_MAX"] == 3 + 4 + 5 + 8 + 3 + 8, hist
    assert hist.get("GATHER_ND", 0) + hist.get("GATHER", 0) == 1, hist


@pytest.fixture(scope="module")
def inv_result(tf):
    specs = [tf.TensorSpec([2, 3, n, n], tf.float32, name=f"p{n}") for n in INV_NS]
    specs += [tf.TensorSpec([RANDOM_COUNT, n, n], tf.float32, name=f"r{n}") for n in (3, 8)]

    @tf.function(input_signature=specs)
    def f(*ms):
        return {"inv_" + spec.name: tf.linalg.inv(m) for spec, m in zip(specs, ms)}
    return f, _convert(f), [spec.name for spec in specs]


def test_inverse_pivoting_cases_match_tf_and_numpy(inv_result):
    f, result, names = inv_result
    inputs = {f"p{n}": pivot_cases(n, seed=20 + n, singular=False) for n in INV_NS}
    inputs.update({f"r{n}": well_conditioned(n, RANDOM_COUNT, seed=30 + n) for n in (3, 8)})
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in f(*[inputs[n] for n in names]).items()}
    for name, a in inputs.items():
        key = "inv_" + name
        assert got[key].shape == a.shape
        assert np.all(matrix_rel_err(got[key], ref[key]) <= RTOL), (key, matrix_rel_err(got[key], ref[key]).max())
        exact = np.linalg.inv(a.astype(np.float64))
        assert np.all(matrix_rel_err(got[key], exact) <= RTOL), key


@pytest.fixture(scope="module")
def chol_result(tf):
    specs = [tf.TensorSpec([2, 3, n, n], tf.float32, name=f"p{n}") for n in CHOL_NS]
    specs += [tf.TensorSpec([RANDOM_COUNT, n, n], tf.float32, name=f"r{n}") for n in (3, 8)]

    @tf.function(input_signature=specs)
    def f(*ms):
        return {"chol_" + spec.name: tf.linalg.cholesky(m) for spec, m in zip(specs, ms)}
    return f, _convert(f), [spec.name for spec in specs]


def test_cholesky_matches_tf_lower_triangular_reads_lower_only(chol_result):
    f, result, names = chol_result
    inputs = {f"p{n}": spd_cases(n, seed=40 + n) for n in CHOL_NS}
    inputs.update({f"r{n}": well_conditioned(n, RANDOM_COUNT, seed=50 + n, spd=True) for n in (3, 8)})
    for n in CHOL_NS:  # junk above the diagonal: TF reads the lower triangle only, so must we
        a = inputs[f"p{n}"]
        a += np.triu(np.float32(1e3) * np.random.RandomState(n).randn(*a.shape).astype(np.float32), 1)
    got = run_signature(result.flatbuffer, **inputs)
    ref = {k: v.numpy() for k, v in f(*[inputs[n] for n in names]).items()}
    for name, a in inputs.items():
        key = "chol_" + name
        assert np.all(matrix_rel_err(got[key], ref[key]) <= RTOL), (key, matrix_rel_err(got[key], ref[key]).max())
        assert np.all(np.triu(got[key], 1) == 0), key
        lower = np.tril(a.astype(np.float64))
        sym = lower + np.swapaxes(np.tril(lower, -1), -1, -2)
        assert np.all(matrix_rel_err(got[key], np.linalg.cholesky(sym)) <= RTOL), key


@pytest.fixture(scope="module")
def topk_result(tf):
    @tf.function(input_signature=[tf.TensorSpec([2, 3, 9], tf.float32, name="x"),
                                  tf.TensorSpec([4, 6], tf.int32, name="xi")])
    def f(x, xi):
        v, i = tf.math.top_k(x, k=4)
        vi, ii = tf.math.top_k(xi, k=2)
        return {"v": v, "i": i, "vi": vi, "ii": ii,
                "up": tf.sort(x, direction="ASCENDING"), "down": tf.sort(x, direction="DESCENDING"),
                "arg_up": tf.argsort(xi, direction="ASCENDING", stable=True),
                "arg_down": tf.argsort(x, direction="DESCENDING", stable=True),
                "up_int": tf.sort(xi, direction="ASCENDING"), "up_axis1": tf.sort(x, axis=1)}

    import tflx
    # legalize-topk-to-tfl works on what the StableHLO route makes of sorts (the direct route,
    # the default for these ops, gives TOPK_V2 as stock does).
    without = tflx.convert(f, disable_passes=["legalize-topk-to-tfl"], route="stablehlo")
    return f, {"auto": _convert(f), "stablehlo": tflx.convert(f, route="stablehlo")}, without


@pytest.mark.parametrize("route", ["auto", "stablehlo"])
def test_topk_and_sorts_become_topk_v2_and_match_tf(topk_result, route):
    f, results, without = topk_result
    result = results[route]
    # Without the pass the values-only sorts are STABLEHLO_SORT, which the runtime lacks.
    assert without.op_histogram().get("STABLEHLO_SORT", 0) >= 1
    hist = result.op_histogram()
    assert hist["TOPK_V2"] >= 6 and "STABLEHLO_SORT" not in hist, hist
    rs = np.random.RandomState(3)
    x = rs.randint(-3, 4, (2, 3, 9)).astype(np.float32)   # many ties
    x[1, 2] = -x[1, 2] * 1e-3
    xi = rs.randint(-2, 3, (4, 6)).astype(np.int32)
    xi[0, :2] = [np.iinfo(np.int32).min, np.iinfo(np.int32).max]
    got = run_signature(result.flatbuffer, x=x, xi=xi)
    ref = f(x, xi)
    for key, want in ref.items():
        np.testing.assert_array_equal(got[key], want.numpy(), err_msg=key)


def test_jax_sorts_become_topk_v2_and_match_jax():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    import tflx

    def f(x, xi):
        return (jnp.sort(x), jnp.argsort(x), jnp.argsort(xi), jnp.sort(x, axis=0),
                jnp.argsort(xi, descending=True), jnp.sort(xi, descending=True))

    specs = (jax.ShapeDtypeStruct((3, 7), jnp.float32), jax.ShapeDtypeStruct((3, 7), jnp.int32))
    result = tflx.convert_jax(f, *specs, input_names=["x", "xi"])
    hist = result.op_histogram()
    assert_builtins_only(hist)
    assert hist["TOPK_V2"] >= 5 and "BITWISE_XOR" in hist, hist
    rs = np.random.RandomState(5)
    x = rs.randint(-3, 4, (3, 7)).astype(np.float32)
    x[0, 0] = -0.0
    xi = rs.randint(-3, 4, (3, 7)).astype(np.int32)
    got = run_signature(result.flatbuffer, x=x, xi=xi)
    for i, want in enumerate(f(x, xi)):
        np.testing.assert_array_equal(got[f"output_{i}"], np.asarray(want), err_msg=f"output_{i}")


# ---- registration ----------------------------------------------------------------------------

def test_passes_registered_listed_and_on_by_default():
    from tflx.passes import DEFAULT_PASSES
    from tflx.passes import registered_passes
    reg = registered_passes()
    for name, stage in NEW_PASSES.items():
        assert reg[name].stage == stage and name in DEFAULT_PASSES
    r = tflx_cli("passes")
    assert r.returncode == 0, r.stderr
    for name, stage in NEW_PASSES.items():
        assert any(line.split()[:2] == [name, f"[{stage}]"] for line in r.stdout.splitlines()), r.stdout


def test_example_plugins_load_beside_the_builtins(tf):
    """examples/plugins/det_leibniz.py and topk_to_tfl.py register other names: no clash, and
    the built-ins (which run first) have already done the rewrite."""
    import tflx
    plugins = [os.path.join(REPO, "examples", "plugins", p) for p in ("det_leibniz.py", "topk_to_tfl.py")]

    @tf.function(input_signature=[tf.TensorSpec([2, 5, 5], tf.float32, name="m"),
                                  tf.TensorSpec([2, 6], tf.float32, name="x")])
    def f(m, x):
        return {"det": tf.linalg.det(m), "up": tf.sort(x, direction="ASCENDING")}

    result = tflx.convert(f, plugins=plugins)
    assert_builtins_only(result.op_histogram())
    assert result.pass_counts.get("decompose-matrix-determinant") == 1
    assert result.pass_counts.get("det-leibniz", 0) == 0 and result.pass_counts.get("topk-to-tfl", 0) == 0
    m = pivot_cases(5, seed=9).reshape(6, 5, 5)[:2]
    x = np.random.RandomState(2).randn(2, 6).astype(np.float32)
    got = run_signature(result.flatbuffer, m=m, x=x)
    assert_det_close(got["det"], np.linalg.det(m.astype(np.float64)), m)
    np.testing.assert_array_equal(got["up"], np.sort(x, axis=-1))


def test_without_the_pass_inverse_does_not_export(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32, name="m")])
    def f(m):
        return tf.linalg.inv(m)

    # tf-stablehlo lowers MatrixInverse to a QR custom call + triangular solve, which no builtin
    # represents: export fails.
    with pytest.raises(tflx.TflxError, match="stage 'flatbuffer'"):
        tflx.convert(f, disable_passes=["decompose-matrix-inverse"])
