"""Custom ops in a .tflite: listing them, stamping declared versions, and reading composites back.

litert-converter writes every custom op code with version 1 (`set_custom_op_versions` stamps
the declared ones). Its 0.5.0 flatbuffer reader turns a STABLEHLO_COMPOSITE's `version` into an
i64 attribute, which stablehlo.composite's verifier rejects, and the process aborts
(std::bad_cast / an uncaught nanobind error). So a .tflite holding composites is read back from
a copy in which each composite is a placeholder CUSTOM op; the placeholders then become
stablehlo.composite ops again, with the name, attributes, decomposition function and version
of the original (`read_back_with_composites`).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..attrs import to_attr
from .declare import _DECLARED
from .options import decode_options, encode_options


# ---- what a .tflite holds --------------------------------------------------------------------

@dataclasses.dataclass
class CustomOpUse:
    subgraph: int
    index: int
    code: str
    version: int
    options: bytes

    @property
    def attrs(self) -> dict:
        return decode_options(self.options)


def custom_ops_in(model: bytes) -> list[CustomOpUse]:
    """Every CUSTOM op of a .tflite with its custom code, version and custom_options bytes."""
    from ..flatbuffer import _schema, builtin_names, validate
    validate(model, "model")
    s = _schema()
    m = s.Model.GetRootAs(model, 0)
    custom = [k for k, v in builtin_names().items() if v == "CUSTOM"][0]
    out = []
    for si in range(m.SubgraphsLength()):
        g = m.Subgraphs(si)
        for oi in range(g.OperatorsLength()):
            o = g.Operators(oi)
            oc = m.OperatorCodes(o.OpcodeIndex())
            if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) != custom:
                continue
            opts = bytes(o.CustomOptionsAsNumpy()) if o.CustomOptionsLength() else b""
            out.append(CustomOpUse(si, oi, (oc.CustomCode() or b"").decode(), oc.Version(), opts))
    return out


def set_custom_op_versions(model: bytes, versions: dict[str, int] | None = None) -> bytes:
    """The exporter writes every custom op code with version 1; stamp declared versions
    (default: every declared op whose version is not 1) into the OperatorCode table."""
    if versions is None:
        versions = {n: d.version for n, d in _DECLARED.items() if d.version != 1}
    if not versions:
        return model
    uses = {u.code for u in custom_ops_in(model)}
    todo = {k: v for k, v in versions.items() if k in uses}
    if not todo:
        return model
    import flatbuffers
    from litert_converter import schema_py_generated as s
    obj = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    for oc in obj.operatorCodes:
        code = oc.customCode.decode() if isinstance(oc.customCode, bytes) else oc.customCode
        if code in todo:
            oc.version = todo[code]
    b = flatbuffers.Builder(len(model) + 1024)
    b.Finish(obj.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# ---- reading composites back (see the module doc) ----------------------------------------------

_READ_BACK_CODE = "tflx.read_back.stablehlo_composite"


def has_composites(model: bytes) -> bool:
    from ..flatbuffer import _schema
    s = _schema()
    m = s.Model.GetRootAs(model, 0)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) == s.BuiltinOperator.STABLEHLO_COMPOSITE:
            return True
    return False


def read_back_with_composites(model: bytes, ctx):
    """flatbuffer_to_mlir for a .tflite holding STABLEHLO_COMPOSITE ops (see the module doc)."""
    import flatbuffers
    from litert_converter import model_utils_ext as mu
    from litert_converter import schema_py_generated as s

    from ..mlir import ir, walk_ops

    obj = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    composite_codes = {i for i, oc in enumerate(obj.operatorCodes or [])
                       if max(oc.builtinCode, oc.deprecatedBuiltinCode) == s.BuiltinOperator.STABLEHLO_COMPOSITE}
    placeholder = s.OperatorCodeT()
    placeholder.builtinCode = placeholder.deprecatedBuiltinCode = s.BuiltinOperator.CUSTOM
    placeholder.customCode = _READ_BACK_CODE
    placeholder.version = 1
    obj.operatorCodes.append(placeholder)
    records = []
    for sg in obj.subgraphs or []:
        for op in sg.operators or []:
            if op.opcodeIndex not in composite_codes:
                continue
            o = op.builtinOptions2
            records.append((o.name.decode() if isinstance(o.name, bytes) else o.name, o.decompositionSubgraphIndex,
                            bytes(bytearray(o.compositeAttributes)) if o.compositeAttributes is not None else b"",
                            o.version))
            op.opcodeIndex = len(obj.operatorCodes) - 1
            op.builtinOptions2Type, op.builtinOptions2 = 0, None
            op.customOptions = np.frombuffer(encode_options({"i": len(records) - 1}), dtype=np.uint8)
            op.customOptionsFormat = s.CustomOptionsFormat.FLEXBUFFERS
    builder = flatbuffers.Builder(len(model) + 4096)
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    with ctx:
        module = mu.flatbuffer_to_mlir(bytes(builder.Output()), ctx)
        funcs = [f.operation for f in module.body.operations if f.operation.name == "func.func"]
        for op in walk_ops(module):
            if op.name != "tfl.custom" or ir.StringAttr(op.attributes["custom_code"]).value != _READ_BACK_CODE:
                continue
            raw = op.attributes["custom_option"]
            k = decode_options(bytes.fromhex(str(raw).split('"')[1][2:]))["i"]
            name, sub, attrs, version = records[k]
            with ir.InsertionPoint(op), op.location:
                new = ir.Operation.create(
                    "stablehlo.composite", results=[r.type for r in op.results], operands=list(op.operands),
                    attributes={"name": ir.StringAttr.get(name),
                                "composite_attributes": ir.DictAttr.get(
                                    {key: _flex_to_attr(v) for key, v in decode_options(attrs).items()}),
                                "decomposition": ir.FlatSymbolRefAttr.get(
                                    ir.StringAttr(funcs[sub].attributes["sym_name"]).value),
                                "version": to_attr(version)})
            for old, rep in zip(op.results, new.results):
                old.replace_all_uses_with(rep)
            op.erase()
    return module


def _flex_to_attr(v):
    """A FlexBuffer value as an attribute (ints i64, floats f32; what has no attribute form as its repr)."""
    from ..mlir import ir
    return to_attr(v, int_bits=64, default=lambda x: ir.StringAttr.get(repr(x)))
