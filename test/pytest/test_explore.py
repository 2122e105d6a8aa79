"""`tflx explore`: Model Explorer on tflx's artifacts -- node ids of overlays, the failing op of a
failed conversion, the server answering on loopback and stopping cleanly, and the one-line error
without the optional package."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request

import pytest

from tflxtest import REPO, TINY_CNN


def _tflx_cmd():
    exe = shutil.which("tflx")
    return [exe] if exe else [sys.executable, "-m", "tflx.cli.main"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nodes(graphs_json):
    """{(graph id, node id): node} of an adapter's output."""
    return {(g["id"], n["id"]): n for c in graphs_json["graphCollections"] for g in c["graphs"] for n in g["nodes"]}


def _shape(node):
    meta = node["outputsMetadata"][0]["attrs"]
    return next(a["value"] for a in meta if a["key"] == "tensor_shape")


def _last_dim(shape):
    """"tensor<?x16x16x8xf32>" (MLIR) or "float32[-1,16,16,8]" (.tflite) -> "8"."""
    dims = shape[len("tensor<"):-1].split("x")[:-1] if shape.startswith("tensor<") else re.findall(r"-?\d+", shape)
    return dims[-1]


@pytest.fixture(scope="module")
def explored_tiny_cnn(tiny_cnn_result, tmp_path_factory):
    pytest.importorskip("model_explorer")
    from tflx import explore
    _, dump = tiny_cnn_result
    out = tmp_path_factory.mktemp("overlays")
    return explore.plan(str(dump), str(out)), str(dump)


def test_macs_overlay_on_the_right_nodes(explored_tiny_cnn):
    """The tiny CNN (32x32x3 input): conv 3x3x3->8 stride 2, depthwise 3x3, conv 1x1 8->16, mean,
    dense 16->10. Each MACs value sits on the node Model Explorer shows for that op."""
    from tflx import explore
    plan, dump = explored_tiny_cnn
    hand = {"conv_2d/8": 16 * 16 * 8 * 3 * 3 * 3, "depthwise_conv_2d/8": 16 * 16 * 8 * 3 * 3,
            "conv_2d/16": 16 * 16 * 16 * 8, "fully_connected/10": 16 * 10}
    for model in ("04-flatbuffer.tflite", "04-flatbuffer.mlir", "03-tfl-opt.mlir"):
        files = {os.path.basename(f): t for f, t in plan.node_data}
        assert files[f"{model}.MACs.json"] == model
        data = json.load(open(next(f for f, t in plan.node_data if f.endswith(f"{model}.MACs.json"))))
        nodes = _nodes(explore.adapter_graphs(os.path.join(dump, model)))
        seen = {}
        for graph, g in data.items():
            assert g["name"] == "MACs (batch 1)"
            for node_id, r in g["results"].items():
                node = nodes[(graph, node_id)]
                channels = _last_dim(_shape(node))
                seen[f"{node['label']}/{channels}"] = r["value"]
        assert {k: seen[k] for k in hand} == hand, (model, seen)
        assert seen.get("mean/16") == 0


def test_output_bytes_overlay(explored_tiny_cnn):
    """At batch 1 (the model's batch dimension is dynamic): the first conv's output is 16x16x8 f32."""
    from tflx import explore
    plan, dump = explored_tiny_cnn
    path = next(f for f, t in plan.node_data if f.endswith("00-tf.mlir.output_bytes.json"))
    data = json.load(open(path))
    nodes = _nodes(explore.adapter_graphs(os.path.join(dump, "00-tf.mlir")))
    conv = [(g, i) for (g, i), n in nodes.items() if n["label"] == "Conv2D" and "x16x16x8x" in _shape(n)]
    assert len(conv) == 1
    g, i = conv[0]
    assert data[g]["results"][i]["value"] == 16 * 16 * 8 * 4


BAD_TFL = """// tflx-stage: tfl
func.func @main(%arg0: tensor<2x2xf32>) -> (tensor<f32>, tensor<2x2xf32>) {
  %0 = "tfl.relu"(%arg0) : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("relu")
  %1 = "tf.MatrixDeterminant"(%0) : (tensor<2x2xf32>) -> tensor<f32> loc("det")
  %2 = "tfl.abs"(%0) : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("abs")
  return %1, %2 : tensor<f32>, tensor<2x2xf32>
}
"""


def test_failed_conversion_marks_the_failing_op(tmp_path):
    pytest.importorskip("model_explorer")
    from tflx import explore, pipeline
    from tflx.errors import TflxError
    from tflx.mlir import new_context
    src = tmp_path / "bad.mlir"
    src.write_text(BAD_TFL)
    dump = tmp_path / "dump"
    ctx = new_context()
    with pytest.raises(TflxError):
        pipeline.run(resume=pipeline.read_stage_file(str(src), None, ctx), ctx=ctx, dump_dir=str(dump))
    failure = json.loads((dump / "failure.json").read_text())
    assert failure["op"] == "tf.MatrixDeterminant"
    plan = explore.plan(str(dump), str(tmp_path / "overlays"))
    assert [m.name for m in plan.models] == ["03-tfl-opt.mlir"]  # resumed at tfl: the stages after it
    for model in ("03-tfl-opt.mlir",):
        path = next(f for f, t in plan.node_data if t == model and f.endswith(".failure.json"))
        data = json.load(open(path))
        nodes = _nodes(explore.adapter_graphs(str(dump / model)))
        marked = [(g, i) for g, d in data.items() for i in d["results"]]
        assert [nodes[k]["label"] for k in marked] == ["MatrixDeterminant"], (model, marked)
        (g, i), = marked
        assert data[g]["results"][i]["value"] == f"fails in stage '{failure['stage']}'"


BITWISE = textwrap.dedent("""\
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([4], tf.int32), tf.TensorSpec([1, 4], tf.float32)])
    def fn(a, x):
        return {"b": tf.bitwise.bitwise_and(a, 6) + 1, "y": tf.nn.relu(x[:, tf.newaxis] * 2.0)}
    """)


def test_pass_provenance_recorded_and_derived(tf, tmp_path):
    """decompose-bitwise rewrites tf.BitwiseAnd; the ops it creates (and what they become in the
    .tflite) say so -- recorded while converting, and derived from a plain dump alike."""
    pytest.importorskip("model_explorer")
    from tflx import explore, importer, pipeline
    scope = {}
    exec(BITWISE, scope)
    record = explore.PassRecord()
    passes = [explore.RecordingPass(p, record) for p in pipeline.default_passes()]
    pipeline.run(signatures=importer.load(scope["fn"]), passes=passes, dump_dir=str(tmp_path / "rec"))
    pipeline.run(signatures=importer.load(scope["fn"]), passes=pipeline.default_passes(),
                 dump_dir=str(tmp_path / "plain"))
    for name, rec in (("rec", record), ("plain", None)):
        plan = explore.plan(str(tmp_path / name), str(tmp_path / f"ov_{name}"), rec)
        assert ("pass provenance derived" in " ".join(plan.notes)) == (rec is None)
        bitwise, new_axis = {"decompose-bitwise"}, {"strided-slice-new-axis-to-expand-dims"}
        tf_stage = _labelled(plan, tmp_path / name, "00-tf.mlir", "tflx_pass")
        assert tf_stage["RightShift"] == [bitwise, bitwise], (name, tf_stage)
        assert new_axis in tf_stage["ExpandDims"], (name, tf_stage)  # (the decomposition has one too)
        assert "AddV2" not in tf_stage and "Relu" not in tf_stage, (name, tf_stage)  # the model's own ops
        tflite = _labelled(plan, tmp_path / name, "04-flatbuffer.tflite", "tflx_pass")
        assert tflite["right_shift"] == tflite["floor_mod"] == [bitwise, bitwise], (name, tflite)
        assert "add" not in tflite, (name, tflite)
        assert any(new_axis <= v for vs in tflite.values() for v in vs), (name, tflite)


def _labelled(plan, dump, model, overlay):
    """{Model Explorer label: [the set of passes named on each node with that label]}."""
    from tflx import explore
    path = next(f for f, t in plan.node_data if f.endswith(f"{model}.{overlay}.json"))
    nodes = _nodes(explore.adapter_graphs(str(dump / model)))
    out = {}
    for g, d in json.load(open(path)).items():
        for i, r in d["results"].items():
            out.setdefault(nodes[(g, i)]["label"], []).append({v.strip() for v in str(r["value"]).split(",")})
    return out


def _reader(stream, lines):
    for line in stream:
        lines.append(line)


def test_explore_serves_on_loopback_and_stops_on_sigterm(tiny_cnn_result):
    pytest.importorskip("model_explorer")
    _, dump = tiny_cnn_result
    port = _free_port()
    proc = subprocess.Popen(_tflx_cmd() + ["explore", str(dump), "--host", "127.0.0.1", "--port", str(port),
                                           "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    out, err = [], []
    threads = [threading.Thread(target=_reader, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_reader, args=(proc.stderr, err), daemon=True)]
    for t in threads:
        t.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as r:
                    status = r.status
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, "".join(err)
        assert "<html" in page.lower()
        while time.monotonic() < deadline and not any("Model Explorer at" in ln for ln in out):
            time.sleep(0.1)
        url = next(ln for ln in out if "Model Explorer at" in ln).split(" at ", 1)[1].strip()
        data = json.loads(urllib.parse.unquote(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query,
                                                                     keep_blank_values=True)["data"][0]))
        assert [os.path.basename(m["url"]) for m in data["models"]] == sorted(
            f for f in os.listdir(dump) if f.endswith(".mlir")) + ["04-flatbuffer.tflite"]
        # What the page does: convert a model through the server, fetch an overlay; they agree.
        tflite = next(m["url"] for m in data["models"] if m["url"].endswith(".tflite"))
        body = json.dumps({"cmdId": "convert", "extensionId": "builtin_tflite_flatbuffer", "modelPath": tflite,
                           "settings": {}, "deleteAfterConversion": False}).encode()
        req = urllib.request.Request(base + "/apipost/v1/send_command", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            graphs = json.load(r)
        overlay = next(p for p in data["nodeData"] if p.endswith("04-flatbuffer.tflite.MACs.json"))
        with urllib.request.urlopen(base + "/api/v1/read_text_file?path=" + urllib.parse.quote(overlay),
                                    timeout=10) as r:
            macs = json.loads(json.load(r)["content"])
        nodes = _nodes(graphs)
        labelled = {nodes[(g, i)]["label"]: v["value"] for g, d in macs.items() for i, v in d["results"].items()}
        assert labelled["depthwise_conv_2d"] == 16 * 16 * 8 * 9 and labelled["fully_connected"] == 160
        assert os.path.exists(overlay)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        for t in threads:
            t.join(timeout=5)
    stderr = "".join(err)
    assert status in (0, 130), stderr
    assert "Traceback" not in stderr, stderr
    assert "Model Explorer stopped" in stderr or "tflx: interrupted" in stderr, stderr
    assert not os.path.exists(overlay)  # the temporary overlays are removed
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/", timeout=2)


BLOCK_MODEL_EXPLORER = textwrap.dedent("""\
    import sys

    class _NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("model_explorer", "ai_edge_model_explorer_adapter"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NotInstalled())
    """)


def test_without_model_explorer_one_line_says_how_to_install(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_MODEL_EXPLORER)
    env = dict(os.environ, PYTHONPATH=str(site))
    for args in (["explore", TINY_CNN, "--no-browser"],
                 ["convert", TINY_CNN, "-o", str(tmp_path / "m.tflite"), "--explore"]):
        r = subprocess.run(_tflx_cmd() + args, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 1, r.stderr
        assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert lines[0].startswith("tflx: error: ") and "pip install -e '.[explore]'" in lines[0]
    assert not (tmp_path / "m.tflite").exists()  # --explore checks before converting
