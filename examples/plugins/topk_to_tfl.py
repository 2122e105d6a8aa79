"""Example plugin, StableHLO stage: sorting/top-k -> `tfl.topk_v2`, which the runtime executes.

`tf.math.top_k` and `tf.sort` reach the stablehlo stage as `stablehlo.custom_call @mhlo.topk`;
when only the values are used, legalization turns it into STABLEHLO_SORT, which ai-edge-litert
2.3.0 cannot run ("Didn't find op for builtin opcode 'STABLEHLO_SORT'"). Rewriting the custom
call (and a plain single-operand `stablehlo.sort` along the last dim, as JAX emits) into TFLite's
TOPK_V2 keeps both on builtins that run. Ties may come out in another order than TF's.

    tflx convert model/ -o m.tflite --plugin examples/plugins/topk_to_tfl.py
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def _topk(x: ir.Value, k: int, values_type, indices_type):
    op = b.op("tfl.topk_v2", [x, b.constant(np.int32(k))], [values_type, indices_type])
    return op.results[0], op.results[1]


@register_pass
@dataclass(frozen=True)
class TopkToTfl(PatternPass):
    name = "topk-to-tfl"
    stage = "stablehlo"
    description = "mhlo.topk custom_call / last-dim stablehlo.sort -> tfl.topk_v2"

    @rewrite("stablehlo.custom_call")
    def topk_custom_call(self, op, rewriter):
        if ir.StringAttr(op.attributes["call_target_name"]).value != "mhlo.topk":
            return NO_MATCH
        attrs = ir.DictAttr(op.attributes["mhlo.attributes"])
        k = ir.IntegerAttr(attrs["k"]).value
        largest = ir.BoolAttr(attrs["largest"]).value if "largest" in attrs else True
        if not largest or len(op.results) != 2:
            return NO_MATCH
        with rewriter.ip, op.location:
            values, indices = _topk(op.operands[0], k, op.results[0].type, op.results[1].type)
        rewriter.replace_op(op, [values, indices])

    @rewrite("stablehlo.sort")
    def sort_last_dim(self, op, rewriter):
        # One operand, sorted along its last dim by a bare GT/LT comparator of the two arguments.
        if len(op.operands) != 1:
            return NO_MATCH
        x = op.operands[0]
        rank = len(b.shape_of(x))
        if ir.IntegerAttr(op.attributes["dimension"]).value not in (rank - 1, -1):
            return NO_MATCH
        body = list(op.regions[0].blocks[0].operations)
        if len(body) != 2 or body[0].operation.name != "stablehlo.compare":
            return NO_MATCH
        cmp, args = body[0].operation, list(op.regions[0].blocks[0].arguments)
        if list(cmp.operands) != args[:2]:
            return NO_MATCH
        direction = str(cmp.attributes["comparison_direction"])
        if "GT" not in direction and "LT" not in direction:
            return NO_MATCH
        n = b.shape_of(x)[-1]
        if n is None:
            return NO_MATCH
        idx_type = b.tensor(b.shape_of(x), "int32")
        with rewriter.ip, op.location:
            if "GT" in direction:  # descending
                values, _ = _topk(x, n, x.type, idx_type)
            else:  # ascending: the largest of -x, negated back
                neg = b.tfl("neg", [x], x.type)
                values, _ = _topk(neg, n, x.type, idx_type)
                values = b.tfl("neg", [values], x.type)
        rewriter.replace_op(op, [values])
