"""Running a .tflite, custom-op kernels included.

    outputs = tflx.runtime.run("model.tflite", {"x": x}, custom_op_libs=["build/libtflx_examples_ops.so"])

A kernel library is a shared library exporting `tflx_custom_ops(int* count)`, a table of
{custom_code, version, const TfLiteRegistration*} (examples/custom_op/kernels/tflite_c_abi.h).
tflx reads the table and registers each entry with the interpreter's op resolver through
`tflite::MutableOpResolver::AddCustom(name, registration, version)`.

Which interpreter: ai-edge-litert 2.3.0 exports no op-resolver symbol, so nothing outside it can
add a custom op to its resolver; TensorFlow 2.21's `libtensorflow_cc.so.2` exports
`MutableOpResolver::AddCustom`, built from the same source as TF 2.21's interpreter
(`tensorflow.lite.python.interpreter.InterpreterWithCustomOps`), whose registerer callback
receives that resolver. So a model with custom ops runs in TF's interpreter (runtime
"tensorflow", the default then); a model without runs in ai-edge-litert. runtime="litert" hands
TF's AddCustom ai-edge-litert's resolver instead: it works with 2.3.0 as measured, but relies on
the two builds laying out MutableOpResolver and TfLiteRegistration alike.
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import warnings

import numpy as np

from .errors import TflxError

RUNTIMES = ("auto", "tensorflow", "litert")
_ADD_CUSTOM = "_ZN6tflite17MutableOpResolver9AddCustomEPKcPK18TfLiteRegistrationi"
KERNEL_ABI_VERSION = 1


class _TflxCustomOp(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("version", ctypes.c_int), ("registration", ctypes.c_void_p)]


@dataclasses.dataclass
class KernelLibrary:
    path: str
    ops: dict  # (custom_code, version) -> address of its TfLiteRegistration
    handle: object = dataclasses.field(repr=False, default=None)

    def describe(self) -> str:
        return ", ".join(f"{n} v{v}" for n, v in sorted(self.ops)) or "no ops"


_LIBS: dict[str, KernelLibrary] = {}


def load_kernel_library(path: str | os.PathLike) -> KernelLibrary:
    """dlopen a kernel library and read its op table (cached per file)."""
    path = os.fspath(path)
    real = os.path.realpath(path)
    if real in _LIBS:
        return _LIBS[real]
    if not os.path.isfile(real):
        raise TflxError(f"custom-op library '{path}' does not exist (build it: cmake -S . -B build && "
                        "cmake --build build)")
    try:
        handle = ctypes.CDLL(real)
    except OSError as e:
        raise TflxError(f"cannot load custom-op library '{path}': {e}") from None
    try:
        table_fn = handle.tflx_custom_ops
    except AttributeError:
        raise TflxError(f"custom-op library '{path}' exports no tflx_custom_ops(): a kernel library lists its "
                        "ops there (see examples/custom_op/kernels/tflite_c_abi.h)") from None
    try:
        abi = handle.tflx_kernel_abi_version
        abi.restype = ctypes.c_int
        if abi() != KERNEL_ABI_VERSION:
            raise TflxError(f"custom-op library '{path}' has kernel ABI version {abi()}, tflx reads "
                            f"{KERNEL_ABI_VERSION}")
    except AttributeError:
        pass
    table_fn.restype = ctypes.POINTER(_TflxCustomOp)
    table_fn.argtypes = [ctypes.POINTER(ctypes.c_int)]
    count = ctypes.c_int(0)
    table = table_fn(ctypes.byref(count))
    if count.value < 0 or (count.value and not table):
        raise TflxError(f"custom-op library '{path}': tflx_custom_ops() returned a bad table")
    ops = {}
    for i in range(count.value):
        entry = table[i]
        if not entry.name or not entry.registration:
            raise TflxError(f"custom-op library '{path}': entry {i} of tflx_custom_ops() has no name or registration")
        ops[(entry.name.decode(), int(entry.version))] = int(entry.registration)
    lib = KernelLibrary(path, ops, handle)
    _LIBS[real] = lib
    return lib


def _add_custom():
    """tflite::MutableOpResolver::AddCustom from TF's libtensorflow_cc.so.2."""
    import tensorflow as tf
    lib = os.path.join(os.path.dirname(tf.__file__), "libtensorflow_cc.so.2")
    try:
        fn = ctypes.CDLL(lib)[_ADD_CUSTOM]
    except (OSError, AttributeError) as e:
        raise TflxError(f"cannot find tflite::MutableOpResolver::AddCustom in {lib}: {e}") from None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
    fn.restype = None
    return fn


def _model_bytes(model) -> tuple[bytes, str]:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "model"
    path = os.fspath(model)
    try:
        with open(path, "rb") as f:
            return f.read(), f"'{path}'"
    except OSError as e:
        raise TflxError(f"cannot read '{path}': {e.strerror or e}") from None


def missing_kernels(model: bytes, libs: list[KernelLibrary]) -> list[tuple[str, int]]:
    from .custom_op import custom_ops_in
    provided = {k for lib in libs for k in lib.ops}
    needed = sorted({(u.code, u.version) for u in custom_ops_in(model)})
    return [k for k in needed if k not in provided]


def _missing_error(missing, libs, what) -> TflxError:
    name, version = missing[0]
    others = f" (also missing: {', '.join(f'{n} v{v}' for n, v in missing[1:])})" if len(missing) > 1 else ""
    seen = "; ".join(f"{lib.path} provides {lib.describe()}" for lib in libs) or "no custom-op library given"
    return TflxError(f"custom op '{name}' (version {version}) in {what} has no kernel{others}: build one into a "
                     "shared library that exports tflx_custom_ops() and pass it with --custom-op-lib LIB.so "
                     f"(Python: tflx.runtime.run(..., custom_op_libs=['LIB.so'])); {seen}", op=name)


def make_interpreter(model, custom_op_libs=(), runtime: str = "auto", preserve_all_tensors: bool = False):
    """An interpreter for `model` with the libraries' kernels registered (allocated, ready)."""
    if runtime not in RUNTIMES:
        raise TflxError(f"unknown runtime '{runtime}': choose one of {', '.join(RUNTIMES)}")
    data, what = _model_bytes(model)
    from .flatbuffer import validate
    validate(data, what)
    libs = [load_kernel_library(p) for p in custom_op_libs]
    missing = [k for k in missing_kernels(data, libs) if not k[0].startswith("Flex")]  # Flex: flex_runtime
    if missing:
        raise _missing_error(missing, libs, what)
    from .flex_runtime import FlexKernels, flex_ops_in, tensor_names
    flex = flex_ops_in(data)
    if flex and runtime == "litert":
        raise TflxError(f"{what} has Flex ops ({', '.join(flex)}); they run in runtime 'tensorflow' only")
    if runtime == "auto":
        runtime = "tensorflow" if libs or flex else "litert"
    registerers = []
    kernels = FlexKernels(flex, tensor_names(data)) if flex else None
    if kernels is not None:
        add_flex = _add_custom()
        registerers.append(lambda resolver: kernels.register(resolver, add_flex))
    if libs:
        add = _add_custom()
        entries = [(name.encode(), reg, version) for lib in libs for (name, version), reg in lib.ops.items()]

        def register(resolver):
            for name, reg, version in entries:
                add(ctypes.c_void_p(resolver), name, ctypes.c_void_p(reg), version)

        registerers.append(register)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        try:
            if runtime == "tensorflow":
                from tensorflow.lite.python.interpreter import InterpreterWithCustomOps
                interp = InterpreterWithCustomOps(model_content=data, custom_op_registerers=registerers,
                                                  experimental_preserve_all_tensors=preserve_all_tensors)
            elif registerers:
                from ai_edge_litert.interpreter import InterpreterWithCustomOps
                interp = InterpreterWithCustomOps(model_content=data, custom_op_registerers=registerers,
                                                  experimental_preserve_all_tensors=preserve_all_tensors)
            else:
                from ai_edge_litert.interpreter import Interpreter
                interp = Interpreter(model_content=data, experimental_preserve_all_tensors=preserve_all_tensors)
            interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            if kernels is not None and kernels.error is not None:
                raise _flex_error(kernels) from None
            raise _interpreter_error(e, what, libs) from None
    interp._tflx_libs = libs  # keep the kernels' libraries loaded as long as the interpreter
    interp._tflx_flex = kernels  # and the Flex kernels' callbacks
    return interp


def _flex_error(kernels) -> TflxError:
    e = kernels.error
    kernels.error = None
    return e if isinstance(e, TflxError) else TflxError(f"a Flex op failed in TensorFlow: {type(e).__name__}: "
                                                        + " ".join(str(e).split())[:400])


def _interpreter_error(e: BaseException, what: str, libs) -> TflxError:
    text = "; ".join(" ".join(line.split()) for line in str(e).splitlines() if line.strip())
    import re
    m = re.search(r"unresolved custom op: ([^\s.,]+)", text)
    if m:
        return _missing_error([(m.group(1), 1)], libs, what)
    return TflxError(f"the interpreter rejected {what}: {text}")


def run_error(e: BaseException, interp=None) -> TflxError:
    flex = getattr(interp, "_tflx_flex", None)
    if flex is not None and flex.error is not None:
        return _flex_error(flex)
    text = "; ".join(" ".join(line.split()) for line in str(e).splitlines() if line.strip())
    return TflxError(f"running the model failed: {text}")


def _inputs(inputs, names: list[str], details: dict) -> dict:
    if isinstance(inputs, (str, os.PathLike)):
        path = os.fspath(inputs)
        try:
            with np.load(path, allow_pickle=False) as z:
                inputs = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise TflxError(f"cannot read inputs '{path}': {e}") from None
    elif isinstance(inputs, np.ndarray) and len(names) == 1:
        inputs = {names[0]: inputs}
    inputs = dict(inputs or {})
    missing = [n for n in names if n not in inputs]
    extra = [n for n in inputs if n not in names]
    if missing or extra:
        raise TflxError(f"inputs: the model takes {names}; missing {missing}" + (f", unknown {extra}" if extra else ""))
    out = {}
    for n in names:
        want = np.dtype(details[n]["dtype"])
        a = np.asarray(inputs[n])
        if a.dtype != want:
            if not np.can_cast(a.dtype, want, casting="same_kind"):
                raise TflxError(f"input '{n}' is {a.dtype}, the model takes {want}")
            a = a.astype(want)
        sig = details[n].get("shape_signature")
        sig = [int(d) for d in (details[n]["shape"] if sig is None or len(sig) == 0 and len(details[n]["shape"])
                                else sig)]
        if len(sig) != a.ndim or any(d >= 0 and d != g for d, g in zip(sig, a.shape)):
            # TFLite kernels trust shapes: a wrong one can read past the input's buffer.
            raise TflxError(f"input '{n}' has shape {list(a.shape)}, the model takes {sig} (-1: any size)")
        out[n] = a
    return out


def run(model, inputs, *, custom_op_libs=(), signature: str | None = None, runtime: str = "auto") -> dict:
    """Run `model` (.tflite bytes or path) on `inputs` (name -> array, an .npz path, or one array)
    and return its outputs by name; custom ops run with the kernels of `custom_op_libs`."""
    interp = make_interpreter(model, custom_op_libs, runtime)
    sigs = interp.get_signature_list()
    if sigs:
        key = signature or ("serving_default" if "serving_default" in sigs else next(iter(sigs)))
        if key not in sigs:
            raise TflxError(f"no signature '{key}' in the model; it has {list(sigs)}")
        runner = interp.get_signature_runner(key)
        details = runner.get_input_details()
        feed = _inputs(inputs, list(sigs[key]["inputs"]), details)
        try:
            out = runner(**feed)
        except (ValueError, RuntimeError) as e:
            raise run_error(e, interp) from None
        return {k: np.array(v) for k, v in out.items()}
    if signature:
        raise TflxError("the model has no signatures; run it without --signature")
    ins = interp.get_input_details()
    details = {d["name"]: d for d in ins}
    feed = _inputs(inputs, [d["name"] for d in ins], details)
    for d in ins:
        if tuple(d["shape"]) != feed[d["name"]].shape:
            interp.resize_tensor_input(d["index"], feed[d["name"]].shape)
    interp.allocate_tensors()
    for d in ins:
        interp.set_tensor(d["index"], feed[d["name"]])
    try:
        interp.invoke()
    except (ValueError, RuntimeError) as e:
        raise run_error(e, interp) from None
    return {d["name"]: np.array(interp.get_tensor(d["index"])) for d in interp.get_output_details()}
