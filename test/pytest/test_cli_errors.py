"""Bad input: exit != 0, one line, no traceback, no output file."""
import os

import pytest

from tflxtest import tflx_cli


def _assert_clean_failure(r, out, *needles):
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("tflx: error:")
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0]
    assert not os.path.exists(out)
    assert not [f for f in os.listdir(os.path.dirname(out)) if f.endswith(".tmp")]


def test_missing_path(tmp_path):
    out = str(tmp_path / "o.tflite")
    _assert_clean_failure(tflx_cli("convert", str(tmp_path / "nope"), "-o", out), out, "no SavedModel", "stage 'tf'")


@pytest.mark.parametrize("payload", [b"garbage", b"", b"\x08\x01\x12\x04junk"])
def test_corrupt_saved_model(tmp_path, payload):
    d = tmp_path / "sm"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(payload)
    out = str(tmp_path / "o.tflite")
    _assert_clean_failure(tflx_cli("convert", str(d), "-o", out), out, "stage 'tf'")


def test_truncated_variables(tiny_cnn_dir, tmp_path):
    import shutil
    d = tmp_path / "sm"
    shutil.copytree(tiny_cnn_dir, d)
    data = d / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:100])
    out = str(tmp_path / "o.tflite")
    _assert_clean_failure(tflx_cli("convert", str(d), "-o", out), out, "stage 'tf'")


def test_directory_without_saved_model(tmp_path):
    out = str(tmp_path / "o.tflite")
    _assert_clean_failure(tflx_cli("convert", str(tmp_path), "-o", out), out, "no saved_model.pb")


def test_unsupported_op_names_op_stage_and_source_line(tmp_path):
    src = tmp_path / "det_model.py"
    src.write_text(
        "import tensorflow as tf\n"
        "import tflx\n"
        "@tf.function(input_signature=[tf.TensorSpec([2, 3, 3], tf.float32)])\n"
        "def model(x):\n"
        "    return tf.linalg.det(x * 2.0)\n"
        "try:\n"
        "    tflx.convert(model, builtin_passes=False)\n"
        "except tflx.TflxError as e:\n"
        "    print(e.one_line())\n")
    import subprocess
    import sys
    r = subprocess.run([sys.executable, str(src)], capture_output=True, text=True, timeout=300)
    assert "op 'tf.MatrixDeterminant'" in r.stdout, r.stdout + r.stderr
    assert "stage 'flatbuffer'" in r.stdout
    assert f"{src}:5" in r.stdout


def test_bundled_example_converts(tiny_cnn_dir, tmp_path):
    out = tmp_path / "tiny.tflite"
    r = tflx_cli("convert", tiny_cnn_dir, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "CONV_2D" in r.stderr and "tfl-opt" in r.stderr
    assert out.stat().st_size > 1000


def test_stablehlo_op_without_builtin_is_named(tf):
    """With the inverse decomposition off, TF's QR custom calls reach export: name them."""
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32)])
    def model(x):
        return tf.linalg.inv(x)

    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(model, disable_passes=["decompose-matrix-inverse"])
    msg = e.value.one_line()
    assert "op 'stablehlo.custom_call @Qr'" in msg and "stablehlo.triangular_solve" in msg
    assert "Flex" not in msg
