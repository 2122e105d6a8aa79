"""Post-training quantization of a converted .tflite: the `quantize` stage.

    tflx convert MODEL -o m.tflite --quantize dynamic|weight-only|float16|int8 [--representative-data X.npz]

Machinery (chosen on evidence, see the closing note of issue 14): litert-quantizer recipes for
dynamic (`dynamic_legacy_wi8_afp32`: int8 weights, float activations, stock's hybrid kernels), weight-only
(`weight_only_wi8_afp32`: int8 weights dequantized at load) and int8 (`static_wi8_ai8`,
calibrated on the representative data). Its static recipe makes the model's inputs and outputs
int8; like the stock converter, tflx keeps float32 I/O unless `io_type` says otherwise, by putting
a QUANTIZE after each input and a DEQUANTIZE before each output (with the tensors' own scales).
float16 is tflx's own: float32 weight constants become float16 buffers read through DEQUANTIZE,
as the stock converter's `supported_types=[float16]` writes them.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from .errors import TflxError

MODES = ("dynamic", "weight-only", "float16", "int8")
IO_TYPES = ("float32", "int8", "uint8")


# ---- representative data ----------------------------------------------------------------------

def load_representative_data(data, inputs: dict) -> list[dict]:
    """Samples as [{input name: array with a batch dim of 1}], checked against `inputs`
    ({name: (shape signature, numpy dtype)}). `data`: an .npz path (name -> [samples, ...]), a
    directory of <name>.npy files, or an iterable of {name: array} (one sample each)."""
    if data is None:
        raise TflxError("--quantize int8 calibrates activations: give --representative-data X.npz "
                        "(input name -> [samples, ...]; or a directory of <input>.npy)")
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        arrays = {}
        try:
            if os.path.isdir(path):
                for f in sorted(os.listdir(path)):
                    if f.endswith(".npy"):
                        arrays[f[:-4]] = np.load(os.path.join(path, f), allow_pickle=False)
            else:
                with np.load(path, allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise TflxError(f"cannot read representative data '{path}': {e}") from None
        if not arrays:
            raise TflxError(f"representative data '{path}' holds no arrays")
        counts = {len(a) if a.ndim else 0 for a in arrays.values()}
        if len(counts) != 1 or 0 in counts:
            raise TflxError(f"representative data '{path}': every input needs the same number (>= 1) of "
                            f"samples on its first axis; got {({k: a.shape for k, a in arrays.items()})}")
        n = counts.pop()
        samples = [{k: a[i:i + 1] for k, a in arrays.items()} for i in range(n)]
    else:
        samples = [dict(s) for s in data]
        if not samples:
            raise TflxError("the representative data is empty")
    for i, s in enumerate(samples):
        missing = [k for k in inputs if k not in s]
        extra = [k for k in s if k not in inputs]
        if missing or extra:
            raise TflxError(f"representative data: the model takes inputs {list(inputs)}; "
                            + (f"input '{missing[0]}' is missing" if missing else f"'{extra[0]}' is not an input"))
        for name, (sig, dtype) in inputs.items():
            a = np.asarray(s[name])
            if a.ndim == len(sig) - 1:
                a = a[None]
            if a.ndim != len(sig) or any(d >= 0 and d != g for d, g in zip(sig, a.shape)):
                raise TflxError(f"representative data: input '{name}' has shape {list(a.shape)} in sample {i}, "
                                f"the model takes {list(sig)} (-1: any size)")
            if not np.can_cast(a.dtype, dtype, casting="same_kind"):
                raise TflxError(f"representative data: input '{name}' is {a.dtype}, the model takes "
                                f"{np.dtype(dtype)}")
            s[name] = a.astype(dtype, copy=False)
    return samples


def model_inputs(tflite: bytes, signature: str | None = None) -> tuple[str, dict]:
    """(signature key, {input name: (shape signature, dtype)}) of a .tflite."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=tflite)
    sigs = it.get_signature_list()
    if not sigs:
        raise TflxError("the model has no signature to calibrate")
    key = signature or ("serving_default" if "serving_default" in sigs else next(iter(sigs)))
    details = it.get_signature_runner(key).get_input_details()
    return key, {n: ([int(x) for x in (d.get("shape_signature") if d.get("shape_signature") is not None
                                        and len(d.get("shape_signature")) else d["shape"])], d["dtype"])
                 for n, d in details.items()}


# ---- the modes --------------------------------------------------------------------------------

def quantize(tflite: bytes, mode: str, representative_data=None, io_type: str = "float32") -> bytes:
    """The quantized .tflite for `mode` (one of MODES)."""
    if mode not in MODES:
        raise TflxError(f"unknown quantization mode '{mode}': choose one of {', '.join(MODES)}")
    _check_io_type(io_type)
    if io_type != "float32" and mode != "int8":
        raise TflxError(f"--io-type {io_type} needs --quantize int8 (integer activations)")
    if mode == "float16":
        return float16_weights(tflite)
    try:
        import litert_quantizer as lq
        from litert_quantizer import recipe
    except ImportError:
        raise TflxError("quantization needs litert-quantizer (pip install litert-quantizer==0.11.0)") from None
    samples = None
    if mode == "int8":
        key, inputs = model_inputs(tflite)
        samples = load_representative_data(representative_data, inputs)
    # dynamic: the legacy recipe (stock's hybrid kernels); dynamic_wi8_afp32 measured 1.4x slower
    # on MobileNetV2 (17.5 vs 12.7 ms, batch 1, one thread)
    chosen = {"dynamic": recipe.dynamic_legacy_wi8_afp32, "weight-only": recipe.weight_only_wi8_afp32,
              "int8": recipe.static_wi8_ai8}[mode]()
    with tempfile.TemporaryDirectory(prefix="tflx-quant-") as d:
        src, dst = os.path.join(d, "float.tflite"), os.path.join(d, "quantized.tflite")
        with open(src, "wb") as f:
            f.write(tflite)
        try:
            import contextlib
            import io
            # its size report and calibration progress bar: tflx prints its own summary
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                qt = lq.Quantizer(src)
                qt.load_quantization_recipe(chosen)
                calib = qt.calibrate({key: samples}) if mode == "int8" and qt.need_calibration else None
                qt.quantize(calib).export_model(dst, overwrite=True)
        except TflxError:
            raise
        except Exception as e:  # noqa: BLE001 - the library's message, one line
            raise TflxError(f"litert-quantizer ({mode}): {type(e).__name__}: {' '.join(str(e).split())[:300]}",
                            stage="quantize") from None
        with open(dst, "rb") as f:
            out = f.read()
    if mode == "int8" and io_type != "int8":
        out = float_io(out, io_type)
    return out


def _schema():
    from .flatbuffer import _schema as s
    return s()


def _builder_bytes(model) -> bytes:
    import flatbuffers
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _load(tflite: bytes):
    """The model as flatbuffers objects, buffers stored past the flatbuffer (offset/size, as
    litert-quantizer writes larger models) read back in: re-packing keeps only inline data."""
    s = _schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(tflite, 0))
    for buf in model.buffers or []:
        if buf.offset and buf.offset > 1 and buf.size:
            buf.data = np.frombuffer(tflite[buf.offset:buf.offset + buf.size], np.uint8)
            buf.offset = buf.size = 0
    return model


def _op_index(model, builtin: int) -> int:
    s = _schema()
    for i, oc in enumerate(model.operatorCodes):
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == builtin:
            return i
    oc = s.OperatorCodeT()
    oc.builtinCode = builtin
    oc.deprecatedBuiltinCode = min(builtin, 127)
    oc.version = 1
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def _check_io_type(io_type: str) -> None:
    if io_type not in IO_TYPES:
        raise TflxError(f"unknown --io-type '{io_type}': choose one of {', '.join(IO_TYPES)}")


def integer_model_io(tflite: bytes, io_type: str = "float32") -> bytes:
    """A model quantized in the converter (fake-quant ranges) takes and gives int8: float32 or
    uint8 I/O as asked, like the calibrated int8 mode."""
    _check_io_type(io_type)
    return tflite if io_type == "int8" else float_io(tflite, io_type)


def float_io(tflite: bytes, io_type: str = "float32") -> bytes:
    """int8 model inputs/outputs -> float32 (QUANTIZE after each input, DEQUANTIZE before each
    output), or uint8 (QUANTIZE int8 <-> uint8 with zero point + 128)."""
    s = _schema()
    model = _load(tflite)
    t_new = {"float32": s.TensorType.FLOAT32, "uint8": s.TensorType.UINT8}[io_type]
    quant, dequant = _op_index(model, s.BuiltinOperator.QUANTIZE), _op_index(model, s.BuiltinOperator.DEQUANTIZE)
    remap: dict[int, dict[int, int]] = {}
    for gi, g in enumerate(model.subgraphs):
        if gi and not any(sd.subgraphIndex == gi for sd in model.signatureDefs or []):
            continue
        remap[gi] = {}
        front, back = [], []
        g.inputs, g.outputs = [int(i) for i in g.inputs], [int(i) for i in g.outputs]  # numpy views: read-only
        for pos, idx in enumerate(list(g.inputs)):
            if g.tensors[idx].type == s.TensorType.INT8:
                g.inputs[pos] = remap[gi][idx] = _add_io_tensor(s, model, g, g.tensors[idx], t_new, io_type)
                front.append(_op(s, quant, [g.inputs[pos]], [idx]))
        for pos, idx in enumerate(list(g.outputs)):
            if g.tensors[idx].type == s.TensorType.INT8:
                g.outputs[pos] = remap[gi][idx] = _add_io_tensor(s, model, g, g.tensors[idx], t_new, io_type)
                back.append(_op(s, quant if io_type == "uint8" else dequant, [idx], [g.outputs[pos]]))
        g.operators = front + list(g.operators) + back
    for sd in model.signatureDefs or []:  # the signature names the new I/O tensors
        for io in list(sd.inputs) + list(sd.outputs):
            io.tensorIndex = remap.get(sd.subgraphIndex, {}).get(io.tensorIndex, io.tensorIndex)
    return _builder_bytes(model)


def _add_io_tensor(s, model, g, t, ttype, io_type: str) -> int:
    """A new tensor of `ttype` shaped like `t` (with its own empty buffer), added to subgraph g;
    returns its index. uint8 keeps t's scales, zero points + 128."""
    new = s.TensorT()
    new.shape, new.shapeSignature = t.shape, t.shapeSignature
    new.type = ttype
    new.name = (t.name or b"io") + b"_" + io_type.encode()
    if ttype == s.TensorType.UINT8:
        q = s.QuantizationParametersT()
        q.scale = list(t.quantization.scale)
        q.zeroPoint = [int(z) + 128 for z in t.quantization.zeroPoint]
        new.quantization = q
    model.buffers.append(s.BufferT())
    new.buffer = len(model.buffers) - 1
    g.tensors.append(new)
    return len(g.tensors) - 1


def _op(s, code: int, inputs, outputs):
    op = s.OperatorT()
    op.opcodeIndex = code
    op.inputs, op.outputs = list(inputs), list(outputs)
    return op


def float16_weights(tflite: bytes) -> bytes:
    """float32 constant tensors read by ops -> float16 buffers + DEQUANTIZE (stock's float16 mode)."""
    s = _schema()
    model = _load(tflite)
    dequant = _op_index(model, s.BuiltinOperator.DEQUANTIZE)
    for g in model.subgraphs:
        done: dict[int, int] = {}
        front = []
        for op in g.operators:
            for idx in [int(i) for i in op.inputs]:
                if idx < 0:
                    continue
                t = g.tensors[idx]
                buf = model.buffers[t.buffer] if t.buffer < len(model.buffers) else None
                if t.type != s.TensorType.FLOAT32 or buf is None or buf.data is None or len(buf.data) < 4 * 16:
                    continue  # not a constant, or too small to matter (stock keeps small ones too)
                if idx not in done:
                    half = s.TensorT()
                    half.shape, half.type, half.name = t.shape, s.TensorType.FLOAT16, (t.name or b"w") + b"_fp16"
                    data = np.frombuffer(bytes(bytearray(buf.data)), np.float32).astype(np.float16)
                    hb = s.BufferT()
                    hb.data = np.frombuffer(data.tobytes(), np.uint8)
                    model.buffers.append(hb)
                    half.buffer = len(model.buffers) - 1
                    g.tensors.append(half)
                    t.buffer = 0  # the float32 tensor is now computed: DEQUANTIZE's output
                    buf.data = None
                    front.append(_op(s, dequant, [len(g.tensors) - 1], [idx]))
                    done[idx] = idx
        g.operators = front + list(g.operators)
    return _builder_bytes(model)
