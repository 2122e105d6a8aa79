"""`tflx verify`: TF vs ai-edge-litert per output, and per tensor to find the op that diverges."""
import json
import re

import numpy as np
import pytest

from tflxtest import random_images


def run_tflx(capsys, *argv):
    """The `tflx` command line in this process (TF is loaded already): (exit code, stdout, stderr)."""
    from tflx.cli.common import run_cli
    from tflx.cli.main import _main
    capsys.readouterr()
    rc = run_cli(_main, [str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def good_tflite(tiny_cnn_result, tmp_path_factory):
    result, _ = tiny_cnn_result
    path = tmp_path_factory.mktemp("verify") / "good.tflite"
    result.save(str(path))
    return str(path)


def _altered(dump, tmp_path, op, old, new):
    """Edit the first `op` of the tfl-opt dump (`old` -> `new` in its text), resume to a .tflite."""
    import tflx
    text = (dump / "03-tfl-opt.mlir").read_text()
    i = text.index(op)
    j = text.index(old, i)
    assert j - i < 400, "the attribute belongs to another op"
    edited = tmp_path / "edited.mlir"
    edited.write_text(text[:j] + new + text[j + len(old):])
    out = tmp_path / "altered.tflite"
    tflx.resume(str(edited)).save(str(out))
    return str(out)


def test_verify_passes_on_correct_conversion(tiny_cnn_dir, good_tflite, tmp_path, capsys):
    rc, out, err = run_tflx(capsys, "verify", tiny_cnn_dir, good_tflite, "--json", tmp_path / "v.json")
    assert rc == 0, out + err
    assert "PASS" in out
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["ok"] and data["outputs"][0]["name"] == "output_0"
    assert data["outputs"][0]["max_abs"] < 1e-5


def test_altered_activation_fails_and_per_tensor_names_the_op(tiny_cnn_dir, tiny_cnn_result, tmp_path, capsys):
    _, dump = tiny_cnn_result
    bad = _altered(dump, tmp_path, "tfl.depthwise_conv_2d", 'fused_activation_function = "RELU6"',
                   'fused_activation_function = "NONE"')
    rc, out, err = run_tflx(capsys, "verify", tiny_cnn_dir, bad, "--per-tensor")
    assert rc == 1, out + err
    assert re.search(r"FAIL serving_default/output_0", out)
    line = next(ln for ln in out.splitlines() if "first divergence" in ln)
    # The depthwise conv is op #1; the conv before it still matches TF.
    assert "op #1 DEPTHWISE_CONV_2D" in line, out
    assert "re_lu_1_2/Relu6" in line
    assert re.search(r"ok\s+#0 CONV_2D", out)


def test_altered_constant_is_found_in_process(tiny_cnn_dir, tiny_cnn_result, tmp_path):
    """A changed bias of the last layer: outputs fail, and that FULLY_CONNECTED is the first
    divergence (everything before it still agrees)."""
    from tflx import verify
    _, dump = tiny_cnn_result
    text = (dump / "03-tfl-opt.mlir").read_text()
    fc = text.index("tfl.fully_connected")
    bias = re.findall(r"%(\w+)\)", text[fc:fc + 300])
    assert bias, "fully_connected without a bias operand"
    m = re.search(r"%" + bias[0] + r" = arith\.constant dense<([^>]*)>", text)
    assert m, bias
    assert not m.group(1).startswith(("[", '"')), "expected a splat bias"
    edited = text[:m.start(1)] + "1.000000e+01" + text[m.end(1):]
    (tmp_path / "e.mlir").write_text(edited)
    import tflx
    data = tflx.resume(str(tmp_path / "e.mlir")).flatbuffer
    res = verify.verify(tiny_cnn_dir, data, per_tensor=True)
    assert not res.ok
    assert res.first_divergence is not None and res.first_divergence.tfl_op == "FULLY_CONNECTED"
    assert all(t.ok for t in res.tensors if t.op_index < res.first_divergence.op_index and t.ok is not None)


def test_inputs_from_npz_and_tolerance(tiny_cnn_dir, good_tflite, tmp_path):
    from tflx import verify
    x = random_images(3, seed=7)
    np.savez(tmp_path / "x.npz", image=x)
    res = verify.verify(tiny_cnn_dir, good_tflite, inputs=str(tmp_path / "x.npz"))
    assert res.ok and res.inputs == {"serving_default": {"image": [3, 32, 32, 3]}}
    # An impossible tolerance makes the same comparison fail: the check really compares.
    strict = verify.verify(tiny_cnn_dir, good_tflite, inputs={"image": x}, atol=0.0, rtol=0.0)
    assert strict.outputs[0].max_abs == res.outputs[0].max_abs
    assert strict.ok == (res.outputs[0].max_abs == 0.0)


def test_verify_bad_input_is_a_user_error(tiny_cnn_dir, good_tflite, tmp_path):
    from tflx import verify
    from tflx.errors import TflxError
    (tmp_path / "junk.tflite").write_bytes(b"not a model at all")
    with pytest.raises(TflxError, match="not a .tflite"):
        verify.verify(tiny_cnn_dir, str(tmp_path / "junk.tflite"))
    with pytest.raises(TflxError, match="not a SavedModel"):
        verify.verify(str(tmp_path), good_tflite)
