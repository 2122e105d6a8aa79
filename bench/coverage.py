#!/usr/bin/env python3
"""Coverage sweep: which TensorFlow ops convert to TFLite builtins, with the stock converter and
with tflx, and does tflx's .tflite run in ai-edge-litert and match TensorFlow.

    python bench/coverage.py                         # full sweep -> docs/coverage.md, docs/coverage.json
    python bench/coverage.py --ops Erf,Cumprod --md /tmp/c.md --json /tmp/c.json
    python bench/coverage.py --list                  # the cases, no conversion

Every case is a small `tf.function` with a static `input_signature` built around one TF op (most
call `tf.raw_ops.<Op>` directly; a few use the public API that emits the op, e.g. `tf.sort`).
For each case the sweep records:

1. stock: `tf.lite.TFLiteConverter.from_concrete_functions([cf], fn)` with default settings
   (builtin ops only). `builtins` when it converts; `flex` when it refuses because the op needs the
   Select-TF (Flex) runtime; `custom` when not even Flex has the op; `fails` on any other error
   (its first error line is kept). A stock .tflite is run too (`stock.run`), so a stock "success"
   that does not run is visible.
2. tflx: `tflx.convert(fn)` with the default built-in passes. `builtins` when the .tflite has no
   CUSTOM/Flex ops (STABLEHLO_* builtins are listed separately), `non-builtin` when it has,
   `fails` with the stage and `TflxError.one_line()` otherwise.
3. run: the tflx .tflite runs in `ai_edge_litert.interpreter.Interpreter` (signature runner) and is
   compared with TensorFlow's eager result: |got - ref| <= atol + rtol * |ref| elementwise
   (float32 default rtol = atol = 1e-5; looser stated per case for approximations of special
   functions and for linear algebra; ints and bools must be equal).

(TFLX_COVERAGE_FAULT="abort:<case id>;hang:<case id>" makes the child abort() / hang in those
cases' tflx step: the tests use it to check that crashes and timeouts are recorded and the sweep
goes on.)

Isolation: cases run in child processes (many cases per child: the TF import costs seconds). A
child writes one JSON line per event to a file; when it dies (a native abort, a segfault) or a
case exceeds the per-case timeout, the parent records that case as `crashed`/`timeout` at the step
that was running and starts a new child for the remaining cases.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_MD = os.path.join(REPO, "docs", "coverage.md")
DEFAULT_JSON = os.path.join(REPO, "docs", "coverage.json")

F32 = {"rtol": 1e-5, "atol": 1e-5}
EXACT = {"exact": True}
NOT_BUILTIN_PREFIXES = ("CUSTOM", "FLEX")
# Graph plumbing that is not "the op" of a case.
PLUMBING = {"Placeholder", "Identity", "NoOp", "Const", "IdentityN"}


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

class Case:
    def __init__(self, op, label, fn, inputs, tol=None, note="", api=None, compare="values"):
        self.op = op                # the TF op under test (a tf.raw_ops name)
        self.label = label          # short description of the case (shapes, attrs)
        self.fn = fn                # python callable over tf tensors -> tensor or tuple of tensors
        self.inputs = inputs        # list of numpy arrays (named x0, x1, ...)
        self.tol = tol
        self.note = note
        self.api = api or f"tf.raw_ops.{op}"
        self.compare = compare

    @property
    def id(self):
        return f"{self.op}/{self.label}"


def _shape(a) -> str:
    return "[" + ",".join(str(d) for d in a.shape) + "]"


class K:
    """A constant operand of a case (an axis, a permutation, bounds): not a model input."""

    def __init__(self, value):
        self.value = value


def _rs(key):
    import zlib

    import numpy as np
    return np.random.RandomState(zlib.crc32(key.encode()) & 0x7FFFFFFF)


def build_cases():
    """All cases. Inputs are deterministic (seeded by the case's op and label)."""
    import numpy as np
    import tensorflow as tf

    R = tf.raw_ops
    cases: list[Case] = []

    def params(op):
        return [p for p in inspect.signature(getattr(R, op)).parameters if p != "name"]

    def add(op, label, fn, inputs, **kw):
        cases.append(Case(op, label, fn, inputs, **kw))

    def raw(op, label, inputs, n_in=None, tol=None, note="", outputs=None, **attrs):
        """tf.raw_ops.<op>(first len(inputs) params = inputs, **attrs)."""
        names = params(op)[: (n_in if n_in is not None else len(inputs))]
        feeds = [v for v in inputs if not isinstance(v, K)]

        def fn(*xs):
            it = iter(xs)
            kwargs = {n: (v.value if isinstance(v, K) else next(it)) for n, v in zip(names, inputs)}
            out = getattr(R, op)(**kwargs, **attrs)
            if outputs is not None:
                out = tuple(out[i] for i in outputs)
            return out
        add(op, label, fn, feeds, tol=tol, note=note)

    def rnd(key, shape, lo=-3.0, hi=3.0, dtype=np.float32):
        return _rs(key).uniform(lo, hi, shape).astype(dtype)

    def irnd(key, shape, lo=-8, hi=9, dtype=np.int32):
        return _rs(key).randint(lo, hi, shape).astype(dtype)

    # --- elementwise unary, float -------------------------------------------------------------
    loose = {"rtol": 1e-4, "atol": 1e-5}
    special = {"rtol": 1e-4, "atol": 1e-4}
    unary = [  # op, domain lo, hi, tolerance, note
        ("Abs", -3, 3, F32), ("Neg", -3, 3, F32), ("Exp", -5, 5, loose), ("Log", 0.01, 10, loose),
        ("Sqrt", 0, 10, F32), ("Rsqrt", 0.05, 10, loose), ("Square", -3, 3, F32),
        ("Reciprocal", 0.1, 5, F32), ("Inv", 0.1, 5, F32), ("Sin", -6, 6, loose), ("Cos", -6, 6, loose),
        ("Tan", -1.4, 1.4, loose), ("Asin", -0.95, 0.95, loose), ("Acos", -0.95, 0.95, loose),
        ("Atan", -5, 5, loose), ("Sinh", -4, 4, loose), ("Cosh", -4, 4, loose), ("Tanh", -4, 4, loose),
        ("Asinh", -5, 5, loose), ("Acosh", 1.05, 6, loose), ("Atanh", -0.9, 0.9, loose),
        ("Erf", -3, 3, loose), ("Erfc", -2, 3, special), ("Erfinv", -0.95, 0.95, special),
        ("Ndtri", 0.02, 0.98, special), ("Lgamma", 0.1, 6, special), ("Digamma", 0.2, 6, special),
        ("BesselI0e", -5, 5, special), ("BesselI1e", -5, 5, special), ("BesselI0", -4, 4, special),
        ("BesselI1", -4, 4, special), ("BesselJ0", -6, 6, special), ("BesselJ1", -6, 6, special),
        ("BesselY0", 0.2, 6, special), ("BesselY1", 0.2, 6, special), ("BesselK0", 0.2, 6, special),
        ("BesselK0e", 0.2, 6, special), ("BesselK1", 0.2, 6, special), ("BesselK1e", 0.2, 6, special),
        ("Dawsn", -4, 4, special), ("Expint", 0.2, 4, special), ("FresnelCos", -3, 3, special),
        ("FresnelSin", -3, 3, special), ("Spence", 0.1, 4, special),
        ("Expm1", -3, 3, loose), ("Log1p", -0.9, 5, loose), ("Sigmoid", -6, 6, loose),
        ("Sign", -3, 3, F32), ("Round", -4, 4, F32), ("Rint", -4, 4, F32), ("Floor", -4, 4, F32),
        ("Ceil", -4, 4, F32), ("Relu", -3, 3, F32), ("Relu6", -3, 9, F32), ("Elu", -3, 3, loose),
        ("Selu", -3, 3, loose), ("Softplus", -5, 5, loose), ("Softsign", -5, 5, F32),
        ("ZerosLike", -1, 1, F32), ("OnesLike", -1, 1, F32), ("Snapshot", -1, 1, F32),
        ("StopGradient", -1, 1, F32),
    ]
    for op, lo, hi, tol in unary:
        x = rnd(op, (2, 3, 4), lo, hi)
        if op in ("Round", "Rint"):
            x.flat[:4] = [0.5, 1.5, -2.5, 2.5]  # ties: both round half to even
        raw(op, "f32[2,3,4]", [x], tol=tol)
    raw("Erf", "f32[64] wide range", [np.linspace(-6, 6, 64).astype(np.float32)], tol=loose)
    # Erf/Erfc inside GELU, as Keras and tf.nn.gelu emit it: the direct route fuses the pattern
    # into one GELU builtin (a route table must not send these ops through StableHLO blindly).
    add("Erf", "gelu 0.5x(1+erf(x/sqrt2))", lambda x: 0.5 * x * (1.0 + tf.math.erf(x * 0.7071067811865476)),
        [rnd("gelu-erf", (2, 16))], tol=loose, api="0.5*x*(1+tf.math.erf(x/sqrt2))")
    add("Erfc", "tf.nn.gelu(approximate=False)", lambda x: tf.nn.gelu(x, approximate=False),
        [rnd("gelu-nn", (2, 16))], tol=loose, api="tf.nn.gelu(approximate=False)")
    add("Erfc", "gelu 0.5x*erfc(-x/sqrt2) (Keras)", lambda x: 0.5 * x * tf.math.erfc(-x * 0.7071067811865476),
        [rnd("gelu-erfc", (2, 16))], tol=loose, api="0.5*x*tf.math.erfc(-x/sqrt2)")
    raw("Erfinv", "f32[9] near +-1", [np.array([-0.999, -0.99, -0.9, -0.5, 0, 0.5, 0.9, 0.99, 0.999], np.float32)],
        tol=special)
    raw("Tan", "f32[1,2,3,4] rank 4", [rnd("tan4", (1, 2, 3, 4), -1.4, 1.4)], tol=loose)
    raw("Lgamma", "f32[8] negative non-integers", [np.array([-0.5, -1.5, -2.3, -3.7, -0.1, 0.3, 2.5, 7.0],
                                                            np.float32)], tol=special)
    raw("Sign", "i32[6]", [np.array([-3, 0, 5, -1, 2, 0], np.int32)], tol=EXACT)
    raw("Abs", "i32[6]", [np.array([-3, 0, 5, -1, 2, -7], np.int32)], tol=EXACT)
    raw("Neg", "i32[6]", [np.array([-3, 0, 5, -1, 2, -7], np.int32)], tol=EXACT)
    raw("Square", "i32[6]", [np.array([-3, 0, 5, -1, 2, -7], np.int32)], tol=EXACT)
    raw("LeakyRelu", "f32[2,3,4] alpha=0.2", [rnd("lrelu", (2, 3, 4))], tol=F32, alpha=0.2)
    special_x = np.array([1.0, -np.inf, np.nan, np.inf, 0.0, -2.5], np.float32)
    for op in ("IsFinite", "IsNan", "IsInf"):
        raw(op, "f32[6] with inf/nan", [special_x], tol=EXACT)
    raw("LogicalNot", "bool[5]", [np.array([True, False, True, True, False])], tol=EXACT)
    raw("Invert", "i32[6]", [irnd("invert", (6,), -100, 100)], tol=EXACT)
    raw("PopulationCount", "i32[6]", [irnd("popcnt", (6,), -1000, 1000)], tol=EXACT)
    raw("Cast", "f32->i32", [rnd("cast1", (2, 5), -9, 9)], tol=EXACT, DstT=tf.int32)
    raw("Cast", "i32->f32", [irnd("cast2", (2, 5))], tol=F32, DstT=tf.float32)
    raw("Cast", "f32->bool", [np.array([0.0, 1.5, -2.0, 0.0], np.float32)], tol=EXACT, DstT=tf.bool)
    raw("Bitcast", "f32->i32", [rnd("bitcast", (2, 3))], tol=EXACT, type=tf.int32)
    raw("Bitcast", "i32->f32", [irnd("bitcast2", (2, 3), 1 << 24, 1 << 29)], tol=EXACT, type=tf.float32)
    raw("ClipByValue", "f32[2,5] scalar bounds", [rnd("clip", (2, 5)), K(-1.0), K(1.5)], tol=F32)
    raw("CheckNumerics", "f32[4]", [rnd("checknum", (4,))], tol=F32, message="bad")

    # --- elementwise binary -------------------------------------------------------------------
    a, bb = rnd("bin-a", (2, 3, 4)), rnd("bin-b", (3, 4))
    pos_a, pos_b = rnd("bin-pa", (2, 3, 4), 0.2, 4), rnd("bin-pb", (3, 4), 0.2, 4)
    binary = [
        ("AddV2", a, bb, F32), ("Sub", a, bb, F32), ("Mul", a, bb, F32), ("RealDiv", a, pos_b, F32),
        ("Div", a, pos_b, F32), ("Maximum", a, bb, F32), ("Minimum", a, bb, F32),
        ("SquaredDifference", a, bb, F32), ("Pow", pos_a, bb, loose), ("Atan2", a, bb, loose),
        ("Xlogy", a, pos_b, loose), ("Xdivy", a, pos_b, F32), ("Xlog1py", a, pos_b, loose),
        ("DivNoNan", a, np.where(np.abs(bb) < 1, 0.0, bb).astype(np.float32), F32),
        ("MulNoNan", a, bb, F32), ("FloorDiv", a, pos_b, F32), ("FloorMod", a, pos_b, loose),
        ("TruncateDiv", irnd("td-a", (2, 3, 4), -20, 20), irnd("td-b", (3, 4), 1, 6), EXACT),
        ("TruncateMod", a, pos_b, loose), ("NextAfter", a, bb, F32),
        ("Igamma", pos_a, pos_b, special), ("Igammac", pos_a, pos_b, special),
        ("Zeta", rnd("zeta-x", (2, 3, 4), 1.5, 5), rnd("zeta-q", (3, 4), 0.5, 3), special),
        ("Polygamma", np.floor(rnd("pg-n", (3, 4), 0, 3)), rnd("pg-x", (2, 3, 4), 0.5, 4), special),
        ("ApproximateEqual", a, (a + rnd("ae", (2, 3, 4), -0.02, 0.02)).astype(np.float32), EXACT),
    ]
    for op, x, y, tol in binary:
        kw = {"tolerance": 0.01} if op == "ApproximateEqual" else {}
        raw(op, f"f32{_shape(x)}x{_shape(y)} broadcast" if x.dtype == np.float32
            else f"i32{_shape(x)}x{_shape(y)}", [x, y], tol=tol, **kw)
    raw("Polygamma", "f32[2,3,4] n broadcast", [np.floor(rnd("pg2-n", (2, 3, 4), 0, 3)),
                                                rnd("pg2-x", (2, 3, 4), 0.5, 4)], tol=special)
    ia, ib = irnd("ibin-a", (2, 6), -50, 50), irnd("ibin-b", (2, 6), 1, 9)
    for op in ("AddV2", "Sub", "Mul", "FloorDiv", "FloorMod", "Maximum", "Minimum", "TruncateMod", "Div",
               "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "SquaredDifference"):
        raw(op, "i32[2,6]", [ia, ib], tol=EXACT)
    for op in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"):
        y = a[0].copy()
        y[0] = a[1][0]
        raw(op, "f32[2,3,4]x[3,4]", [a, y], tol=EXACT, **({"incompatible_shape_error": True}
                                                          if op in ("Equal", "NotEqual") else {}))
    ba, bbb = np.array([True, False, True, False]), np.array([True, True, False, False])
    raw("LogicalAnd", "bool[4]", [ba, bbb], tol=EXACT)
    raw("LogicalOr", "bool[4]", [ba, bbb], tol=EXACT)
    raw("Betainc", "f32[2,4]", [rnd("bi-a", (2, 4), 0.5, 3), rnd("bi-b", (2, 4), 0.5, 3),
                               rnd("bi-x", (2, 4), 0.05, 0.95)], tol=special)
    raw("SelectV2", "bool[3,1] f32[3,4] broadcast", [np.array([[True], [False], [True]]),
                                                     rnd("sel-t", (3, 4)), rnd("sel-e", (3, 4))], tol=F32)
    raw("Select", "bool[3] f32[3,4]", [np.array([True, False, True]), rnd("sel1-t", (3, 4)),
                                       rnd("sel1-e", (3, 4))], tol=F32)
    add("AddN", "3 x f32[2,3]", lambda x, y, z: R.AddN(inputs=[x, y, z]),
        [rnd("addn0", (2, 3)), rnd("addn1", (2, 3)), rnd("addn2", (2, 3))], tol=F32)
    raw("BiasAdd", "f32[2,3,4]+[4]", [rnd("bias-x", (2, 3, 4)), rnd("bias-b", (4,))], tol=F32)
    raw("Cross", "f32[4,3]", [rnd("cross-a", (4, 3)), rnd("cross-b", (4, 3))], tol=loose)

    # --- reductions / scans -------------------------------------------------------------------
    x = rnd("red", (2, 3, 4))
    xp = rnd("red-p", (2, 3, 4), 0.5, 1.5)
    for op, data, tol in (("Sum", x, F32), ("Mean", x, F32), ("Prod", xp, loose), ("Max", x, F32),
                          ("Min", x, F32), ("EuclideanNorm", x, loose)):
        raw(op, "f32[2,3,4] axis=1", [data, K([1])], tol=tol)
        raw(op, "f32[2,3,4] axes=[0,2] keepdims", [data, K([0, 2])], tol=tol, keep_dims=True)
    raw("Prod", "i32[2,5] axis=1", [irnd("prod-i", (2, 5), -3, 4), K([1])], tol=EXACT)
    bools = _rs("bools").rand(3, 4) < 0.6
    raw("All", "bool[3,4] axis=1", [bools, K([1])], tol=EXACT)
    raw("Any", "bool[3,4] axis=1", [bools, K([1])], tol=EXACT)
    for op in ("ArgMax", "ArgMin"):
        raw(op, "f32[3,5] axis=1", [rnd(op, (3, 5)), K(1)], tol=EXACT)
        raw(op, "i32[3,5] axis=0", [irnd(op, (3, 5), -100, 100), K(0)], tol=EXACT)
    for op, data, tol in (("Cumsum", x, F32), ("Cumprod", xp, loose), ("CumulativeLogsumexp", x, loose)):
        raw(op, "f32[2,3,4] axis=2", [data, K(2)], tol=tol)
        raw(op, "f32[2,3,4] axis=1 exclusive reverse", [data, K(1)], tol=tol, exclusive=True, reverse=True)
    raw("Cumsum", "i32[3,5] axis=1", [irnd("cumsum-i", (3, 5)), K(1)], tol=EXACT)
    raw("L2Loss", "f32[3,4]", [rnd("l2loss", (3, 4))], tol=loose)
    seg = np.array([0, 0, 1, 2, 2, 2], np.int32)
    for op in ("SegmentSum", "SegmentMax", "SegmentMin", "SegmentMean", "SegmentProd"):
        raw(op, "f32[6,3] sorted ids", [rnd(op, (6, 3), 0.5, 2), seg], tol=loose)
    useg = np.array([2, 0, 1, 0, 2, 1], np.int32)
    for op in ("UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
        add(op, "f32[6,3] 3 segments", lambda d, s, _op=op: getattr(R, _op)(data=d, segment_ids=s, num_segments=3),
            [rnd(op, (6, 3), 0.5, 2), useg], tol=loose)

    # --- linear algebra -----------------------------------------------------------------------
    lin = {"rtol": 1e-4, "atol": 1e-4}
    def spd(key, n, batch=()):
        m = _rs(key).randn(*batch, n, n)
        return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(np.float32)
    raw("MatMul", "f32[3,4]x[4,5]", [rnd("mm-a", (3, 4)), rnd("mm-b", (4, 5))], tol=lin)
    raw("MatMul", "f32[4,3]x[5,4] transpose both", [rnd("mmt-a", (4, 3)), rnd("mmt-b", (5, 4))], tol=lin,
        transpose_a=True, transpose_b=True)
    raw("BatchMatMulV2", "f32[2,3,4]x[4,5]", [rnd("bmm-a", (2, 3, 4)), rnd("bmm-b", (4, 5))], tol=lin)
    raw("BatchMatMulV2", "f32[2,3,4]x[2,5,4] adj_y", [rnd("bmm2-a", (2, 3, 4)), rnd("bmm2-b", (2, 5, 4))],
        tol=lin, adj_y=True)
    raw("BatchMatMulV3", "f32[2,3,4]x[2,4,5]", [rnd("bmm3-a", (2, 3, 4)), rnd("bmm3-b", (2, 4, 5))], tol=lin,
        Tout=tf.float32)
    for eq, shapes in (("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij->ji", [(3, 4)]),
                       ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]), ("ij,ij->i", [(3, 4), (3, 4)]),
                       ("ii->i", [(4, 4)]), ("ij->", [(3, 4)]), ("bi,bj->bij", [(2, 3), (2, 4)]),
                       ("abc,cd->abd", [(2, 3, 4), (4, 5)]), ("i,i->", [(5,), (5,)])):
        xs = [rnd(f"einsum-{eq}-{i}", s) for i, s in enumerate(shapes)]
        add("Einsum", f"'{eq}'", lambda *t, _eq=eq: R.Einsum(inputs=list(t), equation=_eq), xs, tol=lin)
    gen = _rs("det").randn(2, 4, 4).astype(np.float32)
    gen[0, 0, 0] = 0.0  # needs a row exchange
    raw("MatrixDeterminant", "f32[2,4,4] pivoting", [gen], tol=lin)
    raw("MatrixDeterminant", "f32[3,3]", [rnd("det3", (3, 3))], tol=lin)
    raw("MatrixDeterminant", "f32[3,2,2,2] batch dims", [rnd("det2", (3, 2, 2, 2))], tol=lin)
    raw("MatrixDeterminant", "f32[1,1]", [rnd("det1", (1, 1))], tol=lin)
    raw("LogMatrixDeterminant", "f32[2,3,3]", [rnd("logdet", (2, 3, 3))], tol=lin)
    inv = (_rs("inv").randn(2, 4, 4) + 3 * np.eye(4)).astype(np.float32)
    inv[1, 0, 0] = 0.0
    raw("MatrixInverse", "f32[2,4,4]", [inv], tol=lin)
    raw("MatrixInverse", "f32[3,3] adjoint", [(rnd("inv3", (3, 3)) + 3 * np.eye(3)).astype(np.float32)],
        tol=lin, adjoint=True)
    raw("Cholesky", "f32[2,4,4] SPD", [spd("chol", 4, (2,))], tol=lin)
    raw("Cholesky", "f32[3,3] SPD", [spd("chol3", 3)], tol=lin)
    raw("Cholesky", "f32[2,2,6,6] SPD batch dims", [spd("chol6", 6, (2, 2))], tol=lin)
    raw("MatrixInverse", "f32[2,3,5,5] batch dims", [(_rs("inv5").randn(2, 3, 5, 5) + 4 * np.eye(5)).astype(np.float32)],
        tol=lin)
    raw("MatrixSolve", "f32[2,3,3]x[2,3,2]", [(rnd("solve-a", (2, 3, 3)) + 4 * np.eye(3)).astype(np.float32),
                                            rnd("solve-b", (2, 3, 2))], tol=lin)
    tri = np.tril(rnd("trisolve", (2, 4, 4))) + 3 * np.eye(4, dtype=np.float32)
    raw("MatrixTriangularSolve", "f32[2,4,4] lower x [2,4,2]", [tri.astype(np.float32),
                                                              rnd("trisolve-b", (2, 4, 2))], tol=lin)
    raw("MatrixTriangularSolve", "f32[3,3] upper adjoint", [np.triu(rnd("tsu", (3, 3))).astype(np.float32)
                                                           + 3 * np.eye(3, dtype=np.float32),
                                                           rnd("tsu-b", (3, 2))], tol=lin, lower=False, adjoint=True)
    raw("MatrixBandPart", "f32[2,4,5] (1,2)", [rnd("band", (2, 4, 5)), K(1), K(2)], tol=F32)
    raw("MatrixBandPart", "f32[4,4] lower (-1,0)", [rnd("band2", (4, 4)), K(-1), K(0)], tol=F32)
    add("MatrixDiagV3", "f32[2,3] -> [2,3,3]",
        lambda d: R.MatrixDiagV3(diagonal=d, k=0, num_rows=-1, num_cols=-1, padding_value=0.0),
        [rnd("mdiag", (2, 3))], tol=F32)
    add("MatrixDiagPartV3", "f32[2,3,4] k=0",
        lambda m: R.MatrixDiagPartV3(input=m, k=0, padding_value=0.0), [rnd("mdp", (2, 3, 4))], tol=F32)
    add("MatrixDiagPartV3", "f32[4,4] k=(-1,1)",
        lambda m: R.MatrixDiagPartV3(input=m, k=[-1, 1], padding_value=0.0), [rnd("mdp2", (4, 4))], tol=F32)
    add("MatrixSetDiagV3", "f32[2,3,3]",
        lambda m, d: R.MatrixSetDiagV3(input=m, diagonal=d, k=0), [rnd("msd", (2, 3, 3)), rnd("msd-d", (2, 3))],
        tol=F32)
    raw("Diag", "f32[4]", [rnd("diag", (4,))], tol=F32)
    raw("DiagPart", "f32[3,3]", [rnd("diagpart", (3, 3))], tol=F32)
    qr_in = rnd("qr", (2, 4, 3))
    add("Qr", "f32[2,4,3] |Q|,|R| (signs are not unique)",
        lambda m: tuple(tf.abs(t) for t in R.Qr(input=m, full_matrices=False)), [qr_in], tol=lin)
    add("Svd", "f32[2,4,3] compute_uv=False", lambda m: R.Svd(input=m, compute_uv=False)[0],
        [rnd("svd", (2, 4, 3))], tol=lin)
    add("Svd", "f32[3,3] s,|u|,|v|", lambda m: (lambda r: (r[0], tf.abs(r[1]), tf.abs(r[2])))(
        R.Svd(input=m, compute_uv=True)), [rnd("svd2", (3, 3))], tol=lin)
    add("SelfAdjointEigV2", "f32[2,4,4] eigenvalues only", lambda m: R.SelfAdjointEigV2(input=m, compute_v=False)[0],
        [spd("eig", 4, (2,))], tol=lin)
    add("MatrixSquareRoot", "f32[3,3] SPD", lambda m: R.MatrixSquareRoot(input=m), [spd("sqrtm", 3)], tol=lin)
    raw("Transpose", "f32[2,3,4] perm 2,0,1", [rnd("transpose", (2, 3, 4)), K([2, 0, 1])], tol=F32)
    raw("ConjugateTranspose", "f32[2,3] real", [rnd("ctranspose", (2, 3)), K([1, 0])], tol=F32)

    # --- shape / array manipulation -----------------------------------------------------------
    x = rnd("arr", (2, 3, 4))
    add("Reshape", "[2,3,4]->[4,6]", lambda t: R.Reshape(tensor=t, shape=[4, 6]), [x], tol=F32)
    add("Squeeze", "[2,1,4]", lambda t: R.Squeeze(input=t, axis=[1]), [rnd("sq", (2, 1, 4))], tol=F32)
    add("ExpandDims", "[2,3]->[2,1,3]", lambda t: R.ExpandDims(input=t, axis=1), [rnd("ed", (2, 3))], tol=F32)
    add("ConcatV2", "2 x [2,3] axis=1", lambda u, v: R.ConcatV2(values=[u, v], axis=1),
        [rnd("cc0", (2, 3)), rnd("cc1", (2, 3))], tol=F32)
    add("Pack", "3 x [2,3] axis=1", lambda u, v, w: R.Pack(values=[u, v, w], axis=1),
        [rnd("pk0", (2, 3)), rnd("pk1", (2, 3)), rnd("pk2", (2, 3))], tol=F32)
    add("Unpack", "[3,2,4] axis=0", lambda t: tuple(R.Unpack(value=t, num=3, axis=0)), [rnd("upk", (3, 2, 4))], tol=F32)
    add("Split", "[2,6] into 3", lambda t: tuple(R.Split(axis=1, value=t, num_split=3)), [rnd("split", (2, 6))], tol=F32)
    add("SplitV", "[2,6] sizes 1,2,3", lambda t: tuple(R.SplitV(value=t, size_splits=[1, 2, 3], axis=1, num_split=3)),
        [rnd("splitv", (2, 6))], tol=F32)
    add("Slice", "[2,3,4] begin 0,1,1 size 2,2,2", lambda t: R.Slice(input=t, begin=[0, 1, 1], size=[2, 2, 2]),
        [x], tol=F32)
    add("StridedSlice", "[2,3,4] [:, ::-1, 1::2]", lambda t: t[:, ::-1, 1::2], [x], tol=F32, api="x[:, ::-1, 1::2]")
    add("StridedSlice", "[2,3,4] [..., tf.newaxis, 0] shrink", lambda t: t[..., None, 0], [x], tol=F32,
        api="x[..., None, 0]")
    add("Tile", "[2,3] x (2,3)", lambda t: R.Tile(input=t, multiples=[2, 3]), [rnd("tile", (2, 3))], tol=F32)
    add("Tile", "i32[2,1,3] x (1,4,1)", lambda t: R.Tile(input=t, multiples=[1, 4, 1]), [irnd("tile-i", (2, 1, 3))],
        tol=EXACT)
    add("BroadcastTo", "[3,1]->[2,3,4]", lambda t: R.BroadcastTo(input=t, shape=[2, 3, 4]), [rnd("bt", (3, 1))], tol=F32)
    add("Pad", "[2,3] pad 1,2", lambda t: R.Pad(input=t, paddings=[[1, 0], [0, 2]]), [rnd("pad", (2, 3))], tol=F32)
    add("PadV2", "[2,3] pad value 7", lambda t: R.PadV2(input=t, paddings=[[1, 1], [2, 0]], constant_values=7.0),
        [rnd("padv2", (2, 3))], tol=F32)
    for mode in ("REFLECT", "SYMMETRIC"):
        add("MirrorPad", f"[1,4,5,2] {mode}",
            lambda t, _m=mode: R.MirrorPad(input=t, paddings=[[0, 0], [1, 2], [2, 1], [0, 0]], mode=_m),
            [rnd(f"mp-{mode}", (1, 4, 5, 2))], tol=F32)
    add("ReverseV2", "[2,3,4] axes 1,2", lambda t: R.ReverseV2(tensor=t, axis=[1, 2]), [x], tol=F32)
    add("ReverseSequence", "[3,5,2] seq_lengths", lambda t, s: R.ReverseSequence(input=t, seq_lengths=s, seq_dim=1,
                                                                                batch_dim=0),
        [rnd("revseq", (3, 5, 2)), np.array([2, 5, 3], np.int32)], tol=F32)
    add("Roll", "[3,5] shift (1,-2)", lambda t: R.Roll(input=t, shift=[1, -2], axis=[0, 1]), [rnd("roll", (3, 5))],
        tol=F32)
    add("Fill", "[2,3] from scalar input", lambda v: R.Fill(dims=[2, 3], value=v), [np.float32(2.5)], tol=F32)
    add("Shape", "f32[2,3,4]", lambda t: R.Shape(input=t, out_type=tf.int32), [x], tol=EXACT)
    add("Size", "f32[2,3,4]", lambda t: R.Size(input=t, out_type=tf.int32), [x], tol=EXACT)
    add("Rank", "f32[2,3,4]", lambda t: R.Rank(input=t), [x], tol=EXACT)
    add("InvertPermutation", "i32[5]", lambda p: R.InvertPermutation(x=p), [np.array([3, 0, 4, 1, 2], np.int32)],
        tol=EXACT)
    add("Range", "scalar start/limit inputs, fixed count", lambda s: R.Range(start=s, limit=s + 5.0, delta=1.0),
        [np.float32(1.5)], tol=F32, note="output length depends on the input values")
    add("LinSpace", "scalar inputs num=5", lambda s, e: R.LinSpace(start=s, stop=e, num=5),
        [np.float32(-1.0), np.float32(3.0)], tol=F32)
    add("GatherV2", "[5,3] idx[4] axis 0", lambda p, i: R.GatherV2(params=p, indices=i, axis=0),
        [rnd("gather", (5, 3)), np.array([4, 0, 2, 2], np.int32)], tol=F32)
    add("GatherV2", "[2,5,3] idx[2,2] axis 1 batch_dims 1",
        lambda p, i: R.GatherV2(params=p, indices=i, axis=1, batch_dims=1),
        [rnd("gatherb", (2, 5, 3)), np.array([[4, 0], [1, 3]], np.int32)], tol=F32)
    add("GatherNd", "[3,4,2] idx[3,2]", lambda p, i: R.GatherNd(params=p, indices=i),
        [rnd("gnd", (3, 4, 2)), np.array([[0, 1], [2, 3], [1, 0]], np.int32)], tol=F32)
    add("ScatterNd", "idx[3,1] upd[3,4] -> [5,4]", lambda i, u: R.ScatterNd(indices=i, updates=u, shape=[5, 4]),
        [np.array([[0], [3], [1]], np.int32), rnd("snd", (3, 4))], tol=F32)
    add("ScatterNd", "duplicate idx accumulate", lambda i, u: R.ScatterNd(indices=i, updates=u, shape=[4, 2]),
        [np.array([[1], [1], [3]], np.int32), rnd("snd2", (3, 2))], tol=F32)
    ts_t, ts_i, ts_u = rnd("ts", (5, 3)), np.array([[4], [0], [2]], np.int32), rnd("ts-u", (3, 3))
    for op in ("TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin"):
        add(op, "[5,3] idx[3,1] upd[3,3]", lambda t, i, u, _op=op: getattr(R, _op)(tensor=t, indices=i, updates=u),
            [ts_t, ts_i, ts_u], tol=F32)
    add("TensorScatterUpdate", "[4,4] element idx[3,2]",
        lambda t, i, u: R.TensorScatterUpdate(tensor=t, indices=i, updates=u),
        [rnd("ts2", (4, 4)), np.array([[0, 1], [3, 3], [2, 0]], np.int32), rnd("ts2-u", (3,))], tol=F32)
    add("OneHot", "i32[4] depth 5", lambda i: R.OneHot(indices=i, depth=5, on_value=1.0, off_value=0.0),
        [np.array([0, 4, 2, -1], np.int32)], tol=F32)
    add("OneHot", "i32[2,3] depth 4 axis 0", lambda i: R.OneHot(indices=i, depth=4, on_value=3, off_value=-1, axis=0),
        [np.array([[0, 3, 1], [2, 2, 0]], np.int32)], tol=EXACT)
    add("Where", "bool[3,4] -> coordinates (dynamic count)", lambda c: R.Where(condition=c),
        [_rs("where").rand(3, 4) < 0.5], tol=EXACT, note="output shape depends on the values")
    add("SpaceToDepth", "[1,4,4,2] block 2", lambda t: R.SpaceToDepth(input=t, block_size=2),
        [rnd("s2d", (1, 4, 4, 2))], tol=F32)
    add("DepthToSpace", "[1,2,2,8] block 2", lambda t: R.DepthToSpace(input=t, block_size=2),
        [rnd("d2s", (1, 2, 2, 8))], tol=F32)
    add("SpaceToBatchND", "[1,4,4,1] block 2,2", lambda t: R.SpaceToBatchND(input=t, block_shape=[2, 2],
                                                                            paddings=[[0, 0], [0, 0]]),
        [rnd("s2b", (1, 4, 4, 1))], tol=F32)
    add("BatchToSpaceND", "[4,2,2,1] block 2,2", lambda t: R.BatchToSpaceND(input=t, block_shape=[2, 2],
                                                                            crops=[[0, 0], [0, 0]]),
        [rnd("b2s", (4, 2, 2, 1))], tol=F32)
    add("ExtractImagePatches", "[1,5,5,2] 3x3 s2 VALID",
        lambda t: R.ExtractImagePatches(images=t, ksizes=[1, 3, 3, 1], strides=[1, 2, 2, 1], rates=[1, 1, 1, 1],
                                        padding="VALID"), [rnd("eip", (1, 5, 5, 2))], tol=F32)
    add("ExtractImagePatches", "[1,6,6,1] 2x2 s1 rate2 SAME",
        lambda t: R.ExtractImagePatches(images=t, ksizes=[1, 2, 2, 1], strides=[1, 1, 1, 1], rates=[1, 2, 2, 1],
                                        padding="SAME"), [rnd("eip2", (1, 6, 6, 1))], tol=F32)
    add("Bucketize", "f32[6]", lambda t: R.Bucketize(input=t, boundaries=[-1.0, 0.0, 2.0]),
        [np.array([-3, -1, 0.5, 2, 5, -0.5], np.float32)], tol=EXACT)
    add("EnsureShape", "f32[2,3]", lambda t: R.EnsureShape(input=t, shape=[2, 3]), [rnd("ens", (2, 3))], tol=F32)

    # --- sorting / top-k ----------------------------------------------------------------------
    add("TopKV2", "f32[3,6] k=3", lambda t: tuple(R.TopKV2(input=t, k=3)), [rnd("topk", (3, 6))], tol=F32)
    add("TopKV2", "f32[2,3,7] k=1", lambda t: tuple(R.TopKV2(input=t, k=1)), [rnd("topk1", (2, 3, 7))], tol=F32)
    add("TopKV2", "i32[8] k=4", lambda t: tuple(R.TopKV2(input=t, k=4)), [irnd("topk-i", (8,), -100, 100)], tol=EXACT)
    add("tf.sort", "f32[3,5] ascending", lambda t: tf.sort(t, axis=-1), [rnd("sort", (3, 5))], tol=F32,
        api="tf.sort")
    add("tf.sort", "f32[4,3] axis 0 descending", lambda t: tf.sort(t, axis=0, direction="DESCENDING"),
        [rnd("sort2", (4, 3))], tol=F32, api="tf.sort")
    add("tf.argsort", "f32[3,5] stable", lambda t: tf.argsort(t, axis=-1, stable=True), [rnd("argsort", (3, 5))],
        tol=EXACT, api="tf.argsort")
    add("InTopKV2", "f32[3,5] k=2", lambda p, t: R.InTopKV2(predictions=p, targets=t, k=2),
        [rnd("intopk", (3, 5)), np.array([0, 3, 4], np.int32)], tol=EXACT)
    add("UniqueV2", "i32[7] (dynamic count)", lambda t: tuple(R.UniqueV2(x=t, axis=[0])),
        [np.array([3, 1, 3, 2, 1, 5, 3], np.int32)], tol=EXACT, note="output shape depends on the values")

    # --- signal -------------------------------------------------------------------------------
    fftt = {"rtol": 1e-4, "atol": 1e-4}
    add("RFFT", "f32[2,8] real/imag out", lambda t: (lambda c: (tf.math.real(c), tf.math.imag(c)))(
        R.RFFT(input=t, fft_length=[8])), [rnd("rfft", (2, 8))], tol=fftt, api="tf.raw_ops.RFFT + Real/Imag")
    add("IRFFT", "complex from f32 pair [2,5] -> [2,8]",
        lambda re, im: R.IRFFT(input=tf.complex(re, im), fft_length=[8]), [rnd("irfft-r", (2, 5)),
                                                                           rnd("irfft-i", (2, 5))], tol=fftt,
        api="tf.raw_ops.IRFFT(tf.complex(re, im))")
    add("FFT", "complex from f32 pair [2,8]", lambda re, im: (lambda c: (tf.math.real(c), tf.math.imag(c)))(
        R.FFT(input=tf.complex(re, im))), [rnd("fft-r", (2, 8)), rnd("fft-i", (2, 8))], tol=fftt,
        api="tf.raw_ops.FFT on tf.complex")
    add("RFFT2D", "f32[1,4,8] real/imag out", lambda t: (lambda c: (tf.math.real(c), tf.math.imag(c)))(
        R.RFFT2D(input=t, fft_length=[4, 8])), [rnd("rfft2", (1, 4, 8))], tol=fftt)

    # --- image --------------------------------------------------------------------------------
    img = rnd("img", (1, 4, 5, 3), 0, 1)
    add("ResizeBilinear", "[1,4,5,3]->[7,9] half_pixel",
        lambda t: R.ResizeBilinear(images=t, size=[7, 9], half_pixel_centers=True), [img], tol=loose)
    add("ResizeBilinear", "[1,4,5,3]->[7,9] align_corners",
        lambda t: R.ResizeBilinear(images=t, size=[7, 9], align_corners=True), [img], tol=loose)
    add("ResizeNearestNeighbor", "[1,4,5,3]->[8,10]", lambda t: R.ResizeNearestNeighbor(images=t, size=[8, 10]),
        [img], tol=F32)
    add("ResizeNearestNeighbor", "[1,4,5,3]->[7,9] half_pixel",
        lambda t: R.ResizeNearestNeighbor(images=t, size=[7, 9], half_pixel_centers=True), [img], tol=F32)
    add("ResizeBicubic", "[1,4,5,3]->[7,9] half_pixel",
        lambda t: R.ResizeBicubic(images=t, size=[7, 9], half_pixel_centers=True), [img], tol=loose)
    add("CropAndResize", "[1,6,6,2] 2 boxes -> 3x3",
        lambda t, bx: R.CropAndResize(image=t, boxes=bx, box_ind=tf.constant([0, 0]), crop_size=[3, 3]),
        [rnd("car", (1, 6, 6, 2)), np.array([[0, 0, 1, 1], [0.2, 0.1, 0.7, 0.9]], np.float32)], tol=loose)
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1],
                      [0, 100, 1, 101]], np.float32)
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], np.float32)
    add("NonMaxSuppressionV4", "6 boxes max 3 padded",
        lambda bx, sc: tuple(R.NonMaxSuppressionV4(boxes=bx, scores=sc, max_output_size=3, iou_threshold=0.5,
                                                   score_threshold=0.0, pad_to_max_output_size=True)),
        [boxes, scores], tol=EXACT)
    add("NonMaxSuppressionV5", "6 boxes max 3 padded",
        lambda bx, sc: tuple(R.NonMaxSuppressionV5(boxes=bx, scores=sc, max_output_size=3, iou_threshold=0.5,
                                                   score_threshold=0.0, soft_nms_sigma=0.0,
                                                   pad_to_max_output_size=True)),
        [boxes, scores], tol=EXACT)
    add("NonMaxSuppressionV3", "6 boxes max 3 (dynamic count)",
        lambda bx, sc: R.NonMaxSuppressionV3(boxes=bx, scores=sc, max_output_size=3, iou_threshold=0.5,
                                             score_threshold=0.0), [boxes, scores], tol=EXACT,
        note="output shape depends on the values")
    add("RGBToHSV", "[2,3,3]", lambda t: R.RGBToHSV(images=t), [rnd("rgb", (2, 3, 3), 0, 1)], tol=loose)
    add("HSVToRGB", "[2,3,3]", lambda t: R.HSVToRGB(images=t), [rnd("hsv", (2, 3, 3), 0, 1)], tol=loose)
    add("AdjustContrastv2", "[1,3,3,3] factor 1.7", lambda t: R.AdjustContrastv2(images=t, contrast_factor=1.7),
        [rnd("contrast", (1, 3, 3, 3), 0, 1)], tol=loose)
    add("AdjustSaturation", "[3,3,3] scale 0.5", lambda t: R.AdjustSaturation(images=t, scale=0.5),
        [rnd("sat", (3, 3, 3), 0, 1)], tol=loose)
    add("AdjustHue", "[3,3,3] delta 0.2", lambda t: R.AdjustHue(images=t, delta=0.2),
        [rnd("hue", (3, 3, 3), 0, 1)], tol=loose)

    # --- nn -----------------------------------------------------------------------------------
    conv = {"rtol": 1e-4, "atol": 1e-4}
    xin = rnd("conv-x", (1, 6, 6, 3))
    w = rnd("conv-w", (3, 3, 3, 4))
    add("Conv2D", "[1,6,6,3]*[3,3,3,4] SAME", lambda t, k: R.Conv2D(input=t, filter=k, strides=[1, 1, 1, 1],
                                                                    padding="SAME"), [xin, w], tol=conv)
    add("Conv2D", "VALID stride 2", lambda t, k: R.Conv2D(input=t, filter=k, strides=[1, 2, 2, 1], padding="VALID"),
        [xin, w], tol=conv)
    add("Conv2D", "SAME dilation 2", lambda t, k: R.Conv2D(input=t, filter=k, strides=[1, 1, 1, 1], padding="SAME",
                                                          dilations=[1, 2, 2, 1]), [xin, w], tol=conv)
    add("Conv2D", "EXPLICIT padding", lambda t, k: R.Conv2D(input=t, filter=k, strides=[1, 1, 1, 1],
                                                           padding="EXPLICIT",
                                                           explicit_paddings=[0, 0, 1, 2, 2, 1, 0, 0]),
        [xin, w], tol=conv)
    add("Conv2DBackpropInput", "transpose conv [1,3,3,4]->[1,6,6,3] s2",
        lambda k, dy: R.Conv2DBackpropInput(input_sizes=[1, 6, 6, 3], filter=k, out_backprop=dy,
                                            strides=[1, 2, 2, 1], padding="SAME"),
        [w, rnd("dy", (1, 3, 3, 4))], tol=conv)
    add("DepthwiseConv2dNative", "[1,6,6,3] mult 2 SAME",
        lambda t, k: R.DepthwiseConv2dNative(input=t, filter=k, strides=[1, 1, 1, 1], padding="SAME"),
        [xin, rnd("dw-w", (3, 3, 3, 2))], tol=conv)
    add("DepthwiseConv2dNative", "stride 2 dilation 1 VALID",
        lambda t, k: R.DepthwiseConv2dNative(input=t, filter=k, strides=[1, 2, 2, 1], padding="VALID"),
        [xin, rnd("dw-w2", (3, 3, 3, 1))], tol=conv)
    x3 = rnd("c3-x", (1, 4, 5, 5, 2))
    add("Conv3D", "[1,4,5,5,2]*[2,3,3,2,3] SAME",
        lambda t, k: R.Conv3D(input=t, filter=k, strides=[1, 1, 1, 1, 1], padding="SAME"),
        [x3, rnd("c3-w", (2, 3, 3, 2, 3))], tol=conv)
    add("Conv3DBackpropInputV2", "transpose conv3d s2",
        lambda k, dy: R.Conv3DBackpropInputV2(input_sizes=[1, 4, 6, 6, 2], filter=k, out_backprop=dy,
                                              strides=[1, 2, 2, 2, 1], padding="SAME"),
        [rnd("c3t-w", (2, 2, 2, 2, 3)), rnd("c3t-dy", (1, 2, 3, 3, 3))], tol=conv)
    for op in ("AvgPool", "MaxPool"):
        arg = params(op)[0]
        add(op, "[1,6,6,3] 2x2 s2 VALID", lambda t, _op=op, _a=arg: getattr(R, _op)(**{_a: t}, ksize=[1, 2, 2, 1],
                                                                           strides=[1, 2, 2, 1], padding="VALID"),
            [xin], tol=F32)
        add(op, "[1,6,6,3] 3x3 s1 SAME", lambda t, _op=op, _a=arg: getattr(R, _op)(**{_a: t}, ksize=[1, 3, 3, 1],
                                                                          strides=[1, 1, 1, 1], padding="SAME"),
            [xin], tol=F32)
    for op in ("AvgPool3D", "MaxPool3D"):
        add(op, "[1,4,4,4,2] 2x2x2 s2", lambda t, _op=op: getattr(R, _op)(input=t, ksize=[1, 2, 2, 2, 1],
                                                                         strides=[1, 2, 2, 2, 1], padding="VALID"),
            [rnd(op, (1, 4, 4, 4, 2))], tol=F32)
    add("MaxPoolWithArgmax", "[1,4,4,2] 2x2 s2",
        lambda t: tuple(R.MaxPoolWithArgmax(input=t, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID",
                                            Targmax=tf.int64)), [rnd("mpa", (1, 4, 4, 2))], tol=EXACT,
        note="argmax output compared exactly")
    add("Softmax", "f32[2,5]", lambda t: R.Softmax(logits=t), [rnd("softmax", (2, 5))], tol=loose)
    add("Softmax", "f32[2,3,5]", lambda t: R.Softmax(logits=t), [rnd("softmax3", (2, 3, 5))], tol=loose)
    add("LogSoftmax", "f32[2,5]", lambda t: R.LogSoftmax(logits=t), [rnd("lsm", (2, 5))], tol=loose)
    add("LRN", "[1,3,3,6] r=2", lambda t: R.LRN(input=t, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75),
        [rnd("lrn", (1, 3, 3, 6))], tol=loose)
    add("FusedBatchNormV3", "[1,4,4,3] inference",
        lambda t, s, o, m, v: R.FusedBatchNormV3(x=t, scale=s, offset=o, mean=m, variance=v, epsilon=1e-3,
                                                 is_training=False)[0],
        [rnd("bn-x", (1, 4, 4, 3)), rnd("bn-s", (3,)), rnd("bn-o", (3,)), rnd("bn-m", (3,)),
         rnd("bn-v", (3,), 0.5, 2)], tol=loose)
    add("Dilation2D", "[1,5,5,2] 2x2", lambda t, k: R.Dilation2D(input=t, filter=k, strides=[1, 1, 1, 1],
                                                                 rates=[1, 1, 1, 1], padding="VALID"),
        [rnd("dil-x", (1, 5, 5, 2)), rnd("dil-k", (2, 2, 2))], tol=F32)
    add("SoftmaxCrossEntropyWithLogits", "f32[3,4] loss",
        lambda f, l: R.SoftmaxCrossEntropyWithLogits(features=f, labels=l)[0],
        [rnd("sce", (3, 4)), np.eye(4, dtype=np.float32)[[0, 3, 1]]], tol=loose)
    add("SparseSoftmaxCrossEntropyWithLogits", "f32[3,4] loss",
        lambda f, l: R.SparseSoftmaxCrossEntropyWithLogits(features=f, labels=l)[0],
        [rnd("ssce", (3, 4)), np.array([0, 3, 1], np.int32)], tol=loose)
    add("FakeQuantWithMinMaxArgs", "f32[2,5] [-1,1] 8 bit",
        lambda t: R.FakeQuantWithMinMaxArgs(inputs=t, min=-1.0, max=1.0, num_bits=8),
        [rnd("fq", (2, 5), -1.5, 1.5)], tol={"rtol": 0, "atol": 0.01}, note="atol: one quantization step")

    # --- control flow -------------------------------------------------------------------------
    add("StatelessIf", "tf.cond on a scalar predicate",
        lambda p, t: tf.cond(p, lambda: t * 2.0, lambda: t - 1.0), [np.array(True), rnd("cond", (2, 3))],
        tol=F32, api="tf.cond")
    add("StatelessWhile", "tf.while_loop 5 iterations",
        lambda t: tf.while_loop(lambda i, v: i < 5, lambda i, v: (i + 1, v * 1.1 + 1.0),
                                (tf.constant(0), t))[1], [rnd("while", (2, 3))], tol=loose, api="tf.while_loop")
    add("StatelessCase", "tf.switch_case 3 branches",
        lambda i, t: tf.switch_case(i, [lambda: t + 1.0, lambda: t * 3.0, lambda: -t]),
        [np.int32(1), rnd("case", (2, 3))], tol=F32, api="tf.switch_case")
    return cases


# ---------------------------------------------------------------------------------------------
# Child: run cases, one JSON line per event
# ---------------------------------------------------------------------------------------------

def _first_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("TF Select ops:", "Custom ops:")):
            return ln
    for ln in lines:
        if "error:" in ln:
            return ln[ln.index("error:"):][:300]
    return (lines[0] if lines else "")[:300]


def _stock_status(text: str) -> str:
    """flex: refused, but the op is in the Select-TF (Flex) allowlist; custom: not even Flex has
    it (ERROR_NEEDS_CUSTOM_OPS); fails: any other error."""
    if "TF Select ops:" in text:
        return "flex"
    if "ERROR_NEEDS_CUSTOM_OPS" in text or "\nCustom ops:" in text:
        return "custom"
    return "fails"


def _hist_flags(hist: dict) -> tuple[list, list]:
    custom = sorted(k for k in hist if k.startswith(NOT_BUILTIN_PREFIXES) or "FLEX" in k.upper())
    shlo = sorted(k for k in hist if k.startswith("STABLEHLO_"))
    return custom, shlo


def _compare(got: list, ref: list, tol: dict) -> dict:
    import numpy as np
    if len(got) != len(ref):
        return {"status": "mismatch", "error": f"{len(got)} outputs, TF has {len(ref)}"}
    worst_abs, worst_rel, ok = 0.0, 0.0, True
    for g, r in zip(got, ref):
        g, r = np.asarray(g), np.asarray(r)
        if g.shape != r.shape:
            return {"status": "mismatch", "error": f"shape {list(g.shape)} vs TF {list(r.shape)}"}
        if r.dtype.kind in "biu" or tol.get("exact"):
            if not np.array_equal(g.astype(r.dtype) if g.dtype != r.dtype else g, r):
                ok = False
            if r.size:
                d = np.abs(g.astype(np.float64) - r.astype(np.float64))
                worst_abs = max(worst_abs, float(d.max()))
            continue
        g64, r64 = g.astype(np.float64), r.astype(np.float64)
        same_nonfinite = (np.isnan(g64) & np.isnan(r64)) | (np.isinf(r64) & (g64 == r64))
        d = np.where(same_nonfinite, 0.0, np.abs(g64 - r64))
        d = np.where(np.isnan(d), np.inf, d)
        if d.size:
            worst_abs = max(worst_abs, float(d.max()))
            rel = d / np.maximum(np.abs(r64), 1e-30)
            worst_rel = max(worst_rel, float(np.where(d == 0, 0.0, rel).max()))
            if not np.all(d <= tol["atol"] + tol["rtol"] * np.abs(np.where(np.isfinite(r64), r64, 0.0))):
                ok = False
    return {"status": "match" if ok else "mismatch", "max_abs_err": worst_abs, "max_rel_err": worst_rel}


def _run_tflite(data: bytes, case: Case) -> list:
    """Run through the signature runner; a .tflite without signatures (the stock converter's from
    `from_concrete_functions`) is fed by input name, outputs taken in the file's order."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    feeds = {f"x{i}": np.asarray(v) for i, v in enumerate(case.inputs)}
    interp = Interpreter(model_content=data)
    sigs = interp.get_signature_list()
    if sigs:
        runner = interp.get_signature_runner(next(iter(sigs)))
        out = runner(**feeds)
        return [out[k] for k in sorted(out, key=lambda k: int(k.rsplit("_", 1)[1]) if k[-1].isdigit() else k)]
    interp.allocate_tensors()
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], feeds[d["name"].split(":")[0]])
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def _fixed_arity(fn, n):
    """fn as a function of exactly x0..x{n-1}: the case lambdas bind loop variables through
    defaulted parameters, which a traced function must not see as extra inputs."""
    names = ", ".join(f"x{i}" for i in range(n))
    ns = {"_fn": fn}
    exec(f"def case_fn({names}):\n    return _fn({names})\n", ns)  # noqa: S102 - fixed template
    return ns["case_fn"]


def _specs(case: Case) -> list:
    import numpy as np
    import tensorflow as tf
    return [tf.TensorSpec(np.shape(v), tf.as_dtype(np.asarray(v).dtype), name=f"x{i}")
            for i, v in enumerate(case.inputs)]


def run_case(case: Case, emit) -> dict:
    import numpy as np
    import tensorflow as tf

    import tflx
    from tflx.errors import TflxError
    from tflx.flatbuffer import op_histogram

    rec = {"id": case.id, "op": case.op, "case": case.label, "api": case.api, "note": case.note,
           "inputs": [f"{np.asarray(v).dtype}{list(np.shape(v))}" for v in case.inputs],
           "tolerance": case.tol}
    specs = _specs(case)
    fn = tf.function(_fixed_arity(case.fn, len(specs)), input_signature=specs, autograph=False)
    cf = fn.get_concrete_function()
    gd = cf.graph.as_graph_def()
    graph_ops = sorted({n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def})
    rec["graph_ops"] = [o for o in graph_ops if o not in PLUMBING]
    rec["op_in_graph"] = case.op in graph_ops
    ref_out = cf(*[tf.constant(v) for v in case.inputs])
    ref = [np.asarray(t) for t in tf.nest.flatten(ref_out)]

    # (1) stock converter
    emit("stage", case.id, "stock")
    stock = {}
    try:
        conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], fn)
        data = conv.convert()
        hist = dict(op_histogram(data))
        custom, shlo = _hist_flags(hist)
        stock.update(status="builtins" if not custom else "non-builtin", histogram=hist, stablehlo=shlo)
        emit("stage", case.id, "stock-run")
        try:
            stock["run"] = _compare(_run_tflite(data, case), ref, case.tol)
        except Exception as e:  # noqa: BLE001
            stock["run"] = {"status": "fails", "error": _first_error_line(f"{type(e).__name__}: {e}")}
    except Exception as e:  # noqa: BLE001
        text = str(e)
        stock.update(status=_stock_status(text), error=_first_error_line(text))
    rec["stock"] = stock

    # (2) tflx
    emit("stage", case.id, "tflx")
    fault = dict(f.split(":", 1)[::-1] for f in os.environ.get("TFLX_COVERAGE_FAULT", "").split(";") if ":" in f)
    if fault.get(case.id) == "abort":  # tests: a native abort in this step
        os.abort()
    if fault.get(case.id) == "hang":  # tests: a step that never finishes
        time.sleep(3600)
    tx = {}
    data = None
    try:
        res = tflx.convert(fn)
        data = res.flatbuffer
        hist = dict(op_histogram(data))
        custom, shlo = _hist_flags(hist)
        tx.update(status="builtins" if not custom else "non-builtin", histogram=hist, stablehlo=shlo,
                  custom=custom, passes={k: v for k, v in (res.pass_counts or {}).items() if v},
                  route=res.routes.route_of(case.op) or "-", fallbacks=list(res.routes.fallbacks))
    except TflxError as e:
        tx.update(status="fails", stage=e.stage or "?", error=e.one_line()[:400])
    except Exception as e:  # noqa: BLE001
        tx.update(status="fails", stage="?", error=f"{type(e).__name__}: {_first_error_line(str(e))}")
    rec["tflx"] = tx

    # (3) run the tflx .tflite
    if data is not None:
        emit("stage", case.id, "run")
        try:
            rec["run"] = _compare(_run_tflite(data, case), ref, case.tol)
        except Exception as e:  # noqa: BLE001
            rec["run"] = {"status": "fails", "error": _first_error_line(f"{type(e).__name__}: {e}")}
    else:
        rec["run"] = {"status": "n/a"}
    return rec


ROUTES = ("direct", "stablehlo")


def run_route(case: Case, route: str) -> dict:
    """The case converted with every TF op -- the case's op included -- forced onto one route
    (no fallback), run and compared with TF: what the route table is made from."""
    import numpy as np
    import tensorflow as tf

    import tflx
    from tflx.errors import TflxError
    from tflx.flatbuffer import op_histogram

    specs = _specs(case)
    fn = tf.function(_fixed_arity(case.fn, len(specs)), input_signature=specs, autograph=False)
    ref = [np.asarray(t) for t in tf.nest.flatten(fn(*[tf.constant(v) for v in case.inputs]))]
    try:
        res = tflx.convert(fn, route=route, route_ops={case.op: route})
    except TflxError as e:
        return {"status": "fails", "error": e.one_line()[:300], "verified": False}
    except Exception as e:  # noqa: BLE001
        return {"status": "fails", "error": f"{type(e).__name__}: {_first_error_line(str(e))}", "verified": False}
    hist = dict(op_histogram(res.flatbuffer))
    custom, _ = _hist_flags(hist)
    out = {"status": "builtins" if not custom else "non-builtin", "ops": sum(hist.values()),
           "histogram": hist}
    try:
        out["run"] = _compare(_run_tflite(res.flatbuffer, case), ref, case.tol)
    except Exception as e:  # noqa: BLE001
        out["run"] = {"status": "fails", "error": _first_error_line(f"{type(e).__name__}: {e}")}
    out["verified"] = out["status"] == "builtins" and out["run"]["status"] == "match"
    return out


def child_main(ids: list[str], out_path: str) -> int:
    import warnings
    warnings.filterwarnings("ignore")
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    import tflx  # noqa: F401
    import tflx.pipeline  # noqa: F401  (pays the litert import before the first case's clock)
    from ai_edge_litert.interpreter import Interpreter  # noqa: F401

    by_id = {c.id: c for c in build_cases()}
    with open(out_path, "a", buffering=1) as out:
        def emit(kind, cid, stage=None, record=None):
            out.write(json.dumps({"event": kind, "id": cid, "stage": stage, "record": record,
                                  "t": time.time()}) + "\n")
            out.flush()
        emit("ready", None)
        for cid in ids:
            case = by_id[cid]
            emit("start", cid, "trace")
            try:
                rec = run_case(case, emit)
            except Exception as e:  # noqa: BLE001  (tracing / TF reference failed)
                rec = {"id": cid, "op": case.op, "case": case.label, "api": case.api, "note": case.note,
                       "tolerance": case.tol, "error": f"case setup failed: {type(e).__name__}: "
                                                      f"{_first_error_line(str(e))}",
                       "stock": {"status": "n/a"}, "tflx": {"status": "n/a"}, "run": {"status": "n/a"}}
            emit("result", cid, record=rec)
            if os.environ.get("TFLX_COVERAGE_ROUTES", "1") == "0" or "error" in rec:
                continue
            for route in ROUTES:  # after the result: a crash here keeps the case's record
                emit("start", cid, "route-" + route)
                try:
                    emit("route", cid, route, run_route(case, route))
                except Exception as e:  # noqa: BLE001
                    emit("route", cid, route, {"status": "fails", "error": f"{type(e).__name__}: {e}"[:300]})
    return 0


# ---------------------------------------------------------------------------------------------
# Parent: supervise children
# ---------------------------------------------------------------------------------------------

def _worker(ids, timeout, deadline, results, lock, tmpdir, wid, log):
    remaining = list(ids)
    attempt = 0
    while remaining:
        if time.time() > deadline:
            for cid in remaining:
                results[cid] = {"id": cid, "skipped": "time budget exhausted"}
            return
        attempt += 1
        path = os.path.join(tmpdir, f"w{wid}-{attempt}.jsonl")
        open(path, "w").close()
        errf = open(os.path.join(tmpdir, f"w{wid}-{attempt}.stderr"), "w")
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", "--out", path,
                                 "--ids", json.dumps(remaining)], stdout=subprocess.DEVNULL, stderr=errf,
                                start_new_session=True)
        pos, cur, stage, last, ready = 0, None, None, time.time(), False
        killed = None
        while True:
            rc = proc.poll()
            with open(path) as f:
                f.seek(pos)
                chunk = f.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            pos += len(complete)
            for line in complete.splitlines():
                ev = json.loads(line)
                last = time.time()
                if ev["event"] == "ready":
                    ready = True
                elif ev["event"] == "start":
                    cur, stage = ev["id"], ev["stage"]
                elif ev["event"] == "stage":
                    stage = ev["stage"]
                elif ev["event"] == "result":
                    with lock:
                        results[ev["id"]] = ev["record"]
                    remaining.remove(ev["id"])
                    log(ev["record"])
                    cur, stage = None, None
                elif ev["event"] == "route":
                    with lock:
                        results[ev["id"]].setdefault("routes", {})[ev["stage"]] = ev["record"]
                    cur, stage = None, None
            if rc is not None:
                break
            now = time.time()
            limit = timeout if ready else max(timeout, 120)
            if now - last > limit or now > deadline + 30:
                killed = "timeout" if now - last > limit else "budget"
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                rc = proc.returncode
                break
            time.sleep(0.2)
        errf.close()
        if not remaining:
            return
        if cur is not None and stage and stage.startswith("route-") and cur in results:
            # died converting the case on one forced route: the case's own record stands
            results[cur].setdefault("routes", {})[stage[len("route-"):]] = {
                "status": "crashed" if not killed else "timeout", "error": f"during '{stage}'"}
            cur = None
            if not remaining:
                return
        if cur is None:  # died between cases (or during import): blame nothing, retry once
            if attempt > 3:
                for cid in remaining:
                    results[cid] = {"id": cid, "skipped": f"worker died before the case (rc {rc})"}
                return
            continue
        with open(os.path.join(tmpdir, f"w{wid}-{attempt}.stderr"), errors="replace") as f:
            tail = [ln.strip() for ln in f.read().splitlines() if ln.strip()
                    and not ln.startswith(("W0000", "I0000", "WARNING: All log"))]
        why = (f"signal {signal.Signals(-rc).name}" if rc is not None and rc < 0 and rc != -signal.SIGKILL
               else f"exit {rc}")
        status = "timeout" if killed else "crashed"
        detail = f"{status} during '{stage}'" + ("" if killed else f" ({why})")
        if not killed and tail:
            detail += ": " + tail[-1][:200]
        results[cur] = {"id": cur, "failed_step": stage, "status": status, "detail": detail}
        log(results[cur])
        remaining.remove(cur)


def sweep(cases_meta: list[dict], jobs: int, timeout: float, budget: float, verbose=True) -> dict:
    import tempfile
    ids = [c["id"] for c in cases_meta]
    results: dict = {}
    lock = threading.Lock()
    deadline = time.time() + budget
    done = [0]

    def log(rec):
        with lock:
            done[0] += 1
            if verbose:
                tx = rec.get("tflx", {}).get("status", rec.get("status", "?"))
                st = rec.get("stock", {}).get("status", "?")
                rn = rec.get("run", {}).get("status", "")
                print(f"[{done[0]}/{len(ids)}] {rec['id']}: stock={st} tflx={tx} run={rn}", flush=True)

    with tempfile.TemporaryDirectory(prefix="tflx-coverage-") as tmp:
        chunks = [ids[i::jobs] for i in range(jobs)]
        threads = [threading.Thread(target=_worker, args=(ch, timeout, deadline, results, lock, tmp, i, log))
                   for i, ch in enumerate(chunks) if ch]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def finalize(meta: dict, raw: dict | None) -> dict:
    """Merge a case's static description with its result; compute the verdict."""
    rec = dict(meta)
    raw = raw or {"skipped": "not run"}
    if "skipped" in raw:
        rec.update(stock={"status": "n/a"}, tflx={"status": "n/a"}, run={"status": "n/a"}, skipped=raw["skipped"])
    elif raw.get("status") in ("crashed", "timeout"):
        step = raw.get("failed_step")
        rec.update(stock={"status": raw["status"], "error": raw["detail"]} if step in ("stock", "stock-run", "trace")
                   else {"status": "?"},
                   tflx={"status": raw["status"], "stage": step, "error": raw["detail"]} if step == "tflx"
                   else {"status": "?"}, run={"status": "n/a"})
        if step in ("run",):
            rec["tflx"] = {"status": "?"}
            rec["run"] = {"status": raw["status"], "error": raw["detail"]}
        rec["crash"] = raw["detail"]
    else:
        rec.update(raw)
    tx, st, rn = rec["tflx"].get("status"), rec["stock"].get("status"), rec["run"].get("status")
    rec["tflx_verified"] = tx == "builtins" and rn == "match"
    rec["stock_builtins"] = st == "builtins"
    rec["stock_verified"] = st == "builtins" and rec["stock"].get("run", {}).get("status") == "match"
    rec["tflx_wins"] = rec["tflx_verified"] and not rec["stock_builtins"]
    return rec


def _short_hist(h: dict, n=6) -> str:
    if not h:
        return ""
    items = sorted(h.items(), key=lambda kv: (-kv[1], kv[0]))
    s = " ".join(f"{k}×{v}" if v > 1 else k for k, v in items[:n])
    return s + (f" +{len(items) - n}" if len(items) > n else "")


def _tol_text(t) -> str:
    if not t:
        return ""
    if t.get("exact"):
        return "exact"
    return f"r{t['rtol']:g}/a{t['atol']:g}"


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


_LOC = re.compile(r" \(at [^)]*\)$")
_OPNAME = re.compile(r"'(?:tf|tfl|stablehlo)\.[A-Za-z0-9_]+'|tf\.[A-Z][A-Za-z0-9]+|%\d+|\(\d+\)|\d+ != \d+")


def _reason(r) -> str | None:
    """Why a case is not verified with tflx, with op names and numbers blanked, so that cases
    failing for the same reason group together."""
    t, rn = r["tflx"], r["run"]
    if t.get("status") in ("fails", "crashed", "timeout"):
        msg = _LOC.sub("", t.get("error", "").replace("tflx: error: ", ""))
        if "no TFLite builtin for this op (stock" in msg:
            return "flatbuffer: a TF op is left (no lowering to StableHLO/TFL)"
        m = re.search(r"op '(stablehlo\.[^']+)': no TFLite builtin", msg)
        if m:
            return f"flatbuffer: StableHLO op without a TFLite builtin is left: {m.group(1)}"
        msg = re.sub(r"\(and \d+ more: [^)]*\)", "", msg)
        return f"{t.get('status')}: " + _OPNAME.sub("…", msg)[:150]
    if rn.get("status") == "mismatch":
        return "runs but does not match TF"
    if rn.get("status") in ("fails", "crashed", "timeout"):
        return "run: " + _OPNAME.sub("…", rn.get("error", ""))[:150]
    return None


def failure_families(records: list[dict]) -> list[dict]:
    groups: dict[str, list[str]] = {}
    for r in records:
        why = _reason(r)
        if why:
            groups.setdefault(why, [])
            if r["op"] not in groups[why]:
                groups[why].append(r["op"])
    return [{"reason": k, "ops": v} for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))]


def _route_ok(r, route) -> bool:
    return bool(r.get("routes", {}).get(route, {}).get("verified"))


def _route_wrong(r, route) -> bool:
    """Converted to builtins on that route but the .tflite does not run or does not match TF."""
    rr = r.get("routes", {}).get(route, {})
    return rr.get("status") == "builtins" and not rr.get("verified")


def derive_route_table(records: list[dict]) -> dict:
    """What dialects/route_table.json should say, from the forced-route results: an op goes
    through StableHLO in auto mode when no case of it verifies directly and every case verifies
    through StableHLO; it is direct-only when its StableHLO lowering converts but runs wrong
    (or not at all) in some case: then the fallback never sends it there (an op the direct route
    cannot lower is better an error than a silently wrong model). Other ops: direct, with the
    fallback. A case whose op a tf-stage pass rewrote before routing (auto route "-") says
    nothing about the op's own lowerings: such ops keep their entries (e.g. TruncateMod stays
    direct-only, for when decompose-truncate-mod is disabled)."""
    by_op: dict[str, list] = {}
    for r in records:
        if set(r.get("routes", {})) >= set(ROUTES) and r["tflx"].get("route", "-") != "-":
            by_op.setdefault(r["op"], []).append(r)
    stablehlo, direct_only = {}, {}
    for op, rs in sorted(by_op.items()):
        if all(_route_ok(r, "stablehlo") and not _route_ok(r, "direct") for r in rs):
            d = rs[0]["routes"]["direct"]
            why = "fails" if d.get("status") == "fails" else (
                "not builtins" if d.get("status") != "builtins" else f"run: {d.get('run', {}).get('status')}")
            stablehlo[op] = f"direct: {why}; stablehlo: builtins, verified ({len(rs)} case(s))"
        bad = [r for r in rs if _route_wrong(r, "stablehlo")]
        if bad:
            run = bad[0]["routes"]["stablehlo"].get("run", {})
            what = run.get("error") or f"max abs err {run.get('max_abs_err', float('nan')):.2g}"
            direct_only[op] = f"stablehlo: {run.get('status')} ({what})"[:160]
    return {"swept_ops": sorted(by_op), "stablehlo": stablehlo, "direct_only": direct_only}


def route_table_drift(derived: dict) -> list[str]:
    """Differences between the measured table and dialects/route_table.json (swept ops only)."""
    from tflx.dialects.routes import route_table
    table = route_table()
    out = []
    for section in ("stablehlo", "direct_only"):
        have = {op for op in getattr(table, section) if op in derived["swept_ops"]}
        want = set(derived[section])
        out += [f"{op}: measured {section}, the table does not say so" for op in sorted(want - have)]
        out += [f"{op}: the table says {section}, the sweep does not" for op in sorted(have - want)]
    return out


def write_route_table(derived: dict, path: str) -> None:
    """Update the route table for the swept ops; entries of ops not swept stay."""
    from tflx.atomic import write_atomic
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    swept = set(derived["swept_ops"])
    for section in ("stablehlo", "direct_only"):
        kept = {k: v for k, v in data.get(section, {}).items() if k not in swept}
        kept.update(derived[section])
        data[section] = dict(sorted(kept.items()))
    write_atomic(path, (json.dumps(data, indent=1) + "\n").encode())


def summarize(records: list[dict]) -> dict:
    ops = sorted({r["op"] for r in records})

    def per_op(pred):
        return sorted({r["op"] for r in records if pred(r)})

    stock_ops = per_op(lambda r: r["stock_builtins"])
    tflx_ops = per_op(lambda r: r["tflx"].get("status") == "builtins")
    tflx_ver = per_op(lambda r: r["tflx_verified"])
    # An op "wins" when some case of it is verified with tflx and stock is not builtins for that case.
    wins = per_op(lambda r: r["tflx_wins"])
    wins_no_shlo = sorted({r["op"] for r in records if r["tflx_wins"] and not r["tflx"].get("stablehlo")})
    losses = per_op(lambda r: r["stock_verified"] and not r["tflx_verified"])
    return {
        "cases": len(records), "ops": len(ops),
        "cases_stock_builtins": sum(r["stock_builtins"] for r in records),
        "cases_tflx_builtins": sum(r["tflx"].get("status") == "builtins" for r in records),
        "cases_tflx_verified": sum(r["tflx_verified"] for r in records),
        "cases_tflx_wins": sum(r["tflx_wins"] for r in records),
        "ops_stock_builtins": len(stock_ops), "ops_tflx_builtins": len(tflx_ops),
        "ops_tflx_verified": len(tflx_ver),
        "ops_tflx_wins": len(wins), "tflx_wins": wins,
        "cases_stock_by_status": dict(sorted(collections.Counter(r["stock"].get("status") for r in records).items())),
        "ops_tflx_wins_without_stablehlo_ops": len(wins_no_shlo),
        "tflx_wins_without_stablehlo_ops": wins_no_shlo,
        "tflx_wins_partial": {op: sorted(r["case"] for r in records if r["op"] == op and not r["tflx_verified"])
                              for op in wins if any(r["op"] == op and not r["tflx_verified"] for r in records)},
        "ops_stock_verified_tflx_not": losses,
        "ops_raw_in_graph": len({r["op"] for r in records if r.get("op_in_graph")}),
        "failure_families": failure_families(records),
        "routes_auto": dict(sorted(collections.Counter(r["tflx"].get("route", "-") for r in records).items())),
        "cases_direct_verified": sum(_route_ok(r, "direct") for r in records),
        "cases_stablehlo_verified": sum(_route_ok(r, "stablehlo") for r in records),
        "cases_fallback": sorted(r["id"] for r in records if r["tflx"].get("fallbacks")),
        "crashed": sorted(r["id"] for r in records if "crash" in r),
        "skipped": sorted(r["id"] for r in records if "skipped" in r),
    }


def _tflx_cell(r):
    t = r["tflx"]
    s = t.get("status", "?")
    if s == "fails":
        return f"fails ({t.get('stage', '?')})"
    if s in ("crashed", "timeout"):
        return f"{s} ({t.get('stage')})"
    if s == "builtins" and t.get("stablehlo"):
        return "builtins (+STABLEHLO)"
    return s


def _stock_cell(r):
    s = r["stock"]
    st = s.get("status", "?")
    if st == "builtins" and s.get("run", {}).get("status") not in (None, "match"):
        return f"builtins, run: {s['run']['status']}"
    return st


def _route_cell(r):
    t = r["tflx"]
    return (t.get("route") or "-") + (" (fallback)" if t.get("fallbacks") else "")


def _routes_cell(r):
    """Each forced route's outcome: ✓ N (verified, N ops), ✗ (converts, wrong or does not run),
    flex/custom (non-builtin), fails."""
    def one(route):
        rr = r.get("routes", {}).get(route)
        if not rr:
            return "-"
        if rr.get("verified"):
            return f"✓ {rr.get('ops')}"
        st = rr.get("status")
        return {"builtins": "✗", "non-builtin": "non-builtin"}.get(st, st)
    return f"{one('direct')} / {one('stablehlo')}"


def _run_cell(r):
    rn = r["run"]
    st = rn.get("status", "n/a")
    return {"match": "yes", "mismatch": "MISMATCH"}.get(st, st)


def _err_text(r):
    rn = r["run"]
    if "max_abs_err" not in rn:
        return ""
    return f"{rn['max_abs_err']:.2g}"


def _note(r):
    parts = []
    if r.get("note"):
        parts.append(r["note"])
    if r.get("skipped"):
        parts.append("skipped: " + r["skipped"])
    if r.get("error"):
        parts.append(r["error"])
    if not r["api"].startswith("tf.raw_ops"):
        parts.append(f"{r['api']}, traced as: {' '.join(r.get('graph_ops', []))}")
    elif not r.get("op_in_graph", True) and "error" not in r and "skipped" not in r:
        parts.append(f"({r['op']} not in the traced graph: {' '.join(r.get('graph_ops', []))})")
    t = r["tflx"]
    if t.get("status") in ("fails", "crashed", "timeout"):
        parts.append("tflx: " + t.get("error", "").replace("tflx: error: ", ""))
    elif r["run"].get("error"):
        parts.append("run: " + r["run"]["error"])
    if t.get("passes"):
        parts.append("passes: " + ", ".join(t["passes"]))
    if r["stock"].get("status") in ("flex", "custom", "fails", "crashed", "timeout") and r["stock"].get("error"):
        parts.append("stock: " + r["stock"]["error"])
    if r["stock"].get("run", {}).get("error"):
        parts.append("stock run: " + r["stock"]["run"]["error"])
    return "; ".join(parts)


def write_reports(records: list[dict], summary: dict, md_path: str, json_path: str, meta: dict) -> None:
    from tflx.atomic import write_atomic

    doc = {"generated": meta, "summary": summary, "cases": records}
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    write_atomic(json_path, (json.dumps(doc, indent=1, sort_keys=False) + "\n").encode())

    s = summary
    L = []
    L.append("# TF op coverage: stock TFLite converter vs tflx\n")
    L.append(f"Generated by `python bench/coverage.py` on {meta['date']} ({meta['versions']}); "
             f"{meta['elapsed_s']:.0f} s for {s['cases']} cases. Machine-readable: `docs/coverage.json`. "
             "Re-run whenever passes change.\n")
    L.append("## Summary\n")
    L.append(f"- **{s['ops']} TF ops** in **{s['cases']} cases** (each a `tf.function` with a static "
             f"input signature around one op; {s['ops_raw_in_graph']} are `tf.raw_ops` names found in the "
             "traced graph, the rest are public-API entries such as `tf.sort`).")
    L.append(f"- Stock converter (`TFLiteConverter.from_concrete_functions`, default = builtins only) "
             f"converts to builtins: **{s['ops_stock_builtins']} ops** ({s['cases_stock_builtins']} cases). "
             "Cases by stock outcome: " + ", ".join(f"{k} {v}" for k, v in s["cases_stock_by_status"].items())
             + ".")
    L.append(f"- tflx (`tflx.convert`, default built-in passes) converts to builtins: "
             f"**{s['ops_tflx_builtins']} ops** ({s['cases_tflx_builtins']} cases); runs in ai-edge-litert "
             f"and matches TF: **{s['ops_tflx_verified']} ops** ({s['cases_tflx_verified']} cases).")
    shlo = sorted(set(s["tflx_wins"]) - set(s["tflx_wins_without_stablehlo_ops"]))
    L.append(f"- **Key number: {s['ops_tflx_wins']} TF ops convert to pure builtins with tflx, numerically "
             f"verified, where the stock converter needs Flex (or a custom op) or fails** "
             f"({s['cases_tflx_wins']} cases; {s['ops_tflx_wins_without_stablehlo_ops']} of these ops without "
             f"any STABLEHLO_* builtin; with STABLEHLO_* builtins that ai-edge-litert runs: "
             f"{', '.join(shlo) or 'none'}):")
    L.append(f"  {', '.join(s['tflx_wins'])}.")
    if s["tflx_wins_partial"]:
        L.append("  (An op counts when one of its cases wins. Cases of these ops that do not verify with tflx: "
                 + "; ".join(f"{op}: {', '.join(c)}" for op, c in s["tflx_wins_partial"].items()) + ".)")
    L.append(f"- Routes (auto mode, per case: the route the case's op took): "
             + ", ".join(f"{k} {v}" for k, v in s["routes_auto"].items())
             + f"; cases retried by the route fallback: {len(s['cases_fallback'])}. Every case was also "
             f"converted with all ops forced onto one route: verified direct {s['cases_direct_verified']}, "
             f"verified through StableHLO {s['cases_stablehlo_verified']} (column *direct / stablehlo*; the "
             "route table `dialects/route_table.json` is derived from these).")
    if s.get("route_table_drift"):
        L.append("- Route table drift (re-run with `--write-routes`): " + "; ".join(s["route_table_drift"]) + ".")
    if s["ops_stock_verified_tflx_not"]:
        L.append(f"- Ops where a stock case converts and matches but the tflx case does not: "
                 f"{', '.join(s['ops_stock_verified_tflx_not'])}.")
    if s["crashed"]:
        L.append(f"- Crashed / timed out (recorded, the sweep went on): {', '.join(s['crashed'])}.")
    if s["skipped"]:
        L.append(f"- Skipped: {len(s['skipped'])} cases (time budget).")
    L.append("")
    L.append("## Where tflx does not (yet) give verified builtins, by reason\n")
    L.append("| reason (op names blanked) | ops |")
    L.append("|---|---|")
    for fam in s["failure_families"]:
        L.append(f"| {_cell(fam['reason'])} | {_cell(', '.join(fam['ops']))} |")
    L.append("")
    L.append("## All cases\n")
    L.append("Columns: **stock** = `builtins` (converted, no CUSTOM/Flex ops; `run: …` when that .tflite does "
             "not run/match), `flex` (refused: the op needs the Select-TF runtime), `custom` (refused, and "
             "not even Flex has the op: it would need a custom op), `fails` (other error). "
             "**tflx** = `builtins`, `builtins (+STABLEHLO)` when STABLEHLO_* builtins are in the "
             "file, `non-builtin` (CUSTOM ops), `fails (stage)`. **runs+matches** = the tflx .tflite run in "
             "`ai_edge_litert.interpreter.Interpreter` vs TF eager: |got−ref| ≤ atol + rtol·|ref| "
             "elementwise. **tolerance**: `rR/aA` (float32 default r1e-05/a1e-05; special functions, "
             "linear algebra, convolutions and transcendental approximations state a looser one), "
             "`exact` for ints/bools. **max err** = max abs error. Errors are first lines "
             "(`TflxError.one_line()` for tflx).\n")
    L.append("| op | case | stock | tflx | route | direct / stablehlo | runs+matches | max err | tolerance | tflx ops | passes | note |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in records:
        win = " ✅" if r["tflx_wins"] else ""
        L.append("| " + " | ".join(_cell(c) for c in (
            f"{r['op']}{win}", r["case"], _stock_cell(r), _tflx_cell(r), _route_cell(r), _routes_cell(r),
            _run_cell(r), _err_text(r),
            _tol_text(r.get("tolerance")), _short_hist(r["tflx"].get("histogram")), _passes_cell(r), _note(r))) + " |")
    L.append("\n✅ = tflx converts to builtins and matches TF where stock needs Flex or fails.\n")
    os.makedirs(os.path.dirname(os.path.abspath(md_path)), exist_ok=True)
    write_atomic(md_path, "\n".join(L).encode())


def _passes_cell(r) -> str:
    """The built-in passes that rewrote something in this case (the loop helpers left out)."""
    noise = {"outline-tfl-while", "fresh-stateful-operands"}
    return ", ".join(k for k in sorted(r["tflx"].get("passes", {})) if k not in noise)


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version
    out = []
    for p in ("tensorflow-cpu", "litert-converter", "ai-edge-litert"):
        try:
            out.append(f"{p} {version(p)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", help="comma-separated op names (all cases of each), default: all")
    ap.add_argument("--md", default=DEFAULT_MD)
    ap.add_argument("--json", default=DEFAULT_JSON)
    ap.add_argument("--jobs", type=int, default=1, help="child processes in parallel (default 1)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case without progress")
    ap.add_argument("--budget", type=float, default=900.0, help="total seconds; the rest is recorded as skipped")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--write-routes", action="store_true",
                    help="update dialects/route_table.json for the swept ops from the forced-route results")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ids", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.ids), args.out)

    import warnings
    warnings.filterwarnings("ignore")
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    cases = build_cases()
    if args.ops:
        wanted = [o.strip() for o in args.ops.split(",") if o.strip()]
        unknown = set(wanted) - {c.op for c in cases}
        if unknown:
            print(f"coverage: unknown op(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        cases = [c for c in cases if c.op in wanted]
    if args.list:
        for c in cases:
            print(f"{c.op:32s} {c.label}")
        print(f"{len(cases)} cases, {len({c.op for c in cases})} ops")
        return 0
    meta = [{"id": c.id, "op": c.op, "case": c.label, "api": c.api, "tolerance": c.tol, "note": c.note}
            for c in cases]
    t0 = time.time()
    raw = sweep(meta, max(1, args.jobs), args.timeout, args.budget, verbose=not args.quiet)
    records = [finalize(m, raw.get(m["id"])) for m in meta]
    summary = summarize(records)
    derived = derive_route_table(records)
    if args.write_routes:
        from tflx.dialects.routes import TABLE_PATH
        write_route_table(derived, TABLE_PATH)
        print(f"coverage: wrote {TABLE_PATH} ({len(derived['stablehlo'])} stablehlo, "
              f"{len(derived['direct_only'])} direct-only among {len(derived['swept_ops'])} swept ops)")
    summary["route_table_drift"] = [] if args.write_routes else route_table_drift(derived)
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "versions": _versions(), "elapsed_s": time.time() - t0, "jobs": args.jobs, "argv": sys.argv[1:]}
    write_reports(records, summary, args.md, args.json, info)
    print(f"coverage: {summary['ops']} ops / {summary['cases']} cases; builtins: stock {summary['ops_stock_builtins']} "
          f"ops, tflx {summary['ops_tflx_builtins']} ops ({summary['ops_tflx_verified']} verified); "
          f"tflx wins: {summary['ops_tflx_wins']} ops -> {args.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
