"""The TensorFlow side of a custom op: its OpDef (written or derived from the declaration),
registering it with TF (`RegisterCustomOpdefs`, as the stock converter does) and building the
op inside a tf.function."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import TflxError

if TYPE_CHECKING:
    from .declare import AttrSpec, CustomOp

# numpy dtype name -> TF DataType enum name: the tensor dtypes a custom op may declare.
DTYPES = {"float32": "DT_FLOAT", "float16": "DT_HALF", "float64": "DT_DOUBLE", "int32": "DT_INT32",
          "int64": "DT_INT64", "int8": "DT_INT8", "uint8": "DT_UINT8", "int16": "DT_INT16", "bool": "DT_BOOL"}


def generated_opdef(op: CustomOp) -> str:
    """OpDef text for `tf.<op.tf_name>` derived from the declaration (opdef=True)."""
    lines = [f'name: "{op.tf_name}"']
    for n, dt in op.inputs:
        lines.append(f'input_arg {{ name: "{n}" type: {DTYPES[dt]} }}')
    for n, dt in op.outputs:
        lines.append(f'output_arg {{ name: "{n}" type: {DTYPES[dt]} }}')
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


def check_opdef_text(op: CustomOp, text: str) -> None:
    """OpDef text given with the declaration must parse and agree with it (name, arity, attribute kinds)."""
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


def register_opdef(op: CustomOp) -> None:
    """Make TF know the op (idempotent): RegisterCustomOpdefs, as the stock converter does."""
    if not op.opdef_text:
        return
    import tensorflow  # noqa: F401
    from tensorflow.python.framework import op_def_registry
    if op_def_registry.get(op.tf_name) is not None:
        return
    from tensorflow.compiler.mlir.lite.python import _pywrap_converter_api as api
    if not api.RegisterCustomOpdefs([op.opdef_text]) or op_def_registry.get(op.tf_name) is None:
        raise TflxError(f"{op.where}: TensorFlow did not accept its OpDef", location=op.declared_at)


def tf_name_taken(name: str) -> bool:
    """Does TensorFlow know an op called `name`?"""
    from tensorflow.python.framework import op_def_registry
    return op_def_registry.get(name) is not None


def build_tf_op(op: CustomOp, inputs, name: str | None, attrs: dict):  # noqa: C901
    """Build `tf.<op.tf_name>` in the current tf.function graph (TF has no Python wrapper for an
    op it does not know); its outputs get the shapes of the declaration's shape rule."""
    import tensorflow as tf
    from tensorflow.core.framework import attr_value_pb2
    if op.tf_name is None:
        raise TflxError(f"{op.where} comes from a pattern, not a TF op: build the pattern's TF ops")
    if tf.executing_eagerly():
        raise TflxError(f"{op.where}: build it inside a tf.function (the op has no TF kernel to run eagerly)")
    register_opdef(op)
    values = op.attr_values(attrs)
    tensors = [tf.convert_to_tensor(x, dtype=dt) for x, (_, dt) in zip(inputs, op.inputs)]
    if len(tensors) != len(op.inputs):
        raise TflxError(f"{op.where}: takes {len(op.inputs)} input(s), got {len(inputs)}")
    av = {}
    for a in op.attrs:
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
    created = graph.create_op(op.tf_name, tensors, [tf.as_dtype(dt) for _, dt in op.outputs], attrs=av,
                              name=name or op.tf_name)
    shapes = op.output_shapes([t.shape.as_list() if t.shape.rank is not None else [] for t in tensors], values)
    for out, shp in zip(created.outputs, shapes):
        if all(t.shape.rank is not None for t in tensors):
            out.set_shape(shp)
    return created.outputs[0] if len(created.outputs) == 1 else tuple(created.outputs)
