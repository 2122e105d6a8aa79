"""Compare `tflx run` outputs with the numpy references and with TensorFlow.

    python examples/custom_op/check.py OUT.npz X.npz [MODEL.tflite]

Exit 0 when every output is within 1e-5 of the reference (and `features` of TF); with the
.tflite, also lists its custom / composite ops and their options.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-5


def main(argv) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    import tflx  # noqa: F401  (quiet TF start-up)
    import model

    with np.load(argv[0]) as z:
        got = {k: z[k] for k in z.files}
    with np.load(argv[1]) as z:
        x = z["x"]
    ok = True
    if len(argv) == 3:
        from tflx.custom_op import custom_ops_in
        from tflx.flatbuffer import op_histogram
        data = open(argv[2], "rb").read()
        print("ops:", dict(op_histogram(data)))
        for use in custom_ops_in(data):
            print(f"  CUSTOM {use.code} v{use.version} options {use.attrs}")
    ref = model.reference(x)
    ref_tf = model.features_tf(x).numpy()
    for name, want in ref.items():
        err = float(np.max(np.abs(got[name] - want)))
        ok &= err <= TOL
        print(f"{name:9s} max |tflite - numpy reference| = {err:.2e}")
    err = float(np.max(np.abs(got["features"] - ref_tf)))
    ok &= err <= TOL
    print(f"features  max |tflite - TensorFlow|        = {err:.2e}")
    print("OK" if ok else f"MISMATCH (tolerance {TOL:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
