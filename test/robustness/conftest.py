"""Fixtures for the robustness suite: seed models (built once per session in a fresh process) and
the fork servers that run tflx command lines one process per input.

TFLX_FUZZ_LONG=1 makes test_fuzz run the long campaign (fuzz.LONG_TOTAL mutants; TFLX_FUZZ_N
overrides the number) instead of the CI subset; `python test/robustness/fuzz.py --long` is the
same outside pytest."""
from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def fuzz_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="session")
def seeds(fuzz_dir):
    import fuzz_seeds
    return fuzz_seeds.build(os.path.join(fuzz_dir, "seeds"))


@pytest.fixture(scope="session")
def servers():
    import fuzz_campaign
    s = fuzz_campaign.Servers()
    yield s
    s.close()
