"""decompose-bitwise: `tf.BitwiseAnd`, `tf.BitwiseOr`, `tf.LeftShift`, `tf.PopulationCount` ->
TFLite builtins, bit by bit. Exact for every input value of an 8, 16 or 32-bit integer type.

TFLite has RIGHT_SHIFT and BITWISE_XOR but no AND, OR, LEFT_SHIFT or POPCOUNT builtin: these
ops would reach the flatbuffer as TF ops (stock needs Flex). Runs at the `tf` stage.

An integer x of B bits is split into its two's-complement bits along a new last axis,
    bits(x) = FloorMod(RightShift(x[..., None], [0 .. B-1]), 2)            [..., B], 0 or 1
(the shift is arithmetic and the mod floors, so a negative x gives its bit pattern too), and a
bit vector is read back as sum_k bit_k * w_k with w_k = 2^k, except w_{B-1} = -2^(B-1) for a
signed type. The terms are distinct powers of two with at most one negative, so no partial sum
of the MUL + SUM overflows, in any order:
    BitwiseAnd(a, b)      sum_k bits(a)_k * bits(b)_k * w_k
    BitwiseOr(a, b)       sum_k max(bits(a)_k, bits(b)_k) * w_k
    LeftShift(x, y)       sum_k bits(x)_k * T[y', k],  T[s, k] = w_{k+s} (0 once k+s >= B), the row
                          picked by GATHER; y' = y clamped to [0, B-1], as TF clamps it
    PopulationCount(x)    sum_k bits(x)_k, CAST to uint8 (TF's output type)
Operands broadcast as in TF, dynamic dims included (operands must be ranked).

Everything is computed in int32: other types are CAST to int32 (sign or zero extended) and the
result CAST back, exact both ways; uint32 is read as its int32 bit pattern (w_31 = -2^31), which
TFLite's CASTs keep. Verified in ai-edge-litert against TF for int8/16/32 and uint8/16/32: every
pair of 8-bit values, every 16-bit value, 2^16 random 32-bit values with the extremes, shift
amounts over the whole type. int64/uint64 are left alone (TFLite has no int64 RIGHT_SHIFT).

Ops emitted for int32 (tf.Const not counted; EXPAND_DIMS becomes RESHAPE for static shapes):
BitwiseAnd / BitwiseOr 9 (EXPAND_DIMS, RIGHT_SHIFT, FLOOR_MOD per operand; MUL / MAXIMUM, MUL,
SUM), LeftShift 8 (MINIMUM + MAXIMUM clamp, GATHER, 3 for bits(x), MUL, SUM), PopulationCount 5
(3 for bits, SUM, CAST). Other types add a CAST per operand and one for the result: And / Or 12,
LeftShift 11 (uint32: 12, LESS + SELECT_V2 replace MAXIMUM as a shift >= 2^31 reads as
negative), PopulationCount 6.
The intermediates are int32 [..., B], B times the broadcast result's size; the same bits(x) of
one value feeding several of these ops are computed once (CSE).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite

# Element types rewritten, and their width. The work is done in int32 because the TFL legalizer
# rejects MUL, MAXIMUM or SUM on int8/int16 and FLOOR_MOD on unsigned types.
WIDTHS = {"i8": 8, "i16": 16, "i32": 32, "ui8": 8, "ui16": 16, "ui32": 32}


def _ty(dims, et):
    return ir.RankedTensorType.get([ir.ShapedType.get_dynamic_size() if d is None else d for d in dims], et)


def _broadcast(*values):
    """The broadcast shape of ranked values; None for a dim unknown until run time."""
    shapes = [b.shape_of(v) for v in values]
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = [s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0]
        known = [d for d in dims if d is not None and d != 1]
        out.append(known[0] if known else (None if None in dims else 1))
    return out


class _Bits:
    """int32 tf ops on the bits of B-bit integers, static or dynamic dims."""

    def __init__(self, width: int, unsigned: bool):
        self.width, self.unsigned = width, unsigned
        self.i32 = b.element_type("int32")
        self._consts: dict = {}  # one tf.Const per value

    def const(self, array):
        array = np.asarray(array, np.int32)
        key = (array.shape, array.tobytes())
        if key not in self._consts:
            self._consts[key] = b.constant(array, dialect="tf")
        return self._consts[key]

    def binary(self, name, x, y, et=None):
        return b.tf(name, [x, y], _ty(_broadcast(x, y), et or self.i32))

    def cast(self, x, et):
        if b.element_type_of(x) == et:
            return x
        return b.tf("Cast", [x], _ty(b.shape_of(x), et), Truncate=False)

    def weights(self):
        """w_k: what bit k is worth in int32: 2^k, but -2^(B-1) for the top bit of a signed type
        and of uint32 (whose bit pattern the int32 casts keep)."""
        w = [1 << k for k in range(self.width)]
        if not self.unsigned or self.width == 32:
            w[-1] = -w[-1]
        return np.array(w, np.int32)

    def split(self, x):
        """x [...] (cast to int32 first: sign or zero extended) -> its B low bits [..., B], 0 or 1."""
        x = self.cast(x, self.i32)
        xe = b.tf("ExpandDims", [x, self.const(-1)], _ty(b.shape_of(x) + [1], self.i32))
        shifted = self.binary("RightShift", xe, self.const(np.arange(self.width)))
        return self.binary("FloorMod", shifted, self.const(2))

    def sum_to(self, x, result_type):
        """Sum over the bit axis, as `result_type` (the replaced op's: a CAST to it if not int32)."""
        if ir.ShapedType(result_type).element_type == self.i32:
            return b.tf("Sum", [x, self.const(-1)], result_type, keep_dims=False)
        total = b.tf("Sum", [x, self.const(-1)], _ty(b.shape_of(x)[:-1], self.i32), keep_dims=False)
        return b.tf("Cast", [total], result_type, Truncate=False)


def _start(operands):
    """A `_Bits` for `operands` when they are ranked tensors of one type we rewrite, else None."""
    types = set()
    for v in operands:
        if not isinstance(v.type, ir.RankedTensorType):
            return None
        types.add(str(b.element_type_of(v)))
    if len(types) != 1 or next(iter(types)) not in WIDTHS:
        return None
    et = types.pop()
    return _Bits(WIDTHS[et], et.startswith("ui"))


@register_pass
@dataclass(frozen=True)
class DecomposeBitwise(PatternPass):
    name = "decompose-bitwise"
    stage = "tf"
    description = "tf.BitwiseAnd/BitwiseOr/LeftShift/PopulationCount (8/16/32-bit) -> per-bit builtins"

    def _and_or(self, op, rewriter, combine):
        em = _start(op.operands)
        if em is None:
            return NO_MATCH
        a, y = op.operands
        with rewriter.ip, op.location:
            both = em.binary(combine, em.split(a), em.split(y))   # bit k of a&b (Mul) / a|b (Maximum)
            out = em.sum_to(em.binary("Mul", both, em.const(em.weights())), op.results[0].type)
        rewriter.replace_op(op, [out])
        return

    @rewrite("tf.BitwiseAnd")
    def bitwise_and(self, op, rewriter):
        return self._and_or(op, rewriter, "Mul")

    @rewrite("tf.BitwiseOr")
    def bitwise_or(self, op, rewriter):
        return self._and_or(op, rewriter, "Maximum")

    @rewrite("tf.LeftShift")
    def left_shift(self, op, rewriter):
        em = _start(op.operands)
        if em is None:
            return NO_MATCH
        x, y = op.operands
        n, w = em.width, em.weights()
        # table[s, k]: what bit k of x is worth after a shift by s (0 once shifted out).
        table = np.array([[w[k + s] if k + s < n else 0 for k in range(n)] for s in range(n)], np.int32)
        with rewriter.ip, op.location:
            # TF clamps the shift to [0, B-1] (and GATHER needs an index in range).
            y = em.cast(y, em.i32)
            s = em.binary("Minimum", y, em.const(n - 1))
            if em.unsigned and n == 32:  # a uint32 shift >= 2^31 reads as a negative int32
                huge = em.binary("Less", y, em.const(0), b.element_type("bool"))
                s = b.tf("SelectV2", [huge, em.const(n - 1), s], s.type)
            else:
                s = em.binary("Maximum", s, em.const(0))
            rows = b.tf("GatherV2", [em.const(table), s, em.const(0)], _ty(b.shape_of(s) + [n], em.i32),
                        batch_dims=b.i64_attr(0))
            out = em.sum_to(em.binary("Mul", em.split(x), rows), op.results[0].type)
        rewriter.replace_op(op, [out])
        return

    @rewrite("tf.PopulationCount")
    def population_count(self, op, rewriter):
        em = _start(op.operands)
        if em is None:
            return NO_MATCH
        with rewriter.ip, op.location:
            out = em.sum_to(em.split(op.operands[0]), op.results[0].type)  # TF's count is uint8
        rewriter.replace_op(op, [out])
        return
