"""tflx never runs Python code stored in a .keras file: `tflx convert`, `tflx assess` and
`tflx verify` refuse one (one line, exit 1) and the code does not run. The control proves each
file really carries code: Keras itself runs it when loading with safe_mode=False."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

import fuzz_campaign as fc

MAKE_LAMBDA_MODEL = """
import sys, keras
# Self-contained (Keras stores a lambda's bytecode, not its globals): runs whenever Keras calls
# the layer -- when building the model at load time too.
fn = eval("lambda t: (open(%r, 'w').close(), t * 2)[1]" % sys.argv[2])
inp = keras.Input((6,), name="x")
keras.Model(inp, keras.layers.Lambda(fn)(keras.layers.Dense(3)(inp))).save(sys.argv[1])
"""

LOAD_UNSAFELY = """
import sys, keras
keras.config.enable_unsafe_deserialization()
keras.saving.load_model(sys.argv[1], safe_mode=False, compile=False)
"""


def _config_with_layer(keras_file: str, layer: dict, path: str) -> None:
    """A copy of keras_file whose config gets `layer` (a module/class Keras would import)."""
    with open(keras_file, "rb") as f:
        zin = zipfile.ZipFile(io.BytesIO(f.read()))
    config = json.loads(zin.read("config.json"))
    layers = config["config"]["layers"]
    layer = dict(layer, name="hostile", inbound_nodes=layers[1].get("inbound_nodes", []))
    layers.insert(1, layer)
    with zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, json.dumps(config) if item.filename == "config.json" else zin.read(item.filename))


@pytest.fixture(scope="module")
def lambda_keras(tmp_path_factory):
    """(a .keras with a Lambda layer whose code creates `canary`, canary)."""
    d = tmp_path_factory.mktemp("lambda_keras")
    path, canary = str(d / "lambda.keras"), str(d / "CODE_RAN")
    subprocess.run([sys.executable, "-c", MAKE_LAMBDA_MODEL, path, canary], check=True, capture_output=True,
                   timeout=300)
    if os.path.exists(canary):  # made while saving
        os.unlink(canary)
    return path, canary


def _hostile_files(tmp_path, lambda_keras, seeds):
    """name -> path; and the canary the config-injected layers would create."""
    canary = str(tmp_path / "CODE_RAN")
    files = {"keras-lambda": lambda_keras[0]}
    for name, layer in {
        "module-os-system": {"module": "os", "class_name": "system", "registered_name": None,
                             "config": {"command": f"touch {canary}"}},
        "module-builtins-exec": {"module": "builtins", "class_name": "exec", "registered_name": None,
                                 "config": {"source": f"open({canary!r}, 'w').close()"}},
    }.items():
        files[name] = str(tmp_path / f"{name}.keras")
        _config_with_layer(seeds["_keras"], layer, files[name])
    return files, canary


def test_keras_lambda_file_runs_code_when_loaded_unsafely(lambda_keras):
    """Control: the lambda file is hostile -- Keras runs its code with safe_mode=False."""
    path, canary = lambda_keras
    subprocess.run([sys.executable, "-c", LOAD_UNSAFELY, path], capture_output=True, timeout=300)
    assert os.path.exists(canary)
    os.unlink(canary)


@pytest.mark.parametrize("command", ["convert", "assess", "verify"])
def test_tflx_refuses_keras_files_carrying_code(command, lambda_keras, seeds, servers, tmp_path):
    files, canary = _hostile_files(tmp_path, lambda_keras, seeds)
    target = next(t for t in fc.TARGETS if t.name == "assess")
    for name, path in files.items():
        argv = {"convert": ["tflx", "convert", path, "-o", str(tmp_path / "out.tflite")],
                "assess": ["tflx", "assess", path],
                "verify": ["tflx", "verify", path, seeds["tiny_cnn"]["tflite"]]}[command]
        res = servers.run({"id": name, "argv": argv, "timeout": 120, "cwd": str(tmp_path), "full_exit": True})
        verdict, error = fc.judge(target, res, None, None, str(tmp_path))
        assert verdict == "rejected", (name, verdict, error)
        assert "Keras" in error, (name, error)
        assert not os.path.exists(canary) and not os.path.exists(lambda_keras[1]), f"{name}: code from the file ran"
        assert not os.path.exists(tmp_path / "out.tflite")
