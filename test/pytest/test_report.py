"""Failure reports with a reproducer, and the HTML report with PNG charts."""
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tflxtest import tflx_cli


def run_tflx(capsys, *argv):
    """The `tflx` command line in this process (TF is loaded already): (exit code, stdout, stderr)."""
    from tflx.cli.common import run_cli
    from tflx.cli.main import _main
    capsys.readouterr()
    rc = run_cli(_main, [str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err

SQRTM_MODEL = textwrap.dedent("""\
    import sys
    import tensorflow as tf

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([3, 3], tf.float32)])
        def __call__(self, x):
            y = tf.nn.relu(x) + 1.0
            z = tf.linalg.sqrtm(y)
            return {"out": z * 3.0}

    m = M()
    tf.saved_model.save(m, sys.argv[1], signatures=m.__call__,
                        options=tf.saved_model.SaveOptions(save_debug_info=True))
    """)

BAD_PLUGIN = textwrap.dedent("""\
    from dataclasses import dataclass
    from tflx.plugin import PatternPass, register_pass, rewrite

    @register_pass
    @dataclass(frozen=True)
    class Broken(PatternPass):
        name = "broken-on-mean"
        stage = "tfl"
        description = "raises on tfl.mean (a plugin bug)"

        @rewrite("tfl.mean")
        def boom(self, op, rewriter):
            raise ValueError("cannot handle " + op.name)
    """)


@pytest.fixture(scope="module")
def sqrtm_model(tf, tmp_path_factory):
    import runpy
    d = tmp_path_factory.mktemp("sqrtm_report")
    src = d / "model_src.py"
    src.write_text(SQRTM_MODEL)
    saved_argv = sys.argv
    sys.argv = [str(src), str(d / "saved")]
    try:
        runpy.run_path(str(src), run_name="__main__")  # in this process: TF is loaded already
    finally:
        sys.argv = saved_argv
    return str(d / "saved"), str(src)


def _message(error_line):
    """The one-line error without its '(at ...)' location (a resumed run knows no source lines)."""
    return re.sub(r" \(at [^)]*\)$", "", error_line)


def test_failure_report_and_reproducer(sqrtm_model, tmp_path):
    sm, src = sqrtm_model
    rep_dir = tmp_path / "rep"
    r = tflx_cli("convert", sm, "-o", str(tmp_path / "m.tflite"), "-q", "--report", str(rep_dir / "report.json"))
    assert r.returncode == 1
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    # First the usual one-line error (the SavedModel's debug info gives the model's own line) ...
    assert err[0].startswith("tflx: error: stage 'flatbuffer', op 'tf.MatrixSquareRoot'")
    assert err[0].endswith(f"(at {src}:8)")
    assert not any(ln.startswith("tflx: error:") for ln in err[1:])
    # ... then the report.
    assert "failing op(s):" in r.stderr and f"tf.MatrixSquareRoot  at {src}:8" in r.stderr
    assert re.search(r"^\s*>\s+\d+ \|.*\"tf.MatrixSquareRoot\"", r.stderr, re.M), r.stderr  # the excerpt marks it
    data = json.loads((rep_dir / "report.json").read_text())
    assert data["error"] == err[0]
    assert data["stage"] == "flatbuffer" and data["repro_stage"] == "tfl-opt"
    assert data["failing_ops"][0]["op"] == "tf.MatrixSquareRoot"
    assert data["failing_ops"][0]["source"] == f"{src}:8"
    repro = rep_dir / "repro.mlir"
    text = repro.read_text()
    assert text.startswith("// tflx-stage: tfl-opt\n")
    # The excerpt's line numbers are repro.mlir's.
    n = int(re.search(r"^>\s+(\d+) \|", data["excerpt"], re.M).group(1))
    assert '"tf.MatrixSquareRoot"' in text.splitlines()[n - 1]
    # The command reproduces the same failure.
    again = subprocess.run(data["command_argv"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 1
    again_line = [ln for ln in again.stderr.splitlines() if ln.startswith("tflx: error:")][0]
    assert _message(again_line) == _message(err[0])
    assert not os.path.exists(data["command_argv"][-1])  # its output was not written


def test_pass_failure_repro_runs_the_pass(tiny_cnn_dir, tmp_path):
    """A plugin pass raises: the repro is the IR before that pass, the command runs just it."""
    from tflx import importer, pipeline, plugin_loader, report
    from tflx.errors import TflxError
    plugin = tmp_path / "broken.py"
    plugin.write_text(BAD_PLUGIN)
    rec = report.FailureRecorder()
    with pytest.raises(TflxError) as ei:
        pipeline.run(signatures=importer.load(tiny_cnn_dir), passes=pipeline.default_passes() + plugin_loader.passes_from([str(plugin)]),
                     on_failure=rec)
    assert ei.value.one_line().startswith("tflx: error: stage 'tfl', pass 'broken-on-mean'")
    rep = report.write(report.build_report(ei.value, rec, plugins=[str(plugin)]), str(tmp_path / "d"),
                       json_path=str(tmp_path / "d" / "report.json"))
    data = json.loads((tmp_path / "d" / "report.json").read_text())
    assert data["step"] == "pass" and data["repro_stage"] == "tfl"
    assert [o["op"] for o in data["failing_ops"]] == ["tfl.mean"]
    assert data["command_argv"][-1] == "-broken-on-mean" and rep.repro in data["command_argv"]
    again = subprocess.run(data["command_argv"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "cannot handle tfl.mean" in again.stderr, again.stderr


def test_stage_failure_in_legalization(tf, tmp_path):
    """SVD through StableHLO fails inside TFL legalization: the repro is the stablehlo IR and
    resuming it fails alike; the report says which route the op took."""
    from tflx import pipeline, report
    from tflx.errors import TflxError
    from tflx.routes import RoutePlan
    import tflx

    fn = tf.function(lambda x: tf.linalg.svd(x)[0] + 1.0, input_signature=[tf.TensorSpec([3, 3], tf.float32)])
    rec = report.FailureRecorder()
    from tflx import importer
    sigs = importer.load(fn)
    with pytest.raises(TflxError) as ei:
        pipeline.run(signatures=sigs, on_failure=rec, route_plan=RoutePlan.of("auto", {"Svd": "stablehlo"}))
    assert rec.stage == "tfl" and rec.pass_name is None
    rep = report.write(report.build_report(ei.value, rec, sources=sigs[0].node_sources), str(tmp_path))
    assert rep.repro_stage == "stablehlo" and rep.failing_ops
    assert "stablehlo: Svd" in rep.routes["summary"] and "routes" in rep.render()
    assert all(f.node == "Svd" for f in rep.failing_ops)
    assert "--stop-after" in rep.command_argv and "tfl" in rep.command_argv
    with pytest.raises(TflxError) as again:
        tflx.resume(rep.repro, stop_after="tfl")
    assert again.value.message == ei.value.message


def _bars(svg: str) -> list[tuple[str, float, str]]:
    """(label, bar width, fill) of each bar of an svg_bars chart, read as XML."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t for t in root.iter(ns + "text") if t.get("text-anchor") == "end"]
    rects = list(root.iter(ns + "rect"))
    assert len(texts) == len(rects)
    return [(t.text, float(r.get("width")), r.get("fill")) for t, r in zip(texts, rects)]


def test_svg_chart_draws_bars_to_scale():
    from tflx.report_html import PALETTE, svg_bars
    bars = _bars(svg_bars("Ops", [("tfl.conv_2d", 35), ("tfl.add", 10)], width=640))
    assert [b[0] for b in bars] == ["tfl.conv_2d", "tfl.add"] and {b[2] for b in bars} == {PALETTE[0]}
    assert abs(bars[0][1] / bars[1][1] - 3.5) < 0.05
    logged = _bars(svg_bars("err", [("a", 1e-6), ("b", 1e-3)], log=True, colors=["#000", "#fff"]))
    assert logged[1][1] > logged[0][1] > 0 and [b[2] for b in logged] == ["#000", "#fff"]
    assert logged[1][1] / logged[0][1] < 10  # a log scale: 1000x the value, not 1000x the bar


def test_html_report_with_verify(tiny_cnn_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    # Through StableHLO, so that the built-in cleanup passes fire and their chart is drawn.
    rc, _, err = run_tflx(capsys, "convert", tiny_cnn_dir, "-o", tmp_path / "m.tflite", "--verify", "--per-tensor",
                          "--report-html", out, "--report", tmp_path / "r.json", "--route", "stablehlo")
    assert rc == 0, err
    assert "tflx: verify: PASS" in err
    page = out.read_text()
    charts = re.findall(r'<svg [^>]*aria-label="([^"]+)"[^>]*>.*?</svg>', page, re.S)
    labels = " | ".join(charts)
    assert "Time per stage" in labels and "Ops in the .tflite" in labels and "Rewrites per pass" in labels
    assert sum(c.startswith("Ops at stage") for c in charts) == 5
    assert "Max abs error per op output" in labels
    for svg in re.findall(r'<svg .*?</svg>', page, re.S):
        assert _bars(svg), svg[:200]  # well-formed XML with at least one bar
    assert "<img" not in page
    assert "PASS" in page and "fold-identity-reshape" in page
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["ok"] and data["verify"]["ok"] and data["tflite_ops"]["CONV_2D"] == 2
