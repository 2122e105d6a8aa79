"""Weights as function arguments until StableHLO: the fast import route.

TF's GraphDef importer is slow on large constants (ResNet50: 16 s of a 30 s conversion), and
TF's passes only need weights' types. So the unfrozen function is imported with its captures
(variables, captured tensors) as arguments; `lift` turns each into a plain tensor argument
marked `tflx.weight = "<key>"` (dropping the `tf.ReadVariableOp`s), and after `tf-stablehlo`
`materialize` replaces each marked argument with a constant made straight from numpy, without
a trip through text.
"""
from __future__ import annotations

import numpy as np

from .mlir import element_type, ir

WEIGHT_ATTR = "tflx.weight"


class CannotLift(Exception):
    """The function uses a capture in a way other than reading it; freeze instead."""


def _arg_attr_list(func) -> list:
    n = len(func.regions[0].blocks[0].arguments)
    if "arg_attrs" in func.attributes:
        return [ir.DictAttr(a) for a in ir.ArrayAttr(func.attributes["arg_attrs"])]
    return [ir.DictAttr.get({}) for _ in range(n)]


def _with(d: ir.DictAttr, **items) -> ir.DictAttr:
    out = {a.name: a.attr for a in d}
    out.update(items)
    return ir.DictAttr.get(out)


def _without(d: ir.DictAttr, name: str) -> ir.DictAttr:
    return ir.DictAttr.get({a.name: a.attr for a in d if a.name != name})


def lift(func, values: list, key_prefix: str) -> dict[str, np.ndarray]:
    """Turn the trailing len(values) resource/tensor arguments of `func` into typed tensor
    arguments marked with WEIGHT_ATTR; returns key -> value."""
    block = func.regions[0].blocks[0]
    args = list(block.arguments)
    n_user = len(args) - len(values)
    if n_user < 0:
        raise CannotLift(f"{len(values)} captures but {len(args)} arguments")
    attrs = _arg_attr_list(func)
    weights = {}
    for i, value in enumerate(values):
        arg = args[n_user + i]
        value = np.asarray(value)
        try:
            tensor_type = ir.RankedTensorType.get(list(value.shape), element_type(value.dtype))
        except KeyError:
            raise CannotLift(f"capture of dtype {value.dtype}") from None
        users = [u.owner for u in arg.uses]
        is_resource = "resource" in str(arg.type)
        if is_resource and any(u.name != "tf.ReadVariableOp" for u in users):
            raise CannotLift(f"variable used by {sorted({u.name for u in users})}")
        arg.set_type(tensor_type)
        if is_resource:
            for read in users:
                if read.result.type != tensor_type and "*" not in str(read.result.type):
                    if ir.RankedTensorType(read.result.type).shape != list(value.shape):
                        raise CannotLift("variable read with another shape")
                read.result.replace_all_uses_with(arg)
                read.erase()
        key = f"{key_prefix}/{i}"
        weights[key] = value
        attrs[n_user + i] = _with(attrs[n_user + i], **{WEIGHT_ATTR: ir.StringAttr.get(key)})
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    func.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get([a.type for a in block.arguments], ftype.results))
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(attrs)
    return weights


def materialize(module: ir.Module, weights: dict[str, np.ndarray], dialect: str) -> None:
    """Replace every WEIGHT_ATTR argument by a constant (`tf.Const` or `stablehlo.constant`)."""
    from .builder import dense
    name = {"tf": "tf.Const", "stablehlo": "stablehlo.constant"}[dialect]
    with module.context:
        for op in module.body.operations:
            func = op.operation
            if func.name != "func.func" or not func.regions[0].blocks:
                continue
            block = func.regions[0].blocks[0]
            attrs = _arg_attr_list(func)
            marked = [i for i, a in enumerate(attrs) if WEIGHT_ATTR in a]
            if not marked:
                continue
            first = block.operations[0] if len(block.operations) else None
            for i in marked:
                arg = block.arguments[i]
                value = weights[ir.StringAttr(attrs[i][WEIGHT_ATTR]).value]
                with ir.InsertionPoint(first) if first is not None else ir.InsertionPoint(block), arg.location:
                    const = ir.Operation.create(name, results=[arg.type], attributes={"value": dense(value, arg.type)})
                arg.replace_all_uses_with(const.result)
            for i in reversed(marked):
                block.erase_argument(i)
            keep = [a for i, a in enumerate(attrs) if i not in set(marked)]
            ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
            func.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get([a.type for a in block.arguments], ftype.results))
            func.attributes["arg_attrs"] = ir.ArrayAttr.get(keep)


def has_weights(module: ir.Module) -> bool:
    for op in module.body.operations:
        func = op.operation
        if func.name == "func.func" and "arg_attrs" in func.attributes:
            if any(WEIGHT_ATTR in ir.DictAttr(a) for a in ir.ArrayAttr(func.attributes["arg_attrs"])):
                return True
    return False
