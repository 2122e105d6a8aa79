"""Inputs the fuzzer found that crashed, hung or printed a traceback, each minimized to one field
of a seed .tflite, with the one-line error tflx gives for it now.

Found (before the fixes)                               fixed in
  const tensor shape -2^31: reader built tensor<3x-2147483648x1xf32>, printing it never ended
                                                       flatbuffer.validate: shape checks
  name offset 0 / odd vtable size: passed validate, the interpreter raised ValueError (traceback
  in tflx verify)                                      flatbuffer_verifier: the flatbuffers verifier rules
  signature key not UTF-8: UnicodeDecodeError traceback in tflx verify
  output name 'f' -> 'f\\0': KeyError traceback in tflx verify (C string vs Python string)
                                                       flatbuffer.validate: names UTF-8, no NUL
  CONV_2D filter = -1 ('no tensor'): the TFLite interpreter segfaulted tflx verify and tflx run
  (or threw std::bad_alloc, as its memory happens to be laid out)
  op input swapped to a tensor of another shape: RuntimeError traceback from the interpreter
                                                       verify: the interpreter runs in a forked
                                                       child first; run: it runs in one
                                                       (isolate.run_isolated)
  constant's shape grown past its buffer; tensor type 106: passed validate
                                                       flatbuffer.validate: buffer size, types
  signature input/output without a name: AttributeError traceback in tflx verify
                                                       flatbuffer.validate: signature names
  model input reshaped in the .tflite: TF's MaxPool kernel failed (AbortedError traceback); TF
  kernels given wrong shapes can also abort       verify: inputs checked against the model's
                                                       signature before TF runs it
"""
from __future__ import annotations

import os
import re

import pytest

import fuzz_campaign as fc
import fuzz_mutate as fm


def _site(data: bytes, what: str, kind: str | None = None) -> fm.Site:
    for s in fm.field_sites(data):
        if s.what == what and (kind is None or s.kind == kind):
            return s
    raise AssertionError(f"no field {what!r} in the seed")


def _patch(data: bytes, what: str, value: int, kind: str | None = None) -> bytes:
    d = bytearray(data)
    s = _site(data, what, kind)
    d[s.pos:s.pos + s.width] = (value & ((1 << 8 * s.width) - 1)).to_bytes(s.width, "little")
    return bytes(d)


def _string_bytes(data: bytes, what: str, new: bytes) -> bytes:
    """Overwrite the first bytes of the string whose length field is `what length`."""
    s = _site(data, what + " length", "vector_length")
    d = bytearray(data)
    d[s.pos + 4:s.pos + 4 + len(new)] = new
    return bytes(d)


def _model(data: bytes):
    from litert_converter import schema_py_generated as schema
    return schema.Model.GetRootAs(data, 0)


def _op(data: bytes, builtin: str) -> int:
    """Index of the first op of this builtin kind in subgraph 0 (seeds change as tflx does)."""
    from tflx.flatbuffer import builtin_names
    names = builtin_names()
    m = _model(data)
    g = m.Subgraphs(0)
    for oi in range(g.OperatorsLength()):
        oc = m.OperatorCodes(g.Operators(oi).OpcodeIndex())
        if names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())) == builtin:
            return oi
    raise AssertionError(f"no {builtin} op in the seed")


def _op_input(data: bytes, builtin: str, k: int) -> int:
    return _model(data).Subgraphs(0).Operators(_op(data, builtin)).Inputs(k)


def _const_tensor(data: bytes) -> tuple[int, int]:
    """(index, data bytes) of the first constant tensor of rank >= 1 in subgraph 0."""
    m = _model(data)
    g = m.Subgraphs(0)
    for ti in range(g.TensorsLength()):
        t = g.Tensors(ti)
        if t.ShapeLength() and m.Buffers(t.Buffer()).DataLength():
            return ti, m.Buffers(t.Buffer()).DataLength()
    raise AssertionError("no constant tensor in the seed")


def _grow_constant(d: bytes) -> bytes:
    ti, _ = _const_tensor(d)
    shape0 = _model(d).Subgraphs(0).Tensors(ti).Shape(0)
    return _patch(d, f"sg0 t{ti} Shape[0]", shape0 + 2)


def _swap_fc_weights(d: bytes) -> bytes:
    """FULLY_CONNECTED's weights -> the CONV_2D filter: a tensor of another shape."""
    return _patch(d, f"sg0 op{_op(d, 'FULLY_CONNECTED')} Inputs[1]", _op_input(d, "CONV_2D", 1))


CASES = [
    # (id, seed, tool, mutate(data) -> data, expected error)
    ("const-shape-negative", "elementwise", "translate",
     lambda d: _patch(d, f"sg0 t{_const_tensor(d)[0]} Shape[0]", -2147483648), r"has an invalid shape \[-2147483648"),
    ("name-offset-zero", "elementwise", "verify",
     lambda d: _patch(d, "sg0 t0 name", 0, "offset"), r"is malformed: .*offset 0 is not a positive offset"),
    ("odd-vtable-size", "elementwise", "verify",
     lambda d: _patch(d, "Tensor vtable length", 127), r"is malformed: .*vtable size 127 is invalid"),
    ("signature-key-not-utf8", "elementwise", "verify",
     lambda d: _string_bytes(d, "signature 0 key", b"\xff\xfe"), r"signature 0's key is not UTF-8"),
    ("output-name-with-nul", "int_ops", "verify",
     lambda d: _patch(d, "signature 0 Outputs[0] name length", 2), r"contains a NUL byte"),
    ("conv-filter-is-no-tensor", "tiny_cnn", "verify",
     # Undefined behaviour in the interpreter: it segfaults, throws std::bad_alloc, or rejects the
     # node ("Tensor at index 1 was optional but was expected"), by memory layout.
     lambda d: _patch(d, f"sg0 op{_op(d, 'CONV_2D')} Inputs[1]", -1),
     r"the TFLite interpreter, on this \.tflite, (crashed \(SIG[A-Z]+\)|failed: (MemoryError|\w+Error: .*"
     r"\(CONV_2D\) failed to prepare))"),
    ("run-conv-filter-is-no-tensor", "tiny_cnn", "run",
     lambda d: _patch(d, f"sg0 op{_op(d, 'CONV_2D')} Inputs[1]", -1),
     r"(the TFLite interpreter, on '.*', (crashed \(SIG[A-Z]+\)|failed: MemoryError)|"
     r"the interpreter rejected '.*': .*\(CONV_2D\) failed to prepare)"),
    ("op-input-of-wrong-shape", "tiny_cnn", "verify", _swap_fc_weights,
     r"the TFLite interpreter, on this \.tflite, failed: \w+Error: "),
    ("signature-input-without-name", "int_ops", "verify",
     lambda d: _patch(d, "TensorMap vtable entry 0", 0), r"signature 0 has an input or output without a name"),
    ("input-shape-differs-from-model", "pool", "verify",
     lambda d: _patch(d, f"sg0 t{_model(d).Subgraphs(0).Inputs(0)} Shape[1]", 3),
     r"the \.tflite's input '\w+' is float32\[1, 3, 8, 2\], the model takes float32\[1, 8, 8, 2\]"),
    ("constant-shape-past-buffer", "elementwise", "translate",
     _grow_constant, r"needs \d+ bytes of data, buffer \d+ has \d+"),
    ("unknown-tensor-type", "elementwise", "translate",
     lambda d: _patch(d, next(x.what for x in fm.field_sites(d) if x.kind == "tensor_type"), 106),
     r"unknown element type 106"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fuzz_finding_is_a_one_line_error(case, seeds, servers, tmp_path):
    name, seed, tool, mutate, expected = case
    with open(seeds[seed]["tflite"], "rb") as f:
        data = mutate(f.read())
    path = str(tmp_path / f"{name}.tflite")
    with open(path, "wb") as f:
        f.write(data)
    out = str(tmp_path / "out.mlir")
    if tool == "translate":
        target = next(t for t in fc.TARGETS if t.name == "translate-to-mlir")
        argv = ["tflx-translate", "-tflite-flatbuffer-to-mlir", path, "-o", out]
    elif tool == "run":
        target = next(t for t in fc.TARGETS if t.name == "run")
        out = str(tmp_path / "out.npz")
        argv = ["tflx", "run", path, "--inputs", seeds[seed]["inputs"], "-o", out]
    else:
        target = next(t for t in fc.TARGETS if t.name == "verify")
        argv = ["tflx", "verify", seeds[seed]["model"], path]
        out = None
    res = servers.run({"id": name, "argv": argv, "timeout": 60, "cwd": str(tmp_path), "full_exit": True})
    verdict, error = fc.judge(target, res, out, None, str(tmp_path))
    assert verdict == "rejected", (verdict, error)
    assert re.search(expected, error), error
    assert res["rc"] == 1 and len(fc.ERROR_LINE.findall(res["stderr"])) == 1
    assert not os.path.exists(tmp_path / "out.mlir") and not os.path.exists(tmp_path / "out.npz")


# ---- .mlir findings ----------------------------------------------------------------------

# A const_value mutant of a tf-stage dump: tf.Mean whose reduction indices repeat axis 0.
# TensorFlow's tf-stablehlo stopped the process: "LLVM ERROR: Failed to infer result type(s)."
# (tflx-opt -tf-stablehlo and tflx convert --resume-from both died with SIGABRT). Fixed by
# running TF pass pipelines in a forked child (isolate.run_tf_pipeline).
MEAN_REPEATED_AXIS = """// tflx-stage: tf
func.func @main(%arg0: tensor<1x8x8x2xf32>) -> tensor<f32> attributes {tflx.signature_key = "serving_default",
    tflx.signature_inputs = ["img"], tflx.signature_outputs = ["out"], tflx.input_tensor_names = ["img"],
    tflx.output_tensor_names = ["out"]} {
  %axes = "tf.Const"() <{value = dense<[0, 1, 2, 0]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %0 = "tf.Mean"(%arg0, %axes) <{keep_dims = false}> : (tensor<1x8x8x2xf32>, tensor<4xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}
"""

# A shape_change mutant of a stablehlo dump: reduce_window's padding typed
# tensor<9223372036854775807x2xi64>. The parser's "SmallVector unable to grow" came out of
# ir.Module.parse as a ValueError, not an MLIRError: a traceback in tflx-opt and in tflx convert
# --resume-from. Fixed in opt_driver.Runner.parse_input and mlir.parse_module.
HUGE_PADDING = """// tflx-stage: stablehlo
func.func @main(%arg0: tensor<1x8x8x2xf32>) -> tensor<1x4x4x2xf32> {
  %init = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%arg0, %init) <{padding = dense<0> : tensor<9223372036854775807x2xi64>,
      window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<1x8x8x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
}
"""

MLIR_CASES = [
    ("huge-attribute-shape-opt", HUGE_PADDING, ["tflx-opt", "{IN}", "-canonicalize", "-o", "{OUT}"],
     r"^tflx: error: SmallVector unable to grow"),
    ("huge-attribute-shape-convert", HUGE_PADDING, ["tflx", "convert", "--resume-from", "{IN}", "-o", "{OUT}"],
     r"^tflx: error: stage 'stablehlo': cannot parse '.*input\.mlir': SmallVector unable to grow"),
    ("tf-stablehlo-abort-opt", MEAN_REPEATED_AXIS, ["tflx-opt", "{IN}", "-tf-stablehlo", "-o", "{OUT}"],
     r"^tflx: error: pass 'tf-stablehlo': TensorFlow's pass pipeline 'tf-stablehlo' crashed \(SIGABRT\): "
     r"LLVM ERROR: Failed to infer result type\(s\)\.$"),
    # Forced through StableHLO: the direct route (the default for tf.Mean) never runs tf-stablehlo on it.
    ("tf-stablehlo-abort-convert", MEAN_REPEATED_AXIS, ["tflx", "convert", "--resume-from", "{IN}", "-o", "{OUT}",
                                                        "--route", "stablehlo"],
     r"^tflx: error: stage 'stablehlo', pass 'tf-stablehlo': TensorFlow's tf-stablehlo crashed \(SIGABRT\): "
     r"LLVM ERROR"),
]


@pytest.mark.parametrize("case", MLIR_CASES, ids=[c[0] for c in MLIR_CASES])
def test_mlir_fuzz_finding_is_a_one_line_error(case, servers, tmp_path):
    name, text, argv, expected = case
    inp, out = tmp_path / "input.mlir", tmp_path / "out.mlir"
    inp.write_text(text)
    argv = [str(inp) if a == "{IN}" else str(out) if a == "{OUT}" else a for a in argv]
    target = next(t for t in fc.TARGETS if t.name == ("convert-resume" if argv[0] == "tflx" else "opt-tflx-passes"))
    res = servers.run({"id": name, "argv": argv, "timeout": 120, "cwd": str(tmp_path), "full_exit": True})
    verdict, error = fc.judge(target, res, str(out), None, str(tmp_path))
    assert verdict == "rejected", (verdict, error)
    assert re.search(expected, error), error
    assert not out.exists()
