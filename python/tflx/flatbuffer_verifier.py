"""A flatbuffers verifier for .tflite files, in Python.

The C++ flatbuffers `Verifier` checks that every offset, vtable, vector and string a reader can
reach lies inside the buffer before any reader follows it; the Python flatbuffers package has no
verifier, and the native readers tflx hands bytes to (litert-converter's importer) trust them.
This module walks the same graph with the same rules as the C++ verifier:

- a table's soffset and its vtable are inside the buffer and aligned (4 / 2), the vtable size is
  even and at least 4, and the vtable lies inside the buffer;
- every present field's bytes are inside the buffer and aligned to the field's size;
- every uoffset is positive and lands inside the buffer;
- vectors: aligned length, elements inside the buffer (no size overflow); strings also end in 0;
- unions: the table the type field names is verified; nesting depth <= 64, <= 1,000,000 tables.

The schema is not written out here: it is read from litert-converter's generated Python
module (`schema_py_generated`), whose accessors say each field's vtable slot and kind.
"""
from __future__ import annotations

import inspect
import re
import struct
from dataclasses import dataclass

MAX_DEPTH = 64
MAX_TABLES = 1_000_000
_SIZES = {"Bool": 1, "Int8": 1, "Uint8": 1, "Int16": 2, "Uint16": 2, "Int32": 4, "Uint32": 4, "Int64": 8,
          "Uint64": 8, "Float32": 4, "Float64": 8}


class VerifyError(Exception):
    pass


@dataclass(frozen=True)
class _Field:
    name: str
    slot_offset: int  # the field's byte offset inside the vtable (4, 6, 8, ...)
    kind: str  # scalar | string | table | vec_scalar | vec_table | vec_string | union
    size: int = 0  # scalar / element size
    cls: str | None = None  # table class (table, vec_table)
    union: str | None = None  # union enum class
    type_slot: int = 0  # the union's type field's vtable offset


_OFFSET = re.compile(r"self\._tab\.Offset\((\d+)\)")
_GET = re.compile(r"number_types\.(\w+)Flags, (o|a) \+")
_OBJ = re.compile(r"obj = (\w+)\(\)")
_SCHEMA: dict[str, list[_Field]] = {}
_UNIONS: dict[str, dict[int, str]] = {}


def _schema_module():
    from litert_converter import schema_py_generated as s
    return s


def _union_enum(s, cls_name: str, field: str) -> str | None:
    """The union enum of `cls_name.field`, from the object API's `XCreator(self.xType, t.X())` call."""
    m = re.search(r"(\w+)Creator\(self\.\w+, \w+\." + field + r"\(\)\)", _class_source(cls_name + "T"))
    return m.group(1) if m else None


_CLASS_SOURCES: dict[str, str] = {}


def _class_source(cls_name: str) -> str:
    """The generated module's source of one class (the file is read and split once: cheaper
    than inspect.getsource per method)."""
    if not _CLASS_SOURCES:
        src = inspect.getsource(_schema_module())
        for block in re.split(r"\n(?=class )", src):
            m = re.match(r"class (\w+)\(", block)
            if m:
                _CLASS_SOURCES[m.group(1)] = block
    return _CLASS_SOURCES.get(cls_name, "")


def _method_sources(cls_name: str) -> dict[str, str]:
    out = {}
    for block in re.split(r"\n(?=    def )", _class_source(cls_name)):
        m = re.match(r"    def (\w+)\(", block)
        if m:
            out[m.group(1)] = block
    return out


def _fields(cls_name: str) -> list[_Field]:
    if cls_name in _SCHEMA:
        return _SCHEMA[cls_name]
    s = _schema_module()
    methods = _method_sources(cls_name)
    out, type_slots = [], {}
    for name, src in methods.items():
        if name.startswith("_") or name.endswith(("Length", "IsNone", "AsNumpy")) or name in ("Init",):
            continue
        m = _OFFSET.search(src)
        if not m:
            continue
        off = int(m.group(1))
        obj = _OBJ.search(src)
        get = _GET.search(src)
        if "self._tab.Union(" in src:
            out.append(_Field(name, off, "union", union=_union_enum(s, cls_name, name)))
        elif "self._tab.Vector(o)" in src:
            if "Indirect" in src and obj:
                out.append(_Field(name, off, "vec_table", 4, cls=obj.group(1)))
            elif "self._tab.String(" in src:
                out.append(_Field(name, off, "vec_string", 4))
            elif get:
                out.append(_Field(name, off, "vec_scalar", _SIZES[get.group(1)]))
            else:
                raise AssertionError(f"unknown vector field {cls_name}.{name}")
        elif "self._tab.String(o" in src:
            out.append(_Field(name, off, "string"))
        elif "Indirect(o" in src and obj:
            out.append(_Field(name, off, "table", cls=obj.group(1)))
        elif get and get.group(2) == "o":
            out.append(_Field(name, off, "scalar", _SIZES[get.group(1)]))
            type_slots[name] = off
        elif obj:  # a struct stored inline: only its start is checked (the .tflite schema has none)
            out.append(_Field(name, off, "scalar", 1))
        else:
            raise AssertionError(f"unknown field kind {cls_name}.{name}")
    fixed = []
    for f in out:
        if f.kind == "union":
            f = _Field(f.name, f.slot_offset, "union", union=f.union, type_slot=type_slots.get(f.name + "Type", 0))
        fixed.append(f)
    _SCHEMA[cls_name] = sorted(fixed, key=lambda f: f.slot_offset)
    return _SCHEMA[cls_name]


def _union_members(enum_name: str) -> dict[int, str]:
    if enum_name not in _UNIONS:
        s = _schema_module()
        enum = getattr(s, enum_name)
        _UNIONS[enum_name] = {v: k for k, v in vars(enum).items()
                              if isinstance(v, int) and not k.startswith("_") and k != "NONE" and hasattr(s, k)}
    return _UNIONS[enum_name]


class _Verifier:
    def __init__(self, buf: bytes):
        self.b = buf
        self.n = len(buf)
        self.tables = 0

    def fail(self, msg: str, pos: int):
        raise VerifyError(f"{msg} (at byte {pos})")

    def inside(self, pos: int, size: int, what: str):
        if pos < 0 or size < 0 or pos + size > self.n:
            self.fail(f"{what} lies outside the file ({self.n} bytes)", pos)

    def aligned(self, pos: int, align: int, what: str):
        if pos % align:
            self.fail(f"{what} is misaligned", pos)

    def u32(self, p):
        return struct.unpack_from("<I", self.b, p)[0]

    def uoffset(self, pos: int, what: str) -> int:
        """Follow the uoffset stored at pos."""
        self.inside(pos, 4, what)
        self.aligned(pos, 4, what)
        o = self.u32(pos)
        if o == 0 or o >= 0x80000000:
            self.fail(f"{what}: offset {o} is not a positive offset", pos)
        target = pos + o
        self.inside(target, 1, what)
        return target

    def vector(self, pos: int, elem: int, what: str, string: bool = False) -> tuple[int, int]:
        self.inside(pos, 4, what + " length")
        self.aligned(pos, 4, what)
        n = self.u32(pos)
        if elem and n > (self.n // elem) + 1:
            self.fail(f"{what}: length {n} is larger than the file", pos)
        self.inside(pos + 4, n * elem + (1 if string else 0), what)
        if string and self.b[pos + 4 + n] != 0:
            self.fail(f"{what}: string is not 0-terminated", pos)
        return pos + 4, n

    def table(self, pos: int, cls: str, depth: int, what: str) -> None:
        if depth > MAX_DEPTH:
            self.fail(f"{what}: tables nested deeper than {MAX_DEPTH}", pos)
        self.tables += 1
        if self.tables > MAX_TABLES:
            self.fail(f"more than {MAX_TABLES} tables", pos)
        self.inside(pos, 4, what)
        self.aligned(pos, 4, what)
        vt = pos - struct.unpack_from("<i", self.b, pos)[0]
        self.inside(vt, 4, what + " vtable")
        self.aligned(vt, 2, what + " vtable")
        vsize, tsize = struct.unpack_from("<HH", self.b, vt)
        if vsize < 4 or vsize & 1:
            self.fail(f"{what}: vtable size {vsize} is invalid", vt)
        self.inside(vt, vsize, what + " vtable")
        self.inside(pos, tsize, what)
        for f in _fields(cls):
            if f.slot_offset + 2 > vsize:
                continue
            fo = struct.unpack_from("<H", self.b, vt + f.slot_offset)[0]
            if not fo:
                continue
            fpos = pos + fo
            where = f"{what}.{f.name}"
            if f.kind == "scalar":
                self.inside(fpos, f.size, where)
                self.aligned(fpos, f.size, where)
                continue
            target = self.uoffset(fpos, where)
            if f.kind == "string":
                self.vector(target, 1, where, string=True)
            elif f.kind == "table":
                self.table(target, f.cls, depth + 1, where)
            elif f.kind == "vec_scalar":
                start, _ = self.vector(target, f.size, where)
                self.aligned(start, f.size, where)
            elif f.kind == "vec_string":
                start, n = self.vector(target, 4, where)
                for k in range(n):
                    self.vector(self.uoffset(start + 4 * k, f"{where}[{k}]"), 1, f"{where}[{k}]", string=True)
            elif f.kind == "vec_table":
                start, n = self.vector(target, 4, where)
                for k in range(n):
                    self.table(self.uoffset(start + 4 * k, f"{where}[{k}]"), f.cls, depth + 1, f"{where}[{k}]")
            elif f.kind == "union":
                utype = 0
                if f.type_slot and f.type_slot + 2 <= vsize:
                    to = struct.unpack_from("<H", self.b, vt + f.type_slot)[0]
                    if to:
                        utype = self.b[pos + to]
                member = _union_members(f.union).get(utype) if f.union else None
                if member is not None:  # NONE and unknown members are skipped, as in the C++ verifier
                    self.table(target, member, depth + 1, where)


def verify(buf: bytes, root: str = "Model") -> None:
    """Raise VerifyError unless `buf` passes the flatbuffers verifier rules for `root`."""
    v = _Verifier(buf)
    if v.n < 8:
        raise VerifyError(f"{v.n} bytes is too short for a flatbuffer")
    if v.n >= 0x80000000:
        raise VerifyError("larger than 2 GiB: not a flatbuffer")
    v.table(v.uoffset(0, "root table offset"), root, 0, root)
