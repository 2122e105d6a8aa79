"""JAX -> jax.export StableHLO artifact -> the stablehlo stage -> .tflite."""
import numpy as np
import pytest

from tflxtest import run_signature

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _mlp(x, w, b):
    return jnp.tanh(x @ w + b).mean(axis=-1)


def test_jax_function_converts_and_matches(tmp_path):
    import tflx
    rng = np.random.RandomState(0)
    x, w, b = (rng.randn(*s).astype(np.float32) for s in ((2, 5), (5, 3), (3,)))
    specs = [jax.ShapeDtypeStruct(a.shape, jnp.float32) for a in (x, w, b)]
    r = tflx.convert_jax(_mlp, *specs, input_names=["x", "w", "b"], dump_dir=str(tmp_path))
    assert list(r.stages) == ["stablehlo", "tfl", "tfl-opt", "flatbuffer"]
    assert (tmp_path / "01-stablehlo.mlir").exists()
    out = run_signature(r.flatbuffer, x=x, w=w, b=b)["output_0"]
    np.testing.assert_allclose(out, np.asarray(_mlp(x, w, b)), atol=1e-5)
    assert r.op_histogram().get("TANH") == 1


def test_jax_exported_object_is_accepted():
    import tflx
    from jax import export
    exp = export.export(jax.jit(lambda a: jnp.maximum(a, 0.0) * 2.0))(jax.ShapeDtypeStruct((4,), jnp.float32))
    r = tflx.convert_jax(exp)
    a = np.array([-1, 2, -3, 4], np.float32)
    np.testing.assert_allclose(run_signature(r.flatbuffer, args_0=a)["output_0"], [0, 4, 0, 8])
