"""select-tf-ops: TF ops left after TFL legalization become Flex ops (Select TF ops) or plain
custom ops, as the stock converter writes them with `SELECT_TF_OPS` / `allow_custom_ops`.

Run last at the tfl-opt stage, only when asked (`tflx convert --select-tf-ops`,
`--allow-custom-ops`); tflx's routes and passes have already turned every op they can into
builtins. For each leftover op type:

    Flex-able (the exporter's verdict: TF's Flex allow-list), or named in user_ops
        -> tfl.custom "Flex<Op>", options = FlexBuffer vector [op name, serialized NodeDef]
    otherwise, with allow_custom_ops
        -> tfl.custom "<Op>", options = FlexBuffer map of the node's attributes
           (strings, ints, floats, bools; a type as its TFLite TensorType number)
    otherwise -> an error naming the op and what would take it

The NodeDefs come from litert-converter's `quant-raise-flex-fallback` (the same serializer the
stock exporter uses). TF ops that the TFL pipeline wrapped in `tfl.custom_tf` are unwrapped first.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx.errors import TflxError, node_name, user_source_line
from tflx.mlir import ir, passmanager, walk_ops
from tflx.plugin import Pass, register_pass

FLEX_PREFIX = "Flex"
# TF DataType enum -> TFLite TensorType enum (schema.fbs), for custom-op attributes of type `type`.
_TFL_TYPE = {1: 0, 19: 1, 3: 2, 4: 3, 9: 4, 7: 5, 10: 6, 5: 7, 8: 8, 6: 9, 2: 10, 18: 11, 23: 12,
             20: 13, 21: 14, 22: 15, 17: 16, 14: 18}


def leftover_tf_ops(module: ir.Module) -> list:
    """TF ops the exporter would have to write as Flex or custom ops (not tf.If: exported as IF)."""
    from tflx.routes import EXPORTED_TF_OPS, NEVER_HIDDEN
    return [op for op in walk_ops(module) if op.name.startswith("tf.") and op.name not in NEVER_HIDDEN | EXPORTED_TF_OPS]


def unwrap_custom_tf(module: ir.Module) -> int:
    """tfl.custom_tf(region: one TF op) -> that TF op, in place of the wrapper."""
    n = 0
    for wrap in [op for op in walk_ops(module) if op.name == "tfl.custom_tf"]:
        block = wrap.regions[0].blocks[0]
        inner = [op for op in block.operations if op.name != "tfl.yield"]
        if len(inner) != 1:
            continue
        inner = inner[0]
        args = list(block.arguments)
        operands = [wrap.operands[args.index(v)] if v in args else v for v in inner.operands]
        attrs = {inner.attributes[i].name: inner.attributes[i].attr for i in range(len(inner.attributes))}
        with inner.location, ir.InsertionPoint(wrap):
            new = ir.Operation.create(inner.name, results=[r.type for r in inner.results], operands=operands,
                                      attributes=attrs)
        for old, repl in zip(wrap.results, new.results):
            old.replace_all_uses_with(repl)
        wrap.erase()
        n += 1
    return n


def _where(op) -> str | None:
    loc = str(op.location)
    return user_source_line(loc) or (f"TF node '{node_name(loc)}'" if node_name(loc) else None)


def _flex_payload(option: ir.Attribute) -> tuple[str, bytes]:
    """(op name, NodeDef bytes) from a Flex op's custom_option."""
    from flatbuffers import flexbuffers
    vec = flexbuffers.GetRoot(_bytes(option)).AsVector
    return vec[0].AsString, bytes(vec[1].AsStringBytes)


def _bytes(option: ir.Attribute) -> bytes:
    text = str(option)  # #tfl<const_bytes : "0x...">
    return bytes.fromhex(text[text.index('"0x') + 3:text.rindex('"')])


def _const_bytes(data: bytes) -> ir.Attribute:
    return ir.Attribute.parse(f'#tfl<const_bytes : "0x{data.hex().upper()}">')


def custom_options_from_node_def(node_def: bytes) -> bytes:
    """A plain custom op's options as the stock exporter writes them: a FlexBuffer map of the
    node's attributes (lists and other kinds are left out, as stock does)."""
    from flatbuffers import flexbuffers
    from tensorflow.core.framework import node_def_pb2
    nd = node_def_pb2.NodeDef.FromString(node_def)
    fbb = flexbuffers.Builder()
    with fbb.Map():
        for key in sorted(nd.attr):
            v = nd.attr[key]
            kind = v.WhichOneof("value")
            if kind == "s":
                fbb.String(key, v.s.decode("utf-8", "replace"))
            elif kind == "i":
                fbb.Int(key, v.i)
            elif kind == "f":
                fbb.Float(key, v.f)
            elif kind == "b":
                fbb.Bool(key, v.b)
            elif kind == "type" and v.type in _TFL_TYPE:
                fbb.Int(key, _TFL_TYPE[v.type])
    return bytes(fbb.Finish())


@register_pass
@dataclass(frozen=True)
class SelectTfOps(Pass):
    name = "select-tf-ops"
    stage = "tfl-opt"
    description = "Leftover TF ops -> Flex ops (Select TF ops) or plain custom ops, in the stock converter's layout"
    select_tf_ops: bool = True  # Flex-able ops (and user_ops) become Flex ops
    allow_custom_ops: bool = False  # the others become plain custom ops
    user_ops: tuple = ()  # op types to treat as Flex-able too (stock's select_user_tf_ops), e.g. ("MyOp",)

    def run(self, module: ir.Module) -> int:
        unwrap_custom_tf(module)
        left = leftover_tf_ops(module)
        if not left:
            return 0
        verdict, _ = classify_leftovers(module)
        user = {u if u.startswith("tf.") else "tf." + u for u in self.user_ops}
        as_custom = set()
        for op in left:
            flexable = verdict.get(op.name) == "flex" or op.name in user
            if self.select_tf_ops and flexable:
                continue
            if self.allow_custom_ops:
                as_custom.add(op.name[len("tf."):])
                continue
            why = ("it is Flex-able: --select-tf-ops writes it as a Flex op" if flexable else
                   "it is not in the Flex allow-list: --allow-custom-ops writes it as a custom op "
                   "whose kernel you supply (or --select-user-tf-ops " + op.name[len("tf."):] + ")")
            raise TflxError(f"no TFLite builtin for this op; {why}", stage=self.stage, pass_name=self.name,
                            op=op.name, location=_where(op))
        count = len(left)
        with module.context:
            try:
                passmanager.PassManager.parse("builtin.module(func.func(quant-raise-flex-fallback))").run(
                    module.operation)
            except ir.MLIRError as e:
                raise TflxError(f"writing NodeDefs failed: {e}", stage=self.stage, pass_name=self.name) from None
        rest = leftover_tf_ops(module)
        if rest:
            raise TflxError("no Flex or custom form for this op (litert's NodeDef writer skips it)",
                            stage=self.stage, pass_name=self.name, op=rest[0].name, location=_where(rest[0]))
        for op in walk_ops(module):
            if op.name != "tfl.custom":
                continue
            code = ir.StringAttr(op.attributes["custom_code"]).value
            if code.startswith(FLEX_PREFIX) and code[len(FLEX_PREFIX):] in as_custom:
                _, node_def = _flex_payload(op.attributes["custom_option"])
                op.attributes["custom_code"] = ir.StringAttr.get(code[len(FLEX_PREFIX):])
                op.attributes["custom_option"] = _const_bytes(custom_options_from_node_def(node_def))
        return count


def flag_hint(module: ir.Module, names: list) -> str:
    """Which convert flag would take these leftover TF ops (the exporter's verdict), as a clause."""
    verdict, _ = classify_leftovers(module)
    flex = sorted(n for n in names if verdict.get(n) == "flex")
    other = sorted(n for n in names if n.startswith("tf.") and verdict.get(n) != "flex")
    parts = []
    if flex:
        parts.append(f"--select-tf-ops keeps {', '.join(flex)} as Flex ops (the app then needs the Flex delegate)")
    if other:
        parts.append(f"--allow-custom-ops writes {', '.join(other)} as custom ops whose kernels you supply")
    return "; ".join(parts)


def describe_select_ops(module: ir.Module) -> list[str]:
    """Summary lines: each Flex and custom op with its count and source, and what it costs."""
    found: dict = {}
    for op in walk_ops(module):
        if op.name == "tfl.custom":
            code = ir.StringAttr(op.attributes["custom_code"]).value
            found.setdefault(code, []).append(_where(op))
    lines = []
    for flex, what in ((True, "Flex ops"), (False, "custom ops")):
        codes = sorted(c for c in found if c.startswith(FLEX_PREFIX) == flex)
        if not codes:
            continue
        parts = []
        for c in codes:
            wheres = sorted({w for w in found[c] if w})
            parts.append(f"{c} x{len(found[c])}" + (f" ({', '.join(wheres[:3])})" if wheres else ""))
        cost = ("run only with the Flex delegate linked into the app (TensorFlow's kernels: a large "
                "runtime; tensorflow-lite-select-tf-ops)" if flex else
                "run only with kernels you register (tflx run --custom-op-lib)")
        lines.append(f"{what}: {', '.join(parts)}: {cost}")
    return lines


def classify_leftovers(module) -> tuple[dict[str, str], str | None]:
    """Ask litert-converter's exporter which leftover TF ops are Flex-able.

    Returns ({'tf.X': 'flex' | 'custom'}, the exporter's message when it fails otherwise)."""
    from litert_converter import converter_api_ext as cx
    from tflx.errors import condense_mlir_error
    clone = module.operation.clone()
    try:
        with module.context:
            cx.export_flatbuffer_to_bytes(clone.operation)
        return {}, None
    except Exception as e:  # noqa: BLE001 - the exporter's verdict is in its message
        text = str(e)
    finally:
        del clone
    verdict = {}
    for label, kind in (("TF Select ops:", "flex"), ("Custom ops:", "custom")):
        for line in text.splitlines():
            if line.strip().startswith(label):
                for name in line.split(":", 1)[1].split(","):
                    if name.strip():
                        verdict["tf." + name.strip()] = kind
    return verdict, (None if verdict else condense_mlir_error(text))
