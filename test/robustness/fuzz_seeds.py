"""Valid inputs the fuzzer mutates: the bundled tiny_cnn and a few small tf.functions, each saved
as a SavedModel, converted by tflx with every stage dumped.

    python test/robustness/fuzz_seeds.py OUT_DIR      # builds OUT_DIR/<name>/{model/, dump/}

Built in a fresh process (TF runs there, not in the fuzz server, which must fork before TF has
started threads). `build(out_dir)` reuses a complete earlier build.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TINY_CNN = os.path.join(REPO, "examples", "models", "tiny_cnn")
MANIFEST = "seeds.json"


def _small_modules(tf):
    """name -> tf.Module with a serving_default signature; small, but varied in ops and dtypes."""

    class Elementwise(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2, 8], tf.float32, name="x")])
        def serve(self, x):
            # a rank-1 constant: the .tflite regression cases patch a constant tensor's shape
            y = tf.tanh(x * tf.constant([2.0, 1.5, 1.0, 0.5, -0.5, -1.0, -1.5, -2.0]) + 1.0) - tf.sigmoid(x)
            return {"y": y, "s": tf.reduce_sum(y, axis=1, keepdims=True)}

    class MatmulConcat(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.constant(tf.random.stateless_normal([6, 3], seed=[1, 2]))

        @tf.function(input_signature=[tf.TensorSpec([4, 6], tf.float32, name="a")])
        def serve(self, a):
            h = tf.nn.relu(tf.matmul(a, self.w))
            c = tf.concat([h, a[:, :3]], axis=1)
            g = tf.gather(tf.reshape(c, [2, 12]), [1, 0], axis=0)
            return {"out": tf.nn.softmax(g)}

    class IntOps(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([3, 5], tf.int32, name="ids")])
        def serve(self, ids):
            m = tf.reduce_max(ids, axis=1)
            a = tf.argmax(ids, axis=1, output_type=tf.int32)
            f = tf.cast(ids, tf.float32) / 7.0
            return {"m": m + a, "f": tf.transpose(f)}

    class Pool(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 2], tf.float32, name="img")])
        def serve(self, img):
            p = tf.nn.max_pool2d(img, 2, 2, "VALID")
            q = tf.nn.avg_pool2d(img, 2, 2, "SAME")
            return {"out": tf.image.resize(p + q, [3, 3]) * tf.reduce_mean(img)}

    return {"elementwise": Elementwise(), "matmul_concat": MatmulConcat(), "int_ops": IntOps(), "pool": Pool()}


def _build_here(out_dir: str) -> dict:
    import tflx
    import tensorflow as tf

    seeds = {}
    models = {"tiny_cnn": TINY_CNN}
    for name, module in _small_modules(tf).items():
        path = os.path.join(out_dir, name, "model")
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
        models[name] = path
    for name, path in models.items():
        dump = os.path.join(out_dir, name, "dump")
        tflx.convert(path, dump_dir=dump)
        files = sorted(os.listdir(dump))
        seeds[name] = {
            "model": path,
            "tflite": os.path.join(dump, "04-flatbuffer.tflite"),
            "mlir": [os.path.join(dump, f) for f in files if f.endswith(".mlir")],
            "inputs": _write_inputs(os.path.join(dump, "04-flatbuffer.tflite"), os.path.join(out_dir, name)),
        }
    return seeds


def _write_inputs(tflite: str, out_dir: str) -> str:
    """inputs.npz for `tflx run`: random values for the serving signature's inputs."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    with open(tflite, "rb") as f:
        runner = Interpreter(model_content=f.read()).get_signature_runner("serving_default")
    rng = np.random.RandomState(0)
    feed = {}
    for name, d in runner.get_input_details().items():
        shape = [max(1, int(x)) for x in d["shape"]]
        feed[name] = (rng.uniform(-1, 1, shape) if np.dtype(d["dtype"]).kind == "f"
                      else rng.randint(0, 4, shape)).astype(d["dtype"])
    path = os.path.join(out_dir, "inputs.npz")
    np.savez(path, **feed)
    return path


def build(out_dir: str) -> dict:
    """Build (or reuse) the seeds in out_dir; returns the manifest."""
    manifest = os.path.join(out_dir, MANIFEST)
    if os.path.isfile(manifest):
        with open(manifest) as f:
            return json.load(f)
    os.makedirs(out_dir, exist_ok=True)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), out_dir],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not os.path.isfile(manifest):
        raise RuntimeError(f"building fuzz seeds failed:\n{proc.stderr[-4000:]}")
    with open(manifest) as f:
        return json.load(f)


def keras_seed(out_dir: str) -> str:
    return os.path.join(out_dir, "mlp.keras")


def _build_keras(out_dir: str) -> None:
    import keras
    inp = keras.Input((6,), name="x")
    out = keras.layers.Dense(3, activation="relu")(keras.layers.Dense(5)(inp))
    keras.Model(inp, out).save(keras_seed(out_dir))


def main(argv=None) -> int:
    out_dir = (argv or sys.argv[1:])[0]
    os.makedirs(out_dir, exist_ok=True)
    seeds = _build_here(out_dir)
    _build_keras(out_dir)
    seeds["_keras"] = keras_seed(out_dir)
    tmp = os.path.join(out_dir, MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(seeds, f, indent=2)
    os.replace(tmp, os.path.join(out_dir, MANIFEST))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["build", "TINY_CNN", "REPO", "shutil"]
