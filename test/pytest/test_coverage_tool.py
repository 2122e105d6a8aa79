"""bench/coverage.py on a handful of ops: the JSON/Markdown it writes, the verdicts it reaches on
ops whose outcome is known (stock needs Flex for Erf and MatrixDeterminant; AddV2 is a builtin for
both), and that a native abort / a hang in one case is recorded as 'crashed' / 'timeout' while the
sweep goes on."""
import json
import os
import subprocess
import sys

import pytest

from tflxtest import REPO

SCRIPT = os.path.join(REPO, "bench", "coverage.py")
CRASH_ID = "AddV2/i32[2,6]"
HANG_ID = "Cumprod/f32[2,3,4] axis=2"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage")
    md, js = out / "coverage.md", out / "coverage.json"
    env = dict(os.environ, TFLX_COVERAGE_FAULT=f"abort:{CRASH_ID};hang:{HANG_ID}")
    proc = subprocess.run([sys.executable, SCRIPT, "--ops", "Erf,Cumprod,MatrixDeterminant,AddV2",
                           "--md", str(md), "--json", str(js), "--budget", "80", "--timeout", "10", "-q"],
                          capture_output=True, text=True, timeout=150, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(js.read_text()), md.read_text()


def by_id(doc):
    return {r["id"]: r for r in doc["cases"]}


def test_records_have_the_documented_fields(sweep):
    doc, _ = sweep
    assert {r["op"] for r in doc["cases"]} == {"Erf", "Cumprod", "MatrixDeterminant", "AddV2"}
    for r in doc["cases"]:
        for key in ("id", "op", "case", "api", "tolerance", "stock", "tflx", "run", "tflx_verified",
                    "stock_builtins", "tflx_wins"):
            assert key in r, (key, r["id"])
        assert r["stock"]["status"] in ("builtins", "non-builtin", "flex", "custom", "fails", "crashed",
                                         "timeout", "?")
        assert r["tflx"]["status"] in ("builtins", "non-builtin", "fails", "crashed", "timeout", "?")
    s = doc["summary"]
    assert s["ops"] == 4 and s["cases"] == len(doc["cases"])
    assert s["ops_tflx_wins"] == len(s["tflx_wins"]) >= 1


def test_verdicts(sweep):
    doc, _ = sweep
    cases = by_id(doc)
    erf = cases["Erf/f32[2,3,4]"]
    assert erf["stock"]["status"] == "flex" and "Erf" in erf["stock"]["error"]
    assert erf["tflx"]["status"] == "builtins" and not erf["tflx"]["custom"]
    assert erf["run"]["status"] == "match" and erf["run"]["max_abs_err"] <= 1e-5
    assert erf["tflx_wins"]
    det = [r for r in doc["cases"] if r["op"] == "MatrixDeterminant"]
    assert det and all(r["tflx_wins"] for r in det), det
    assert "MatrixDeterminant" in doc["summary"]["tflx_wins"]
    add = [r for r in doc["cases"] if r["op"] == "AddV2" and r["id"] != CRASH_ID]
    assert add and all(r["stock_builtins"] and r["tflx_verified"] and not r["tflx_wins"] for r in add)
    assert all(r["tflx"]["histogram"] == {"ADD": 1} for r in add)
    for r in doc["cases"]:  # a tflx failure names its stage and is one line
        if r["tflx"]["status"] == "fails":
            assert r["tflx"]["stage"] and "\n" not in r["tflx"]["error"]


def test_routes_are_recorded(sweep):
    """Each case says which route its op took, and how it fares with every op forced onto each
    route: what dialects/route_table.json is derived from."""
    doc, md = sweep
    cases = by_id(doc)
    erf = cases["Erf/f32[2,3,4]"]
    assert erf["tflx"]["route"] == "stablehlo" and erf["tflx"]["fallbacks"]  # direct leaves it: retried
    assert erf["routes"]["stablehlo"]["verified"] and not erf["routes"]["direct"]["verified"]
    gelu = next(r for r in doc["cases"] if r["op"] == "Erf" and "gelu" in r["case"])
    assert gelu["routes"]["direct"]["verified"] and gelu["routes"]["direct"]["histogram"] == {"GELU": 1}
    add = cases["AddV2/f32[2,3]+f32[3]"] if "AddV2/f32[2,3]+f32[3]" in cases else next(
        r for r in doc["cases"] if r["op"] == "AddV2" and r["id"] != CRASH_ID)
    assert add["tflx"]["route"] == "direct" and add["routes"]["direct"]["verified"]
    s = doc["summary"]
    assert s["routes_auto"].get("direct", 0) >= 1 and s["routes_auto"].get("stablehlo", 0) >= 1
    assert s["cases_direct_verified"] >= 1 and s["cases_stablehlo_verified"] >= 1
    # Erf is not a StableHLO-only op (GELU fuses directly): the derived table must not say it is.
    assert not any(line.startswith("Erf:") for line in s["route_table_drift"])
    assert "| route | direct / stablehlo |" in md


def test_a_native_abort_is_recorded_and_the_sweep_goes_on(sweep):
    doc, md = sweep
    crashed = by_id(doc)[CRASH_ID]
    assert crashed["tflx"]["status"] == "crashed" and crashed["tflx"]["stage"] == "tflx"
    assert "SIGABRT" in crashed["tflx"]["error"]
    hung = by_id(doc)[HANG_ID]
    assert hung["tflx"]["status"] == "timeout" and hung["tflx"]["stage"] == "tflx"
    assert doc["summary"]["crashed"] == sorted([CRASH_ID, HANG_ID])
    assert not doc["summary"]["skipped"]
    others = [r for r in doc["cases"] if r["id"] not in (CRASH_ID, HANG_ID)]
    assert all(r["tflx"]["status"] in ("builtins", "fails") for r in others)
    # every case has a table row; the key number is stated
    for r in doc["cases"]:
        assert f"| {r['case']} |" in md, r["case"]
    table = md.split("## All cases", 1)[1]
    assert table.count("\n| ") - 1 == len(doc["cases"])  # rows + header
    assert "Key number:" in md
