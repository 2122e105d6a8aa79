"""Result types for ops a rule builds without spelling them (`b.tf("Square", [x])`).

In order of preference:
  1. the op's own type inference (MLIR's InferTypeOpInterface: most StableHLO ops, some TF ops);
  2. TF ops: TensorFlow's shape functions, by building the op in a scratch graph from the
     operands' types (constant operands by value, so Reshape's shape or Sum's axes count);
  3. TFL ops: the rules in tflx.dialects.tfl (elementwise, broadcasting, comparisons, and the
     shape ops plugins build most).
"""
from __future__ import annotations

import numpy as np

from .attrs import from_attr
from .errors import CannotInfer
from .mlir import constant_value, dims_of, dtype_name, element_type, ir, tensor_type

def infer(name: str, operands, attributes: dict) -> list[ir.Type]:
    """Result types of op `name` built from `operands` (ir.Values) and `attributes` (name ->
    ir.Attribute). Raises CannotInfer with the reason."""
    types = _by_interface(name, operands, attributes)
    if types is not None:
        return types
    if name.startswith("tf."):
        return _by_tensorflow(name[3:], operands, attributes)
    if name.startswith("tfl."):
        from tflx.dialects import tfl
        return tfl.result_types(name, operands, attributes)
    raise CannotInfer(f"'{name}' has no type inference: give its result type")


def _by_interface(name, operands, attributes):
    view = type("OpName", (), {"OPERATION_NAME": name})
    try:
        iface = ir.InferTypeOpInterface(view, ir.Context.current)
    except ValueError:  # the op does not implement it
        return None
    try:
        return list(iface.inferReturnTypes(operands=list(operands),
                                           attributes=ir.DictAttr.get(attributes) if attributes else None,
                                           context=ir.Context.current))
    except Exception:  # noqa: BLE001 - the op's inference rejected these operands: try the others
        return None


# ---- TF ops: TensorFlow's shape functions ------------------------------------------------------

def _by_tensorflow(op_type: str, operands, attributes) -> list[ir.Type]:
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op_type)
    if op_def is None:
        raise CannotInfer(f"'tf.{op_type}' is not an op TensorFlow knows: give its result type")
    from tensorflow.python.framework import op_def_library
    graph = tf.Graph()
    with graph.as_default():
        inputs = [_tf_input(tf, v) for v in operands]
        kwargs = _assign_inputs(op_def, inputs, op_type)
        for key, attr in attributes.items():
            if any(a.name == key for a in op_def.attr):
                kwargs[key] = _py(tf, attr)
        inferred = {n for a in op_def.input_arg for n in (a.type_attr, a.number_attr, a.type_list_attr) if n}
        for a in op_def.attr:  # the op helper wants every attr; tf.raw_ops fills the defaults too
            if a.name not in kwargs and a.name not in inferred and a.HasField("default_value"):
                kwargs[a.name] = _default(tf, a.default_value)
        try:  # what tf.raw_ops calls, keyed by the OpDef's own argument names
            _, _, op, _ = op_def_library._apply_op_helper(op_type, **kwargs)
        except Exception as e:  # noqa: BLE001 - TF's own message: operands that do not fit
            raise CannotInfer(f"tf.{op_type}: TensorFlow rejects these operands: "
                              f"{' '.join(str(e).split())[:200]}") from None
    return [_mlir_type(t.shape, t.dtype.name) for t in op.outputs]


def _assign_inputs(op_def, inputs: list, op_type: str) -> dict:
    """OpDef input args <- operands; a list arg (N or a type list) takes what the others leave."""
    args = list(op_def.input_arg)
    is_list = [bool(a.number_attr or a.type_list_attr) for a in args]
    if sum(is_list) > 1:
        raise CannotInfer(f"tf.{op_type} has several list inputs: give its result type")
    fixed = len(args) - sum(is_list)
    if len(inputs) < fixed or (not any(is_list) and len(inputs) != fixed):
        raise CannotInfer(f"tf.{op_type} takes {len(args)} inputs, got {len(inputs)}")
    kwargs, i = {}, 0
    for a, many in zip(args, is_list):
        n = len(inputs) - fixed if many else 1
        kwargs[a.name] = inputs[i:i + n] if many else inputs[i]
        i += n
    return kwargs


def _tf_input(tf, value: ir.Value):
    t = ir.ShapedType(value.type)
    dtype = dtype_name(t.element_type)
    if dtype is None:
        raise CannotInfer(f"operand type {value.type} has no TensorFlow dtype here: give the result type")
    const = constant_value(value)
    if const is not None:
        return tf.constant(np.asarray(const).astype(dtype))
    return tf.compat.v1.placeholder(dtype, dims_of(value.type))


def _default(tf, value):
    """An OpDef attr's default (an AttrValue proto) as a Python value."""
    kind = value.WhichOneof("value")
    if kind == "list":
        lst = value.list
        for field in ("i", "f", "b", "s", "type", "shape"):
            items = list(getattr(lst, field))
            if items:
                return [x.decode() if field == "s" else tf.as_dtype(x) if field == "type" else x for x in items]
        return []
    got = getattr(value, kind) if kind else None
    return got.decode() if kind == "s" else tf.as_dtype(got) if kind == "type" else got


def _py(tf, attr):
    """An MLIR attribute as the Python value TF's op builder takes (a TypeAttr as a tf.DType)."""
    if not isinstance(attr, ir.Attribute):
        return attr
    if isinstance(attr, ir.TypeAttr):
        dtype = dtype_name(attr.value)
        if dtype is None:
            raise CannotInfer(f"type attribute {attr} has no TensorFlow dtype here: give the result type")
        return tf.as_dtype(dtype)
    value = from_attr(attr)
    if isinstance(value, ir.Attribute):
        raise CannotInfer(f"attribute {attr} has no Python value here: give the result type")
    return value


def _mlir_type(shape, dtype: str) -> ir.Type:
    try:
        element = element_type(dtype)
    except KeyError:
        raise CannotInfer(f"result dtype {dtype} has no MLIR spelling here: give the result type") from None
    return tensor_type(None if shape.rank is None else shape.as_list(), element)
