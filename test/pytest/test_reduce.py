"""`tflx reduce`: delta-debug a failing module to a small one that fails the same way."""
import textwrap

import pytest

from tflxtest import tflx_cli

ABORT_PLUGIN = textwrap.dedent("""\
    import os
    from dataclasses import dataclass
    from tflx.plugin import PatternPass, register_pass, rewrite

    @register_pass
    @dataclass(frozen=True)
    class AbortOnCos(PatternPass):
        name = "abort-on-cos"
        stage = "tfl"
        description = "a native-style crash: abort the process on tfl.cos"

        @rewrite("tfl.cos")
        def boom(self, op, rewriter):
            os.abort()
    """)


@pytest.fixture(scope="module")
def big_failing_module(tf, tmp_path_factory):
    """A tfl-opt stage dump of ~300 ops in which one tf.MatrixSquareRoot makes export fail."""
    import tflx
    from tflx.reduce import count_ops

    @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32)])
    def big(x):
        y = x
        for _ in range(70):
            y = tf.sin(y) * 1.01 + 0.5
        z = tf.linalg.sqrtm(y)
        for _ in range(40):
            z = tf.cos(z) - 0.25
        return z + y

    r = tflx.convert(big, stop_after="tfl-opt", builtin_passes=False)
    module = r.stages["tfl-opt"].module
    assert count_ops(module) >= 200
    path = tmp_path_factory.mktemp("reduce") / "big.mlir"
    path.write_text("// tflx-stage: tfl-opt\n" + r.stages["tfl-opt"].text)
    return str(path), count_ops(module)


def _ops_in(path):
    from tflx.mlir import new_context, parse_module
    from tflx.reduce import count_ops
    text = open(path).read()
    return count_ops(parse_module(text, new_context())), text


def test_reduce_shrinks_a_failing_conversion(big_failing_module, tmp_path):
    big, before = big_failing_module
    small = tmp_path / "small.mlir"
    r = tflx_cli("reduce", big, "--pipeline", "convert", "--error", r"op 'tf\.MatrixSquareRoot'.*no TFLite builtin",
                 "-o", str(small))
    assert r.returncode == 0, r.stderr
    n, text = _ops_in(small)
    assert n <= 10, text
    assert f"reduced {before} -> {n} ops" in r.stderr
    assert text.startswith("// tflx-stage: tfl-opt\n") and '"tf.MatrixSquareRoot"' in text
    # The reproducer fails the same way on its own.
    import tflx
    with pytest.raises(tflx.TflxError) as again:
        tflx.resume(str(small))
    assert "op 'tf.MatrixSquareRoot': no TFLite builtin" in again.value.one_line()


def test_reduce_counts_crashes_and_runs_tflx_opt_pipelines(big_failing_module, tmp_path):
    """Every candidate that still holds a tfl.cos aborts the worker; the reducer restarts it and
    keeps shrinking to the one op that crashes."""
    from tflx.reduce import reduce
    big, before = big_failing_module
    plugin = tmp_path / "abort_plugin.py"
    plugin.write_text(ABORT_PLUGIN)
    res = reduce(open(big).read(), "builtin.module(abort-on-cos)", r"crashed \(SIGABRT\)", plugins=[str(plugin)])
    assert res.ops_before == before
    assert res.ops_after == 1, res.text
    assert "tfl.cos" in res.text and "crashed (SIGABRT)" in res.failure


def test_reduce_refuses_input_that_does_not_fail(big_failing_module, tmp_path):
    from tflx.errors import TflxError
    from tflx.reduce import reduce
    big, _ = big_failing_module
    with pytest.raises(TflxError, match="does not fail with an error matching"):
        reduce(open(big).read(), "builtin.module(canonicalize)", "some error")
