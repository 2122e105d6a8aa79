"""decompose-segment-scatter: sorted-segment reductions and TensorScatter{Sub,Max,Min} -> the
TFLite builtins UNSORTED_SEGMENT_{MAX,MIN,PROD,SUM}, SCATTER_ND and elementwise ops.

Runs at the `tf` stage. TFLite has SEGMENT_SUM but no SEGMENT_MAX/MIN/MEAN/PROD, and no
TensorScatterSub/Max/Min (the stock converter needs Flex; the StableHLO lowering of the scatters
gives a stablehlo.scatter TFLite cannot run, see `direct_only` in dialects/route_table.json).

Segment ops (data [N, ...] float32 or int32 (Mean: float32), segment_ids [N] int32/int64, N >= 1;
N may be dynamic). TF's output has last_id + 1 rows and gives 0 for an id that no row has (Prod:
1); the unsorted builtins take the number of segments as a run-time tensor:

    num   = MAX(ids) + 1                      REDUCE_MAX, ADD (ids are sorted: max = last id;
                                              dynamic N: MAXIMUM(num, 0), N = 0 gives no rows)
    count = UNSORTED_SEGMENT_SUM(ones[N], ids, num)                         (float32, exact)
    SegmentMax/Min  -> SELECT(count > 0, UNSORTED_SEGMENT_MAX/MIN(data, ids, num), 0)
    SegmentMean     -> UNSORTED_SEGMENT_SUM(data, ids, num) / MAXIMUM(count, 1)
    SegmentProd     -> UNSORTED_SEGMENT_PROD(data, ids, num)     (an empty segment gives 1 in both)

Max/Min are exact (the empty-segment lowest value of the builtin is replaced by TF's 0). Prod and
Mean multiply/add each segment's rows in row order; TF reduces a segment with Eigen, whose order
may differ: results agree to float32 rounding (a few ulps per row), exactly for int32 Prod.
(SegmentSum is left alone: it legalizes to SEGMENT_SUM.) Not reproduced: TF's errors for unsorted
or negative ids (the converted model then gives the unsorted reduction, or unspecified values).

TensorScatterSub (tensor static, float32/int32; indices int32/int64, static):
    tensor - SCATTER_ND(indices, updates, shape(tensor))              SCATTER_ND, SUB
Exact when no index repeats; a repeated index subtracts the sum of its updates once (TF subtracts
them one by one: equal up to float rounding, exact for int32). Untouched entries are exact
(x - 0 = x).

TensorScatterMax/Min (same range): the indices may be run-time values and may repeat. The index
tuples [K, q] are flattened to row numbers of tensor viewed as [P, ...] (P = prod of the q indexed
dims; MUL + SUM by the row-major strides, skipped when q = 1), then

    m    = UNSORTED_SEGMENT_MAX/MIN(updates, rows, P)                  [P, ...]
    hit  = UNSORTED_SEGMENT_SUM(ones[K], rows, P) > 0
    out  = SELECT(hit, MAXIMUM/MINIMUM(tensor, m), tensor)

Exact: max/min do not round, and rows no index hits keep `tensor` bit for bit (NaN operands follow
TFLite's MAXIMUM/MINIMUM). Indices out of range (TF raises an error) give unspecified values here;
bad_indices_policy "IGNORE" (skip them) is refused, for all three ops.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf

_SEGMENT = {"tf.SegmentMax": "UnsortedSegmentMax", "tf.SegmentMin": "UnsortedSegmentMin",
            "tf.SegmentProd": "UnsortedSegmentProd", "tf.SegmentMean": "UnsortedSegmentSum"}


def _ranked(x: ir.Value) -> ir.RankedTensorType | None:
    try:
        return ir.RankedTensorType(x.type)
    except ValueError:
        return None


def _kind(et: ir.Type) -> str | None:
    if et == ir.F32Type.get():
        return "float32"
    if et == ir.IntegerType.get_signless(32):
        return "int32"
    if et == ir.IntegerType.get_signless(64):
        return "int64"
    return None


def _type(dims, et) -> ir.RankedTensorType:
    """A ranked tensor type; None dims are dynamic."""
    dyn = ir.ShapedType.get_dynamic_size()
    et = et if isinstance(et, ir.Type) else b.element_type(et)
    return ir.RankedTensorType.get([dyn if d is None else int(d) for d in dims], et)


def _to_i32(ids: ir.Value) -> ir.Value:
    if _kind(b.element_type_of(ids)) == "int32":
        return ids
    return b.tf("Cast", [ids], _type(b.shape_of(ids), "int32"), Truncate=False)


def _bad_indices_ignored(op) -> bool:
    if "bad_indices_policy" not in op.attributes:
        return False
    return ir.StringAttr(op.attributes["bad_indices_policy"]).value.upper() == "IGNORE"


def _segment(op, rewriter) -> bool:
    data, ids = op.operands[0], op.operands[1]
    dt, it, rt = _ranked(data), _ranked(ids), _ranked(op.results[0])
    if dt is None or it is None or rt is None or dt.rank < 1 or it.rank != 1:
        return NO_MATCH
    kind = _kind(dt.element_type)
    if kind not in (("float32",) if op.name == "tf.SegmentMean" else ("float32", "int32")):
        return NO_MATCH
    if _kind(it.element_type) not in ("int32", "int64"):
        return NO_MATCH
    n, n_ids = b.shape_of(data)[0], b.shape_of(ids)[0]
    if n == 0 or (n is not None and n_ids is not None and n_ids != n):
        return NO_MATCH
    with rewriter.ip, op.location:
        tf = Tf()
        ids32 = _to_i32(ids)
        last = b.tf("Max", [ids32, tf.const([0], "int32")], _type([], "int32"), keep_dims=False)
        num = b.tf("AddV2", [last, tf.const(1, "int32")], _type([], "int32"))
        if n is None:  # no rows at run time: MAX gives the lowest int32, TF gives no segments
            num = b.tf("Maximum", [num, tf.const(0, "int32")], num.type)
        out_type = op.results[0].type
        red = b.tf(_SEGMENT[op.name], [data, ids32, num], out_type)
        if op.name == "tf.SegmentProd":
            out = red
        else:
            if n is not None:
                ones = tf.const(np.ones(n, np.float32))
            else:  # ones shaped like the ids (EQUAL, CAST)
                same = b.tf("Equal", [ids32, ids32], _type([None], "bool"), incompatible_shape_error=True)
                ones = b.tf("Cast", [same], _type([None], "float32"), Truncate=False)
            count = b.tf("UnsortedSegmentSum", [ones, ids32, num], _type([None], "float32"))
            col = [-1] + [1] * (dt.rank - 1)  # count per output row, broadcast over the other dims
            if op.name == "tf.SegmentMean":
                denom = b.tf("Maximum", [count, tf.const(1.0)], count.type)
                if dt.rank > 1:
                    denom = b.tf("Reshape", [denom, tf.const(col, "int64")], _type([None] + col[1:], "float32"))
                out = b.tf("RealDiv", [red, denom], out_type)
            else:
                hit = b.tf("Greater", [count, tf.const(0.0)], _type([None], "bool"))
                if dt.rank > 1:
                    hit = b.tf("Reshape", [hit, tf.const(col, "int64")], _type([None] + col[1:], "bool"))
                out = b.tf("SelectV2", [hit, red, tf.const(0, kind)], out_type)
    rewriter.replace_op(op, [out])
    return


def _scatter_operands(op):
    """(tensor, indices, updates, tensor dims, indices dims, element kind) for a fully static
    float32/int32 TensorScatter* op with int32/int64 indices, else None."""
    t, idx, upd = op.operands
    types = [_ranked(v) for v in (t, idx, upd)]
    if None in types or _bad_indices_ignored(op):
        return None
    if any(not ty.has_static_shape for ty in types):
        return None
    kind = _kind(types[0].element_type)
    if kind not in ("float32", "int32") or types[2].element_type != types[0].element_type:
        return None
    if _kind(types[1].element_type) not in ("int32", "int64"):
        return None
    tdims, idims, udims = (b.shape_of(v) for v in (t, idx, upd))
    if len(idims) < 1 or not 1 <= idims[-1] <= len(tdims):
        return None
    q = idims[-1]
    if udims != idims[:-1] + tdims[q:]:
        return None
    return t, idx, upd, tdims, idims, kind


@register_pass
@dataclass(frozen=True)
class DecomposeSegmentScatter(PatternPass):
    name = "decompose-segment-scatter"
    stage = "tf"
    description = ("tf.SegmentMax/Min/Mean/Prod -> UNSORTED_SEGMENT_* with run-time num_segments; "
                   "tf.TensorScatterSub/Max/Min -> SCATTER_ND / UNSORTED_SEGMENT_* + elementwise")

    @rewrite("tf.SegmentMax")
    def segment_max(self, op, rewriter):
        return _segment(op, rewriter)

    @rewrite("tf.SegmentMin")
    def segment_min(self, op, rewriter):
        return _segment(op, rewriter)

    @rewrite("tf.SegmentMean")
    def segment_mean(self, op, rewriter):
        return _segment(op, rewriter)

    @rewrite("tf.SegmentProd")
    def segment_prod(self, op, rewriter):
        return _segment(op, rewriter)

    @rewrite("tf.TensorScatterSub")
    def tensor_scatter_sub(self, op, rewriter):
        found = _scatter_operands(op)
        if found is None:
            return NO_MATCH
        t, idx, upd, tdims, _, _ = found
        with rewriter.ip, op.location:
            tf = Tf()
            scattered = b.tf("ScatterNd", [_to_i32(idx), upd, tf.const(tdims, "int32")], t.type)
            out = b.tf("Sub", [t, scattered], t.type)
        rewriter.replace_op(op, [out])
        return

    @rewrite("tf.TensorScatterMax")
    def tensor_scatter_max(self, op, rewriter):
        return self._scatter_extremum(op, rewriter, "Max")

    @rewrite("tf.TensorScatterMin")
    def tensor_scatter_min(self, op, rewriter):
        return self._scatter_extremum(op, rewriter, "Min")

    @staticmethod
    def _scatter_extremum(op, rewriter, which: str) -> bool:
        found = _scatter_operands(op)
        if found is None:
            return NO_MATCH
        t, idx, upd, tdims, idims, kind = found
        q = idims[-1]
        k = int(np.prod(idims[:-1], dtype=np.int64))
        p = int(np.prod(tdims[:q], dtype=np.int64))
        rest = tdims[q:]
        if k == 0 or p == 0 or p >= 2**31:
            return NO_MATCH
        with rewriter.ip, op.location:
            tf = Tf()
            tuples = tf.reshape(_to_i32(idx), [k, q])
            if q == 1:
                rows = tf.reshape(tuples, [k])
            else:
                strides = [int(np.prod(tdims[j + 1:q], dtype=np.int64)) for j in range(q)]
                scaled = b.tf("Mul", [tuples, tf.const(strides, "int32")], _type([k, q], "int32"))
                rows = b.tf("Sum", [scaled, tf.const([1], "int32")], _type([k], "int32"), keep_dims=False)
            num = tf.const(p, "int32")
            flat_t = tf.reshape(t, [p] + rest)
            m = b.tf("UnsortedSegment" + which, [tf.reshape(upd, [k] + rest), rows, num], flat_t.type)
            count = b.tf("UnsortedSegmentSum", [tf.const(np.ones(k, np.float32)), rows, num], _type([p], "float32"))
            hit = tf.reshape(b.tf("Greater", [count, tf.const(0.0)], _type([p], "bool")), [p] + [1] * len(rest))
            best = b.tf("Maximum" if which == "Max" else "Minimum", [flat_t, m], flat_t.type)
            out = tf.reshape(b.tf("SelectV2", [hit, best, flat_t], flat_t.type), tdims)
        rewriter.replace_op(op, [out])
        return
