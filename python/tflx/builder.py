"""Short helpers for creating ops, constants and types inside a rewrite rule."""
from __future__ import annotations

import numpy as np

from . import mlir
from .attrs import from_attr, to_attr
from .mlir import constant_value, defining_op, ir, walk_ops  # noqa: F401  (part of the builder's API)

def element_type(dtype) -> ir.Type:
    return mlir.element_type(dtype)


def np_dtype(type_: ir.Type):
    """The numpy dtype of an MLIR element type."""
    name = mlir.dtype_name(type_)
    try:
        return np.dtype(name)
    except TypeError:  # None, or a dtype numpy lacks (bfloat16)
        raise TypeError(f"no numpy dtype for {type_}") from None


def tensor(shape, dtype="float32") -> ir.RankedTensorType:
    """A ranked tensor type; None in `shape` is a dynamic dim."""
    et = dtype if isinstance(dtype, ir.Type) else element_type(dtype)
    return mlir.tensor_type(list(shape), et)


def shape_of(value: ir.Value) -> list[int | None]:
    """Static shape with None for dynamic dims (a ranked value)."""
    return mlir.dims_of(ir.RankedTensorType(value.type))


def dense(array, type_: ir.Type | None = None) -> ir.DenseElementsAttr:
    array = np.asarray(array)
    if type_ is None:
        type_ = tensor(array.shape, array.dtype)
    return ir.DenseElementsAttr.get(np.ascontiguousarray(array), type=type_)


def op(name: str, operands=(), results=(), attributes=None, loc=None) -> ir.Operation:
    """Create an op at the current insertion point (rewriter.ip inside a rule)."""
    attrs = {k: (v if isinstance(v, ir.Attribute) else ir.Attribute.parse(v)) for k, v in (attributes or {}).items()}
    return ir.Operation.create(name, results=list(results), operands=list(operands), attributes=attrs, loc=loc)


def i64_attr(v: int) -> ir.IntegerAttr:
    return to_attr(int(v), int_bits=64)


def i32_attr(v: int) -> ir.IntegerAttr:
    return to_attr(int(v))


def attr_array(op: ir.Operation, name: str) -> np.ndarray:
    return np.array(ir.DenseElementsAttr(op.attributes[name]))


def attributes(op) -> dict:
    """An op's attributes as {name: ir.Attribute} (to copy them onto a replacement op)."""
    op = getattr(op, "operation", op)
    names = [a if isinstance(a, str) else a.name for a in op.attributes]
    return {n: op.attributes[n] for n in names}


def attr_value(op, name: str, default=None):
    """An attribute's Python value (tflx.attrs.from_attr), `default` when the op does not carry it."""
    return from_attr(op.attributes[name]) if name in op.attributes else default


def bool_attr(op: ir.Operation, name: str, default: bool = False) -> bool:
    """A bool attribute's value, `default` when the op does not carry it."""
    return ir.BoolAttr(op.attributes[name]).value if name in op.attributes else default


def skip_identity(value: ir.Value) -> ir.Value:
    """The value behind a chain of tf.Identity ops."""
    op = defining_op(value, "tf.Identity")
    return skip_identity(op.operands[0]) if op is not None else value


def functions(module: ir.Module) -> dict:
    """The module's func.func ops by symbol name (loop bodies and branches are found this way)."""
    return {ir.StringAttr(op.operation.attributes["sym_name"]).value: op.operation
            for op in module.body.operations if op.operation.name == "func.func"}


def while_loops(module: ir.Module) -> list:
    """(tf.While op, body func, cond func) for every loop in the module whose functions it defines."""
    funcs = functions(module)
    out = []
    for w in [op for op in walk_ops(module) if op.name == "tf.While"]:
        body = funcs.get(ir.FlatSymbolRefAttr(w.attributes["body"]).value)
        cond = funcs.get(ir.FlatSymbolRefAttr(w.attributes["cond"]).value)
        if body is not None and cond is not None:
            out.append((w, body, cond))
    return out


def constant(array, dtype=None, dialect: str = "tfl") -> ir.Value:
    """A constant in the given dialect's spelling: tf.Const, stablehlo.constant, arith.constant."""
    array = np.asarray(array, dtype=dtype)
    name = {"tf": "tf.Const", "stablehlo": "stablehlo.constant", "tfl": "arith.constant",
            "arith": "arith.constant"}[dialect]
    attr = dense(array)
    return op(name, results=[attr.type], attributes={"value": attr}).result


def tf(name: str, operands, result_type=None, **attributes):
    """A TensorFlow op (`tf.<name>`), e.g. b.tf("Reshape", [x, shape]). Without `result_type`
    the result types come from TF's shape functions (tflx.result_types). One result: its
    ir.Value; several: a tuple of them. `result_type` may be a list (one type per result)."""
    return _build("tf." + name, operands, result_type, attributes)


def tfl(name: str, operands, result_type=None, **attributes):
    """A TFLite op (`tfl.<name>`), verified by MLIR's verifier when the pass ends. Without
    `result_type`: elementwise, broadcasting and common shape ops infer it (tflx.dialects.tfl)."""
    return _build("tfl." + name, operands, result_type, attributes)


def stablehlo(name: str, operands, result_type=None, **attributes):
    """A StableHLO op (`stablehlo.<name>`); without `result_type`, the op's type inference."""
    return _build("stablehlo." + name, operands, result_type, attributes)


def _build(name: str, operands, result_type, attributes: dict):
    from . import result_types
    attrs = {k: to_attr(v) for k, v in attributes.items()}
    operands = list(operands)
    if result_type is None:
        try:
            results = result_types.infer(name, operands, attrs)
        except result_types.CannotInfer as e:
            raise TypeError(str(e)) from None
    else:
        results = list(result_type) if isinstance(result_type, (list, tuple)) else [result_type]
    new = op(name, operands, results, attrs)
    return new.result if len(results) == 1 else tuple(new.results)


def attr(v) -> ir.Attribute:
    """An MLIR attribute from a Python bool/int/float/str or a list of them (int -> i32,
    float -> f32): tflx.attrs.to_attr."""
    return to_attr(v)


def is_float(value: ir.Value) -> bool:
    return isinstance(element_type_of(value), ir.FloatType)


def element_type_of(value: ir.Value) -> ir.Type:
    return ir.ShapedType(value.type).element_type


def location(op_) -> str:
    """The op's location as text (file:line for ops imported from Python code)."""
    return str(op_.location)
