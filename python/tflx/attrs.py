"""Python values <-> MLIR attributes: the one converter.

    to_attr(True)                    #  true
    to_attr(3)                       #  3 : i32
    to_attr(3, int_bits=64)          #  3 : i64
    to_attr(0.5)                     #  5.000000e-01 : f32
    to_attr("SAME")                  #  "SAME"
    to_attr([1, 2], int_bits=64)     #  [1 : i64, 2 : i64]
    from_attr(op.attributes["x"])    #  back to bool / int / float / str / list

Floats are f32 (TFLite's and TF's attribute width); ints are signless of `int_bits` bits. An
`ir.Attribute` is returned as it is. The litert-converter bindings are imported on first use,
so importing this module costs nothing.
"""
from __future__ import annotations

from typing import Any, Callable


def to_attr(value, *, int_bits: int = 32, default: Callable[[Any], Any] | None = None):
    """An MLIR attribute from a Python bool/int/float/str, or a list/tuple of them (ArrayAttr).

    `default(value)` makes the attribute for a value of any other type (default: TypeError)."""
    from .mlir import ir
    if isinstance(value, ir.Attribute):
        return value
    if isinstance(value, bool):
        return ir.BoolAttr.get(value)
    if isinstance(value, int):
        return ir.IntegerAttr.get(ir.IntegerType.get_signless(int_bits), value)
    if isinstance(value, float):
        return ir.FloatAttr.get(ir.F32Type.get(), value)
    if isinstance(value, str):
        return ir.StringAttr.get(value)
    if isinstance(value, (list, tuple)):
        return ir.ArrayAttr.get([to_attr(v, int_bits=int_bits, default=default) for v in value])
    if default is not None:
        return default(value)
    raise TypeError(f"cannot make an MLIR attribute from {value!r}; pass an ir.Attribute")


def from_attr(attr):
    """A Python value from an MLIR attribute: bool, int, float, str, list (arrays), the scalar of
    a one-element dense constant or a flat list of a larger one; anything else as it is."""
    from .mlir import ir
    import numpy as np
    if isinstance(attr, ir.BoolAttr):
        return bool(attr.value)
    if isinstance(attr, ir.IntegerAttr):
        return int(attr.value)
    if isinstance(attr, ir.FloatAttr):
        return float(attr.value)
    if isinstance(attr, ir.StringAttr):
        return attr.value
    if isinstance(attr, ir.ArrayAttr):
        return [from_attr(a) for a in attr]
    if isinstance(attr, ir.DenseElementsAttr):
        arr = np.array(attr)
        if arr.size == 1:
            return arr.reshape(()).item()
        return arr.reshape(-1).tolist()
    return attr


__all__ = ["to_attr", "from_attr"]
