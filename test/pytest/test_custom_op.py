"""Custom ops end to end: declaration -> .tflite with CUSTOM ops -> C kernels -> numpy reference / TF.

The kernel library is built once per session with CMake into a temp dir (a failed build fails the
tests); the example model (examples/custom_op) is converted once per module for each lowering.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tflxtest import REPO, tflx_cli

EXAMPLE = os.path.join(REPO, "examples", "custom_op")
TOL = 1e-5


@pytest.fixture(scope="session")
def kernel_lib(tmp_path_factory):
    """build/libtflx_examples_ops.so, built from the repo's CMakeLists.txt."""
    assert shutil.which("cmake"), "cmake is needed to build the custom-op kernels"
    build = tmp_path_factory.mktemp("cmake_build")
    for cmd in (["cmake", "-S", REPO, "-B", str(build)],
                ["cmake", "--build", str(build), "--target", "tflx_examples_ops"]):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}"
    lib = build / "libtflx_examples_ops.so"
    assert lib.is_file(), f"the build made no {lib}"
    return str(lib)


@pytest.fixture(scope="module")
def example():
    import tflx  # noqa: F401
    sys.path.insert(0, EXAMPLE)
    try:
        import model
    finally:
        sys.path.remove(EXAMPLE)
    return model


@pytest.fixture(scope="module")
def converted(example):
    """{lowering: .tflite bytes} for the example model."""
    import tflx
    scaled_tanh, swish = example.ops()
    fn = example.model_fn()
    return {low: tflx.convert(fn, plugins=scaled_tanh.pass_instances(low) + swish.pass_instances(low)).flatbuffer
            for low in ("custom", "composite")}


def _check(example, got, x):
    ref = example.reference(x)
    for name in ("features", "y"):
        assert got[name].shape == ref[name].shape
        assert np.max(np.abs(got[name] - ref[name])) <= TOL, name
    tf_features = example.features_tf(x).numpy()
    assert np.max(np.abs(got["features"] - tf_features)) <= TOL


def test_tflite_holds_the_declared_custom_ops(converted):
    from tflx.custom_op import custom_ops_in
    from tflx.flatbuffer import op_histogram
    fb = converted["custom"]
    assert dict(op_histogram(fb)) == {"FULLY_CONNECTED": 1, "CUSTOM:TflxSwish": 1, "CUSTOM:TflxScaledTanh": 1}
    uses = {u.code: u for u in custom_ops_in(fb)}
    assert uses["TflxScaledTanh"].version == 1 and uses["TflxSwish"].version == 1
    assert uses["TflxScaledTanh"].attrs == {"alpha": 0.5, "beta": 2.0}
    assert uses["TflxSwish"].attrs == {"beta": 1.5}


@pytest.mark.parametrize("batch", [1, 5])
def test_c_kernels_match_reference_and_tf(example, converted, kernel_lib, batch):
    import tflx.runtime
    x = example.inputs(batch, seed=batch)["x"]
    got = tflx.runtime.run(converted["custom"], {"x": x}, custom_op_libs=[kernel_lib])
    _check(example, got, x)


def test_litert_runtime_with_the_same_kernels(example, converted, kernel_lib):
    import tflx.runtime
    x = example.inputs(3)["x"]
    _check(example, tflx.runtime.run(converted["custom"], {"x": x}, custom_op_libs=[kernel_lib],
                                     runtime="litert"), x)


def test_composite_variant_runs_without_kernels(example, converted):
    import tflx.runtime
    from tflx.custom_op import custom_ops_in
    from tflx.flatbuffer import op_histogram
    fb = converted["composite"]
    assert op_histogram(fb)["STABLEHLO_COMPOSITE"] == 2
    assert custom_ops_in(fb) == []
    x = example.inputs(4)["x"]
    _check(example, tflx.runtime.run(fb, {"x": x}), x)


def test_missing_kernel_is_a_clear_error(example, converted):
    import tflx.runtime
    from tflx.errors import TflxError
    with pytest.raises(TflxError) as e:
        tflx.runtime.run(converted["custom"], example.inputs())
    msg = str(e.value)
    assert "custom op 'TflxScaledTanh' (version 1)" in msg and "TflxSwish v1" in msg
    assert "--custom-op-lib" in msg and "tflx_custom_ops()" in msg


def test_kernel_of_another_version_is_not_used(example, converted, kernel_lib):
    import tflx.runtime
    from tflx.custom_op import custom_ops_in, set_custom_op_versions
    from tflx.errors import TflxError
    fb = set_custom_op_versions(converted["custom"], {"TflxSwish": 2})
    assert {u.code: u.version for u in custom_ops_in(fb)} == {"TflxSwish": 2, "TflxScaledTanh": 1}
    with pytest.raises(TflxError, match=r"custom op 'TflxSwish' \(version 2\).*provides TflxScaledTanh v1, "
                                        r"TflxSwish v1"):
        tflx.runtime.run(fb, example.inputs(), custom_op_libs=[kernel_lib])
    # the re-packed model is whole: back at version 1 it runs as before
    x = example.inputs(2)["x"]
    _check(example, tflx.runtime.run(set_custom_op_versions(fb, {"TflxSwish": 1}), {"x": x},
                                     custom_op_libs=[kernel_lib]), x)


def _with_options(fb: bytes, code: str, options: bytes) -> bytes:
    import flatbuffers
    from litert_converter import schema_py_generated as s
    m = s.ModelT.InitFromPackedBuf(bytearray(fb), 0)
    index = [i for i, oc in enumerate(m.operatorCodes) if oc.customCode in (code, code.encode())][0]
    for op in m.subgraphs[0].operators:
        if op.opcodeIndex == index:
            op.customOptions = np.frombuffer(options, np.uint8)
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_kernel_reads_ints_and_doubles_in_options(example, converted, kernel_lib):
    """The C FlexBuffer reader: alpha as an int, beta as a float64, keys in another set."""
    from flatbuffers import flexbuffers

    import tflx.runtime
    opts = bytes(flexbuffers.Dumps({"alpha": 3, "beta": 0.1, "unused": "text"}))
    fb = _with_options(converted["custom"], "TflxScaledTanh", opts)
    x = example.inputs(2)["x"]
    got = tflx.runtime.run(fb, {"x": x}, custom_op_libs=[kernel_lib])
    scaled_tanh, _ = example.ops()
    want = scaled_tanh(example.reference(x)["features"], alpha=3, beta=0.1)
    assert np.max(np.abs(got["y"] - want)) <= TOL


def test_kernel_rejects_options_without_required_attribute(example, converted, kernel_lib):
    from flatbuffers import flexbuffers

    import tflx.runtime
    from tflx.errors import TflxError
    fb = _with_options(converted["custom"], "TflxScaledTanh", bytes(flexbuffers.Dumps({"beta": 1.0})))
    with pytest.raises(TflxError, match="TflxScaledTanh: custom options have no number 'alpha'; "):
        tflx.runtime.run(fb, example.inputs(), custom_op_libs=[kernel_lib])


def test_inputs_are_checked_against_the_signature(example, converted, kernel_lib):
    """A wrong input shape is an error, not a kernel reading past the buffer."""
    import tflx.runtime
    from tflx.errors import TflxError
    with pytest.raises(TflxError, match=r"input 'x' has shape \[2, 3\], the model takes \[-1, 8\]"):
        tflx.runtime.run(converted["custom"], {"x": np.zeros((2, 3), np.float32)}, custom_op_libs=[kernel_lib])
    with pytest.raises(TflxError, match=r"the model takes \['x'\]; missing \['x'\], unknown \['y'\]"):
        tflx.runtime.run(converted["custom"], {"y": np.zeros((2, 8), np.float32)}, custom_op_libs=[kernel_lib])
    got = tflx.runtime.run(converted["custom"], {"x": np.zeros((2, 8))}, custom_op_libs=[kernel_lib])  # float64 in
    assert got["y"].dtype == np.float32 and got["y"].shape == (2, 16)


def test_bad_library_errors(tmp_path):
    import tflx.runtime
    from tflx.errors import TflxError
    with pytest.raises(TflxError, match="does not exist"):
        tflx.runtime.load_kernel_library(tmp_path / "nope.so")
    libm = subprocess.run(["gcc", "-print-file-name=libm.so.6"], capture_output=True, text=True).stdout.strip()
    with pytest.raises(TflxError, match="exports no tflx_custom_ops"):
        tflx.runtime.load_kernel_library(libm)


# ---- declarations ---------------------------------------------------------------------------

def _declare(**overrides):
    import tflx
    kw = dict(inputs={"x": "float32"}, outputs={"y": "float32"}, source="tf.Relu")
    kw.update(overrides)
    return tflx.custom_op("TflxTestOp", **kw)(lambda x, **a: x)


@pytest.mark.parametrize("attrs, named", [
    ({"alpha": dict}, "alpha"),
    ({"scale": (float, "big")}, "scale"),
    ({"axes": list[str]}, "axes"),
    ({"flag": (bool, 1)}, "flag"),
])
def test_declaration_rejects_a_wrong_attribute_type(attrs, named):
    from tflx.errors import TflxError
    with pytest.raises(TflxError, match=f"attribute '{named}'") as e:
        _declare(attrs=attrs)
    assert "test_custom_op.py" in (e.value.location or "")


@pytest.mark.parametrize("overrides, text", [
    ({"inputs": {"x": "complex64"}}, "dtype"),
    ({"lowering": "flex"}, "lowering"),
    ({"lowering": "composite"}, "decomposition"),
    ({"source": "tf.Mul(%x, tf.Sigmoid(%y))"}, "pattern binds"),
    ({"source": "tf.Mul(%x, "}, "pattern"),
    ({"source": "tf.Mul(%x, %x){T=$t}", "attrs": {"alpha": float}}, "captures"),
    ({"version": 0}, "version"),
])
def test_declaration_errors(overrides, text):
    from tflx.errors import TflxError
    with pytest.raises(TflxError, match=text):
        _declare(**overrides)


def test_wrong_attribute_value_in_the_model_names_it(example):
    import tensorflow as tf

    from tflx.errors import TflxError
    scaled_tanh, _ = example.ops()

    def f(x):
        return scaled_tanh.tf(x, alpha="big")

    spec = [tf.TensorSpec([2], tf.float32)]
    with pytest.raises(TflxError, match="attribute 'alpha' must be a float, got str"):
        tf.function(f, input_signature=spec, autograph=False).get_concrete_function()
    # AutoGraph re-raises errors from traced code as its StagingError, quoting them.
    with pytest.raises(Exception, match="attribute 'alpha' must be a float, got str"):
        tf.function(f, input_signature=spec).get_concrete_function()


def test_standard_tf_op_by_name_becomes_a_custom_op():
    import tensorflow as tf

    import tflx
    from tflx.custom_op import custom_ops_in

    @tflx.custom_op("TflxLeaky", version=2, inputs={"x": "float32"}, outputs={"y": "float32"},
                    attrs={"alpha": float}, source="tf.LeakyRelu")
    def leaky(x, alpha):
        return np.where(x > 0, x, alpha * x)

    @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32)])
    def f(x):
        return tf.nn.leaky_relu(x, alpha=0.25)

    fb = tflx.convert(f, plugins=leaky.pass_instances()).flatbuffer
    # the declared version reaches the OperatorCode table (the exporter alone writes 1)
    assert [(u.code, u.version, u.attrs) for u in custom_ops_in(fb)] == [("TflxLeaky", 2, {"alpha": 0.25})]
    np.testing.assert_allclose(leaky(np.array([-2.0, 3.0]), alpha=0.25), [-0.5, 3.0])


# ---- command line ---------------------------------------------------------------------------

def test_cli_convert_and_run_example(example, kernel_lib, tmp_path):
    """The README's steps: SavedModel -> tflx convert --plugin -> tflx run --custom-op-lib."""
    saved = example.save(str(tmp_path))
    tfl = tmp_path / "model.tflite"
    p = tflx_cli("convert", saved, "--plugin", os.path.join(EXAMPLE, "my_ops.py"), "-o", str(tfl), "-q")
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out.npz"
    p = tflx_cli("run", str(tfl), "--custom-op-lib", kernel_lib, "--inputs", str(tmp_path / "x.npz"), "-o", str(out))
    assert p.returncode == 0, p.stderr
    with np.load(out) as z:
        got = {k: z[k] for k in z.files}
    _check(example, got, example.inputs()["x"])
    p = subprocess.run([sys.executable, os.path.join(EXAMPLE, "check.py"), str(out), str(tmp_path / "x.npz"),
                        str(tfl)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "CUSTOM TflxScaledTanh v1 options {'alpha': 0.5, 'beta': 2.0}" in p.stdout, p.stdout

    p = tflx_cli("run", str(tfl), "--inputs", str(tmp_path / "x.npz"))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("tflx: error:")]
    assert len(errors) == 1 and "custom op 'TflxScaledTanh'" in errors[0] and "--custom-op-lib" in errors[0]
