"""legalize-topk-to-tfl: top-k and sorting -> `tfl.topk_v2` (TOPK_V2), instead of STABLEHLO_SORT.

`tf.math.top_k`, `tf.sort`, `tf.argsort` all import as `tf.TopKV2` (ascending sorts negate
first) and reach the stablehlo stage as `stablehlo.custom_call @mhlo.topk`. The TFL legalizer
turns that into TOPK_V2 only when both results are used; a values-only sort becomes
STABLEHLO_SORT, which ai-edge-litert 2.3.0 cannot run ("Didn't find op for builtin opcode
'STABLEHLO_SORT'"). JAX emits `stablehlo.sort` directly. This pass, at the stablehlo stage
(where `tfl.*` ops can be created; the TF stage only holds TF ops), rewrites

* `stablehlo.custom_call @mhlo.topk` (any k <= n, `largest` true or false) -> TOPK_V2;
* `stablehlo.sort` along any dim (other dims are transposed last and back) whose comparator is
  one `compare GT|GE|LT|LE` of the first operand's two arguments -- bare, or behind JAX's
  NaN/-0 canonicalizing selects -- -> TOPK_V2 with k = n. Further operands are payloads: an
  iota along the dim (argsort) is TOPK_V2's indices, anything else is GATHERed by them.

Smallest-first: float values are negated around TOPK_V2 (exact); integers are mapped with
x -> ~x (BITWISE_XOR with all ones; -x - 1 for int64), an order-reversing bijection without
overflow; a values-only ascending full sort takes TOPK_V2 then REVERSE_V2 (exact for every
dtype). Equal keys come out lowest index first, as with a stable sort and TF's TopKV2, so the
results are bit-identical to TF / JAX for finite inputs (tested with ties, INT_MIN/INT_MAX).
Not ordered like TOTALORDER: NaNs, and -0 vs +0 (equal here). Types: f32, i8, i32, i64, ui8
(TOPK_V2's); f16/bf16 keys, dynamic shapes and unsigned compares of signless ints are left alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

def _element_kind(value: ir.Value) -> str | None:
    """'float' (f32), 'int' (the integer types TOPK_V2 takes: i8, i32, i64, ui8) or None."""
    et = b.element_type_of(value)
    if et == ir.F32Type.get():
        return "float"
    if isinstance(et, ir.IntegerType) and (et.width in (8, 32, 64) if not et.is_unsigned else et.width == 8):
        return "int"
    return None


def _reversible(x: ir.Value) -> bool:
    """Whether `_reverse_order` has an exact order-reversing map for x's element type."""
    return _element_kind(x) is not None


def _splat(value: int, et: ir.Type) -> ir.Value:
    attr = ir.DenseElementsAttr.get_splat(ir.RankedTensorType.get([], et), ir.IntegerAttr.get(et, value))
    return b.op("arith.constant", results=[attr.type], attributes={"value": attr}).result


def _reverse_order(x: ir.Value) -> ir.Value:
    """An order-reversing exact map of x, its own inverse: -x for floats, ~x for integers
    (BITWISE_XOR with all ones; for int64, which that kernel lacks, -x - 1 in wrapping
    two's-complement arithmetic, the same bits)."""
    if _element_kind(x) == "float":
        return b.tfl("neg", [x], x.type)
    et = b.element_type_of(x)
    if et.width == 64:
        return b.op("tfl.sub", [b.tfl("neg", [x], x.type), _splat(1, et)], [x.type],
                    {"fused_activation_function": ir.StringAttr.get("NONE")}).result
    return b.tfl("bitwise_xor", [x, _splat(255 if et.is_unsigned else -1, et)], x.type)


def _supported(x: ir.Value, k: int, largest: bool, want_indices: bool) -> bool:
    if largest or (not want_indices and k == b.shape_of(x)[-1]):
        return True
    return _reversible(x)


def _topk(x: ir.Value, k: int, values_type: ir.Type, indices_type: ir.Type) -> tuple[ir.Value, ir.Value]:
    op = b.op("tfl.topk_v2", [x, b.constant(np.int32(k))], [values_type, indices_type])
    return op.results[0], op.results[1]


def _with_dims(type_: ir.Type, dims) -> ir.Type:
    return b.tensor(dims, ir.RankedTensorType(type_).element_type)


def _transpose(x: ir.Value, perm) -> ir.Value:
    dims = b.shape_of(x)
    return b.tfl("transpose", [x, b.constant(np.array(perm, np.int32))], _with_dims(x.type, [dims[p] for p in perm]))


def _sorted_last(x: ir.Value, k: int, largest: bool, want_indices: bool, indices_type: ir.Type):
    """Top-k along the last dim of x -> (values, indices of `indices_type`). With `want_indices`
    False the indices are whatever TOPK_V2 gave (the caller does not use them)."""
    dims = b.shape_of(x)
    out_dims = dims[:-1] + [k]
    values_type = _with_dims(x.type, out_dims)
    idx_i32 = b.tensor(out_dims, "int32")
    if largest:
        values, indices = _topk(x, k, values_type, idx_i32)
    elif not want_indices and k == dims[-1]:
        values, indices = _topk(x, k, values_type, idx_i32)
        values = b.tfl("reverse_v2", [values, b.constant(np.array([len(dims) - 1], np.int32))], values_type)
    else:
        values, indices = _topk(_reverse_order(x), k, values_type, idx_i32)
        values = _reverse_order(values)
    if ir.RankedTensorType(indices_type).element_type != ir.IntegerType.get_signless(32):
        indices = b.tfl("cast", [indices], _with_dims(indices_type, out_dims))
    return values, indices


def _static(x: ir.Value) -> bool:
    try:
        t = ir.RankedTensorType(x.type)
    except ValueError:
        return False
    return t.rank >= 1 and None not in b.shape_of(x)


def _defining_op(value: ir.Value):
    owner = value.owner
    return owner.operation if isinstance(owner, (ir.Operation, ir.OpView)) else None


def _traces_to(value: ir.Value, arg: ir.Value) -> bool:
    """value is arg, possibly behind JAX's float-sort canonicalization
    select(arg != arg, NaN, select(arg == 0, 0, arg)) (any chain of selects of a constant
    under a compare of arg)."""
    while value != arg:
        op = _defining_op(value)
        if op is None or op.name != "stablehlo.select":
            return False
        cond, on_true, on_false = op.operands
        cond_op = _defining_op(cond)
        if (b.constant_value(on_true) is None or cond_op is None or cond_op.name != "stablehlo.compare"
                or cond_op.operands[0] != arg):
            return False
        value = on_false
    return True


def _attr_word(op, name: str) -> str | None:
    """The enum word of an attribute printed like '#stablehlo<comparison_direction GT>'."""
    if name not in op.attributes:
        return None
    return str(op.attributes[name]).split()[-1].rstrip(">").upper()


def _comparator_direction(sort_op, key_type: ir.Type) -> str | None:
    """'GT' (largest first) / 'LT' (smallest first) when the comparator compares the first
    operand's two arguments and nothing else, else None."""
    block = sort_op.regions[0].blocks[0]
    args = list(block.arguments)
    ret = [o.operation for o in block.operations][-1]
    if ret.name != "stablehlo.return" or len(ret.operands) != 1:
        return None
    cmp = _defining_op(ret.operands[0])
    if cmp is None or cmp.name != "stablehlo.compare":
        return None
    direction = _attr_word(cmp, "comparison_direction")
    if direction not in ("GT", "LT", "GE", "LE"):
        return None
    # An unsigned comparison of signless integers is not the signed order TOPK_V2 uses.
    if _attr_word(cmp, "compare_type") == "UNSIGNED" and not (
            isinstance(key_type, ir.IntegerType) and key_type.is_unsigned):
        return None
    direction = direction[0] + "T"  # GE/LE differ from GT/LT on ties only; ties keep index order
    lhs, rhs = cmp.operands
    if _traces_to(lhs, args[0]) and _traces_to(rhs, args[1]):
        return direction
    if _traces_to(lhs, args[1]) and _traces_to(rhs, args[0]):
        return "LT" if direction == "GT" else "GT"
    return None


def _is_iota_along(value: ir.Value, dim: int) -> bool:
    owner = value.owner
    if not isinstance(owner, (ir.Operation, ir.OpView)):
        return False
    owner = owner.operation
    if owner.name == "stablehlo.iota":
        return ir.IntegerAttr(owner.attributes["iota_dimension"]).value == dim
    const = b.constant_value(value)
    if const is None or const.ndim <= dim:
        return False
    expect = np.arange(const.shape[dim]).reshape([-1 if i == dim else 1 for i in range(const.ndim)])
    return bool(np.array_equal(const, np.broadcast_to(expect, const.shape)))


@register_pass
@dataclass(frozen=True)
class LegalizeTopkToTfl(PatternPass):
    name = "legalize-topk-to-tfl"
    stage = "stablehlo"
    description = "mhlo.topk custom_call and simple stablehlo.sort -> tfl.topk_v2 (no STABLEHLO_SORT)"

    @rewrite("stablehlo.custom_call")
    def topk_custom_call(self, op, rewriter):
        if ir.StringAttr(op.attributes["call_target_name"]).value != "mhlo.topk":
            return NO_MATCH
        if "mhlo.attributes" not in op.attributes or len(op.operands) != 1 or len(op.results) != 2:
            return NO_MATCH
        attrs = ir.DictAttr(op.attributes["mhlo.attributes"])
        k = ir.IntegerAttr(attrs["k"]).value
        largest = ir.BoolAttr(attrs["largest"]).value if "largest" in attrs else True
        x = op.operands[0]
        if not _static(x) or _element_kind(x) is None or not 0 <= k <= b.shape_of(x)[-1]:
            return NO_MATCH
        want_indices = len(list(op.results[1].uses)) > 0
        if not _supported(x, k, largest, want_indices):
            return NO_MATCH
        with rewriter.ip, op.location:
            values, indices = _sorted_last(x, k, largest, want_indices, op.results[1].type)
        rewriter.replace_op(op, [values, indices])

    @rewrite("stablehlo.sort")
    def sort(self, op, rewriter):
        # Operand 0 is the key; any further operands are payloads permuted along with it
        # (argsort passes an iota): TOPK_V2's indices gather them.
        x = op.operands[0]
        if not _static(x) or _element_kind(x) is None:
            return NO_MATCH
        rank = len(b.shape_of(x))
        dim = ir.IntegerAttr(op.attributes["dimension"]).value % rank
        direction = _comparator_direction(op, b.element_type_of(x))
        if direction is None:
            return NO_MATCH
        payloads = list(op.operands)[1:]
        n = b.shape_of(x)[dim]
        if not _supported(x, n, direction == "GT", bool(payloads)):
            return NO_MATCH
        perm = list(range(rank))
        perm[dim], perm[-1] = perm[-1], perm[dim]  # a swap: its own inverse
        to_last = (lambda v: v) if dim == rank - 1 else (lambda v: _transpose(v, perm))
        with rewriter.ip, op.location:
            xt = to_last(x)
            values, indices = _sorted_last(xt, n, direction == "GT", bool(payloads), b.tensor(b.shape_of(xt), "int32"))
            results = [values]
            for payload in payloads:
                if _is_iota_along(payload, dim) and isinstance(b.element_type_of(payload), ir.IntegerType):
                    moved = indices if b.element_type_of(payload) == ir.IntegerType.get_signless(32) else \
                        b.tfl("cast", [indices], _with_dims(payload.type, b.shape_of(xt)))
                else:
                    pt = to_last(payload)
                    moved = b.op("tfl.gather", [pt, indices], [pt.type],
                                 {"axis": b.i32_attr(rank - 1), "batch_dims": b.i32_attr(rank - 1)}).result
                results.append(moved)
            results = [to_last(r) for r in results]
        rewriter.replace_op(op, results)
