"""Reading .tflite files safely from Python: validation before native readers, op histogram.

The native flatbuffer importer trusts its input; a corrupt file can take the process down.
`validate` walks every table the importer will touch with the pure-Python generated schema
(which raises on out-of-bounds offsets instead of crashing) and checks indices for range.
"""
from __future__ import annotations

import collections
import math
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
    from .flatbuffer_verifier import VerifyError, verify
    try:
        verify(data)  # the flatbuffers verifier's rules: every reachable offset is in bounds
    except VerifyError as e:
        raise TflxError(f"{what} is malformed: {e}") from None
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
        oc.BuiltinCode(), oc.DeprecatedBuiltinCode(), oc.Version()
        _utf8(oc.CustomCode(), f"operator code {i}'s custom code")
    buffer_bytes = []
    for i in range(n_buffers):
        buf = m.Buffers(i)
        length = buf.DataLength()
        if length:
            buf.DataAsNumpy()
        off, size = buf.Offset(), buf.Size()
        if off and (off + size > n):
            raise TflxError(f"malformed .tflite: buffer {i} points past the end of the file")
        buffer_bytes.append(size if off > 1 else length)
    type_bits = _type_bits()
    n_sub = m.SubgraphsLength()
    if n_sub == 0:
        raise TflxError("malformed .tflite: no subgraphs")
    for si in range(n_sub):
        g = m.Subgraphs(si)
        n_t = g.TensorsLength()
        _utf8(g.Name(), f"subgraph {si}'s name")
        for ti in range(n_t):
            t = g.Tensors(ti)
            shape = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
            sig = [int(d) for d in t.ShapeSignatureAsNumpy()] if t.ShapeSignatureLength() else None
            where = f"malformed .tflite: subgraph {si} tensor {ti}"
            _utf8(t.Name(), f"subgraph {si} tensor {ti}'s name")
            if any(d < 0 for d in shape) or (sig is not None and (len(sig) != len(shape) or any(d < -1 for d in sig))):
                raise TflxError(f"{where} has an invalid shape {shape}" + (f" / signature {sig}" if sig else ""))
            if t.Type() not in type_bits:
                raise TflxError(f"{where} has unknown element type {t.Type()}")
            if t.Buffer() >= n_buffers and n_buffers:
                raise TflxError(f"{where} names buffer {t.Buffer()} of {n_buffers}")
            have = buffer_bytes[t.Buffer()] if n_buffers else 0
            bits = type_bits[t.Type()]
            if have and bits and t.Sparsity() is None:  # constant data must fill the shape exactly
                need = (math.prod(shape) * bits + 7) // 8
                if have != need:
                    raise TflxError(f"{where} (shape {shape}) needs {need} bytes of data, buffer {t.Buffer()} has {have}")
        for lst, cnt in ((g.Inputs, g.InputsLength()), (g.Outputs, g.OutputsLength())):
            for k in range(cnt):
                if not (0 <= lst(k) < n_t):
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
        if not sd.SignatureKey():
            raise TflxError(f"malformed .tflite: signature {si} has no key")
        _utf8(sd.SignatureKey(), f"signature {si}'s key")
        if sd.SubgraphIndex() >= n_sub:
            raise TflxError(f"malformed .tflite: signature {si} names subgraph {sd.SubgraphIndex()} of {n_sub}")
        n_t = m.Subgraphs(sd.SubgraphIndex()).TensorsLength()
        for tm in [sd.Inputs(k) for k in range(sd.InputsLength())] + [sd.Outputs(k) for k in range(sd.OutputsLength())]:
            if not tm.Name():
                raise TflxError(f"malformed .tflite: signature {si} has an input or output without a name")
            _utf8(tm.Name(), f"a tensor name in signature {si}")
            if tm.TensorIndex() >= n_t:
                raise TflxError(f"malformed .tflite: signature {si} names tensor {tm.TensorIndex()} of {n_t}")


def _utf8(value: bytes | None, what: str) -> None:
    """Flatbuffer strings are UTF-8; tflx decodes these names, native code reads them as C
    strings (a NUL would end a name early there, not here)."""
    try:
        (value or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise TflxError(f"malformed .tflite: {what} is not UTF-8 ({bytes(value)[:40]!r})") from None
    if value and b"\0" in value:
        raise TflxError(f"malformed .tflite: {what} contains a NUL byte ({bytes(value)[:40]!r})")


def _type_bits() -> dict[int, int]:
    """TensorType value -> bits per element (0: variable-size, e.g. STRING)."""
    t = _schema().TensorType
    bits = {"FLOAT32": 32, "FLOAT16": 16, "INT32": 32, "UINT8": 8, "INT64": 64, "STRING": 0, "BOOL": 8, "INT16": 16,
            "COMPLEX64": 64, "INT8": 8, "FLOAT64": 64, "COMPLEX128": 128, "UINT64": 64, "RESOURCE": 0, "VARIANT": 0,
            "UINT32": 32, "UINT16": 16, "INT4": 4, "BFLOAT16": 16, "INT2": 2, "UINT4": 4, "FLOAT8_E4M3FN": 8,
            "FLOAT8_E5M2": 8}
    return {v: bits.get(k, 0) for k, v in vars(t).items() if isinstance(v, int) and not k.startswith("_")}


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
