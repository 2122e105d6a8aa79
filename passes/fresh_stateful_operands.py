"""fresh-stateful-operands: each stateful operand of a TFL op (an LSTM's or RNN's initial state) is
its own tensor, computed at run time.

TFLite keeps these operands as *variable* tensors the kernel overwrites with the final state.
Two consequences the IR does not show:
- a constant there is written once, at AllocateTensors: the second `invoke` starts from the first
  run's final state (a stateful model, silently);
- one value in two stateful slots (h and c; or two stacked layers, after CSE merged their equal
  zero states) is one tensor: the first writer clobbers what the second reads.
So, just before export: a splat constant in a stateful slot becomes a FILL of that value (run each
invoke; litert's folders do not fold FILL), and a FILL feeding more than one slot is cloned per
slot. The stock converter's `tfl-split-merged-operands` splits shared constants only, which keeps
the first problem.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir, walk_ops
from tflx.plugin import Pass, register_pass

# Operand indices TFLite treats as variable tensors (tfl dialect's StatefulOperands).
STATEFUL_OPERANDS = {
    "tfl.lstm": (18, 19),
    "tfl.unidirectional_sequence_lstm": (18, 19),
    "tfl.bidirectional_sequence_lstm": (35, 36, 37, 38),
    "tfl.unidirectional_sequence_rnn": (4,),
    "tfl.svdf": (4,),
}


@register_pass
@dataclass(frozen=True)
class FreshStatefulOperands(Pass):
    name = "fresh-stateful-operands"
    stage = "tfl-opt"
    description = "Stateful operands (LSTM/RNN states) -> one run-time FILL per slot, never a constant or shared"

    def run(self, module: ir.Module) -> int:
        n = 0
        replaced = []
        for op in [op for op in walk_ops(module) if op.name in STATEFUL_OPERANDS]:
            for k in STATEFUL_OPERANDS[op.name]:
                if k >= len(op.operands):
                    continue
                v = op.operands[k]
                fresh = self._fresh(op, v)
                if fresh is not None:
                    op.operands[k] = fresh
                    if not any(v == r for r in replaced):
                        replaced.append(v)
                    n += 1
        for v in replaced:  # a FILL or constant now without users: not exported as a dead op
            owner = b.defining_op(v)
            if owner is not None and not len(list(v.uses)):
                owner.erase()
        return n

    @staticmethod
    def _fresh(op, v: ir.Value) -> ir.Value | None:
        value = b.constant_value(v)
        fill = b.defining_op(v, "tfl.fill")
        with op.location, ir.InsertionPoint(op):
            if value is not None:
                if value.size == 0 or not np.all(value == value.reshape(-1)[0]):
                    return None  # not a splat: no FILL says it (never seen from a converter)
                dims = b.constant(np.array(value.shape, np.int32))
                scalar = b.constant(value.reshape(-1)[:1].reshape(()))
                return b.tfl("fill", [dims, scalar], v.type)
            if fill is not None and len(list(v.uses)) > 1:
                return fill.clone(ir.InsertionPoint(op)).result
        return None
