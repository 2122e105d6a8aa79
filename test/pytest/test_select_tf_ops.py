"""Select TF ops (Flex) and custom-op fallback: --select-tf-ops, --select-user-tf-ops, --allow-custom-ops."""
import numpy as np
import pytest

from tflxtest import tflx_cli


def _custom_ops(tflite: bytes) -> dict:
    """custom_code -> [custom_options bytes] of every custom op in the main subgraph."""
    from tensorflow.lite.python import schema_py_generated as schema
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite, 0))
    out = {}
    for op in m.subgraphs[0].operators:
        code = m.operatorCodes[op.opcodeIndex]
        if code.customCode:
            out.setdefault(code.customCode.decode(), []).append(bytes(op.customOptions))
    return out


def _node_def(options: bytes):
    from flatbuffers import flexbuffers
    from tensorflow.core.framework import node_def_pb2
    vec = flexbuffers.GetRoot(options).AsVector
    return vec[0].AsString, node_def_pb2.NodeDef.FromString(bytes(vec[1].AsStringBytes))


@pytest.fixture(scope="module")
def select_models(tf, tmp_path_factory):
    """A string model (Flex-able ops) and a sqrtm model (not Flex-able), as SavedModels."""
    root = tmp_path_factory.mktemp("select")

    class Strings(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([4], tf.float32, name="x")])
        def f(self, x):
            return {"n": tf.strings.length(tf.strings.as_string(x)) + 1}

    class Sqrtm(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32, name="m")])
        def f(self, m):
            return {"r": tf.linalg.sqrtm(m) * 2.0}

    paths = {}
    for name, cls in (("strings", Strings), ("sqrtm", Sqrtm)):
        obj = cls()
        paths[name] = str(root / name)
        tf.saved_model.save(obj, paths[name], signatures={"serving_default": obj.f})
    return paths


def test_flex_ops_as_stock_writes_them(select_models, tmp_path):
    out = tmp_path / "s.tflite"
    r = tflx_cli("convert", select_models["strings"], "-o", str(out), "--select-tf-ops")
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    customs = _custom_ops(data)
    assert sorted(customs) == ["FlexAsString", "FlexStringLength"]
    for code, [options] in customs.items():
        name, nd = _node_def(options)
        assert name == code[len("Flex"):] == nd.op
    assert _node_def(customs["FlexStringLength"][0])[1].attr["unit"].s == b"BYTE"
    from tflx.flatbuffer import op_histogram
    hist = op_histogram(data)
    assert set(hist) == {"CUSTOM:FlexAsString", "CUSTOM:FlexStringLength", "ADD"}, hist
    assert "Flex ops: FlexAsString x1" in r.stderr and "Flex delegate" in r.stderr


def test_without_the_flag_the_error_names_it(select_models, tmp_path):
    out = tmp_path / "s.tflite"
    r = tflx_cli("convert", select_models["strings"], "-o", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert "tf.AsString" in line and "tf.StringLength" in line and "--select-tf-ops" in line
    assert not out.exists()


def test_not_flexable_op_needs_custom_ops(tf, select_models, tmp_path):
    import tflx
    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(select_models["sqrtm"], select_tf_ops=True)
    msg = e.value.one_line()
    assert "op 'tf.MatrixSquareRoot'" in msg and "--allow-custom-ops" in msg and "\n" not in msg
    r = tflx.convert(select_models["sqrtm"], select_tf_ops=True, allow_custom_ops=True)
    customs = _custom_ops(r.flatbuffer)
    assert list(customs) == ["MatrixSquareRoot"]  # never FlexMatrixSquareRoot
    # stock's layout: a FlexBuffer map of the attributes, T as TFLite's FLOAT32 (0)
    stock = tf.lite.TFLiteConverter.from_saved_model(select_models["sqrtm"])
    stock.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    stock.allow_custom_ops = True
    assert customs == _custom_ops(stock.convert())


def test_user_ops_become_flex(tf, select_models):
    import tflx
    r = tflx.convert(select_models["sqrtm"], select_user_tf_ops=["MatrixSquareRoot"])
    [options] = _custom_ops(r.flatbuffer)["FlexMatrixSquareRoot"]
    assert _node_def(options)[1].op == "MatrixSquareRoot"


def test_builtins_stay_builtins_with_the_flags(tiny_cnn_dir):
    import tflx
    r = tflx.convert(tiny_cnn_dir, select_tf_ops=True, allow_custom_ops=True)
    assert not any(k.startswith("CUSTOM") for k in r.op_histogram())
    assert r.pass_counts.get("select-tf-ops", 0) == 0
    assert r.flatbuffer == tflx.convert(tiny_cnn_dir).flatbuffer


def test_flex_model_runs_and_verifies(tf, select_models, tmp_path):
    """No interpreter here links the Flex delegate: tflx runs Flex ops' NodeDefs in TensorFlow
    (tflx.flex_runtime), so `tflx verify` and `tflx run` check a Flex model like any other."""
    import tflx
    from tflx import runtime
    from tflx.verify import verify
    r = tflx.convert(select_models["strings"], select_tf_ops=True)
    x = np.array([1.5, -2.0, 3.25, 100.0], np.float32)
    want = tf.strings.length(tf.strings.as_string(x)).numpy() + 1
    np.testing.assert_array_equal(runtime.run(r.flatbuffer, {"x": x})["n"], want)
    res = verify(select_models["strings"], r.flatbuffer)
    assert res.ok
    out = tmp_path / "s.tflite"
    out.write_bytes(r.flatbuffer)
    cli = tflx_cli("verify", select_models["strings"], str(out))
    assert cli.returncode == 0 and "PASS" in cli.stdout, cli.stdout + cli.stderr
    with pytest.raises(tflx.TflxError) as e:
        runtime.run(r.flatbuffer, {"x": x}, runtime="litert")
    assert "Flex ops (FlexAsString, FlexStringLength)" in e.value.one_line()
