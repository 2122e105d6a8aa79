"""Inputs the fuzzer found that crashed, hung or printed a traceback, each minimized to one field
of a seed .tflite, with the one-line error tflx gives for it now.

Found (before the fixes)                               fixed in
  const tensor shape -2^31: reader built tensor<3x-2147483648x1xf32>, printing it never ended
                                                       flatbuffer.validate: shape checks
  name offset 0 / odd vtable size: passed validate, the interpreter raised ValueError (traceback
  in tflx verify)                                      fbverify: the flatbuffers verifier rules
  signature key not UTF-8: UnicodeDecodeError traceback in tflx verify
  output name 'f' -> 'f\\0': KeyError traceback in tflx verify (C string vs Python string)
                                                       flatbuffer.validate: names UTF-8, no NUL
  CONV_2D filter = -1 ('no tensor'): the TFLite interpreter segfaulted tflx verify (or threw
  std::bad_alloc, as its memory happens to be laid out)
  op input swapped to a tensor of another shape: RuntimeError traceback from the interpreter
                                                       verify: the interpreter runs in a forked
                                                       child first (isolate.run_isolated)
  constant's shape grown past its buffer; tensor type 106: passed validate
                                                       flatbuffer.validate: buffer size, types
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
     lambda d: _patch(d, f"sg0 op{_op(d, 'CONV_2D')} Inputs[1]", -1), # Undefined behaviour in the interpreter: it segfaults, or throws std::bad_alloc, by memory layout.
     r"the TFLite interpreter, on this \.tflite, (crashed \(SIG[A-Z]+\)|failed: MemoryError)"),
    ("op-input-of-wrong-shape", "tiny_cnn", "verify", _swap_fc_weights,
     r"the TFLite interpreter, on this \.tflite, failed: \w+Error: "),
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
    else:
        target = next(t for t in fc.TARGETS if t.name == "verify")
        argv = ["tflx", "verify", seeds[seed]["model"], path]
        out = None
    res = servers.run({"id": name, "argv": argv, "timeout": 60, "cwd": str(tmp_path), "full_exit": True})
    verdict, error = fc.judge(target, res, out, None, str(tmp_path))
    assert verdict == "rejected", (verdict, error)
    assert re.search(expected, error), error
    assert res["rc"] == 1 and len(fc.ERROR_LINE.findall(res["stderr"])) == 1
    assert not os.path.exists(tmp_path / "out.mlir")
