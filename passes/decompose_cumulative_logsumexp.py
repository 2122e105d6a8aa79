"""decompose-cumulative-logsumexp: `tf.CumulativeLogsumexp` along a static axis -> an unrolled
log-add-exp recurrence.

    out_0 = x_0,  out_k = logaddexp(out_{k-1}, x_k) = max(a, b) + log1p(exp(-|a - b|))

(exclusive: shifted by one, out_0 = -inf; reverse: from the other end), the way TF's kernel
accumulates it, so terms far below the running maximum are not lost (a global shift by
max(x) would underflow them to log(0) = -inf). Per element of the axis: 1 SLICE and 6 ops
(MAXIMUM, SUB, ABS, NEG, EXP, LOG(1+.)= ADD+LOG, ADD) plus one CONCATENATION. Error: a few ulp
per step, relative to the result. Refused: dynamic shapes, a non-constant axis, non-float32,
an axis longer than max_n (the op count grows with it).
The direct route has no lowering for it and its StableHLO lowering was measured wrong (the
route table keeps it direct_only), so before this pass the op was an error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

from ._tf_emit import Tf, shape


@register_pass
@dataclass(frozen=True)
class DecomposeCumulativeLogsumexp(PatternPass):
    name = "decompose-cumulative-logsumexp"
    stage = "tf"
    description = "tf.CumulativeLogsumexp (static axis) -> unrolled logaddexp recurrence"
    max_n: int = 64

    @rewrite("tf.CumulativeLogsumexp")
    def cumulative_logsumexp(self, op, rewriter):
        x = op.operands[0]
        axis = b.constant_value(op.operands[1])
        try:
            dims = shape(x)
        except (ValueError, TypeError):
            return NO_MATCH
        if axis is None or axis.size != 1 or b.element_type_of(x) != ir.F32Type.get():
            return NO_MATCH
        axis = int(axis.reshape(-1)[0]) % len(dims)
        n = dims[axis]
        if n > self.max_n or n == 0:
            return NO_MATCH
        exclusive, reverse = b.bool_attr(op, "exclusive"), b.bool_attr(op, "reverse")
        with rewriter.ip, op.location:
            tf = Tf()
            size = list(dims)
            size[axis] = 1

            def item(k):
                begin = [0] * len(dims)
                begin[axis] = k
                return tf.slice(x, begin, size)

            order = list(range(n))[::-1] if reverse else list(range(n))
            acc, outs = None, []
            for k in order:
                if exclusive:
                    outs.append(acc if acc is not None else tf.const(np.full(size, -np.inf, np.float32)))
                xk = item(k)
                acc = xk if acc is None else self._logaddexp(acc, xk)
                if not exclusive:
                    outs.append(acc)
            out = tf.concat(outs[::-1] if reverse else outs, axis)
        rewriter.replace_op(op, [out])
        return

    @staticmethod
    def _logaddexp(a, c):
        t = a.type
        hi = b.tf("Maximum", [a, c], t)
        gap = b.tf("Neg", [b.tf("Abs", [b.tf("Sub", [a, c], t)], t)], t)
        return b.tf("AddV2", [hi, b.tf("Log1p", [b.tf("Exp", [gap], t)], t)], t)
