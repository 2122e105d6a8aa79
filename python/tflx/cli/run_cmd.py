"""`tflx run model.tflite --inputs x.npz [--custom-op-lib LIB.so] [-o out.npz]`: run a .tflite."""
from __future__ import annotations

import io
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run a .tflite (custom ops with kernels from shared libraries)",
                       description="Run a .tflite on inputs from an .npz (keys: the signature's input names). "
                                   "Custom ops run with the kernels of --custom-op-lib libraries (each exports "
                                   "tflx_custom_ops(); build the example's with cmake). Outputs go to -o OUT.npz, "
                                   "or are printed.")
    p.add_argument("model", help="the .tflite")
    p.add_argument("--inputs", required=True, metavar="X.npz", help="input arrays by input name")
    p.add_argument("--custom-op-lib", action="append", default=[], metavar="LIB.so",
                   help="a kernel library for the model's custom ops (repeatable)")
    p.add_argument("-o", "--output", metavar="OUT.npz", help="write the outputs here")
    p.add_argument("--signature", help="signature to run (default: serving_default, or the only one)")
    p.add_argument("--runtime", choices=("auto", "tensorflow", "litert"), default="auto",
                   help="interpreter: auto = TensorFlow's when custom-op libraries are given (it can take their "
                        "kernels), else ai-edge-litert")
    p.set_defaults(fn=_run)


def _run(args) -> int:
    import numpy as np

    from tflx import runtime
    from tflx.atomic import write_atomic

    from tflx.isolate import run_isolated

    from .common import native_stderr_silenced

    def run_model() -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **runtime.run(args.model, args.inputs, custom_op_libs=args.custom_op_lib,
                                    signature=args.signature, runtime=args.runtime))
        return buf.getvalue()

    # The TFLite interpreter trusts a model that passes tflx.flatbuffer.validate and can crash on
    # a malformed one (e.g. a CONV_2D whose filter is tensor -1): run it in a forked child.
    with native_stderr_silenced():
        data = run_isolated(run_model, what=f"the TFLite interpreter, on '{args.model}',")
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        outputs = {k: z[k] for k in z.files}
    if args.output:
        buf = io.BytesIO()
        np.savez(buf, **outputs)
        write_atomic(args.output, buf.getvalue())
        desc = ", ".join(f"{k} {v.dtype}{list(v.shape)}" for k, v in outputs.items())
        print(f"tflx: wrote {args.output}: {desc}", file=sys.stderr)
        return 0
    for name, value in outputs.items():
        print(f"{name}: {value.dtype}{list(value.shape)}")
        print(np.array2string(value, threshold=64, precision=6))
    return 0
