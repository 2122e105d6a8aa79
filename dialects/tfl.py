"""TFL op knowledge for rules: typed views (operands and attributes by name) and result types.

    from tflx.dialects import tfl
    fc = tfl.view(op)                  # op is a tfl.fully_connected
    fc.input, fc.filter, fc.bias       # ir.Values, by the dialect's operand names
    fc.keep_num_dims                   # False (a Python value, not an ir.BoolAttr)
    tfl.activation(op)                 # "NONE" when the op fuses no activation (or has no such attribute)

Operand, attribute and result names are the TFL dialect's own (tfl_ops.td), generated into
tfl_signatures.json by gen_tfl_signatures.py; values are read from the op itself. Result types of ops
built without one (`b.tfl("logistic", [x])`) follow `result_types` below: TFL ops have no MLIR
type inference in litert-converter 0.5.0.

This module is also the namespace the MLIR bindings look up for `tfl.*` op classes (see
tflx.mlir); it defines none, ops are created by name.
"""
from __future__ import annotations

import functools
import json
import os

import numpy as np

from tflx.attrs import from_attr
from tflx.errors import CannotInfer
from tflx.mlir import constant_value, dims_of, ir, tensor_type

@functools.lru_cache(maxsize=None)
def signatures() -> dict:
    """op name -> {"operands", "variadic", "attributes", "results"}: names as the TFL dialect
    defines them, generated from tfl_ops.td (gen_tfl_signatures.py) into tfl_signatures.json."""
    with open(os.path.join(os.path.dirname(__file__), "tfl_signatures.json"), encoding="utf-8") as f:
        return json.load(f)


_UNARY_SAME = {"abs", "ceil", "cos", "elu", "exp", "floor", "gelu", "hard_swish", "leaky_relu", "log",
               "log_softmax", "logistic", "neg", "prelu", "relu", "relu6", "relu_n1_to_1", "relu_0_to_1",
               "round", "rsqrt", "sign", "sin", "softmax", "sqrt", "square", "tanh", "zeros_like",
               "ones_like", "l2_normalization", "local_response_normalization", "reverse_v2", "dequantize"}
_BROADCAST = {"add", "sub", "mul", "div", "maximum", "minimum", "pow", "squared_difference",
              "floor_div", "floor_mod", "logical_and", "logical_or"}
_COMPARE = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def activation(op) -> str:
    """The fused activation function ("NONE", "RELU", "RELU6", ...); "NONE" when absent."""
    a = op.attributes["fused_activation_function"] if "fused_activation_function" in op.attributes else None
    return ir.StringAttr(a).value if a is not None else "NONE"


class View:
    """An op's operands, attributes and results by name (tfl_signatures.json), attribute values
    as Python values (tflx.attrs.from_attr). A variadic operand reads as a list."""

    def __init__(self, op):
        self.op = op.operation if hasattr(op, "operation") else op
        self._sig = signatures().get(self.op.name, {"operands": [], "variadic": None, "attributes": [],
                                                    "results": []})

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        names, operands = self._sig["operands"], list(self.op.operands)
        if key in names:
            i = names.index(key)
            extra = len(operands) - len(names)  # what the variadic operand (at most one) holds beyond one
            v = self._sig["variadic"]
            if v is not None:
                j = names.index(v)
                if key == v:
                    return operands[j:j + extra + 1]
                i = i + extra if i > j else i
            return operands[i] if i < len(operands) else None
        if key in self._sig["results"] and len(self._sig["results"]) == len(self.op.results):
            return self.op.results[self._sig["results"].index(key)]
        if key in self.op.attributes:
            return from_attr(self.op.attributes[key])
        if key in self._sig["attributes"]:  # defined by the dialect, not set on this op
            return None
        known = names + self._sig["attributes"] + self._sig["results"]  # what the dialect defines
        raise AttributeError(f"{self.op.name} has no operand, attribute or result '{key}' "
                             f"(it has: {', '.join(known) or 'no names known to tflx'})")

    @property
    def activation(self) -> str:
        return activation(self.op)


def view(op) -> View:
    return View(op)


# ---- result types ----------------------------------------------------------------------------

def result_types(name: str, operands, attributes: dict) -> list[ir.Type]:
    """Result types for a TFL op built without them; raises tflx.errors.CannotInfer."""
    short = name[4:]
    types = [v.type for v in operands]
    if short in _UNARY_SAME and types:
        return [types[0]]
    if short in _BROADCAST and len(types) == 2:
        return [_broadcast(types[0], types[1], None)]
    if short in _COMPARE and len(types) == 2:
        return [_broadcast(types[0], types[1], ir.IntegerType.get_signless(1))]
    rule = _SHAPE_RULES.get(short)
    if rule is not None:
        return [rule(operands, attributes)]
    raise CannotInfer(f"'{name}': tflx has no result-type rule for it (tflx.dialects.tfl.result_types): "
                      "give its result type")


def _broadcast(a, b, element):
    element = element or ir.ShapedType(a).element_type
    da, db = dims_of(a), dims_of(b)
    if da is None or db is None:
        return tensor_type(None, element)
    n = max(len(da), len(db))
    da, db = [1] * (n - len(da)) + da, [1] * (n - len(db)) + db
    out = []
    for x, y in zip(da, db):
        out.append(y if x == 1 else x if y == 1 else x if x == y else None if None in (x, y) else _bad(a, b))
    return tensor_type(out, element)


def _bad(a, b):
    raise CannotInfer(f"operand shapes {a} and {b} do not broadcast")


def _const(value):
    return constant_value(value)


def _reshape(operands, attributes):
    shape = _const(operands[1])
    element = ir.ShapedType(operands[0].type).element_type
    if shape is None:
        n = ir.ShapedType(operands[1].type).shape[0] if ir.ShapedType(operands[1].type).has_rank else None
        return tensor_type(None if n is None or n < 0 else [None] * n, element)
    dims = [int(d) for d in shape]
    src = dims_of(operands[0].type)
    if -1 in dims and src is not None and None not in src:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        dims[dims.index(-1)] = int(np.prod(src, dtype=np.int64)) // max(known, 1)
    return tensor_type([None if d == -1 else d for d in dims], element)


def _transpose(operands, attributes):
    perm, src = _const(operands[1]), dims_of(operands[0].type)
    element = ir.ShapedType(operands[0].type).element_type
    if perm is None or src is None:
        return tensor_type(None if src is None else [None] * len(src), element)
    return tensor_type([src[int(p)] for p in perm], element)


def _fully_connected(operands, attributes):
    x, w = dims_of(operands[0].type), dims_of(operands[1].type)
    element = ir.ShapedType(operands[0].type).element_type
    keep = "keep_num_dims" in attributes and ir.BoolAttr(attributes["keep_num_dims"]).value
    units = w[0] if w is not None else None
    if x is None:
        return tensor_type(None, element)
    if keep:
        return tensor_type(x[:-1] + [units], element)
    rows = None if None in x[:-1] else int(np.prod(x[:-1], dtype=np.int64))
    return tensor_type([rows, units], element)


def _concatenation(operands, attributes):
    axis = ir.IntegerAttr(attributes["axis"]).value
    dims = [dims_of(v.type) for v in operands]
    element = ir.ShapedType(operands[0].type).element_type
    if any(d is None for d in dims):
        return tensor_type(None, element)
    axis %= len(dims[0])
    out = list(dims[0])
    sizes = [d[axis] for d in dims]
    out[axis] = None if None in sizes else sum(sizes)
    return tensor_type(out, element)


_SHAPE_RULES = {"reshape": _reshape, "transpose": _transpose, "fully_connected": _fully_connected,
                "concatenation": _concatenation}
