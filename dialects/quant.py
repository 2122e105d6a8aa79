"""The `quant` dialect's uniform quantized types, read from their text, and quantizing by them.

Also the Python namespace the MLIR bindings look up for `quant.*` ops: litert-converter ships no
generated op classes (or type classes) for this dialect, so types are read from their assembly:

    !quant.uniform<i8:f32, 0.5:-3>                     per tensor (zero point optional)
    !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2:1}>   per axis 0, storage range -127..127
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_UNIFORM = re.compile(r"!quant\.uniform<(?P<storage>[iu]\d+)(?:<(?P<lo>-?\d+):(?P<hi>-?\d+)>)?"
                      r":(?P<expressed>f\d+)(?::(?P<axis>\d+))?,\s*(?P<params>.*)>$", re.S)


@dataclass(frozen=True)
class UniformType:
    storage: str          # "i8", "u8", "i16", "i32"
    storage_min: int
    storage_max: int
    scales: tuple         # one per tensor, or one per slice along `axis`
    zero_points: tuple
    axis: int | None      # None: per tensor

    @classmethod
    def parse(cls, text: str) -> "UniformType":
        """From a `!quant.uniform<...>` element type, or a tensor type with one."""
        start = text.find("!quant.uniform<")
        m = _UNIFORM.match(text[start:].rstrip().rstrip(">") + ">") if start >= 0 else None
        if m is None:
            raise ValueError(f"not a uniform quantized type: {text}")
        bits, signed = int(m["storage"][1:]), m["storage"][0] == "i"
        lo = int(m["lo"]) if m["lo"] is not None else (-(1 << (bits - 1)) if signed else 0)
        hi = int(m["hi"]) if m["hi"] is not None else ((1 << (bits - 1)) - 1 if signed else (1 << bits) - 1)
        params = m["params"].strip()
        items = params[1:-1].split(",") if params.startswith("{") else [params]
        scales, zeros = [], []
        for item in items:
            s, _, z = item.strip().partition(":")
            scales.append(float(s))
            zeros.append(int(z) if z else 0)
        return cls(m["storage"], lo, hi, tuple(scales), tuple(zeros),
                   int(m["axis"]) if m["axis"] is not None else None)

    @property
    def dtype(self):
        return np.dtype(("int" if self.storage[0] == "i" else "uint") + self.storage[1:])

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float values -> stored integers: round half away from zero (TFLite's rounding), clamped."""
        x = np.asarray(x, np.float64)
        shape = [1] * x.ndim
        if self.axis is not None:
            shape[self.axis] = -1
        scale = np.asarray(self.scales, np.float64).reshape(shape)
        zero = np.asarray(self.zero_points, np.float64).reshape(shape)
        q = x / scale
        q = np.sign(q) * np.floor(np.abs(q) + 0.5) + zero
        return np.clip(q, self.storage_min, self.storage_max).astype(self.dtype)
