"""sink-loop-invariant-constants: a constant a `tf.While` only passes through (a Keras RNN's weights
and biases) is used inside the body as a constant, not as the loop argument.

Keras 3 hands an RNN cell's kernels to its loop as loop-carried values that the body returns
unchanged. As arguments they are opaque to the body's folding: a GRU's [2, 3u] bias is split and
squeezed at every step, and biases are not fused into FULLY_CONNECTED. With a copy of the
constant inside the body, the split and squeezes of constants are folded here (litert's TFL
legalization does not fold them; the stock converter's TF constant folding does). The loop
operand stays (passed through untouched).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import Pass, register_pass


def _constant(v: ir.Value):
    return b.defining_op(b.skip_identity(v), "tf.Const")


@register_pass
@dataclass(frozen=True)
class SinkLoopInvariantConstants(Pass):
    name = "sink-loop-invariant-constants"
    stage = "tf"
    description = "Constants a tf.While passes through unchanged -> constants inside its body and condition"

    def run(self, module: ir.Module) -> int:
        n = 0
        for w, body, cond in b.while_loops(module):
            bblock = body.regions[0].blocks[0]
            ret = bblock.operations[len(bblock.operations) - 1]
            for k, operand in enumerate(w.operands):
                const = _constant(operand)
                if const is None or k >= len(ret.operands) or ret.operands[k] != bblock.arguments[k]:
                    continue
                for fn in (body, cond):
                    arg = fn.regions[0].blocks[0].arguments[k]
                    uses = [u.owner for u in arg.uses if u.owner.name != "func.return"]
                    if not uses:
                        continue
                    first = fn.regions[0].blocks[0].operations[0]
                    copy = const.clone(ip=ir.InsertionPoint(first))
                    for user in uses:
                        for i, v in enumerate(user.operands):
                            if v == arg:
                                user.operands[i] = copy.result
                    n += 1
                    self._fold(copy)
        return n

    def _fold(self, const) -> None:
        """Fold tf.Split / tf.Squeeze / tf.Identity of the sunk constant (transitively)."""
        value = b.constant_value(const.result)
        for user in [u.owner for u in const.result.uses]:
            if user.name == "tf.Identity" or (user.name == "tf.Squeeze" and ir.RankedTensorType(user.result.type).has_static_shape):
                folded = [value.reshape(ir.RankedTensorType(user.result.type).shape)]
            elif user.name == "tf.Split" and user.operands[1] == const.result and b.constant_value(user.operands[0]) is not None:
                axis = int(b.constant_value(user.operands[0]).reshape(()))
                folded = np.split(value, len(user.results), axis=axis)
            else:
                continue
            with user.location, ir.InsertionPoint(user):
                consts = [b.op("tf.Const", results=[r.type], attributes={"value": b.dense(np.ascontiguousarray(v), r.type)})
                          for v, r in zip(folded, user.results)]
            for r, c in zip(list(user.results), consts):
                r.replace_all_uses_with(c.result)
            user.erase()
            for c in consts:
                self._fold(c)
