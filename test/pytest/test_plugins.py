"""User plugins at every stage: loading, running, and the errors a buggy plugin gets."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tflxtest import REPO, run_signature, tflx_cli

PLUGINS = os.path.join(REPO, "examples", "plugins")


@pytest.fixture(scope="module")
def det_saved_model(tf, tmp_path_factory):
    """A SavedModel whose only op TFLite lacks is MatrixDeterminant (batched 3x3)."""
    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([4, 3, 3], tf.float32, name="m")])
        def __call__(self, m):
            return {"det": tf.linalg.det(m)}

    path = str(tmp_path_factory.mktemp("det") / "sm")
    mod = Det()
    tf.saved_model.save(mod, path, signatures={"serving_default": mod.__call__})
    return path


def _det_inputs():
    m = np.random.RandomState(4).randn(4, 3, 3).astype(np.float32)
    m[1] = [[0, 2, 1], [3, 0, 4], [1, 5, 0]]  # zero diagonal: the case LU needs pivoting for
    m[2] *= -3.0
    return m


def test_det_plugin_gives_builtins_matching_tf(det_saved_model, tmp_path):
    out = tmp_path / "det.tflite"
    r = tflx_cli("convert", det_saved_model, "-o", str(out), "--plugin", os.path.join(PLUGINS, "det_leibniz.py"))
    assert r.returncode == 0, r.stderr
    from tflx.flatbuffer import op_histogram
    hist = op_histogram(out.read_bytes())
    assert not any(k.startswith(("CUSTOM", "FLEX")) for k in hist), hist
    assert "REDUCE_PROD" in hist
    m = _det_inputs()
    got = run_signature(out.read_bytes(), m=m)["det"]
    np.testing.assert_allclose(got, np.linalg.det(m.astype(np.float64)), rtol=1e-5, atol=1e-5)


def test_det_without_plugin_fails_naming_the_op(det_saved_model, tmp_path):
    out = tmp_path / "det.tflite"
    r = tflx_cli("convert", det_saved_model, "-o", str(out), "--no-builtin-passes")
    assert r.returncode == 1
    assert "op 'tf.MatrixDeterminant'" in r.stderr and "stage 'flatbuffer'" in r.stderr
    assert not out.exists()


def test_topk_and_sort_plugin_runs(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([3, 7], tf.float32, name="x")])
    def f(x):
        values, indices = tf.math.top_k(x, k=4)
        return values, indices, tf.sort(x, direction="ASCENDING")

    r = tflx.convert(f, plugins=[os.path.join(PLUGINS, "topk_to_tfl.py")])
    assert "STABLEHLO_SORT" not in r.op_histogram() and r.op_histogram()["TOPK_V2"] >= 1
    x = np.random.RandomState(1).randn(3, 7).astype(np.float32)
    out = run_signature(r.flatbuffer, x=x)
    for key, ref in zip(["output_0", "output_1", "output_2"], f(x)):
        np.testing.assert_array_equal(out[key], ref.numpy())


def test_tfl_stage_plugin_fuses(tf):
    import tflx

    @tf.function(input_signature=[tf.TensorSpec([5], tf.float32, name="a"), tf.TensorSpec([5], tf.float32, name="b")])
    def f(a, b):
        d = a - b
        return d * d

    plain = tflx.convert(f).op_histogram()
    fused = tflx.convert(f, plugins=[os.path.join(PLUGINS, "squared_difference.py")])
    assert plain == {"SUB": 1, "MUL": 1}
    assert fused.op_histogram() == {"SQUARED_DIFFERENCE": 1}
    a, b = np.arange(5, dtype=np.float32), np.ones(5, np.float32) * 2
    np.testing.assert_allclose(run_signature(fused.flatbuffer, a=a, b=b)["output_0"], (a - b) ** 2)


BUGGY = '''
from dataclasses import dataclass
from tflx import builder as b
from tflx.plugin import PatternPass, register_pass, rewrite

@register_pass
@dataclass(frozen=True)
class Raises(PatternPass):
    name = "raises"
    stage = "{stage}"
    @rewrite("{op}")
    def explode(self, op, rewriter):
        raise ValueError("unexpected operand")

@register_pass
@dataclass(frozen=True)
class WrongType(PatternPass):
    name = "wrong-type"
    stage = "tfl"
    @rewrite("tfl.add")
    def rewrite_add(self, op, rewriter):
        with rewriter.ip, op.location:
            bad = b.tfl("squared_difference", [op.operands[0], op.operands[0]], b.tensor([7], "float32"))
        rewriter.replace_op(op, [bad])
'''


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_plugin_that_raises_is_named(tiny_cnn_dir, tmp_path):
    plugin = _write(tmp_path, "buggy.py", BUGGY.format(stage="tfl", op="tfl.mean"))
    out = tmp_path / "o.tflite"
    r = tflx_cli("convert", tiny_cnn_dir, "-o", str(out), "--plugin", plugin)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert "pass 'raises'" in line and "op 'tfl.mean'" in line and "Raises.explode" in line
    assert "ValueError: unexpected operand" in line and f"{plugin}:13" in line
    assert not out.exists()


def test_plugin_emitting_invalid_ir_is_named(tf, tmp_path):
    import tflx
    plugin = _write(tmp_path, "buggy2.py", BUGGY.format(stage="tf", op="tf.NoSuchOp"))

    @tf.function(input_signature=[tf.TensorSpec([6], tf.float32, name="x")])
    def f(x):
        return x + 1.0

    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(f, plugins=[plugin])
    msg = e.value.one_line()
    assert "pass 'wrong-type'" in msg and "op 'tfl.squared_difference'" in msg
    assert "fails verification" in msg and plugin in msg


def test_plugin_with_syntax_error(tmp_path):
    plugin = _write(tmp_path, "broken.py", "x = 1\ndef f(:\n")
    r = tflx_cli("plugins", "--plugin", plugin)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "failed to load: SyntaxError" in r.stderr and f"{plugin}:2" in r.stderr


def test_plugins_lists_files_modules_and_entry_points(tmp_path):
    site = tmp_path / "site"
    (site / "demo_tflx_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "demo_tflx_plugin.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from tflx.plugin import PatternPass, register_pass, rewrite

        @register_pass
        @dataclass(frozen=True)
        class Demo(PatternPass):
            name = "demo-entry-point-pass"
            stage = "stablehlo"
            description = "installed through an entry point"
    '''))
    (site / "demo_tflx_plugin-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-tflx-plugin\nVersion: 0.1\n")
    (site / "demo_tflx_plugin-0.1.dist-info" / "entry_points.txt").write_text("[tflx.plugins]\ndemo = demo_tflx_plugin\n")
    env = dict(os.environ, PYTHONPATH=str(site))
    r = subprocess.run([sys.executable, "-m", "tflx.cli.main", "plugins", "--plugin",
                        os.path.join(PLUGINS, "det_leibniz.py")], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "det-leibniz" in r.stdout and "[tf]" in r.stdout
    assert "entry point 'demo'" in r.stdout and "demo-entry-point-pass" in r.stdout and "[stablehlo]" in r.stdout


def test_unknown_plugin_module():
    r = tflx_cli("plugins", "--plugin", "no_such_module_xyz")
    assert r.returncode == 1 and "plugin module 'no_such_module_xyz' not found" in r.stderr


def test_pass_option_from_the_command_line(det_saved_model, tmp_path):
    """`--pass-option NAME:KEY=VALUE` sets a pass's typed option: Leibniz for 3x3 is 8 ops."""
    from tflx.flatbuffer import op_histogram
    outs = {}
    for label, extra in (("lu", []), ("leibniz", ["--pass-option", "decompose-matrix-determinant:leibniz_max_n=3"])):
        out = tmp_path / f"{label}.tflite"
        r = tflx_cli("convert", det_saved_model, "-o", str(out), "-q", *extra)
        assert r.returncode == 0, r.stderr
        outs[label] = sum(op_histogram(out.read_bytes()).values())
        got = run_signature(out.read_bytes(), m=_det_inputs())["det"]
        np.testing.assert_allclose(got, np.linalg.det(_det_inputs().astype(np.float64)), rtol=1e-4, atol=1e-5)
    assert outs["leibniz"] < outs["lu"]
    r = tflx_cli("convert", det_saved_model, "-o", str(tmp_path / "x.tflite"),
                 "--pass-option", "decompose-matrix-determinant:nope=1")
    assert r.returncode == 1 and "no option 'nope'" in r.stderr


RUN_RAISES = '''
from dataclasses import dataclass
from tflx.plugin import Pass, register_pass

@register_pass
@dataclass(frozen=True)
class RunRaises(Pass):
    name = "run-raises"
    stage = "tf"

    def run(self, module):
        helper = {}
        return helper["missing"]
'''


def test_plain_pass_that_raises_names_the_line(tf, tmp_path):
    """A Pass.run that raises: the error names the line that raised, not only the class."""
    import tflx
    plugin = _write(tmp_path, "run_raises.py", RUN_RAISES)

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32, name="x")])
    def f(x):
        return x + 1.0

    with pytest.raises(tflx.TflxError) as e:
        tflx.convert(f, plugins=[plugin])
    msg = e.value.one_line()
    assert "pass 'run-raises'" in msg and "KeyError" in msg and f"{plugin}:13" in msg, msg
