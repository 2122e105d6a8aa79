"""`tflx assess`: each TF op's status found by running the real pipeline, with source lines."""
import json
import os
import sys
import textwrap

import pytest

from tflxtest import tflx_cli

# A model whose MatrixSquareRoot no pass handles: TFLite has no builtin, the Flex allow-list does
# not have it either (the exporter would make it a custom op). Saved with debug info, so the
# SavedModel remembers which line of this file created each op.
SQRTM_MODEL = textwrap.dedent("""\
    import sys
    import tensorflow as tf

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32)])
        def __call__(self, x):
            y = x * 2.0 + 1.0
            z = tf.linalg.sqrtm(y)
            return {"out": z - 0.5}

    m = M()
    tf.saved_model.save(m, sys.argv[1], signatures=m.__call__,
                        options=tf.saved_model.SaveOptions(save_debug_info=True))
    """)
SQRTM_LINE = 8


def run_tflx(capsys, *argv):
    """The `tflx` command line in this process (TF is loaded already): (exit code, stdout, stderr)."""
    from tflx.cli.common import run_cli
    from tflx.cli.main import _main
    capsys.readouterr()
    rc = run_cli(_main, [str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def sqrtm_model(tf, tmp_path_factory):
    import runpy
    d = tmp_path_factory.mktemp("sqrtm")
    src = d / "sqrtm_model.py"
    src.write_text(SQRTM_MODEL)
    sm = d / "saved"
    saved_argv = sys.argv
    sys.argv = [str(src), str(sm)]
    try:
        runpy.run_path(str(src), run_name="__main__")  # in this process: TF is loaded already
    finally:
        sys.argv = saved_argv
    return str(sm), str(src)


def test_assess_names_unsupported_op_with_its_source_line_and_exits_1(sqrtm_model):
    sm, src = sqrtm_model
    r = tflx_cli("assess", sm)
    assert r.returncode == 1, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("tf.MatrixSquareRoot"))
    assert "unsupported" in line and f"{src}:{SQRTM_LINE}" in line, r.stdout
    # The reason is the exporter's verdict, and the fix is a concrete skeleton for this op.
    assert "not in the Flex allow-list" in r.stdout
    assert '@rewrite("tf.MatrixSquareRoot")' in r.stdout and 'stage = "tf"' in r.stdout
    assert "(tensor<3x3xf32>) -> tensor<3x3xf32>" in r.stdout
    assert "NOT convertible" in r.stdout


def test_assess_json_statuses(sqrtm_model):
    from tflx.assess import assess
    sm, src = sqrtm_model
    data = json.loads(assess(sm).to_json())
    ops = {o["op"]: o for o in data["ops"]}
    assert ops["tf.MatrixSquareRoot"]["status"] == "unsupported"
    assert ops["tf.MatrixSquareRoot"]["sources"] == [f"{src}:{SQRTM_LINE}"]
    assert ops["tf.Mul"]["status"] == "builtin" and ops["tf.Mul"]["sources"] == [f"{src}:7"]
    assert ops["tf.AddV2"]["status"] == "builtin"
    assert data["convertible"] is False
    assert {f["kind"] for f in data["flags"]} >= {"model-size"}


def test_assess_convertible_model_exits_0(tiny_cnn_dir, capsys):
    rc, out, err = run_tflx(capsys, "assess", tiny_cnn_dir)
    assert rc == 0, out + err
    assert "verdict: converts to TFLite builtins only" in out and "CONV_2D" in out
    assert "[dynamic-shape]" in out  # the bundled model has a dynamic batch


def _fn(tf, body, shape=(2, 3, 3), dtype="float32"):
    return tf.function(body, input_signature=[tf.TensorSpec(shape, getattr(tf, dtype))])


def test_flex_pass_plugin_statuses(tf):
    """The same op is 'would need Flex' without passes and 'handled by ...' with one."""
    from tflx.assess import assess
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fn = _fn(tf, lambda x: tf.linalg.det(x) * 2.0)
    bare = {o.op: o for o in assess(fn, builtin_passes=False).ops}
    assert bare["tf.MatrixDeterminant"].status == "flex"
    assert "TF Select" in bare["tf.MatrixDeterminant"].detail
    plugin = {o.op: o for o in assess(fn, builtin_passes=False,
                                      plugins=[os.path.join(repo, "examples", "plugins", "det_leibniz.py")]).ops}
    assert plugin["tf.MatrixDeterminant"].status == "pass"
    assert plugin["tf.MatrixDeterminant"].handled_by == "plugin 'det-leibniz'"
    assert plugin["tf.Mul"].status == "builtin"


def test_failing_stage_does_not_hide_other_ops(tf):
    """SVD through StableHLO fails in TFL legalization; it is cut out and the rest is still assessed."""
    from tflx.assess import assess
    fn = _fn(tf, lambda x: {"s": tf.linalg.svd(x)[0], "e": tf.math.erf(x), "d": tf.linalg.det(x)})
    res = assess(fn, builtin_passes=False, route_ops={"Svd": "stablehlo"})
    ops = {o.op: o for o in res.ops}
    assert ops["tf.Svd"].status == "unsupported"
    assert "stage 'tfl'" in ops["tf.Svd"].detail
    svd_line = next(i for i, ln in enumerate(open(__file__), 1) if "tf.linalg.svd(x)[0]" in ln)
    assert ops["tf.Svd"].sources == [f"{__file__}:{svd_line}"]
    assert ops["tf.Erf"].status == "builtin"
    assert ops["tf.Erf"].route == "stablehlo"  # the direct route leaves it for Flex: the fallback
    assert ops["tf.Svd"].route == "stablehlo"  # pinned
    assert ops["tf.MatrixDeterminant"].status == "flex"
    assert res.runs >= 2 and not res.convertible


def test_float64_and_int64_flags(tf):
    from tflx.assess import assess
    fn = _fn(tf, lambda x: tf.cast(tf.argmax(x, axis=-1), tf.float32)[:, None] + tf.cast(x * 2.0, tf.float32),
             shape=(2, 4), dtype="float64")
    res = assess(fn)
    kinds = {f.kind: f for f in res.flags}
    assert "float64" in kinds and "int64" in kinds
    assert "tf.ArgMax" in kinds["int64"].message


def test_bisect_finds_the_one_op_type():
    from tflx.assess import _bisect
    types = [f"tf.Op{i}" for i in range(13)]
    calls = []

    def recurs(cut):
        calls.append(cut)
        return "tf.Op9" not in cut  # the failure comes back unless tf.Op9 is cut

    assert _bisect(types, recurs, lambda: True) == "tf.Op9"
    assert len(calls) <= 6
    assert _bisect(types, lambda cut: True, lambda: True) is None  # not one op type's doing
