"""Reading .tflite files safely from Python: validation before native readers, op histogram.

The native flatbuffer importer trusts its input; a corrupt file can take the process down.
`validate` walks every table the importer will touch with the pure-Python generated schema
(which raises on out-of-bounds offsets instead of crashing) and checks indices for range.
"""
from __future__ import annotations

import collections
import struct

from .errors import TflxError

_IDENT = b"TFL3"


def _schema():
    from litert_converter import schema_py_generated as s
    return s


def builtin_names() -> dict[int, str]:
    from tflx.dialects.tfl_builtins import builtin_names as names
    return names()


def validate(data: bytes, what: str = "flatbuffer") -> None:
    """Raise TflxError unless `data` is a structurally sound TFLite model."""
    if len(data) < 16:
        raise TflxError(f"{what} is too short to be a .tflite ({len(data)} bytes)")
    if data[4:8] != _IDENT:
        raise TflxError(f"{what} is not a .tflite (file identifier {data[4:8]!r}, expected {_IDENT!r})")
    try:
        _walk(data)
    except TflxError:
        raise
    except Exception as e:  # noqa: BLE001 - any decode failure means a malformed file
        raise TflxError(f"{what} is malformed: {type(e).__name__}: {e}") from None


def _walk(data: bytes) -> None:
    s = _schema()
    n = len(data)
    (root,) = struct.unpack_from("<I", data, 0)
    if root >= n:
        raise TflxError("malformed .tflite: root offset out of range")
    m = s.Model.GetRootAs(data, 0)
    n_codes = m.OperatorCodesLength()
    n_buffers = m.BuffersLength()
    for i in range(n_codes):
        oc = m.OperatorCodes(i)
        oc.BuiltinCode(), oc.DeprecatedBuiltinCode(), oc.CustomCode(), oc.Version()
    for i in range(n_buffers):
        buf = m.Buffers(i)
        length = buf.DataLength()
        if length:
            buf.DataAsNumpy()
        off, size = buf.Offset(), buf.Size()
        if off and (off + size > n):
            raise TflxError(f"malformed .tflite: buffer {i} points past the end of the file")
    n_sub = m.SubgraphsLength()
    if n_sub == 0:
        raise TflxError("malformed .tflite: no subgraphs")
    for si in range(n_sub):
        g = m.Subgraphs(si)
        n_t = g.TensorsLength()
        for ti in range(n_t):
            t = g.Tensors(ti)
            t.ShapeAsNumpy() if t.ShapeLength() else None
            t.ShapeSignatureAsNumpy() if t.ShapeSignatureLength() else None
            t.Name()
            if t.Buffer() >= n_buffers and n_buffers:
                raise TflxError(f"malformed .tflite: subgraph {si} tensor {ti} names buffer {t.Buffer()} of {n_buffers}")
        for lst, cnt in ((g.Inputs, g.InputsLength()), (g.Outputs, g.OutputsLength())):
            for k in range(cnt):
                if not (-1 <= lst(k) < n_t):
                    raise TflxError(f"malformed .tflite: subgraph {si} io tensor index {lst(k)} of {n_t}")
        for oi in range(g.OperatorsLength()):
            o = g.Operators(oi)
            if o.OpcodeIndex() >= n_codes:
                raise TflxError(f"malformed .tflite: subgraph {si} op {oi} opcode {o.OpcodeIndex()} of {n_codes}")
            for lst, cnt in ((o.Inputs, o.InputsLength()), (o.Outputs, o.OutputsLength())):
                for k in range(cnt):
                    if not (-1 <= lst(k) < n_t):
                        raise TflxError(f"malformed .tflite: subgraph {si} op {oi} tensor index {lst(k)} of {n_t}")
            if o.CustomOptionsLength():
                o.CustomOptionsAsNumpy()
            o.BuiltinOptionsType()
    for si in range(m.SignatureDefsLength()):
        sd = m.SignatureDefs(si)
        sd.SignatureKey()
        if sd.SubgraphIndex() >= n_sub:
            raise TflxError(f"malformed .tflite: signature {si} names subgraph {sd.SubgraphIndex()} of {n_sub}")
        for k in range(sd.InputsLength()):
            sd.Inputs(k).Name()
        for k in range(sd.OutputsLength()):
            sd.Outputs(k).Name()


def op_histogram(data: bytes) -> collections.Counter:
    """Builtin op name (or CUSTOM:<code>) -> count, over all subgraphs."""
    s = _schema()
    names = builtin_names()
    m = s.Model.GetRootAs(data, 0)
    hist = collections.Counter()
    for si in range(m.SubgraphsLength()):
        g = m.Subgraphs(si)
        for oi in range(g.OperatorsLength()):
            oc = m.OperatorCodes(g.Operators(oi).OpcodeIndex())
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            name = names.get(code, str(code))
            if name == "CUSTOM":
                name = "CUSTOM:" + (oc.CustomCode() or b"").decode()
            hist[name] += 1
    return hist
