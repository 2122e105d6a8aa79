"""legalize-shape-to-stablehlo: shape-dialect ops left by `tf-stablehlo` -> StableHLO.

`tf-stablehlo` emits `shape.*` ops for dynamic dims (a dynamic batch, say). TF's context has
the `shape` dialect, litert-converter's does not, and TF does not register upstream's
`shape-legalize-to-stablehlo`. So: TF runs `remove-shape-constraints,canonicalize`, which
leaves `shape.const_shape`, `shape_of`, `broadcast`, `split_at`, `concat` and
`to_extent_tensor` (batched matmuls, reshapes), and `tensor.dim` / `tensor.from_elements`
building shapes from single extents (attention, flatten); `tflx.generic_form` rewrites their one-line
custom syntax into the generic form (unregistered ops and `!shape.shape` parse there); this
pass then lowers them to 1-D i32 tensors (TFLite's shape type), which `dynamic_broadcast_in_dim` and
friends accept as shape operands. `arith.index_cast`s of those shapes become `stablehlo.convert`.
Rules whose operands are not lowered yet do not match; the greedy driver retries them when
their operands change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

_ANY_SHAPE_OP = re.compile(r"= shape\.([a-z_]+)")


def _lowered_length(v: ir.Value) -> int | None:
    """Length of a shape value once lowered to tensor<Nxi32>; None while it is not."""
    t = v.type
    if not isinstance(t, ir.RankedTensorType):
        return None
    if t.rank != 1 or ir.ShapedType.is_dynamic_size(t.shape[0]):
        return None
    if not isinstance(t.element_type, ir.IntegerType) or t.element_type.width != 32:
        return None
    return t.shape[0]


def _index_constant(v: ir.Value) -> int | None:
    owner = b.defining_op(v, "arith.constant")
    return None if owner is None else ir.IntegerAttr(owner.attributes["value"]).value


def _slice(v: ir.Value, start: int, stop: int) -> ir.Value:
    return b.op("stablehlo.slice", [v], [b.tensor([stop - start], "int32")],
                {"start_indices": ir.DenseI64ArrayAttr.get([start]),
                 "limit_indices": ir.DenseI64ArrayAttr.get([stop]),
                 "strides": ir.DenseI64ArrayAttr.get([1])}).result


def remaining_shape_ops(text: str) -> list[str]:
    return sorted({"shape." + m for m in _ANY_SHAPE_OP.findall(text)})


def _shape_const(values) -> ir.Value:
    values = np.asarray(values, dtype=np.int32).reshape(-1)
    return b.op("stablehlo.constant", results=[b.tensor(values.shape, "int32")],
                attributes={"value": b.dense(values)}).result


def _concat(parts: list[ir.Value], n: int) -> ir.Value:
    if len(parts) == 1:
        return parts[0]
    return b.op("stablehlo.concatenate", parts, [b.tensor([n], "int32")],
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
            rewriter.replace_op(op, [_shape_const(values)])

    @rewrite("shape.shape_of")
    def shape_of(self, op, rewriter):
        x = op.operands[0]
        if not isinstance(x.type, ir.RankedTensorType):
            return NO_MATCH  # unranked: nothing static to say
        dims = b.shape_of(x)
        with rewriter.ip, op.location:
            if None not in dims:
                rewriter.replace_op(op, [_shape_const(dims)])
                return
            # One SHAPE op, as stock emits for tf.Shape.
            shape = b.op("tfl.shape", [x], [b.tensor([len(dims)], "int32")]).result
            rewriter.replace_op(op, [shape])

    @rewrite("shape.broadcast")
    def broadcast(self, op, rewriter):
        # NumPy broadcasting of n extents, folded pairwise: right-align, then take the other side
        # where one is 1.
        shapes = list(op.operands)
        ranks = [_lowered_length(v) for v in shapes]
        if None in ranks:
            return NO_MATCH
        with rewriter.ip, op.location:
            out, n_out = shapes[0], ranks[0]
            for rhs, n_rhs in zip(shapes[1:], ranks[1:]):
                n = max(n_out, n_rhs)
                lhs, rhs = [v if r == n else _concat([_shape_const([1] * (n - r)), v], n)
                            for v, r in ((out, n_out), (rhs, n_rhs))]
                is_one = b.op("stablehlo.compare", [lhs, _shape_const([1] * n)], [b.tensor([n], "bool")],
                              {"comparison_direction": "#stablehlo<comparison_direction EQ>"}).result
                out = b.op("stablehlo.select", [is_one, rhs, lhs], [b.tensor([n], "int32")]).result
                n_out = n
            rewriter.replace_op(op, [out])

    @rewrite("shape.split_at")
    def split_at(self, op, rewriter):
        shape, index = op.operands
        n, k = _lowered_length(shape), _index_constant(index)
        if n is None or k is None:
            return NO_MATCH
        k = k + n if k < 0 else k
        if not 0 <= k <= n:
            return NO_MATCH
        with rewriter.ip, op.location:
            rewriter.replace_op(op, [_slice(shape, 0, k), _slice(shape, k, n)])

    @rewrite("shape.concat")
    def concat(self, op, rewriter):
        lengths = [_lowered_length(v) for v in op.operands]
        if None in lengths:
            return NO_MATCH
        with rewriter.ip, op.location:
            parts = [v for v, n in zip(op.operands, lengths) if n]
            out = _concat(parts, sum(lengths)) if parts else _shape_const([])
            rewriter.replace_op(op, [out])

    @rewrite("shape.to_extent_tensor")
    def to_extent_tensor(self, op, rewriter):
        if _lowered_length(op.operands[0]) is None:
            return NO_MATCH
        rewriter.replace_op(op, [op.operands[0]])

    @rewrite("arith.index_cast")
    def index_cast(self, op, rewriter):
        # Only casts of shapes this pass lowered: their operand became tensor<Nxi32>.
        if _lowered_length(op.operands[0]) is None or not isinstance(op.result.type, ir.RankedTensorType):
            return NO_MATCH
        if op.operands[0].type == op.result.type:
            rewriter.replace_op(op, [op.operands[0]])
            return
        with rewriter.ip, op.location:
            rewriter.replace_op(op, [b.op("stablehlo.convert", [op.operands[0]], [op.result.type]).result])

    @rewrite("tensor.from_elements")
    def from_elements(self, op, rewriter):
        # Each extent must be a constant or a `tensor.dim` with a constant index.
        plan = []
        for v in op.operands:
            k = _index_constant(v)
            if k is not None:
                plan.append(("const", k))
                continue
            dim_op = b.defining_op(v, "tensor.dim")
            if dim_op is None:
                return NO_MATCH
            src, dim = dim_op.operands
            d = _index_constant(dim)
            if d is None or not isinstance(src.type, ir.RankedTensorType):
                return NO_MATCH
            plan.append(("dim", (src, d)))
        with rewriter.ip, op.location:
            parts = []
            for kind, what in plan:
                if kind == "const":
                    parts.append(_shape_const([what]))
                    continue
                src, d = what
                static = b.shape_of(src)[d]
                if static is not None:
                    parts.append(_shape_const([static]))
                    continue
                size = b.op("stablehlo.get_dimension_size", [src], [b.tensor([], "int32")],
                            {"dimension": b.i64_attr(d)}).result
                parts.append(b.op("stablehlo.reshape", [size], [b.tensor([1], "int32")]).result)
            rewriter.replace_op(op, [_concat(parts, len(parts)) if parts else _shape_const([])])

    @rewrite("tensor.dim")
    def dead_dim(self, op, rewriter):
        # Unregistered here, so the driver cannot know it is side-effect free: erase it when unused.
        if len(list(op.result.uses)):
            return NO_MATCH
        rewriter.erase_op(op)
