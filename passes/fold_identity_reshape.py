"""fold-identity-reshape: drop a `tfl.reshape` whose result type equals its input type.

With at most one dynamic dim and the same static dims, the element count forces the dynamic
dim to be unchanged, so the reshape is the identity. Legalizing a dynamic-batch `dot` leaves
such reshapes (shape computed at run time) around `tfl.fully_connected`; stock has none.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import builder as b
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


@register_pass
@dataclass(frozen=True)
class FoldIdentityReshape(PatternPass):
    name = "fold-identity-reshape"
    stage = "tfl"
    description = "Remove tfl.reshape ops whose output type equals the input type (<= 1 dynamic dim)"

    @rewrite("tfl.reshape")
    def fold(self, op, rewriter):
        x = op.operands[0]
        if x.type != op.result.type:
            return NO_MATCH
        dims = b.shape_of(x)
        if dims.count(None) > 1 or 0 in dims:
            return NO_MATCH
        rewriter.replace_op(op, [x])
