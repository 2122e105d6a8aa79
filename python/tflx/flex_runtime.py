"""Running a Flex model's Flex ops in TensorFlow, so `tflx run` / `tflx verify` check Select-TF-ops
models like any other.

Neither ai-edge-litert 2.3.0 nor TF 2.21's interpreter links the Flex delegate. TF's interpreter
does take custom kernels (tflx.runtime registers C kernels through MutableOpResolver::AddCustom),
so each `Flex<Op>` custom code gets a kernel whose callbacks are ctypes functions calling into
Python: `prepare` marks the outputs dynamic, `invoke` reads the inputs (numeric, bool and string
tensors), runs the node's NodeDef (from its custom options) in TensorFlow as a one-node graph,
resizes the outputs and writes the results. The TFLite structs are read at the offsets of TF
2.21's `tensorflow/lite/core/c/common.h` (x86-64); `prepare` checks them against the model's
own tensor names before anything runs.

Cost: each Flex node call crosses into Python and TensorFlow (measured in the issue note);
meant for checking, not for speed.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np

from .errors import TflxError

FLEX_PREFIX = "Flex"

# TfLiteType -> numpy dtype (common.h's enum); strings are handled apart.
_DTYPES = {1: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 8: np.complex64,
           9: np.int8, 10: np.float16, 11: np.float64, 12: np.complex128, 13: np.uint64, 16: np.uint32,
           17: np.uint16}
_STRING = 5
_DYNAMIC = 4  # kTfLiteDynamic
_TENSOR_SIZE = 112  # sizeof(TfLiteTensor)
# TfLiteTensor field offsets
_T_TYPE, _T_DATA, _T_DIMS, _T_ALLOC, _T_BYTES, _T_NAME = 0, 8, 16, 32, 40, 56
# TfLiteContext field offsets
_C_TENSORS, _C_RESIZE = 16, 32

_INIT = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_FREE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_CALL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_RESIZE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class _Registration(ctypes.Structure):
    # TfLiteRegistration's leading fields, then zeros for the fields newer builds append.
    _fields_ = [("init", _INIT), ("free", _FREE), ("prepare", _CALL), ("invoke", _CALL),
                ("profiling_string", ctypes.c_void_p), ("builtin_code", ctypes.c_int32),
                ("custom_name", ctypes.c_char_p), ("version", ctypes.c_int),
                ("registration_external", ctypes.c_void_p), ("_reserved", ctypes.c_void_p * 8)]


def _lib():
    import tensorflow as tf
    lib = ctypes.CDLL(os.path.join(os.path.dirname(tf.__file__), "libtensorflow_cc.so.2"))
    lib.TfLiteIntArrayCreate.restype = ctypes.c_void_p
    lib.TfLiteIntArrayCreate.argtypes = [ctypes.c_int]
    lib.TfLiteTensorRealloc.restype = None
    lib.TfLiteTensorRealloc.argtypes = [ctypes.c_size_t, ctypes.c_void_p]
    return lib


def _read(addr: int, ctype):
    return ctype.from_address(addr).value


def _int_array(addr: int) -> list[int]:
    n = _read(addr, ctypes.c_int)
    return list((ctypes.c_int * n).from_address(addr + 4)) if n else []


def flex_ops_in(model: bytes) -> list[str]:
    """The Flex custom codes a .tflite uses."""
    from .custom_op import custom_ops_in
    return sorted({u.code for u in custom_ops_in(model) if u.code.startswith(FLEX_PREFIX)})


class FlexKernels:
    """Kernels for the given Flex custom codes; keep this object alive as long as the interpreter."""

    def __init__(self, codes, names: list[set]):
        self.names = names  # to check TfLiteTensor's layout on the first tensors seen
        self.lib = _lib()
        self.codes = list(codes)
        self.error: BaseException | None = None
        self.calls = 0
        self._fns: dict = {}  # node custom options (NodeDef) -> compiled TF function
        self._regs = []
        self._callbacks = [_INIT(self._init), _FREE(self._free), _CALL(self._prepare), _CALL(self._invoke)]
        for code in self.codes:
            reg = _Registration(init=self._callbacks[0], free=self._callbacks[1], prepare=self._callbacks[2],
                                invoke=self._callbacks[3], custom_name=code.encode(), version=1)
            self._regs.append(reg)

    def register(self, resolver: int, add_custom) -> None:
        for code, reg in zip(self.codes, self._regs):
            add_custom(ctypes.c_void_p(resolver), code.encode(), ctypes.byref(reg), 1)

    # --- callbacks (any exception is kept and reported after invoke; TFLite sees an error status)

    def _init(self, context, buffer, length):
        return None

    def _free(self, context, buffer):
        return None

    def _prepare(self, context, node):
        try:
            tensors = _read(context + _C_TENSORS, ctypes.c_void_p)
            outs = _int_array(_read(node + 8, ctypes.c_void_p))  # node->outputs
            for idx in outs + [i for i in _int_array(_read(node, ctypes.c_void_p)) if i >= 0]:
                name_ptr = _read(tensors + idx * _TENSOR_SIZE + _T_NAME, ctypes.c_void_p)
                name = ctypes.string_at(name_ptr).decode("utf-8", "replace") if name_ptr else ""
                if idx >= len(self.names) or name not in self.names[idx]:
                    raise TflxError("this TensorFlow's TfLiteTensor layout differs from the one tflx reads "
                                    f"(tensor {idx} reads as {name!r}): Flex ops cannot run here")
            for idx in outs:
                ctypes.c_int.from_address(tensors + idx * _TENSOR_SIZE + _T_ALLOC).value = _DYNAMIC
            return 0
        except BaseException as e:  # noqa: BLE001
            self.error = e
            return 1

    def _invoke(self, context, node):
        try:
            self.calls += 1
            tensors = _read(context + _C_TENSORS, ctypes.c_void_p)
            ins = [self._tensor_value(tensors + i * _TENSOR_SIZE) if i >= 0 else None
                   for i in _int_array(_read(node, ctypes.c_void_p))]
            outs = _int_array(_read(node + 8, ctypes.c_void_p))
            data = _read(node + 48, ctypes.c_void_p)  # custom_initial_data
            size = _read(node + 56, ctypes.c_int)
            options = ctypes.string_at(data, size)
            results = self._run(options, ins, len(outs))
            resize = _RESIZE(_read(context + _C_RESIZE, ctypes.c_void_p))
            for idx, value in zip(outs, results):
                self._write(context, resize, tensors + idx * _TENSOR_SIZE, value)
            return 0
        except BaseException as e:  # noqa: BLE001
            self.error = e
            return 1

    # --- tensors

    @staticmethod
    def _tensor_value(t: int):
        ttype = _read(t + _T_TYPE, ctypes.c_int)
        shape = _int_array(_read(t + _T_DIMS, ctypes.c_void_p))
        data = _read(t + _T_DATA, ctypes.c_void_p)
        nbytes = _read(t + _T_BYTES, ctypes.c_size_t)
        raw = ctypes.string_at(data, nbytes) if data and nbytes else b""
        if ttype == _STRING:  # int32 count, int32 offsets[count + 1], bytes
            n = int(np.frombuffer(raw[:4], np.int32)[0]) if raw else 0
            offs = np.frombuffer(raw[4:8 + 4 * n], np.int32)
            items = [raw[offs[i]:offs[i + 1]] for i in range(n)]
            return np.array(items, dtype=object).reshape(shape)
        if ttype not in _DTYPES:
            raise TflxError(f"a Flex op input has TFLite type {ttype}, which tflx cannot pass to TensorFlow")
        return np.frombuffer(raw, _DTYPES[ttype]).reshape(shape).copy()

    def _write(self, context: int, resize, t: int, value) -> None:
        value = np.asarray(value)
        dims = self.lib.TfLiteIntArrayCreate(value.ndim)
        for i, d in enumerate(value.shape):
            ctypes.c_int.from_address(dims + 4 + 4 * i).value = int(d)
        if resize(context, t, dims) != 0:
            raise TflxError(f"resizing a Flex op output to {list(value.shape)} failed")
        if _read(t + _T_TYPE, ctypes.c_int) == _STRING:
            items = [v if isinstance(v, bytes) else str(v).encode() for v in value.reshape(-1)]
            n = len(items)
            offs = np.cumsum([4 * (n + 2)] + [len(s) for s in items]).astype(np.int32)
            buf = np.array([n], np.int32).tobytes() + offs.tobytes() + b"".join(items)
            self.lib.TfLiteTensorRealloc(len(buf), ctypes.c_void_p(t))
        else:
            buf = np.ascontiguousarray(value).tobytes()
        if _read(t + _T_BYTES, ctypes.c_size_t) < len(buf):
            raise TflxError("a Flex op output buffer is smaller than its result")
        ctypes.memmove(_read(t + _T_DATA, ctypes.c_void_p), buf, len(buf))

    # --- TensorFlow

    def _run(self, options: bytes, inputs: list, n_out: int) -> list:
        fn = self._fns.get(options)
        if fn is None:
            fn = self._fns[options] = _node_function(options, inputs, n_out)
        import tensorflow as tf
        outs = fn(*[tf.constant(x) for x in inputs if x is not None])
        return [o.numpy() for o in outs]


def _node_function(options: bytes, inputs: list, n_out: int):
    """A TF function running the NodeDef in `options` (FlexBuffer [op, NodeDef]) on placeholders."""
    import tensorflow as tf
    from flatbuffers import flexbuffers
    from tensorflow.core.framework import graph_pb2, node_def_pb2
    vec = flexbuffers.GetRoot(options).AsVector
    node = node_def_pb2.NodeDef.FromString(bytes(vec[1].AsStringBytes))
    graph = graph_pb2.GraphDef()
    names = []
    for i, x in enumerate(v for v in inputs if v is not None):
        dtype = tf.string if x.dtype == object else tf.as_dtype(x.dtype)
        ph = graph.node.add(name=f"flex_input_{i}", op="Placeholder")
        ph.attr["dtype"].type = dtype.as_datatype_enum
        names.append(ph.name)
    copy = graph.node.add()
    copy.CopyFrom(node)
    copy.name = "flex_node"
    copy.ClearField("experimental_debug_info")
    del copy.input[:]
    copy.input.extend(names)
    copy.device = ""

    def imported():
        return tf.graph_util.import_graph_def(graph, return_elements=[f"flex_node:{j}" for j in range(n_out)],
                                              name="")

    wrapped = tf.compat.v1.wrap_function(imported, [])
    g = wrapped.graph
    return wrapped.prune([g.get_tensor_by_name(f"{n}:0") for n in names],
                         [g.get_tensor_by_name(f"flex_node:{j}") for j in range(n_out)])


def tensor_names(model: bytes) -> list[set]:
    """Per tensor index, the names tensors with that index have in any subgraph."""
    from .flatbuffer import _schema
    schema = _schema()
    m = schema.Model.GetRootAsModel(model, 0)
    names: list[set] = []
    for s in range(m.SubgraphsLength()):
        g = m.Subgraphs(s)
        for i in range(g.TensorsLength()):
            while len(names) <= i:
                names.append(set())
            names[i].add((g.Tensors(i).Name() or b"").decode("utf-8", "replace"))
    return names
