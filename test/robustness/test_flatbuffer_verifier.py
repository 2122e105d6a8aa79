"""tflx.flatbuffer_verifier against the real flatbuffers verifier: the TFLite interpreter runs the C++
`VerifyModelBuffer` before it reads a model. On mutants of the seed models, whatever the C++
verifier rejects, the Python one must reject too (it may be stricter, never looser)."""
from __future__ import annotations

import random

import pytest

import fuzz_mutate as fm

CPP_REJECTS = "The model is not a valid Flatbuffer buffer"
KINDS = ("bitflip", "byteset", "truncate", "offset", "vtable", "vector_length")


def _cpp_verdict(data: bytes) -> str:
    """'invalid' when the C++ verifier rejects `data`, else 'valid' (whatever happens next)."""
    from ai_edge_litert.interpreter import Interpreter
    from tflx.errors import TflxError
    from tflx.isolate import run_isolated

    def build() -> bytes:
        try:
            Interpreter(model_content=data)
        except ValueError as e:
            return b"invalid" if CPP_REJECTS in str(e) else b"valid"
        return b"valid"

    try:
        return run_isolated(build, what="interpreter").decode()
    except TflxError:  # it crashed after the verifier let the model through
        return "valid"


@pytest.mark.parametrize("seed_name", ["tiny_cnn", "pool", "int_ops"])
def test_python_verifier_rejects_all_the_cpp_verifier_rejects(seeds, seed_name):
    from tflx import flatbuffer_verifier as fbverify

    with open(seeds[seed_name]["tflite"], "rb") as f:
        data = f.read()
    fbverify.verify(data)  # the seed itself is valid
    mut = fm.TfliteMutator(data)
    rng = random.Random(f"fbverify:{seed_name}")
    cpp_invalid = looser = stricter = total = 0
    for i in range(120):
        kind = KINDS[i % len(KINDS)]
        if kind not in mut.kinds():
            continue
        mutant, what = mut.mutate(kind, rng)
        if len(mutant) < 8:
            continue
        try:
            fbverify.verify(mutant)
            py_ok = True
        except fbverify.VerifyError:
            py_ok = False
        cpp_ok = _cpp_verdict(mutant) == "valid"
        total += 1
        cpp_invalid += not cpp_ok
        if py_ok and not cpp_ok:
            looser += 1
            pytest.fail(f"{kind} ({what}): the C++ verifier rejects it, tflx.flatbuffer_verifier accepts it")
        stricter += cpp_ok and not py_ok
    assert cpp_invalid >= 10, "too few mutants the C++ verifier rejects: the comparison says little"
    # Stricter only at the margins (offset 0, vtable size 0, table past the end: seen ~2%).
    assert stricter <= 0.1 * total, (stricter, total)
