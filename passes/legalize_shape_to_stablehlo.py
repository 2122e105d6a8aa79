"""legalize-shape-to-stablehlo: shape-dialect ops left by `tf-stablehlo` -> StableHLO.

`tf-stablehlo` emits `shape.*` ops for dynamic dims (a dynamic batch, say). TF's context has
the `shape` dialect, litert-converter's does not, and TF does not register upstream's
`shape-legalize-to-stablehlo`. So: TF runs `remove-shape-constraints,canonicalize`, which
leaves only `shape.const_shape`, `shape.shape_of` and `shape.broadcast`; `to_generic_form`
rewrites their one-line custom syntax into the generic form (unregistered ops parse there);
this pass then lowers them to StableHLO integer tensors, which `dynamic_broadcast_in_dim`
and friends accept as shape operands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import PatternPass, register_pass, rewrite

_CONST_SHAPE = re.compile(r"(%[\w#]+) = shape\.const_shape \[([^\]]*)\] : (tensor<\d+xindex>)")
_SHAPE_OF = re.compile(r"(%[\w#]+) = shape\.shape_of (%[\w#]+) : (.+?) -> (tensor<\d+xindex>)")
_BROADCAST = re.compile(r"(%[\w#]+) = shape\.broadcast (%[\w#]+), (%[\w#]+) : (tensor<\d+xindex>), (tensor<\d+xindex>) -> (tensor<\d+xindex>)")
_ANY_SHAPE_OP = re.compile(r"= shape\.([a-z_]+)")


def to_generic_form(text: str) -> str:
    text = _CONST_SHAPE.sub(lambda m: f'{m[1]} = "shape.const_shape"() {{shape = dense<[{m[2]}]> : {m[3]}}} : () -> {m[3]}', text)
    text = _SHAPE_OF.sub(lambda m: f'{m[1]} = "shape.shape_of"({m[2]}) : ({m[3]}) -> {m[4]}', text)
    text = _BROADCAST.sub(lambda m: f'{m[1]} = "shape.broadcast"({m[2]}, {m[3]}) : ({m[4]}, {m[5]}) -> {m[6]}', text)
    return text


def remaining_shape_ops(text: str) -> list[str]:
    return sorted({"shape." + m for m in _ANY_SHAPE_OP.findall(text)})


def _i64_const(values) -> ir.Value:
    values = np.asarray(values, dtype=np.int64).reshape(-1)
    return b.op("stablehlo.constant", results=[b.tensor(values.shape, "int64")],
                attributes={"value": b.dense(values)}).result


def _concat(parts: list[ir.Value], n: int) -> ir.Value:
    if len(parts) == 1:
        return parts[0]
    return b.op("stablehlo.concatenate", parts, [b.tensor([n], "int64")],
                {"dimension": b.i64_attr(0)}).result


@register_pass
@dataclass(frozen=True)
class LegalizeShapeToStablehlo(PatternPass):
    name = "legalize-shape-to-stablehlo"
    stage = "stablehlo"
    description = "Lower shape.const_shape/shape_of/broadcast (dynamic dims) to StableHLO integer tensors"

    @rewrite("shape.const_shape")
    def const_shape(self, op, rewriter):
        values = np.array(ir.DenseElementsAttr(op.attributes["shape"]))
        with rewriter.ip, op.location:
            rewriter.replace_op(op, [_i64_const(values)])

    @rewrite("shape.shape_of")
    def shape_of(self, op, rewriter):
        x = op.operands[0]
        if not isinstance(x.type, ir.RankedTensorType) and not ir.RankedTensorType.isinstance(x.type):
            return True  # unranked: nothing static to say
        dims = b.shape_of(x)
        with rewriter.ip, op.location:
            if None not in dims:
                rewriter.replace_op(op, [_i64_const(dims)])
                return
            parts = []
            for i, d in enumerate(dims):
                if d is not None:
                    parts.append(_i64_const([d]))
                    continue
                size = b.op("stablehlo.get_dimension_size", [x], [b.tensor([], "int32")],
                            {"dimension": b.i64_attr(i)}).result
                size = b.op("stablehlo.convert", [size], [b.tensor([], "int64")]).result
                parts.append(b.op("stablehlo.reshape", [size], [b.tensor([1], "int64")]).result)
            rewriter.replace_op(op, [_concat(parts, len(dims))])

    @rewrite("shape.broadcast")
    def broadcast(self, op, rewriter):
        # NumPy broadcasting of two extents: right-align, then take the other side where one is 1.
        lhs, rhs = op.operands
        ranks = [ir.RankedTensorType(v.type).shape[0] for v in (lhs, rhs)]
        n = max(ranks)
        with rewriter.ip, op.location:
            lhs, rhs = [v if r == n else _concat([_i64_const([1] * (n - r)), v], n)
                        for v, r in zip((lhs, rhs), ranks)]
            is_one = b.op("stablehlo.compare", [lhs, _i64_const([1] * n)], [b.tensor([n], "bool")],
                          {"comparison_direction": "#stablehlo<comparison_direction EQ>"}).result
            rewriter.replace_op(op, [b.op("stablehlo.select", [is_one, rhs, lhs], [b.tensor([n], "int64")]).result])
