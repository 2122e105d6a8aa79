"""Plugin API v2: builders infer result types, rules apply in the order written, an explicit
no-match value (the older protocol warned about), typed options, typed TFL views, DAG patterns."""
import enum
import textwrap
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

PLUGIN = textwrap.dedent('''
    import numpy as np
    from dataclasses import dataclass
    from tflx import builder as b
    from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

    @register_pass
    @dataclass(frozen=True)
    class PowToSquare(PatternPass):
        name = "test-pow2-to-square"
        stage = "tf"

        @rewrite("tf.Pow")
        def square(self, op, rewriter):
            e = b.constant_value(op.operands[1])
            if e is None or e.size != 1 or float(e.reshape(-1)[0]) != 2.0:
                return NO_MATCH
            with rewriter.ip, op.location:
                y = b.tf("Square", [op.operands[0]])          # no result type
            rewriter.replace_op(op, [y])

    @register_pass
    @dataclass(frozen=True)
    class TanhViaLogistic(PatternPass):
        name = "test-tanh-via-logistic"
        stage = "tfl"

        @rewrite("tfl.tanh")
        def z_written_first(self, op, rewriter):              # tanh(x) = 2 logistic(2x) - 1
            x = op.operands[0]
            with rewriter.ip, op.location:
                two, one = b.constant(np.float32(2)), b.constant(np.float32(1))
                s = b.tfl("logistic", [b.tfl("mul", [x, two], fused_activation_function="NONE")])
                y = b.tfl("sub", [b.tfl("mul", [s, two], fused_activation_function="NONE"), one],
                          fused_activation_function="NONE")
            rewriter.replace_op(op, [y])

        @rewrite("tfl.tanh")
        def a_written_second(self, op, rewriter):             # wrong on purpose: must not run
            with rewriter.ip, op.location:
                y = b.tfl("relu", [op.operands[0]])
            rewriter.replace_op(op, [y])
''')


def test_builders_infer_types_and_the_first_written_rule_applies(tf, tmp_path):
    import tflx
    from tflx.flatbuffer import op_histogram
    from tflxtest import run_signature

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
        def f(self, x):
            return {"y": tf.pow(x, 2.0) + tf.math.tanh(x)}

    m = M()
    tf.saved_model.save(m, str(tmp_path / "m"), signatures=m.f)
    (tmp_path / "plugin.py").write_text(PLUGIN)
    r = tflx.convert(str(tmp_path / "m"), plugins=[str(tmp_path / "plugin.py")])
    ops = dict(op_histogram(r.flatbuffer))
    assert ops.get("SQUARE") == 1 and ops.get("LOGISTIC") == 1, ops
    assert "POW" not in ops and "TANH" not in ops and "RELU" not in ops, ops
    x = np.linspace(-2, 2, 8, dtype=np.float32)[None]
    np.testing.assert_allclose(run_signature(r.flatbuffer, x=x)["y"], m.f(x)["y"].numpy(), atol=1e-6)


def test_result_type_inference(tf):
    from tflx import builder as b
    from tflx.mlir import ir, new_context
    with new_context(), ir.Location.unknown():
        m = ir.Module.create()
        with ir.InsertionPoint(m.body):
            x = b.constant(np.ones((2, 3), np.float32), dialect="tf")
            i32 = lambda v: b.constant(np.array(v, np.int32), dialect="tf")  # noqa: E731
            assert str(b.tf("Reshape", [x, i32([3, -1])]).type) == "tensor<3x2xf32>"
            assert str(b.tf("MatMul", [x, x], transpose_b=True).type) == "tensor<2x2xf32>"
            assert str(b.tf("Sum", [x, i32([1])], keep_dims=True).type) == "tensor<2x1xf32>"
            assert str(b.tf("ConcatV2", [x, x, i32(0)]).type) == "tensor<4x3xf32>"
            parts = b.tf("Unpack", [x], num=2, axis=0)                     # several results
            assert len(parts) == 2 and str(parts[0].type) == "tensor<3xf32>"
            w = b.constant(np.ones((5, 3), np.float32))
            assert str(b.tfl("fully_connected", [x, w, b.tf("Const", [], b.tensor([5]), value=b.dense(np.zeros(5, np.float32)))],
                             fused_activation_function="NONE", keep_num_dims=False, weights_format="DEFAULT").type) == "tensor<2x5xf32>"
            row = b.constant(np.ones((1, 3), np.float32))
            assert str(b.tfl("less", [x, row]).type) == "tensor<2x3xi1>"
            assert str(b.stablehlo("add", [x, x]).type) == "tensor<2x3xf32>"
            with pytest.raises(TypeError, match="give its result type"):
                b.tfl("cast", [x])
            with pytest.raises(TypeError, match="TensorFlow rejects"):
                b.tf("MatMul", [x, x])                                     # 2x3 @ 2x3


class Mode(enum.Enum):
    FAST = "fast"
    EXACT = "exact"


def test_typed_options():
    from tflx.plugin import PatternPass, with_options

    @dataclass(frozen=True)
    class P(PatternPass):
        name = "test-typed-options"
        stage = "tfl"
        ops: tuple[str, ...] = ()
        sizes: list[int] = None
        mode: Mode = Mode.FAST
        strict: bool = False

    p = with_options(P(), {"ops": "tf.AddV2, tf.Mul", "sizes": "1,2,3", "mode": "exact", "strict": "yes"})
    assert p.ops == ("tf.AddV2", "tf.Mul") and "tf.Add" not in p.ops
    assert p.sizes == [1, 2, 3] and p.mode is Mode.EXACT and p.strict is True
    from tflx.errors import TflxError
    with pytest.raises(TflxError, match="expected one of fast, exact"):
        with_options(P(), {"mode": "slow"})


def _run_rules(pass_):
    from tflx import builder as b
    from tflx.mlir import ir, new_context
    with new_context() as ctx, ir.Location.unknown():
        m = ir.Module.parse(textwrap.dedent('''
            func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
              %0 = "tfl.tanh"(%x) : (tensor<4xf32>) -> tensor<4xf32>
              return %0 : tensor<4xf32>
            }'''), ctx)
        n = pass_.run(m)
        return n, str(m)


def test_no_match_value_and_the_older_protocol_warned():
    from tflx import builder as b
    from tflx.plugin import NO_MATCH, PatternPass, rewrite

    @dataclass(frozen=True)
    class New(PatternPass):
        name = "test-new-protocol"
        stage = "tfl"

        @rewrite("tfl.tanh")
        def skip(self, op, rewriter):
            return NO_MATCH

    @dataclass(frozen=True)
    class Old(PatternPass):
        name = "test-old-protocol"
        stage = "tfl"

        @rewrite("tfl.tanh")
        def skip(self, op, rewriter):
            return True

    @dataclass(frozen=True)
    class Zero(PatternPass):
        name = "test-zero-return"
        stage = "tfl"

        @rewrite("tfl.tanh")
        def rewrite_it(self, op, rewriter):
            with rewriter.ip, op.location:
                y = b.tfl("logistic", [op.operands[0]])
            rewriter.replace_op(op, [y])
            return 0

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _run_rules(New())[0] == 0
    with pytest.warns(FutureWarning, match="NO_MATCH"):
        assert _run_rules(Old())[0] == 0
    with pytest.warns(FutureWarning, match="returned 0"):
        n, text = _run_rules(Zero())
    assert n == 1 and "tfl.logistic" in text


def test_typed_view_of_a_tfl_op():
    from tflx.dialects import tfl
    from tflx.mlir import ir, new_context, walk_ops
    with new_context() as ctx:
        m = ir.Module.parse(textwrap.dedent('''
            func.func @f(%x: tensor<2x3xf32>, %w: tensor<5x3xf32>, %b: tensor<5xf32>) -> tensor<2x5xf32> {
              %0 = "tfl.fully_connected"(%x, %w, %b) <{fused_activation_function = "RELU", keep_num_dims = false, weights_format = "DEFAULT"}> : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
              %1 = "tfl.tanh"(%0) : (tensor<2x5xf32>) -> tensor<2x5xf32>
              return %1 : tensor<2x5xf32>
            }'''), ctx)
        fc, tanh = [op for op in walk_ops(m) if op.name.startswith("tfl.")]
        v = tfl.view(fc)
        assert v.filter == fc.operands[1] and v.keep_num_dims is False and v.activation == "RELU"
        assert tfl.activation(tanh) == "NONE"
        assert v.asymmetric_quantize_inputs is None  # the dialect defines it; this op does not set it
        assert v.output == fc.results[0]
        with pytest.raises(AttributeError, match="has no operand, attribute or result 'weights'"):
            v.weights


def test_views_of_variadic_ops_and_the_signature_generator():
    import importlib.util
    import os
    from tflx.dialects import tfl
    from tflx.mlir import ir, new_context, walk_ops
    with new_context() as ctx:
        m = ir.Module.parse(textwrap.dedent('''
            func.func @f(%a: tensor<1x2xf32>, %b: tensor<1x3xf32>) -> tensor<1x5xf32> {
              %0 = "tfl.concatenation"(%a, %b) <{axis = 1 : i32, fused_activation_function = "NONE"}> : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x5xf32>
              return %0 : tensor<1x5xf32>
            }'''), ctx)
        concat = next(op for op in walk_ops(m) if op.name == "tfl.concatenation")
        v = tfl.view(concat)
        assert v.values == list(concat.operands) and v.axis == 1
    # the checked-in table is what the generator makes of TableGen text like the dialect's
    spec = importlib.util.spec_from_file_location("gen", os.path.join(os.path.dirname(tfl.__file__), "gen_tfl_signatures.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    td = textwrap.dedent('''
        def TFL_FooOp : TFL_Op<"foo", [Pure]> {
          let arguments = (ins
            TFL_TensorOf<[F32, QI8]>:$input,
            Variadic<TFL_TensorOf<[F32]>>:$rest,   // a comment, with a comma
            ConfinedAttr<I32Attr, [IntMinValue<0>]>:$axis,
            TFL_AFAttr:$fused_activation_function);
          let results = (outs TFL_TensorOf<[F32]>:$output);
        }
        def TFL_BarOp : Op<TFL_Dialect, "bar", []> {
          let arguments = (ins AnyTensor:$x);
        }''')
    assert gen.signatures(td) == {
        "tfl.bar": {"operands": ["x"], "variadic": None, "attributes": [], "results": []},
        "tfl.foo": {"operands": ["input", "rest"], "variadic": "rest",
                    "attributes": ["axis", "fused_activation_function"], "results": ["output"]}}
    sigs = tfl.signatures()
    assert sigs["tfl.conv_2d"]["operands"] == ["input", "filter", "bias"] and len(sigs) > 150


def test_dag_pattern_rule_gets_its_captures():
    """@rewrite(match=...): the rule runs only where the pattern matches (either operand order
    of a commutative op) and receives the captured values."""
    from tflx import builder as b
    from tflx.mlir import ir, new_context
    from tflx.plugin import PatternPass, rewrite
    seen = []

    @dataclass(frozen=True)
    class Swish(PatternPass):
        name = "test-swish-pattern"
        stage = "tf"

        @rewrite(match="tf.Mul(%x, tf.Sigmoid(%x))")
        def swish(self, op, rewriter, x):
            seen.append(x)
            with rewriter.ip, op.location:
                y = b.tf("Relu", [x])  # any replacement will do: the test looks at what matched
            rewriter.replace_op(op, [y])

    with new_context() as ctx:
        m = ir.Module.parse(textwrap.dedent('''
            func.func @f(%a: tensor<4xf32>, %c: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
              %s = "tf.Sigmoid"(%a) : (tensor<4xf32>) -> tensor<4xf32>
              %0 = "tf.Mul"(%a, %s) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
              %1 = "tf.Mul"(%s, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
              %2 = "tf.Mul"(%c, %s) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
              return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
            }'''), ctx)
        assert Swish().run(m) == 2
        text = str(m)
        assert text.count('"tf.Relu"') == 2 and text.count('"tf.Mul"') == 1  # %c * sigmoid(%a) stays
        assert all(isinstance(v, ir.BlockArgument) and v.arg_number == 0 for v in seen), seen
    with pytest.raises(ValueError, match="root"):
        rewrite("tf.Add", match="tf.Mul(%x, %y)")
