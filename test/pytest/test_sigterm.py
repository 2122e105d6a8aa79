"""SIGTERM in the middle of `tflx convert`: the process exits cleanly (status 130, one line, no
traceback), writes no -o file, leaves no temp file, and its dump directory holds the complete
dumps of the stages that finished plus failure.json saying it was interrupted."""
from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

BUILD_MNV2 = """
import sys, keras
m = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
m.export(sys.argv[1], verbose=False)
"""


@pytest.fixture(scope="module")
def mobilenet_v2_dir(tmp_path_factory):
    """A Keras MobileNetV2 SavedModel (weights=None): big enough that stages take a while."""
    path = str(tmp_path_factory.mktemp("mnv2") / "saved_model")
    subprocess.run([sys.executable, "-c", BUILD_MNV2, path], check=True, capture_output=True, timeout=300)
    return path


def _tflx_cmd():
    exe = shutil.which("tflx")
    return [exe] if exe else [sys.executable, "-m", "tflx.cli.main"]


def _temp_files(*dirs):
    return [os.path.join(d, f) for d in dirs if os.path.isdir(d) for f in os.listdir(d)
            if f.startswith(".") and f.endswith(".tmp")]


def _interrupt(args, out, dump, trigger):
    """Start `tflx convert` with stderr on a pseudo-terminal (so it prints the name of each stage
    as the stage starts), SIGTERM it when a progress line matches `trigger`; (status, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(_tflx_cmd() + args + ["-o", out, "--dump-dir", dump],
                            stderr=slave, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen, buf, sent = [], b"", False
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = re.split(rb"[\r\n]", buf)
            seen += [ln.decode("utf-8", "replace") for ln in lines]
            # A stage's start line ends only when the stage does (with the '\r' rewriting it):
            # look at the unfinished line too.
            if not sent and any(trigger(t) for t in seen[-len(lines) - 1:] + [buf.decode("utf-8", "replace")]):
                proc.send_signal(signal.SIGTERM)
                sent = True
        status = proc.wait(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert sent, "never saw the trigger line:\n" + "\n".join(seen)
    return status, "\n".join(seen)


def _check_interrupted(status, err, out, dump):
    """Exit 130 with one line, no -o file, no temp file; failure.json lists the finished stages,
    whose dumps are there and complete, and nothing else. Returns the finished stages."""
    assert status == 130, err
    assert "tflx: interrupted" in err and "Traceback" not in err, err
    assert not os.path.exists(out)
    assert _temp_files(os.path.dirname(out), dump) == []
    failure = json.load(open(os.path.join(dump, "failure.json")))
    assert failure["error"] == "interrupted"
    done = failure["completed_stages"]
    assert done == ["tf", "stablehlo", "tfl", "tfl-opt", "flatbuffer"][:len(done)] and "flatbuffer" not in done
    dumped = sorted(f for f in os.listdir(dump) if f.endswith(".mlir"))
    assert dumped == failure["dumps"]
    for name in dumped:
        text = open(os.path.join(dump, name)).read()
        stage = name.split("-", 1)[1][:-len(".mlir")]
        assert text.startswith(f"// tflx-stage: {stage}\n") and text.rstrip().endswith(("}", ")")), name
    assert "timings.json" not in os.listdir(dump)  # written only when the conversion completes
    assert _processes_naming(out) == [], "a forked helper (tflx.isolate) outlived the interrupted tflx"
    return done


def _processes_naming(path: str) -> list[int]:
    """Live processes whose command line mentions `path` (forked helpers share the parent's)."""
    time.sleep(0.5)
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if path.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


# On a terminal the progress line of a stage is printed when the stage starts ("  tf  ...") and
# rewritten when it ends; the signal goes out when the start of a stage is seen.
def test_sigterm_during_a_stage_of_mobilenet(mobilenet_v2_dir, tmp_path):
    out = str(tmp_path / "out" / "model.tflite")
    dump = str(tmp_path / "dumps")
    status, err = _interrupt(["convert", mobilenet_v2_dir], out, dump,
                             lambda ln: ln.split()[:2] == ["stablehlo", "..."])
    done = _check_interrupted(status, err, out, dump)
    assert done[:1] == ["tf"]  # the signal came after the tf stage had finished


SLEEPY_PLUGIN = """
import time
from tflx.plugin import PatternPass, register_pass, rewrite

@register_pass
class Sleepy(PatternPass):
    name = "sleepy"
    stage = {stage!r}
    description = "takes a minute: the stage is surely running when the signal comes"

    @rewrite("func.return")
    def busy(self, op, rewriter):
        # Busy, not time.sleep: TF's threads may take the signal, and a sleeping main thread
        # would run Python's handler only when the sleep ends.
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pass
        return True
"""


@pytest.mark.parametrize("stage, finished", [("tf", []), ("tfl", ["tf", "stablehlo"])])
def test_sigterm_while_a_stage_runs_keeps_exactly_the_finished_dumps(tiny_cnn_dir, tmp_path, stage, finished):
    """A plugin pass that sleeps pins the moment: the signal arrives while `stage` runs."""
    plugin = tmp_path / f"sleepy_{stage.replace('-', '_')}.py"
    plugin.write_text(SLEEPY_PLUGIN.format(stage=stage))
    out = str(tmp_path / "out.tflite")
    dump = str(tmp_path / "dumps")
    t0 = time.perf_counter()
    status, err = _interrupt(["convert", tiny_cnn_dir, "--plugin", str(plugin)], out, dump,
                             lambda ln: ln.split()[:2] == [stage, "..."])
    assert time.perf_counter() - t0 < 50, "the interrupted pass was not cut short"
    assert _check_interrupted(status, err, out, dump) == finished


def test_failed_conversion_records_failure_beside_finished_dumps(tmp_path):
    """A stage failure (not a signal) leaves the finished dumps plus failure.json naming it."""
    bad = tmp_path / "bad.mlir"
    bad.write_text("// tflx-stage: tfl\nfunc.func @main(%arg0: tensor<2x2xf32>) -> tensor<f32> {\n"
                   '  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<2x2xf32>) -> tensor<f32>\n'
                   "  return %0 : tensor<f32>\n}\n")
    dump = tmp_path / "dumps"
    out = tmp_path / "m.tflite"
    proc = subprocess.run(_tflx_cmd() + ["convert", "--resume-from", str(bad), "-o", str(out), "--dump-dir",
                                         str(dump), "--no-builtin-passes"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("tflx: error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert not out.exists() and _temp_files(str(tmp_path), str(dump)) == []
    failure = json.load(open(dump / "failure.json"))
    assert failure["error"] == errors[0] and failure["stage"] == "flatbuffer"
    assert failure["completed_stages"] == ["tfl-opt"]
    assert sorted(os.listdir(dump)) == ["03-tfl-opt.mlir", "failure.json"]
