"""TFLite builtin operators: flatbuffer codes and names, from litert-converter's own schema,
so the table always matches the exporter that writes the files."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def builtin_names() -> dict[int, str]:
    """BuiltinOperator code -> name ('CONV_2D')."""
    from litert_converter import schema_py_generated as s
    return {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


@functools.lru_cache(maxsize=None)
def _names() -> frozenset:
    return frozenset(builtin_names().values())


def is_builtin(name: str) -> bool:
    return name in _names()
