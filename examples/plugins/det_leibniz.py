"""Example plugin, TF stage: decompose `tf.MatrixDeterminant` for static n x n (n <= 4).

TFLite has no determinant builtin; stock conversion needs Flex. By the Leibniz formula,
    det(A) = sum over permutations p of sign(p) * prod_i A[i, p(i)],
which for n <= 4 is at most 24 products of 4 entries: one GATHER picks every A[i, p(i)],
REDUCE_PROD multiplies along each permutation, MUL applies the signs, SUM adds them up.
Exact arithmetic apart from float rounding (no pivoting needed); cost grows as n!·n, so larger
n is left alone.

    tflx convert model/ -o m.tflite --plugin examples/plugins/det_leibniz.py
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.plugin import NO_MATCH, PatternPass, register_pass, rewrite


def _sign(perm) -> int:
    inversions = sum(1 for i in range(len(perm)) for j in range(i + 1, len(perm)) if perm[i] > perm[j])
    return -1 if inversions % 2 else 1


@register_pass
@dataclass(frozen=True)
class DetLeibniz(PatternPass):
    name = "det-leibniz"
    stage = "tf"
    description = "tf.MatrixDeterminant (static n<=4) -> gather/prod/mul/sum builtins"
    max_n: int = 4

    @rewrite("tf.MatrixDeterminant")
    def decompose(self, op, rewriter):
        x = op.operands[0]
        dims = b.shape_of(x)
        if None in dims or len(dims) < 2 or dims[-1] != dims[-2] or dims[-1] > self.max_n:
            return NO_MATCH  # dynamic or too large: not this pattern
        n, batch = dims[-1], dims[:-2]
        et = b.element_type_of(x)
        perms = list(itertools.permutations(range(n)))
        flat_index = np.array([[i * n + p[i] for i in range(n)] for p in perms], np.int32).reshape(-1)
        signs = np.array([_sign(p) for p in perms], b.np_dtype(et))
        with rewriter.ip, op.location:
            flat = b.tf("Reshape", [x, b.constant(batch + [n * n], np.int64, "tf")], b.tensor(batch + [n * n], et))
            picked = b.tf("GatherV2", [flat, b.constant(flat_index, np.int32, "tf"), b.constant(-1, np.int32, "tf")],
                          b.tensor(batch + [len(perms) * n], et), batch_dims=b.i64_attr(0))
            terms = b.tf("Reshape", [picked, b.constant(batch + [len(perms), n], np.int64, "tf")],
                         b.tensor(batch + [len(perms), n], et))
            products = b.tf("Prod", [terms, b.constant([-1], np.int32, "tf")], b.tensor(batch + [len(perms)], et),
                            keep_dims=False)
            signed = b.tf("Mul", [products, b.constant(signs, dialect="tf")], b.tensor(batch + [len(perms)], et))
            det = b.tf("Sum", [signed, b.constant([-1], np.int32, "tf")], op.result.type, keep_dims=False)
        rewriter.replace_op(op, [det])
