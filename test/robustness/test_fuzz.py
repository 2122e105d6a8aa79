"""The fuzz campaign, CI-sized: a fixed seed, a bounded number of mutants per tool (fuzz.CI_COUNTS;
TFLX_FUZZ_LONG=1 runs the long campaign instead). Every run must end as a normal process --
exit 0, or exit 1 with a one-line `tflx...: error:` -- with no traceback, no partial output and
no temp file left (fuzz_campaign.judge)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import fuzz
import fuzz_campaign as fc
import fuzz_mutate as fm


class _Args:
    n = None
    long = False


@pytest.fixture(scope="module")
def campaign(seeds, servers, fuzz_dir):
    camp = fc.Campaign(seeds, os.path.join(fuzz_dir, "work"), seed=0, timeout=120.0, server=servers)
    camp.run(fuzz.counts(_Args()))
    return camp


@pytest.mark.parametrize("target", [t.name for t in fc.TARGETS])
def test_no_crash_no_traceback(campaign, target):
    mine = [o for o in campaign.outcomes if o.target == target]
    assert mine, f"no mutants ran for {target}"
    failures = [o for o in mine if o.verdict in fc.FAILURES]
    assert not failures, "\n".join(
        f"{o.verdict} {o.kind} [{o.seed}] {o.detail} (input kept: {o.input_path}): {o.error[:400]}" for o in failures)


def test_every_mutation_kind_ran_and_errors_are_one_line(campaign):
    t = fc.tally(campaign.outcomes)
    kinds = {k.split("/", 1)[1] for k in t["by_kind"]}
    missing = (set(fm.TFLITE_RAW_KINDS) | set(fm.MLIR_KINDS) | set(fc.MODEL_KINDS)) - kinds
    assert not missing, f"mutation kinds never run: {sorted(missing)}"
    rejected = [o for o in campaign.outcomes if o.verdict == "rejected"]
    # The fuzz reaches both ends: inputs tflx refuses and mutants it still accepts.
    assert len(rejected) > len(campaign.outcomes) // 3
    assert any(o.verdict == "accepted" for o in campaign.outcomes if o.target == "translate-to-mlir")
    for o in rejected:
        assert "\n" not in o.error and o.error.startswith(("tflx: error:", "tflx-opt: error:", "tflx-translate: error:"))
    print("\n" + fc.render(t))


def _console(tool):
    exe = shutil.which(tool)
    mod = {"tflx": "tflx.cli.main", "tflx-opt": "tflx.cli.opt", "tflx-translate": "tflx.cli.translate"}[tool]
    return [exe] if exe else [sys.executable, "-m", mod]


@pytest.mark.parametrize("target, index", [("translate-to-mlir", 3), ("translate-to-mlir", 4),
                                           ("translate-to-tflite", 1), ("opt-tfl-pipeline", 2),
                                           ("convert-resume", 5), ("verify", 0)])
def test_fork_server_matches_real_processes(seeds, servers, fuzz_dir, target, index):
    """The fork server stands in for real processes: the same mutant run as the console script
    ends the same way (exit status, first error line)."""
    camp = fc.Campaign(seeds, os.path.join(fuzz_dir, "fidelity"), seed=0, server=servers)
    t = next(t for t in fc.TARGETS if t.name == target)
    job, outcome, paths = camp.make_job(t, index)
    served = servers.run(dict(job, full_exit=True))
    shutil.rmtree(paths["dir"])
    job2, _, paths2 = camp.make_job(t, index)  # the same mutant again (deterministic)
    argv = job2["argv"]
    proc = subprocess.run(_console(argv[0]) + argv[1:], capture_output=True, text=True, timeout=300,
                          cwd=paths2["dir"], stdin=subprocess.DEVNULL)
    real = {"rc": proc.returncode if proc.returncode >= 0 else None,
            "signal": -proc.returncode if proc.returncode < 0 else None,
            "timeout": False, "seconds": 0.0, "stdout": proc.stdout, "stderr": proc.stderr}
    assert (served["rc"], served["signal"]) == (real["rc"], real["signal"]), (served["stderr"], real["stderr"])
    first = [fc.ERROR_LINE.findall(r["stderr"])[:1] for r in (served, real)]
    assert first[0] == first[1]
    verdict, _ = fc.judge(t, real, paths2["out"], paths2["dump"], paths2["dir"])
    assert verdict not in fc.FAILURES, real["stderr"][-2000:]
