"""Custom ops from one declaration: converter lowering, runtime contract and numpy reference.

    import tflx

    @tflx.custom_op("TflxScaledTanh", version=1,
                    inputs={"x": "float32"}, outputs={"y": "float32"},
                    attrs={"alpha": float, "beta": (float, 1.0)},
                    source="tf.TflxScaledTanh", opdef=True)       # a TF op TF does not know
    def scaled_tanh(x, alpha, beta):
        return alpha * np.tanh(beta * x)

    @tflx.custom_op("TflxSwish", inputs={"x": "float32"}, outputs={"y": "float32"},
                    attrs={"beta": float},
                    source="tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))")
    def swish(x, beta):
        return x / (1 + np.exp(-beta * x))

A declaration in a plugin file registers two passes:

  custom-op-NAME        [tf]         the source: a TF op by name (its result type is refined with
                                     the shape rule) or a pattern, rewritten into `tf.NAME`
  custom-op-NAME-lower  [stablehlo]  `tf.NAME` -> `tfl.custom` (custom_code NAME, custom_option =
                                     the attributes as a FlexBuffer map) or, with
                                     lowering="composite", `stablehlo.composite` whose
                                     decomposition (a TF function of the inputs) runs anywhere;
                                     pass option `lowering` overrides the declaration's
                                     (`decl.pass_instances("composite")`, tflx-opt
                                     `-custom-op-NAME-lower=lowering=composite`)

A declared `version` other than 1 is stamped into the .tflite's OperatorCode table after export
(litert-converter writes 1 for every custom op). Kernels: see tflx.runtime.

Attributes: `attrs={"name": type}` (required) or `{"name": (type, default)}`; type is int, float,
bool, str, list[int] or list[float]. In the .tflite they are a FlexBuffer map
{name: value} (floats as float32), the layout TFLite's stock converter uses for custom ops.

Sources: "tf.NAME" is a TF op. With `opdef=` (OpDef text, or True to derive it from the
declaration) the op is registered with the converter API (`RegisterCustomOpdefs`) when the
declaration runs, so TF can build, save, load and import graphs holding it; `decl.tf(x, ...)`
builds it inside a tf.function. A source with parentheses is a pattern:
`op(arg, ...){attr=$capture}` where an arg is `%input` (a declared input, the same name twice
means the same value), a nested pattern, or `_` (anything); `{value=$a}` on a `tf.Const` captures
its (scalar) value. Binary ops that commute (Mul, AddV2, ...) match in either operand order.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import types
import typing
from typing import Any, Callable

import numpy as np

from .errors import TflxError

LOWERINGS = ("custom", "composite")
_DTYPES = {"float32": "DT_FLOAT", "float16": "DT_HALF", "float64": "DT_DOUBLE", "int32": "DT_INT32",
           "int64": "DT_INT64", "int8": "DT_INT8", "uint8": "DT_UINT8", "int16": "DT_INT16", "bool": "DT_BOOL"}
_ATTR_KINDS = {int: "int", float: "float", bool: "bool", str: "string"}
_LIST_KINDS = {int: "list(int)", float: "list(float)"}
_COMMUTATIVE = {"tf.Mul", "tf.AddV2", "tf.Add", "tf.Maximum", "tf.Minimum", "tf.LogicalAnd", "tf.LogicalOr",
                "tf.Equal", "tf.NotEqual"}
_REQUIRED = object()
_DECLARED: dict[str, "CustomOp"] = {}


# ---- declaration parts ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AttrSpec:
    name: str
    kind: str  # int | float | bool | string | list(int) | list(float)
    default: Any = _REQUIRED

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def check(self, value, what: str):
        """`value` as this attribute's Python type, or a TflxError naming the attribute."""
        def bad():
            return TflxError(f"{what}: attribute '{self.name}' must be {_KIND_TEXT[self.kind]}, "
                             f"got {type(value).__name__} {value!r}")
        if isinstance(value, np.generic):
            value = value.item()
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad()
            return value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad()
            return int(value)
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad()
            return float(value)
        if self.kind == "string":
            if not isinstance(value, str):
                raise bad()
            return value
        elem = int if self.kind == "list(int)" else float
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise bad()
        out = []
        for v in value:
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (elem is int and not isinstance(v, int)):
                raise bad()
            out.append(elem(v))
        return out


_KIND_TEXT = {"int": "an int", "float": "a float", "bool": "a bool", "string": "a str",
              "list(int)": "a list of ints", "list(float)": "a list of floats"}


def _attr_kind(t) -> str | None:
    if t in _ATTR_KINDS:
        return _ATTR_KINDS[t]
    if typing.get_origin(t) in (list, tuple) and len(typing.get_args(t)) == 1:
        return _LIST_KINDS.get(typing.get_args(t)[0])
    return None


def _parse_attrs(op_name: str, attrs) -> tuple[AttrSpec, ...]:
    out = []
    for name, spec in (attrs or {}).items():
        where = f"custom op '{op_name}'"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise TflxError(f"{where}: attribute name {name!r} is not an identifier")
        default = _REQUIRED
        if isinstance(spec, tuple) and len(spec) == 2:
            spec, default = spec
        kind = _attr_kind(spec)
        if kind is None:
            raise TflxError(f"{where}: attribute '{name}' has type {getattr(spec, '__name__', spec)!r}, which a "
                            "custom op cannot carry; use int, float, bool, str, list[int] or list[float] "
                            "(or (type, default))")
        a = AttrSpec(name, kind)
        if default is not _REQUIRED:
            a = AttrSpec(name, kind, a.check(default, f"{where}, default value"))
        out.append(a)
    return tuple(out)


def _parse_tensors(op_name: str, what: str, spec) -> tuple[tuple[str, str], ...]:
    if isinstance(spec, str):
        spec = {spec: "float32"}
    if not isinstance(spec, dict) or not spec:
        raise TflxError(f"custom op '{op_name}': {what} must be a non-empty dict name -> dtype, "
                        f"e.g. {{'x': 'float32'}}")
    out = []
    for name, dtype in spec.items():
        try:
            dt = np.dtype(dtype).name
        except TypeError:
            dt = None
        if dt not in _DTYPES:
            raise TflxError(f"custom op '{op_name}': {what[:-1]} '{name}' has dtype {dtype!r}; "
                            f"supported: {', '.join(_DTYPES)}")
        out.append((name, dt))
    return tuple(out)


# ---- FlexBuffer custom options -------------------------------------------------------------

def encode_options(values: dict) -> bytes:
    """Attribute values -> the FlexBuffer map stored as the op's custom_options (floats as float32)."""
    from flatbuffers import flexbuffers

    def f32(v):
        return float(np.float32(v))

    clean = {}
    for k, v in values.items():
        if isinstance(v, float):
            v = f32(v)
        elif isinstance(v, list) and v and all(isinstance(e, float) for e in v):
            v = [f32(e) for e in v]
        clean[k] = v
    return bytes(flexbuffers.Dumps(clean))


def decode_options(data: bytes) -> dict:
    from flatbuffers import flexbuffers
    if not data:
        return {}
    return flexbuffers.Loads(bytearray(data))


# ---- patterns ------------------------------------------------------------------------------

@dataclasses.dataclass
class _Node:
    op: str
    args: list | None  # None: operands not constrained
    binds: dict  # attribute name -> capture name


_TOKEN = re.compile(r"\s*(?:(?P<var>%[A-Za-z_][A-Za-z0-9_]*)|(?P<cap>\$[A-Za-z_][A-Za-z0-9_]*)|"
                    r"(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[(),{}=]))")


def _tokens(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected text at column {pos + 1}: {text[pos:pos + 12]!r}")
        out.append(m.group(m.lastgroup))
        pos = m.end()
    return out


def parse_pattern(text: str) -> _Node:
    toks = _tokens(text)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take(expected=None):
        nonlocal pos
        t = peek()
        if t is None or (expected is not None and t != expected):
            raise ValueError(f"expected {expected or 'more'} but found {t or 'the end'}")
        pos += 1
        return t

    def node():
        name = take()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.]+", name):
            raise ValueError(f"expected an op name like tf.Mul, found {name!r}")
        args, binds = None, {}
        if peek() == "(":
            take("(")
            args = []
            while peek() != ")":
                t = peek()
                if t is not None and t.startswith("%"):
                    args.append(take())
                elif t == "_":
                    take()
                    args.append("_")
                else:
                    args.append(node())
                if peek() == ",":
                    take(",")
                elif peek() != ")":
                    raise ValueError(f"expected ',' or ')' but found {peek() or 'the end'}")
            take(")")
        if peek() == "{":
            take("{")
            while peek() != "}":
                attr = take()
                take("=")
                cap = take()
                if not cap.startswith("$"):
                    raise ValueError(f"attribute '{attr}' must bind a $capture, found {cap!r}")
                binds[attr] = cap[1:]
                if peek() == ",":
                    take(",")
            take("}")
        return _Node(name, args, binds)

    root = node()
    if pos != len(toks):
        raise ValueError(f"unexpected {toks[pos]!r} after the pattern")
    return root


def _pattern_names(n: _Node, vars_: set, caps: set) -> None:
    for a in n.args or ():
        if isinstance(a, _Node):
            _pattern_names(a, vars_, caps)
        elif a.startswith("%"):
            vars_.add(a[1:])
    caps.update(n.binds.values())


def _owner_op(value):
    from .mlir import ir
    owner = value.owner
    if isinstance(owner, (ir.Operation, ir.OpView)):
        return owner.operation
    return None


def _attr_to_py(attr):
    """A TF-dialect MLIR attribute (or a tf.Const value) as a Python value."""
    from .mlir import ir
    if isinstance(attr, ir.BoolAttr):
        return bool(attr.value)
    if isinstance(attr, ir.IntegerAttr):
        return int(attr.value)
    if isinstance(attr, ir.FloatAttr):
        return float(attr.value)
    if isinstance(attr, ir.StringAttr):
        return attr.value
    if isinstance(attr, ir.ArrayAttr):
        return [_attr_to_py(a) for a in attr]
    if isinstance(attr, ir.DenseElementsAttr):
        arr = np.array(attr)
        if arr.size == 1:
            return arr.reshape(()).item()
        return arr.reshape(-1).tolist()
    return attr


def _py_to_attr(value, kind: str):
    from .mlir import ir
    if kind == "bool":
        return ir.BoolAttr.get(bool(value))
    if kind == "int":
        return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(value))
    if kind == "float":
        return ir.FloatAttr.get(ir.F32Type.get(), float(value))
    if kind == "string":
        return ir.StringAttr.get(value)
    if kind == "list(int)":
        return ir.ArrayAttr.get([_py_to_attr(v, "int") for v in value])
    return ir.ArrayAttr.get([_py_to_attr(v, "float") for v in value])


def _match(node: _Node, op, env: dict, caps: dict) -> bool:
    if op is None or op.name != node.op:
        return False
    for attr, cap in node.binds.items():
        if attr not in op.attributes:
            return False
        value = _attr_to_py(op.attributes[attr])
        if cap in caps and caps[cap] != value:
            return False
        caps[cap] = value
    if node.args is None:
        return True
    operands = list(op.operands)
    if len(operands) != len(node.args):
        return False
    orders = [operands]
    if node.op in _COMMUTATIVE and len(operands) == 2:
        orders.append(operands[::-1])
    for order in orders:
        e, c = dict(env), dict(caps)
        if all(_match_arg(a, v, e, c) for a, v in zip(node.args, order)):
            env.clear(), env.update(e)
            caps.clear(), caps.update(c)
            return True
    return False


def _match_arg(arg, value, env: dict, caps: dict) -> bool:
    if isinstance(arg, _Node):
        return _match(arg, _owner_op(value), env, caps)
    if arg == "_":
        return True
    name = arg[1:]
    if name in env:
        return env[name] == value
    env[name] = value
    return True


# ---- the declaration -----------------------------------------------------------------------

class CustomOp:
    """One custom op: what the converter emits, what a kernel must implement, what it computes."""

    def __init__(self, name, *, version, inputs, outputs, attrs, source, lowering, shape, opdef,
                 decomposition, composite_name, reference, declared_at):
        self.name = name
        self.version = version
        self.inputs = inputs  # ((name, dtype), ...)
        self.outputs = outputs
        self.attrs = attrs  # (AttrSpec, ...)
        self.source = source
        self.lowering = lowering
        self.shape_rule = shape
        self.opdef_text = opdef
        self.decomposition = decomposition
        self.composite_name = composite_name
        self.reference_fn = reference
        self.declared_at = declared_at
        self.pattern: _Node | None = None
        self.tf_name: str | None = None  # the TF op this declaration matches by name
        # Between the source pass (stage tf) and the lowering (stage stablehlo) the op is
        # `tf.NAME`, which tf-stablehlo leaves alone.
        self.intermediate = "tf." + re.sub(r"[^A-Za-z0-9_]", "_", name)
        self.passes: list[type] = []
        self.__doc__ = getattr(reference, "__doc__", None)

    def __repr__(self):
        return f"<custom op {self.name} v{self.version} ({self.lowering}) from {self.source!r}>"

    @property
    def where(self) -> str:
        return f"custom op '{self.name}'"

    def attr(self, name: str) -> AttrSpec:
        for a in self.attrs:
            if a.name == name:
                return a
        raise KeyError(name)

    def attr_values(self, given: dict, what: str | None = None) -> dict:
        """Declared attributes from `given` (defaults filled in), type-checked."""
        what = what or self.where
        unknown = sorted(set(given) - {a.name for a in self.attrs})
        if unknown:
            raise TflxError(f"{what}: unknown attribute(s) {unknown}; declared: {[a.name for a in self.attrs]}")
        out = {}
        for a in self.attrs:
            if a.name in given:
                out[a.name] = a.check(given[a.name], what)
            elif not a.required:
                out[a.name] = a.default
            else:
                raise TflxError(f"{what}: attribute '{a.name}' has no value and no default")
        return out

    # -- reference ---------------------------------------------------------------------------
    def reference(self, *inputs, **attrs):
        """Run the numpy reference with the attributes (defaults filled in)."""
        if len(inputs) != len(self.inputs):
            raise TflxError(f"{self.where}: reference takes {len(self.inputs)} input(s), got {len(inputs)}")
        arrays = [np.asarray(x, dtype=dt) for x, (_, dt) in zip(inputs, self.inputs)]
        out = self.reference_fn(*arrays, **self.attr_values(attrs))
        if len(self.outputs) == 1:
            return np.asarray(out, dtype=self.outputs[0][1])
        return tuple(np.asarray(o, dtype=dt) for o, (_, dt) in zip(out, self.outputs))

    __call__ = reference

    def encode_options(self, **attrs) -> bytes:
        return encode_options(self.attr_values(attrs))

    def output_shapes(self, input_shapes, attrs) -> list[tuple]:
        """The shape rule: output shapes (None for unknown dims) from input shapes and attributes."""
        try:
            if self.shape_rule is None:
                shapes = [tuple(input_shapes[0])] * len(self.outputs)
            else:
                got = self.shape_rule(*[tuple(s) for s in input_shapes], **attrs)
                shapes = [tuple(got)] if len(self.outputs) == 1 else [tuple(s) for s in got]
        except TflxError:
            raise
        except Exception as e:  # noqa: BLE001 - a bug in the user's shape rule
            raise TflxError(f"{self.where}: shape rule raised {type(e).__name__}: {e}",
                            location=self.declared_at) from None
        if len(shapes) != len(self.outputs):
            raise TflxError(f"{self.where}: shape rule gave {len(shapes)} shape(s) for {len(self.outputs)} output(s)",
                            location=self.declared_at)
        return [tuple(None if d is None or d < 0 else int(d) for d in s) for s in shapes]

    # -- TensorFlow side ---------------------------------------------------------------------
    def opdef(self) -> str | None:
        """The OpDef text registered for `tf.NAME` (None when the source is not an op TF lacks)."""
        return self.opdef_text

    def register_opdef(self) -> None:
        """Make TF know the op (idempotent): RegisterCustomOpdefs, as the stock converter does."""
        if not self.opdef_text:
            return
        import tensorflow  # noqa: F401
        from tensorflow.python.framework import op_def_registry
        if op_def_registry.get(self.tf_name) is not None:
            return
        from tensorflow.compiler.mlir.lite.python import _pywrap_converter_api as api
        if not api.RegisterCustomOpdefs([self.opdef_text]) or op_def_registry.get(self.tf_name) is None:
            raise TflxError(f"{self.where}: TensorFlow did not accept its OpDef", location=self.declared_at)

    def tf(self, *inputs, name: str | None = None, **attrs):  # noqa: C901
        """Build the TF op inside a tf.function (TF has no Python wrapper for an op it does not know)."""
        import tensorflow as tf
        from tensorflow.core.framework import attr_value_pb2
        if self.tf_name is None:
            raise TflxError(f"{self.where} comes from a pattern, not a TF op: build the pattern's TF ops")
        if tf.executing_eagerly():
            raise TflxError(f"{self.where}: build it inside a tf.function (the op has no TF kernel to run eagerly)")
        self.register_opdef()
        values = self.attr_values(attrs)
        tensors = [tf.convert_to_tensor(x, dtype=dt) for x, (_, dt) in zip(inputs, self.inputs)]
        if len(tensors) != len(self.inputs):
            raise TflxError(f"{self.where}: takes {len(self.inputs)} input(s), got {len(inputs)}")
        av = {}
        for a in self.attrs:
            v = values[a.name]
            if a.kind == "float":
                av[a.name] = attr_value_pb2.AttrValue(f=v)
            elif a.kind == "int":
                av[a.name] = attr_value_pb2.AttrValue(i=v)
            elif a.kind == "bool":
                av[a.name] = attr_value_pb2.AttrValue(b=v)
            elif a.kind == "string":
                av[a.name] = attr_value_pb2.AttrValue(s=v.encode())
            elif a.kind == "list(int)":
                av[a.name] = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=v))
            else:
                av[a.name] = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(f=v))
        graph = tf.compat.v1.get_default_graph()
        op = graph.create_op(self.tf_name, tensors, [tf.as_dtype(dt) for _, dt in self.outputs], attrs=av,
                             name=name or self.tf_name)
        shapes = self.output_shapes([t.shape.as_list() if t.shape.rank is not None else [] for t in tensors], values)
        for out, shp in zip(op.outputs, shapes):
            if all(t.shape.rank is not None for t in tensors):
                out.set_shape(shp)
        return op.outputs[0] if len(op.outputs) == 1 else tuple(op.outputs)

    tf.autograph_info__ = frozenset()  # AutoGraph: call as is inside a tf.function, do not convert

    def pass_instances(self, lowering: str | None = None) -> list:
        """This op's passes, optionally with another lowering (for `tflx.convert(plugins=...)`)."""
        out = []
        for cls in self.passes:
            if "lowering" in {f.name for f in dataclasses.fields(cls)} and lowering is not None:
                out.append(cls(lowering=lowering))
            else:
                out.append(cls())
        return out


def _generated_opdef(op: CustomOp) -> str:
    lines = [f'name: "{op.tf_name}"']
    for n, dt in op.inputs:
        lines.append(f'input_arg {{ name: "{n}" type: {_DTYPES[dt]} }}')
    for n, dt in op.outputs:
        lines.append(f'output_arg {{ name: "{n}" type: {_DTYPES[dt]} }}')
    for a in op.attrs:
        line = f'attr {{ name: "{a.name}" type: "{a.kind}"'
        if not a.required:
            line += f" default_value {{ {_opdef_value(a)} }}"
        lines.append(line + " }")
    return "\n".join(lines) + "\n"


def _opdef_value(a: AttrSpec) -> str:
    v = a.default
    if a.kind == "float":
        return f"f: {float(v)!r}"
    if a.kind == "int":
        return f"i: {v}"
    if a.kind == "bool":
        return f"b: {'true' if v else 'false'}"
    if a.kind == "string":
        return 's: "' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    key = "i" if a.kind == "list(int)" else "f"
    return "list { " + " ".join(f"{key}: {x!r}" for x in v) + " }"


def _check_opdef_text(op: CustomOp, text: str) -> None:
    from google.protobuf import text_format
    from tensorflow.core.framework import op_def_pb2
    d = op_def_pb2.OpDef()
    try:
        text_format.Parse(text, d)
    except text_format.ParseError as e:
        raise TflxError(f"{op.where}: its OpDef text does not parse: {e}", location=op.declared_at) from None
    if d.name != op.tf_name:
        raise TflxError(f"{op.where}: its OpDef names op '{d.name}', but the source is 'tf.{op.tf_name}'",
                        location=op.declared_at)
    if len(d.input_arg) != len(op.inputs) or len(d.output_arg) != len(op.outputs):
        raise TflxError(f"{op.where}: its OpDef has {len(d.input_arg)} input(s) and {len(d.output_arg)} output(s), "
                        f"the declaration {len(op.inputs)} and {len(op.outputs)}", location=op.declared_at)
    tf_attrs = {a.name: a.type for a in d.attr}
    for a in op.attrs:
        if a.name in tf_attrs and tf_attrs[a.name] != a.kind:
            raise TflxError(f"{op.where}: attribute '{a.name}' is declared {a.kind} but its OpDef says "
                            f"{tf_attrs[a.name]}", location=op.declared_at)


def _caller_frame():
    """The first frame outside this file: where the declaration is written."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame


def _caller_location() -> str | None:
    frame = _caller_frame()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else None


def _caller_module() -> str:
    frame = _caller_frame()
    return frame.f_globals.get("__name__", "__main__") if frame else "__main__"


def custom_op(name: str, *, version: int = 1, inputs, outputs, attrs=None, source=None,
              lowering: str = "custom", shape: Callable | None = None, opdef: str | bool | None = None,
              decomposition: Callable | None = None, composite_name: str | None = None):
    """Declare a custom op; decorates its numpy reference implementation (see the module doc)."""
    declared_at = _caller_location()
    module = _caller_module()

    def declare(reference: Callable) -> CustomOp:
        if not callable(reference):
            raise TflxError(f"custom op '{name}': decorate the op's numpy reference function", location=declared_at)
        op = _build(name, version, inputs, outputs, attrs, source, lowering, shape, opdef, decomposition,
                    composite_name, reference, declared_at)
        _make_passes(op, module)
        _DECLARED[name] = op
        if op.opdef_text:
            op.register_opdef()
        return op

    return declare


def _build(name, version, inputs, outputs, attrs, source, lowering, shape, opdef, decomposition,
           composite_name, reference, declared_at) -> CustomOp:
    def fail(msg):
        return TflxError(msg, location=declared_at)

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
        raise fail(f"custom op name {name!r} must be a non-empty identifier (letters, digits, _ . -)")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"custom op '{name}': version must be an int >= 1, got {version!r}")
    if lowering not in LOWERINGS:
        raise fail(f"custom op '{name}': lowering must be one of {LOWERINGS}, got {lowering!r}")
    try:
        attr_specs = _parse_attrs(name, attrs)
        ins = _parse_tensors(name, "inputs", inputs)
        outs = _parse_tensors(name, "outputs", outputs)
    except TflxError as e:
        e.location = e.location or declared_at
        raise
    if lowering == "composite" and decomposition is None:
        raise fail(f"custom op '{name}': lowering='composite' needs decomposition= (a function of TF ops "
                   "computing the op, so the model runs where no kernel exists)")
    if decomposition is not None and not callable(decomposition):
        raise fail(f"custom op '{name}': decomposition must be a function")
    if shape is not None and not callable(shape):
        raise fail(f"custom op '{name}': shape must be a function of the input shapes (and attributes)")
    op = CustomOp(name, version=version, inputs=ins, outputs=outs, attrs=attr_specs,
                  source=source if source is not None else f"tf.{name}", lowering=lowering, shape=shape,
                  opdef=None, decomposition=decomposition,
                  composite_name=composite_name or (name if "." in name else f"tflx.{name}"),
                  reference=reference, declared_at=declared_at)
    src = op.source
    if not isinstance(src, str):
        raise fail(f"custom op '{name}': source must be 'tf.OpName' or a pattern string, got {src!r}")
    if "(" in src or "{" in src:
        try:
            op.pattern = parse_pattern(src)
        except ValueError as e:
            raise fail(f"custom op '{name}': pattern {src!r}: {e}") from None
        if not op.pattern.op.startswith("tf."):
            raise fail(f"custom op '{name}': patterns match TF ops (tf.*), not {op.pattern.op!r}")
        vars_, caps = set(), set()
        _pattern_names(op.pattern, vars_, caps)
        declared_inputs = {n for n, _ in ins}
        if vars_ != declared_inputs:
            raise fail(f"custom op '{name}': pattern binds %{sorted(vars_)} but the inputs are {sorted(declared_inputs)}")
        attr_names = {a.name for a in attr_specs}
        extra = caps - attr_names
        if extra:
            raise fail(f"custom op '{name}': pattern captures ${sorted(extra)}, which are not declared attributes")
        for a in attr_specs:
            if a.name not in caps and a.required:
                raise fail(f"custom op '{name}': attribute '{a.name}' is neither captured by the pattern nor "
                           "has a default")
        if opdef:
            raise fail(f"custom op '{name}': opdef= is for a TF op source, not a pattern")
    else:
        m = re.fullmatch(r"tf\.([A-Za-z_][A-Za-z0-9_]*)", src)
        if not m:
            raise fail(f"custom op '{name}': source {src!r} is neither 'tf.OpName' nor a pattern")
        op.tf_name = m.group(1)
        if opdef is True:
            op.opdef_text = _generated_opdef(op)
        elif isinstance(opdef, str):
            op.opdef_text = opdef
            _check_opdef_text(op, opdef)
        elif opdef not in (None, False):
            raise fail(f"custom op '{name}': opdef must be OpDef text or True, got {type(opdef).__name__}")
    return op


# ---- passes ----------------------------------------------------------------------------------

def _make_passes(op: CustomOp, module: str) -> None:
    import dataclasses as dc

    from .plugin import PatternPass, register_pass

    if op.pattern is not None:
        source_desc = f"pattern {op.source} -> {op.intermediate}"
    elif f"tf.{op.tf_name}" != op.intermediate:
        source_desc = f"tf.{op.tf_name} -> {op.intermediate}"
    else:
        source_desc = f"{op.intermediate}: result types from the shape rule"

    class SourcePass(PatternPass):
        name = f"custom-op-{op.name}"
        stage = "tf"
        description = f"custom op {op.name}: {source_desc}"
        custom_op = op

        def rules(self):
            if op.pattern is not None:
                yield op.pattern.op, 1, self._rewrite_pattern
            else:
                yield f"tf.{op.tf_name}", 1, self._from_tf_op

        def run(self, module_):
            object.__setattr__(self, "_refined", [0])
            _precheck(op, module_, op.pattern.op if op.pattern is not None else f"tf.{op.tf_name}")
            n = super().run(module_)
            if self._refined[0]:
                _tf_shape_inference(module_)
            return n

        def _from_tf_op(self, mop, rewriter):
            return _from_tf_op(op, mop, rewriter, self._refined)

        def _rewrite_pattern(self, mop, rewriter):
            return _rewrite_pattern(op, mop, rewriter)

    class LowerPass(PatternPass):
        name = f"custom-op-{op.name}-lower"
        stage = "stablehlo"
        description = f"custom op {op.name}: {op.intermediate} -> tfl.custom or stablehlo.composite"
        custom_op = op

        def rules(self):
            yield op.intermediate, 1, self._lower

        def run(self, module_):
            object.__setattr__(self, "_module", module_)
            object.__setattr__(self, "_decomps", {})
            if self.lowering not in LOWERINGS:
                raise TflxError(f"pass '{self.name}': lowering must be one of {LOWERINGS}, not {self.lowering!r}")
            if self.lowering == "composite" and op.decomposition is None:
                raise TflxError(f"{op.where} has no decomposition= to lower it to a composite",
                                location=op.declared_at)
            _precheck(op, module_, op.intermediate)
            if self.lowering == "composite":  # decompositions named in program order
                from .mlir import walk_ops
                for mop in walk_ops(module_):
                    if mop.name == op.intermediate:
                        _decomposition_for(op, mop, module_, self._decomps)
            return super().run(module_)

        def _lower(self, mop, rewriter):
            if self.lowering == "composite":
                return _lower_composite(op, mop, rewriter, self._module, self._decomps)
            return _lower_custom(op, mop, rewriter)

    for cls, suffix in ((SourcePass, "source"), (LowerPass, "lower")):
        cls.__module__ = module
        cls.__qualname__ = cls.__name__ = f"CustomOp_{re.sub(r'[^A-Za-z0-9_]', '_', op.name)}_{suffix}"
    LowerPass.__annotations__ = {"lowering": str}
    LowerPass.lowering = op.lowering
    SourcePass = register_pass(dc.dataclass(frozen=True)(SourcePass))
    LowerPass = register_pass(dc.dataclass(frozen=True)(LowerPass))
    op.passes = [SourcePass, LowerPass]


def _precheck(op: CustomOp, module, op_name: str) -> None:
    """Errors found before the rewrite driver runs come out as they are (not as a failed rule):
    a name TF would lower itself, attribute values of the wrong type."""
    from .mlir import walk_ops
    found = [m for m in walk_ops(module) if m.name == op_name]
    if not found:
        return
    if op.pattern is not None or op_name != op.intermediate:
        _check_name_free(op)
    if op.pattern is None:
        for m in found:
            _op_attr_values(op, m)


def _check_ranked(op: CustomOp, value, what: str):
    from .mlir import ir
    t = value.type
    if not isinstance(t, ir.RankedTensorType):
        raise TflxError(f"{op.where}: {what} has unknown rank ({t}); declare a shape rule", op=f"tf.{op.name}")
    return t


def _tensor_shape(t) -> list:
    from .mlir import ir
    return [None if ir.ShapedType.is_dynamic_size(d) else d for d in t.shape]


def _element_dtype(t) -> str | None:
    from .builder import np_dtype
    try:
        return np_dtype(t.element_type).name
    except TypeError:
        return None


def _op_attr_values(op: CustomOp, mop) -> dict:
    given = {}
    for a in op.attrs:
        if a.name in mop.attributes:
            given[a.name] = _attr_to_py(mop.attributes[a.name])
    return op.attr_values(given, f"{op.where} (op {mop.name} at {_loc(mop)})")


def _loc(mop) -> str:
    from .errors import user_source_line
    text = str(mop.location)
    return user_source_line(text) or text[:80]


def _from_tf_op(op: CustomOp, mop, rewriter, refined: list):
    """tf.SOURCE -> tf.NAME with the declared attributes; result types from the shape rule where
    TF left them unknown (an op TF has no shape function for is imported unranked)."""
    from .mlir import ir
    from .builder import tensor
    results = list(mop.results)
    if len(results) != len(op.outputs) or len(mop.operands) != len(op.inputs):
        raise TflxError(f"{op.where}: {mop.name} has {len(mop.operands)} operand(s) and {len(results)} "
                        f"result(s); declared {len(op.inputs)} and {len(op.outputs)}", op=mop.name,
                        location=_loc(mop))
    in_types = []
    for v, (iname, dt) in zip(mop.operands, op.inputs):
        t = v.type
        if isinstance(t, ir.ShapedType) and _element_dtype(t) not in (None, dt):
            raise TflxError(f"{op.where}: input '{iname}' is {t}, declared {dt}", op=mop.name, location=_loc(mop))
        in_types.append(t)
    renamed = mop.name != op.intermediate
    attrs = _op_attr_values(op, mop)
    new_types = [r.type for r in results]
    if all(isinstance(t, ir.RankedTensorType) for t in in_types):
        shapes = op.output_shapes([_tensor_shape(t) for t in in_types], attrs)
        with mop.location:
            new_types = [tensor([ir.ShapedType.get_dynamic_size() if d is None else d for d in s], dt)
                         for s, (_, dt) in zip(shapes, op.outputs)]
        for r, t in zip(results, new_types):
            old = r.type
            if isinstance(old, ir.RankedTensorType) and list(old.shape) != list(t.shape) and \
                    not any(ir.ShapedType.is_dynamic_size(d) for d in old.shape):
                raise TflxError(f"{op.where}: the shape rule gives {t} but the model says {old}", op=mop.name,
                                location=_loc(mop))
    same_types = all(str(r.type) == str(t) for r, t in zip(results, new_types))
    if same_types and not renamed:
        return True
    if renamed:
        _check_name_free(op)
    with rewriter.ip, mop.location:
        if renamed:
            attributes = {a.name: _py_to_attr(attrs[a.name], a.kind) for a in op.attrs}
        else:
            attributes = {k: mop.attributes[k] for k in mop.attributes}
        new = ir.Operation.create(op.intermediate, results=new_types, operands=list(mop.operands),
                                  attributes=attributes)
    rewriter.replace_op(mop, list(new.results))
    if not same_types:
        refined[0] += 1
    return False


def _rewrite_pattern(op: CustomOp, mop, rewriter):
    from .mlir import ir
    env, caps = {}, {}
    if not _match(op.pattern, mop, env, caps):
        return True
    results = list(mop.results)
    if len(results) != len(op.outputs):
        return True
    inputs = [env[n] for n, _ in op.inputs]
    for v, (_, dt) in zip(inputs, op.inputs):
        if not isinstance(v.type, ir.ShapedType) or _element_dtype(v.type) != dt:
            return True  # another dtype: not this op
    for r, (_, dt) in zip(results, op.outputs):
        if not isinstance(r.type, ir.ShapedType) or _element_dtype(r.type) != dt:
            return True
    values = op.attr_values({a.name: caps[a.name] for a in op.attrs if a.name in caps},
                            f"{op.where} (pattern matched at {_loc(mop)})")
    _check_name_free(op)
    with rewriter.ip, mop.location:
        attributes = {a.name: _py_to_attr(values[a.name], a.kind) for a in op.attrs}
        new = ir.Operation.create(op.intermediate, results=[r.type for r in results], operands=inputs,
                                  attributes=attributes)
    rewriter.replace_op(mop, list(new.results))
    return False


def _check_name_free(op: CustomOp) -> None:
    """Until lowered the op is `tf.NAME`: a TF op of that name would be lowered by TF instead."""
    if getattr(op, "_name_checked", False):
        return
    from tensorflow.python.framework import op_def_registry
    name = op.intermediate[3:]
    if op_def_registry.get(name) is not None and not any(
            d.tf_name == name and d.opdef_text for d in _DECLARED.values()):
        raise TflxError(f"{op.where}: '{name}' is also a TensorFlow op, which TF would lower itself; give the "
                        "custom op a name TensorFlow does not use", location=op.declared_at)
    op._name_checked = True


def _result_types(op: CustomOp, mop) -> list:
    if len(mop.results) != len(op.outputs):
        raise TflxError(f"{op.where}: {mop.name} has {len(mop.results)} result(s), declared {len(op.outputs)}",
                        op=mop.name, location=_loc(mop))
    return [_check_ranked(op, r, f"result {i} of {mop.name}") for i, r in enumerate(mop.results)]


def _lower_custom(op: CustomOp, mop, rewriter):
    from .mlir import ir
    types_ = _result_types(op, mop)
    options = encode_options(_op_attr_values(op, mop))
    with rewriter.ip, mop.location:
        new = ir.Operation.create(
            "tfl.custom", results=types_, operands=list(mop.operands),
            attributes={"custom_code": ir.StringAttr.get(op.name),
                        "custom_option": ir.Attribute.parse(f'#tfl<const_bytes : "0x{options.hex().upper()}">')})
    rewriter.replace_op(mop, list(new.results))
    return False


def _lower_composite(op: CustomOp, mop, rewriter, module, decomps: dict):
    from .mlir import ir
    from .builder import i32_attr
    types_ = _result_types(op, mop)
    attrs = _op_attr_values(op, mop)
    decomposition = _decomposition_for(op, mop, module, decomps)
    with rewriter.ip, mop.location:
        new = ir.Operation.create(
            "stablehlo.composite", results=types_, operands=list(mop.operands),
            attributes={"name": ir.StringAttr.get(op.composite_name),
                        "composite_attributes": ir.DictAttr.get(
                            {a.name: _py_to_attr(attrs[a.name], a.kind) for a in op.attrs}),
                        "decomposition": ir.FlatSymbolRefAttr.get(decomposition),
                        "version": i32_attr(op.version)})
    rewriter.replace_op(mop, list(new.results))
    return False


def _decomposition_for(op: CustomOp, mop, module, decomps: dict) -> str:
    """The decomposition function for this op's operand types and attributes (made once)."""
    types_ = _result_types(op, mop)
    attrs = _op_attr_values(op, mop)
    in_types = [_check_ranked(op, v, f"operand {i} of {mop.name}") for i, v in enumerate(mop.operands)]
    key = (tuple(str(t) for t in in_types), tuple(str(t) for t in types_), repr(sorted(attrs.items())))
    if key not in decomps:
        decomps[key] = _add_decomposition(op, module, in_types, types_, attrs)
    return decomps[key]


def _add_decomposition(op: CustomOp, module, in_types, out_types, attrs: dict) -> str:
    """Trace the declaration's TF decomposition for these operand types, lower it to StableHLO and
    add it to `module` as a private function; returns its symbol name."""
    import tensorflow as tf

    from . import stages as st
    from .mlir import ir

    specs = [tf.TensorSpec(_tensor_shape(t), dt, name=n) for t, (n, dt) in zip(in_types, op.inputs)]

    def body(*xs):
        return op.decomposition(*xs, **attrs)

    try:
        cf = tf.function(body, input_signature=specs, autograph=False).get_concrete_function()
        text = tf.mlir.experimental.convert_function(
            cf, pass_pipeline=f"{st.TF_IMPORT_PIPELINE},{st.TF_IMPORT_TAIL_PIPELINE}")
        text = tf.mlir.experimental.run_pass_pipeline(text, st.TF_STABLEHLO_PIPELINE)
    except Exception as e:  # noqa: BLE001 - the user's decomposition failed to trace or lower
        from .errors import first_line
        first = first_line(e)
        raise TflxError(f"{op.where}: its decomposition does not lower to StableHLO: {first}",
                        location=op.declared_at) from None
    parsed = ir.Module.parse(text, module.context)
    funcs = [f.operation for f in parsed.body.operations if f.operation.name == "func.func"]
    if len(funcs) != 1:
        raise TflxError(f"{op.where}: its decomposition lowered to {len(funcs)} functions, expected 1",
                        location=op.declared_at)
    func = funcs[0]
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    got = [str(t) for t in ftype.results]
    if got != [str(t) for t in out_types]:
        raise TflxError(f"{op.where}: its decomposition returns ({', '.join(got)}), the op "
                        f"({', '.join(str(t) for t in out_types)})", location=op.declared_at)
    existing = {ir.StringAttr(f.operation.attributes["sym_name"]).value for f in module.body.operations
                if "sym_name" in f.operation.attributes}
    base = f"{op.composite_name}.decomposition"
    name, k = base, 0
    while name in existing:
        k += 1
        name = f"{base}_{k}"
    for attr in [a for a in func.attributes if a not in ("function_type", "sym_name", "arg_attrs", "res_attrs")]:
        del func.attributes[attr]
    for attr in ("arg_attrs", "res_attrs"):
        if attr in func.attributes:
            del func.attributes[attr]
    func.attributes["sym_name"] = ir.StringAttr.get(name, module.context)
    func.attributes["sym_visibility"] = ir.StringAttr.get("private", module.context)
    module.body.append(func)
    return name


def _tf_shape_inference(module) -> None:
    """Re-run TF's shape inference after refining custom ops' result types (users of an op TF
    has no shape function for were imported unranked); the module's body is replaced in place."""
    import tensorflow as tf

    from .mlir import ir, print_module
    text = print_module(module)
    try:
        out = tf.mlir.experimental.run_pass_pipeline(text, "tf-shape-inference,canonicalize", show_debug_info=True)
    except Exception as e:  # noqa: BLE001
        from .errors import condense_mlir_error
        raise TflxError(f"TF shape inference after refining custom ops failed: {condense_mlir_error(str(e))}",
                        stage="tf") from None
    new = ir.Module.parse(out, module.context)
    for o in list(module.body.operations):
        o.operation.erase()
    for o in list(new.body.operations):
        module.body.append(o.operation)


# ---- what a .tflite holds --------------------------------------------------------------------

@dataclasses.dataclass
class CustomOpUse:
    subgraph: int
    index: int
    code: str
    version: int
    options: bytes

    @property
    def attrs(self) -> dict:
        return decode_options(self.options)


def custom_ops_in(model: bytes) -> list[CustomOpUse]:
    """Every CUSTOM op of a .tflite with its custom code, version and custom_options bytes."""
    from .flatbuffer import _schema, builtin_names, validate
    validate(model, "model")
    s = _schema()
    m = s.Model.GetRootAs(model, 0)
    custom = [k for k, v in builtin_names().items() if v == "CUSTOM"][0]
    out = []
    for si in range(m.SubgraphsLength()):
        g = m.Subgraphs(si)
        for oi in range(g.OperatorsLength()):
            o = g.Operators(oi)
            oc = m.OperatorCodes(o.OpcodeIndex())
            if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) != custom:
                continue
            opts = bytes(o.CustomOptionsAsNumpy()) if o.CustomOptionsLength() else b""
            out.append(CustomOpUse(si, oi, (oc.CustomCode() or b"").decode(), oc.Version(), opts))
    return out


def set_custom_op_versions(model: bytes, versions: dict[str, int] | None = None) -> bytes:
    """The exporter writes every custom op code with version 1; stamp declared versions
    (default: every declared op whose version is not 1) into the OperatorCode table."""
    if versions is None:
        versions = {n: d.version for n, d in _DECLARED.items() if d.version != 1}
    if not versions:
        return model
    uses = {u.code for u in custom_ops_in(model)}
    todo = {k: v for k, v in versions.items() if k in uses}
    if not todo:
        return model
    import flatbuffers
    from litert_converter import schema_py_generated as s
    obj = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    for oc in obj.operatorCodes:
        code = oc.customCode.decode() if isinstance(oc.customCode, bytes) else oc.customCode
        if code in todo:
            oc.version = todo[code]
    b = flatbuffers.Builder(len(model) + 1024)
    b.Finish(obj.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# ---- reading composites back ------------------------------------------------------------------
# litert-converter 0.5.0's flatbuffer reader turns a STABLEHLO_COMPOSITE's `version` into an i64
# attribute, which stablehlo.composite's verifier rejects, and the process aborts (std::bad_cast /
# an uncaught nanobind error). So a .tflite holding composites is read back from a copy in which
# each composite is a placeholder CUSTOM op; the placeholders then become stablehlo.composite ops
# again, with the name, attributes, decomposition function and version of the original.

_READ_BACK_CODE = "tflx.read_back.stablehlo_composite"


def has_composites(model: bytes) -> bool:
    from .flatbuffer import _schema
    s = _schema()
    m = s.Model.GetRootAs(model, 0)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) == s.BuiltinOperator.STABLEHLO_COMPOSITE:
            return True
    return False


def read_back_with_composites(model: bytes, ctx):
    """flatbuffer_to_mlir for a .tflite holding STABLEHLO_COMPOSITE ops (see above)."""
    import flatbuffers
    from litert_converter import model_utils_ext as mu
    from litert_converter import schema_py_generated as s

    from .mlir import ir, walk_ops

    obj = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    composite_codes = {i for i, oc in enumerate(obj.operatorCodes or [])
                       if max(oc.builtinCode, oc.deprecatedBuiltinCode) == s.BuiltinOperator.STABLEHLO_COMPOSITE}
    placeholder = s.OperatorCodeT()
    placeholder.builtinCode = placeholder.deprecatedBuiltinCode = s.BuiltinOperator.CUSTOM
    placeholder.customCode = _READ_BACK_CODE
    placeholder.version = 1
    obj.operatorCodes.append(placeholder)
    records = []
    for sg in obj.subgraphs or []:
        for op in sg.operators or []:
            if op.opcodeIndex not in composite_codes:
                continue
            o = op.builtinOptions2
            records.append((o.name.decode() if isinstance(o.name, bytes) else o.name, o.decompositionSubgraphIndex,
                            bytes(bytearray(o.compositeAttributes)) if o.compositeAttributes is not None else b"",
                            o.version))
            op.opcodeIndex = len(obj.operatorCodes) - 1
            op.builtinOptions2Type, op.builtinOptions2 = 0, None
            op.customOptions = np.frombuffer(encode_options({"i": len(records) - 1}), dtype=np.uint8)
            op.customOptionsFormat = s.CustomOptionsFormat.FLEXBUFFERS
    builder = flatbuffers.Builder(len(model) + 4096)
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    with ctx:
        module = mu.flatbuffer_to_mlir(bytes(builder.Output()), ctx)
        funcs = [f.operation for f in module.body.operations if f.operation.name == "func.func"]
        for op in walk_ops(module):
            if op.name != "tfl.custom" or ir.StringAttr(op.attributes["custom_code"]).value != _READ_BACK_CODE:
                continue
            raw = op.attributes["custom_option"]
            k = decode_options(bytes.fromhex(str(raw).split('"')[1][2:]))["i"]
            name, sub, attrs, version = records[k]
            with ir.InsertionPoint(op), op.location:
                new = ir.Operation.create(
                    "stablehlo.composite", results=[r.type for r in op.results], operands=list(op.operands),
                    attributes={"name": ir.StringAttr.get(name),
                                "composite_attributes": ir.DictAttr.get(
                                    {key: _flex_to_attr(v) for key, v in decode_options(attrs).items()}),
                                "decomposition": ir.FlatSymbolRefAttr.get(
                                    ir.StringAttr(funcs[sub].attributes["sym_name"]).value),
                                "version": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), version)})
            for old, rep in zip(op.results, new.results):
                old.replace_all_uses_with(rep)
            op.erase()
    return module


def _flex_to_attr(v):
    from .mlir import ir
    if isinstance(v, bool):
        return ir.BoolAttr.get(v)
    if isinstance(v, int):
        return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), v)
    if isinstance(v, float):
        return ir.FloatAttr.get(ir.F32Type.get(), v)
    if isinstance(v, str):
        return ir.StringAttr.get(v)
    if isinstance(v, list):
        return ir.ArrayAttr.get([_flex_to_attr(e) for e in v])
    return ir.StringAttr.get(repr(v))


def declared() -> dict[str, CustomOp]:
    """Custom ops declared so far in this process, by name."""
    return dict(_DECLARED)


# `tflx.custom_op` is this module; calling it declares an op: @tflx.custom_op("Name", ...).
class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return custom_op(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
