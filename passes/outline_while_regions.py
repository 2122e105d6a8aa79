"""outline-tfl-while: move `tfl.while` cond/body regions into functions the exporter can write.

litert-converter's flatbuffer exporter writes a WHILE op whose cond and body are subgraphs: it
expects each region to hold only a call to a function (what TFL's WhileOutlinePass produces),
but that pass is not registered in litert-converter 0.5.0, and a model with a loop fails with
an empty "Failed to export flatbuffer:". This pass outlines each region into a private
func.func and leaves `func.call` + `tfl.yield` in its place. Values the regions use from
outside: constants are copied in; anything else becomes an extra loop-carried operand that the
body passes through unchanged (as TFL's WhileOutlinePass does).
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.mlir import ir, walk_ops
from tflx.plugin import Pass, register_pass


def _is_outlined(region) -> bool:
    ops = [o.operation.name for o in region.blocks[0].operations]
    return len(ops) == 2 and ops[0] == "func.call" and ops[1] == "tfl.yield"


def _inside(op, region) -> bool:
    """Whether `op` is nested somewhere in `region` (regions do not compare reliably, ops do)."""
    op = op.operation if hasattr(op, "operation") else op
    return any(o == op for o in walk_ops(region))


def _captures(loop) -> list:
    """Values defined outside `loop` that ops inside its regions use, in first-use order."""
    seen, out = set(), []
    for region in loop.regions:
        inner = set()
        for op in walk_ops(region):
            inner.add(op)
            for v in op.operands:
                owner = v.owner
                defined_inside = (isinstance(owner, ir.Block) and any(owner == b for r in loop.regions for b in _blocks(r))) \
                    or (isinstance(owner, (ir.Operation, ir.OpView)) and _inside(owner.operation, region))
                if not defined_inside and v not in seen:
                    seen.add(v)
                    out.append(v)
    return out


def _blocks(region):
    for block in region.blocks:
        yield block
        for op in block.operations:
            for r in op.operation.regions:
                yield from _blocks(r)


def _replace_uses_in(value, repl, loop_region) -> None:
    for use in list(value.uses):
        if _inside(use.owner.operation if hasattr(use.owner, "operation") else use.owner, loop_region):
            use.owner.operands[use.operand_number] = repl


def _thread_captures(loop):
    """Copy captured constants into the regions; carry the other captures as loop operands.
    Returns the (possibly new) while op."""
    captures = _captures(loop)
    carried = []
    for v in captures:
        # tfl.no_value (an absent optional operand) is a constant too: it cannot be a loop operand
        const = b.defining_op(v, "arith.constant", "tfl.pseudo_const", "tfl.no_value")
        if const is not None:
            for region in loop.regions:
                block = region.blocks[0]
                first = list(block.operations)[0]
                copy = const.clone(ip=ir.InsertionPoint(first))
                _replace_uses_in(v, copy.result, region)
        else:
            carried.append(v)
    if not carried:
        return loop
    n = len(loop.results)
    for region in loop.regions:
        block = region.blocks[0]
        for v in carried:
            arg = block.add_argument(v.type, loop.location)
            _replace_uses_in(v, arg, region)
    body = loop.regions[1].blocks[0]
    old_yield = list(body.operations)[-1].operation
    with ir.InsertionPoint(old_yield), old_yield.location:
        ir.Operation.create("tfl.yield", operands=list(old_yield.operands) + list(body.arguments)[n:])
    old_yield.erase()
    attrs = loop.attributes
    with ir.InsertionPoint(loop), loop.location:
        new = ir.Operation.create("tfl.while", results=[r.type for r in loop.results] + [v.type for v in carried],
                                  operands=list(loop.operands) + carried, regions=2,
                                  attributes={attrs[i].name: attrs[i].attr for i in range(len(attrs))})
    for old_region, new_region in zip(loop.regions, new.regions):
        old_region.blocks[0].append_to(new_region)
    for old_result, new_result in zip(loop.results, new.results):
        old_result.replace_all_uses_with(new_result)
    loop.erase()
    return new


def _outline(region, name: str, module: ir.Module, loc) -> None:
    block = region.blocks[0]
    arg_types = [a.type for a in block.arguments]
    terminator = list(block.operations)[-1].operation
    result_types = [v.type for v in terminator.operands]
    with loc:
        # New function whose body is the region's block, with tfl.yield turned into return.
        func = ir.Operation.create("func.func", regions=1, attributes={
            "sym_name": ir.StringAttr.get(name),
            "sym_visibility": ir.StringAttr.get("private"),
            "function_type": ir.TypeAttr.get(ir.FunctionType.get(arg_types, result_types))},
            ip=ir.InsertionPoint(module.body))
        block.append_to(func.regions[0])
        with ir.InsertionPoint(terminator):
            ir.Operation.create("func.return", operands=list(terminator.operands))
        terminator.erase()
        # The region gets a fresh block: call the function, yield its results.
        new_block = region.blocks.append(*arg_types)
        with ir.InsertionPoint(new_block):
            call = ir.Operation.create("func.call", results=result_types, operands=list(new_block.arguments),
                                       attributes={"callee": ir.FlatSymbolRefAttr.get(name)})
            ir.Operation.create("tfl.yield", operands=list(call.results))


@register_pass
@dataclass(frozen=True)
class OutlineTflWhile(Pass):
    name = "outline-tfl-while"
    stage = "tfl-opt"
    description = "Outline tfl.while cond/body regions into functions (needed to export loops)"

    def run(self, module: ir.Module) -> int:
        n = 0
        loops = [op for op in walk_ops(module) if op.name == "tfl.while"]
        for i, loop in enumerate(loops):
            if all(_is_outlined(r) for r in loop.regions):
                continue
            loop = _thread_captures(loop)
            for kind, region in zip(("cond", "body"), loop.regions):
                if not _is_outlined(region):
                    _outline(region, f"tflx_while_{i}_{kind}", module, loop.location)
                    n += 1
        return n
