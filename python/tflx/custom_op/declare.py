"""Declaring a custom op: `@custom_op(...)` on its numpy reference makes a `CustomOp`, checks the
declaration (naming the line it is written on), registers its OpDef with TF when asked and its
two passes (tflx.custom_op.passes)."""
from __future__ import annotations

import dataclasses
import inspect
import os
import re
import typing
from typing import Any, Callable

import numpy as np

from ..errors import TflxError
from . import opdef as _opdef
from .options import encode_options
from .passes import LOWERINGS, make_passes
from ..pattern import Pattern, parse_pattern

_ATTR_KINDS = {int: "int", float: "float", bool: "bool", str: "string"}
_LIST_KINDS = {int: "list(int)", float: "list(float)"}
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
        if dt not in _opdef.DTYPES:
            raise TflxError(f"custom op '{op_name}': {what[:-1]} '{name}' has dtype {dtype!r}; "
                            f"supported: {', '.join(_opdef.DTYPES)}")
        out.append((name, dt))
    return tuple(out)


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
        self.pattern: Pattern | None = None
        self.tf_name: str | None = None  # the TF op this declaration matches by name
        # Between the source pass (stage tf) and the lowering (stage stablehlo) the op is
        # `tf.NAME`, which tf-stablehlo leaves alone.
        self.intermediate = "tf." + re.sub(r"[^A-Za-z0-9_]", "_", name)
        self.passes: list[type] = []
        self.__doc__ = getattr(reference, "__doc__", None)
        self._name_checked = False

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

    # -- TensorFlow side (tflx.custom_op.opdef) ----------------------------------------------
    def opdef(self) -> str | None:
        """The OpDef text registered for `tf.NAME` (None when the source is not an op TF lacks)."""
        return self.opdef_text

    def register_opdef(self) -> None:
        """Make TF know the op (idempotent): RegisterCustomOpdefs, as the stock converter does."""
        _opdef.register_opdef(self)

    def tf(self, *inputs, name: str | None = None, **attrs):
        """Build the TF op inside a tf.function (TF has no Python wrapper for an op it does not know)."""
        return _opdef.build_tf_op(self, inputs, name, attrs)

    tf.autograph_info__ = frozenset()  # AutoGraph: call as is inside a tf.function, do not convert

    def check_name_free(self) -> None:
        """Until lowered the op is `tf.NAME`: a TF op of that name would be lowered by TF instead."""
        if self._name_checked:
            return
        name = self.intermediate[3:]
        if _opdef.tf_name_taken(name) and not any(
                d.tf_name == name and d.opdef_text for d in _DECLARED.values()):
            raise TflxError(f"{self.where}: '{name}' is also a TensorFlow op, which TF would lower itself; give "
                            "the custom op a name TensorFlow does not use", location=self.declared_at)
        self._name_checked = True

    def pass_instances(self, lowering: str | None = None) -> list:
        """This op's passes, optionally with another lowering (for `tflx.convert(plugins=...)`)."""
        out = []
        for cls in self.passes:
            if "lowering" in {f.name for f in dataclasses.fields(cls)} and lowering is not None:
                out.append(cls(lowering=lowering))
            else:
                out.append(cls())
        return out


# ---- where a declaration is written ----------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def _caller_frame():
    """The first frame outside this package: where the declaration is written."""
    frame = inspect.currentframe()
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
    return frame


def _caller_location() -> str | None:
    frame = _caller_frame()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else None


def _caller_module() -> str:
    frame = _caller_frame()
    return frame.f_globals.get("__name__", "__main__") if frame else "__main__"


# ---- the decorator -----------------------------------------------------------------------------

def custom_op(name: str, *, version: int = 1, inputs, outputs, attrs=None, source=None,
              lowering: str = "custom", shape: Callable | None = None, opdef: str | bool | None = None,
              decomposition: Callable | None = None, composite_name: str | None = None):
    """Declare a custom op; decorates its numpy reference implementation (see tflx.custom_op)."""
    declared_at = _caller_location()
    module = _caller_module()

    def declare(reference: Callable) -> CustomOp:
        if not callable(reference):
            raise TflxError(f"custom op '{name}': decorate the op's numpy reference function", location=declared_at)
        op = _build(name, version, inputs, outputs, attrs, source, lowering, shape, opdef, decomposition,
                    composite_name, reference, declared_at)
        op.passes = make_passes(op, module)
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
            op.pattern = Pattern(src, parse_pattern(src))
        except ValueError as e:
            raise fail(f"custom op '{name}': pattern {src!r}: {e}") from None
        if not op.pattern.root.startswith("tf."):
            raise fail(f"custom op '{name}': patterns match TF ops (tf.*), not {op.pattern.root!r}")
        vars_, caps = set(op.pattern.values), set(op.pattern.captures)
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
            op.opdef_text = _opdef.generated_opdef(op)
        elif isinstance(opdef, str):
            op.opdef_text = opdef
            _opdef.check_opdef_text(op, opdef)
        elif opdef not in (None, False):
            raise fail(f"custom op '{name}': opdef must be OpDef text or True, got {type(opdef).__name__}")
    return op


def declared() -> dict[str, CustomOp]:
    """Custom ops declared so far in this process, by name."""
    return dict(_DECLARED)
