"""TensorFlow's custom syntax for shape-dialect (and a few tensor) ops -> the generic form.

`tf-stablehlo` leaves `shape.*` ops (and `tensor.dim` / `tensor.from_elements` building shapes
from single extents) for dynamic dims. litert-converter's context does not register the `shape`
dialect, so their one-line custom syntax does not parse there; in the generic form
(`"shape.shape_of"(%x) : (...) -> ...`) unregistered ops and `!shape.shape` do.
`legalize-shape-to-stablehlo` (tflx.passes) then lowers them to StableHLO.
"""
from __future__ import annotations

import re

_SHAPE_T = r"(?:tensor<\d+xindex>|!shape\.shape)"
_V = r"%[\w#-]+"
_CONST_SHAPE = re.compile(rf"({_V}) = shape\.const_shape \[([^\]]*)\] : ({_SHAPE_T})")
_SHAPE_OF = re.compile(rf"({_V}) = shape\.shape_of ({_V}) : (.+?) -> ({_SHAPE_T})")
# shape.broadcast is n-ary (BERT-style attention broadcasts three shapes at once).
_BROADCAST = re.compile(rf"({_V}) = shape\.broadcast ((?:{_V}, )+{_V}) : ((?:{_SHAPE_T}, )+{_SHAPE_T}) -> ({_SHAPE_T})")
_CONCAT = re.compile(rf"({_V}) = shape\.concat ({_V}), ({_V}) : ({_SHAPE_T}), ({_SHAPE_T}) -> ({_SHAPE_T})")
_TO_EXTENT = re.compile(rf"({_V}) = shape\.to_extent_tensor ({_V}) : ({_SHAPE_T}) -> (tensor<\d+xindex>)")
_TENSOR_DIM = re.compile(rf"({_V}) = tensor\.dim ({_V}), ({_V}) : (tensor<[^>]+>)")
_FROM_ELEMENTS = re.compile(rf"({_V}) = tensor\.from_elements ((?:{_V}, )*{_V}) : (tensor<(\d+)xindex>)")


def _const_shape(m) -> str:
    n = len([d for d in m[2].split(",") if d.strip()])
    return (f'{m[1]} = "shape.const_shape"() {{shape = dense<[{m[2]}]> : tensor<{n}xindex>}}'
            f' : () -> {m[3]}' if n else f'{m[1]} = "shape.const_shape"() {{shape = dense<> : tensor<0xindex>}} : () -> {m[3]}')


def to_generic_form(text: str) -> str:
    text = _CONST_SHAPE.sub(_const_shape, text)
    text = _SHAPE_OF.sub(lambda m: f'{m[1]} = "shape.shape_of"({m[2]}) : ({m[3]}) -> {m[4]}', text)
    text = _BROADCAST.sub(lambda m: f'{m[1]} = "shape.broadcast"({m[2]}) : ({m[3]}) -> {m[4]}', text)
    text = _CONCAT.sub(lambda m: f'{m[1]} = "shape.concat"({m[2]}, {m[3]}) : ({m[4]}, {m[5]}) -> {m[6]}', text)
    text = _TO_EXTENT.sub(lambda m: f'{m[1]} = "shape.to_extent_tensor"({m[2]}) : ({m[3]}) -> {m[4]}', text)
    text = _TENSOR_DIM.sub(lambda m: f'{m[1]} = "tensor.dim"({m[2]}, {m[3]}) : ({m[4]}, index) -> index', text)
    text = _FROM_ELEMENTS.sub(
        lambda m: f'{m[1]} = "tensor.from_elements"({m[2]}) : ({", ".join(["index"] * int(m[4]))}) -> {m[3]}', text)
    return text


__all__ = ["to_generic_form"]
