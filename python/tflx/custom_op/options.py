"""A custom op's attributes as TFLite stores them: a FlexBuffer map in `custom_options`.

    encode_options({"alpha": 0.5, "sizes": [1, 2]})   # bytes; floats as float32
    decode_options(data)                              # {"alpha": 0.5, "sizes": [1, 2]}

The layout TFLite's stock converter uses for custom ops (flexbuffers.Dumps of a map).
"""
from __future__ import annotations

import numpy as np


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
    """custom_options bytes -> {name: value} ({} for none)."""
    from flatbuffers import flexbuffers
    if not data:
        return {}
    return flexbuffers.Loads(bytearray(data))


__all__ = ["encode_options", "decode_options"]
