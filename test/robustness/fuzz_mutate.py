"""Mutators for .tflite flatbuffers and .mlir text. Deterministic: every mutant is a function of
(seed bytes, kind, random.Random state).

.tflite kinds
    bitflip, byteset, truncate, extend           raw bytes
    offset, vtable, vector_length, opcode_index, tensor_index, buffer_index, subgraph_index,
    shape_value, tensor_type, builtin_code, options_type, options_field, buffer_range
                                                 one field of the flatbuffer, found by walking
                                                 its tables with the schema's vtable slots
.mlir kinds
    token_delete, token_duplicate, token_replace, line_delete, line_duplicate, truncate,
    bad_type, shape_change, unbalanced, huge_number, invalid_utf8, op_swap, value_swap,
    attr_value, const_value, stage_header
"""
from __future__ import annotations

import inspect
import random
import re
import struct
from dataclasses import dataclass

# ---------------------------------------------------------------- flatbuffer field sites


def _slots(cls_name: str) -> dict[str, int]:
    """Accessor name -> vtable slot index, read from the generated schema's accessors
    (`self._tab.Offset(4 + 2 * slot)`), so no slot numbers are hard-coded here."""
    from litert_converter import schema_py_generated as s
    cls = getattr(s, cls_name)
    out = {}
    for name, fn in vars(cls).items():
        if name.startswith("_") or not callable(fn) or name.endswith(("Length", "IsNone", "AsNumpy")):
            continue
        try:
            m = re.search(r"\.Offset\((\d+)\)", inspect.getsource(fn))
        except (OSError, TypeError):
            continue
        if m:
            out[name] = (int(m.group(1)) - 4) // 2
    return out


_SLOTS: dict[str, dict[str, int]] = {}


def slot(table: str, field: str) -> int:
    if table not in _SLOTS:
        _SLOTS[table] = _slots(table)
    return _SLOTS[table][field]


@dataclass(frozen=True)
class Site:
    kind: str  # mutation kind this site serves
    pos: int  # absolute byte offset
    width: int  # bytes
    signed: bool = False
    limit: int | None = None  # the count an index ranges over, when there is one
    what: str = ""


class _Walker:
    def __init__(self, buf: bytes):
        self.b = buf
        self.sites: list[Site] = []

    def u32(self, p):
        return struct.unpack_from("<I", self.b, p)[0]

    def i32(self, p):
        return struct.unpack_from("<i", self.b, p)[0]

    def u16(self, p):
        return struct.unpack_from("<H", self.b, p)[0]

    def add(self, *a, **k):
        self.sites.append(Site(*a, **k))

    def table(self, tpos: int, name: str) -> list[int]:
        """Field positions (0 = absent) of the table at tpos; records its vtable sites."""
        vt = tpos - self.i32(tpos)
        self.add("vtable", tpos, 4, True, what=f"{name} soffset")
        vlen = self.u16(vt)
        self.add("vtable", vt, 2, what=f"{name} vtable length")
        n = max(0, (vlen - 4) // 2)
        fields = []
        for i in range(n):
            e = self.u16(vt + 4 + 2 * i)
            if e:
                self.add("vtable", vt + 4 + 2 * i, 2, what=f"{name} vtable entry {i}")
            fields.append(tpos + e if e else 0)
        return fields

    @staticmethod
    def field(fields, table, name) -> int:
        i = slot(table, name)
        return fields[i] if i < len(fields) else 0

    def ref(self, p: int, what: str) -> int:
        """Follow a uoffset field at p; records it as an offset site."""
        self.add("offset", p, 4, what=what)
        return p + self.u32(p)

    def vector(self, fpos: int, what: str) -> tuple[int, int]:
        """(start of elements, length) of the vector referenced at fpos."""
        v = self.ref(fpos, what)
        n = self.u32(v)
        self.add("vector_length", v, 4, limit=n, what=what + " length")
        return v + 4, n

    def scalar_vector(self, fpos, what, kind, width=4, signed=True, limit=None):
        start, n = self.vector(fpos, what)
        for k in range(n):
            self.add(kind, start + width * k, width, signed, limit, what=f"{what}[{k}]")
        return n

    def tables(self, fpos, what):
        start, n = self.vector(fpos, what)
        return [self.ref(start + 4 * k, f"{what}[{k}]") for k in range(n)]

    def string(self, fpos, what):
        if fpos:
            self.vector(fpos, what)


def field_sites(buf: bytes) -> list[Site]:
    """Every mutable field of a (valid) .tflite, by kind."""
    w = _Walker(buf)
    f = lambda fields, t, n: w.field(fields, t, n)  # noqa: E731
    root = w.ref(0, "root")
    m = w.table(root, "Model")
    codes = w.tables(f(m, "Model", "OperatorCodes"), "operator_codes") if f(m, "Model", "OperatorCodes") else []
    buffers = w.tables(f(m, "Model", "Buffers"), "buffers") if f(m, "Model", "Buffers") else []
    subgraphs = w.tables(f(m, "Model", "Subgraphs"), "subgraphs") if f(m, "Model", "Subgraphs") else []
    for i, c in enumerate(codes):
        cf = w.table(c, "OperatorCode")
        if f(cf, "OperatorCode", "BuiltinCode"):
            w.add("builtin_code", f(cf, "OperatorCode", "BuiltinCode"), 4, True, what=f"opcode {i} builtin_code")
        if f(cf, "OperatorCode", "DeprecatedBuiltinCode"):
            w.add("builtin_code", f(cf, "OperatorCode", "DeprecatedBuiltinCode"), 1, True,
                  what=f"opcode {i} deprecated_builtin_code")
        w.string(f(cf, "OperatorCode", "CustomCode"), f"opcode {i} custom_code")
    for i, b in enumerate(buffers):
        bf = w.table(b, "Buffer")
        if f(bf, "Buffer", "Data"):
            w.vector(f(bf, "Buffer", "Data"), f"buffer {i} data")
        for name in ("Offset", "Size"):
            if f(bf, "Buffer", name):
                w.add("buffer_range", f(bf, "Buffer", name), 8, what=f"buffer {i} {name}")
    for si, g in enumerate(subgraphs):
        gf = w.table(g, "SubGraph")
        tensors = w.tables(f(gf, "SubGraph", "Tensors"), f"sg{si} tensors") if f(gf, "SubGraph", "Tensors") else []
        nt = len(tensors)
        for name in ("Inputs", "Outputs"):
            if f(gf, "SubGraph", name):
                w.scalar_vector(f(gf, "SubGraph", name), f"sg{si} {name}", "tensor_index", limit=nt)
        w.string(f(gf, "SubGraph", "Name"), f"sg{si} name")
        for ti, t in enumerate(tensors):
            tf_ = w.table(t, "Tensor")
            for name in ("Shape", "ShapeSignature"):
                if f(tf_, "Tensor", name):
                    w.scalar_vector(f(tf_, "Tensor", name), f"sg{si} t{ti} {name}", "shape_value")
            if f(tf_, "Tensor", "Type"):
                w.add("tensor_type", f(tf_, "Tensor", "Type"), 1, True, what=f"sg{si} t{ti} type")
            if f(tf_, "Tensor", "Buffer"):
                w.add("buffer_index", f(tf_, "Tensor", "Buffer"), 4, limit=len(buffers), what=f"sg{si} t{ti} buffer")
            w.string(f(tf_, "Tensor", "Name"), f"sg{si} t{ti} name")
            if f(tf_, "Tensor", "Quantization"):
                w.ref(f(tf_, "Tensor", "Quantization"), f"sg{si} t{ti} quantization")
        ops = w.tables(f(gf, "SubGraph", "Operators"), f"sg{si} operators") if f(gf, "SubGraph", "Operators") else []
        for oi, o in enumerate(ops):
            of = w.table(o, "Operator")
            if f(of, "Operator", "OpcodeIndex"):
                w.add("opcode_index", f(of, "Operator", "OpcodeIndex"), 4, limit=len(codes), what=f"sg{si} op{oi} opcode")
            for name in ("Inputs", "Outputs", "Intermediates"):
                if f(of, "Operator", name):
                    w.scalar_vector(f(of, "Operator", name), f"sg{si} op{oi} {name}", "tensor_index", limit=nt)
            if f(of, "Operator", "BuiltinOptionsType"):
                w.add("options_type", f(of, "Operator", "BuiltinOptionsType"), 1, what=f"sg{si} op{oi} options type")
            if f(of, "Operator", "BuiltinOptions"):
                opt = w.ref(f(of, "Operator", "BuiltinOptions"), f"sg{si} op{oi} options")
                fields = sorted(p for p in w.table(opt, "options") if p)
                for k, p in enumerate(fields):
                    width = min(4, (fields[k + 1] - p) if k + 1 < len(fields) else 4)
                    w.add("options_field", p, max(1, width), True, what=f"sg{si} op{oi} options field")
            if f(of, "Operator", "CustomOptions"):
                w.vector(f(of, "Operator", "CustomOptions"), f"sg{si} op{oi} custom_options")
    if f(m, "Model", "SignatureDefs"):
        for di, d in enumerate(w.tables(f(m, "Model", "SignatureDefs"), "signature_defs")):
            df = w.table(d, "SignatureDef")
            if f(df, "SignatureDef", "SubgraphIndex"):
                w.add("subgraph_index", f(df, "SignatureDef", "SubgraphIndex"), 4, limit=len(subgraphs),
                      what=f"signature {di} subgraph")
            w.string(f(df, "SignatureDef", "SignatureKey"), f"signature {di} key")
            for name in ("Inputs", "Outputs"):
                if not f(df, "SignatureDef", name):
                    continue
                for k, tm in enumerate(w.tables(f(df, "SignatureDef", name), f"signature {di} {name}")):
                    tmf = w.table(tm, "TensorMap")
                    w.string(f(tmf, "TensorMap", "Name"), f"signature {di} {name}[{k}] name")
                    if f(tmf, "TensorMap", "TensorIndex"):
                        w.add("tensor_index", f(tmf, "TensorMap", "TensorIndex"), 4, limit=None,
                              what=f"signature {di} {name}[{k}] tensor")
    return w.sites


TFLITE_RAW_KINDS = ("bitflip", "byteset", "truncate", "extend")
TFLITE_FIELD_KINDS = ("offset", "vtable", "vector_length", "opcode_index", "tensor_index", "buffer_index",
                      "subgraph_index", "shape_value", "tensor_type", "builtin_code", "options_type",
                      "options_field", "buffer_range")
TFLITE_KINDS = TFLITE_RAW_KINDS + TFLITE_FIELD_KINDS

_INTERESTING = (0, 1, 2, 3, 4, 7, 8, 16, 64, 127, 128, 255, 256, 1000, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE)


def _value_for(site: Site, old: int, rng: random.Random, size: int) -> int:
    if site.kind in ("opcode_index", "tensor_index", "buffer_index", "subgraph_index"):
        lim = site.limit if site.limit is not None else 8
        choices = [-1, lim, lim + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, -2]
        # An in-range but wrong index passes any range check: the hardest case for readers.
        return rng.choice(choices) if rng.random() < 0.45 else rng.randrange(max(1, lim))
    if site.kind == "shape_value":
        return rng.choice([0, -1, -2, 1, 2, old + 1, old - 1, old * 2, 3, 1 << 20, 0x7FFFFFFF, -0x80000000, 65536])
    if site.kind == "vector_length":
        return rng.choice([0, 1, old + 1, old - 1, old * 2, old + 4, 0x7FFFFFFF, 0xFFFFFFFF, size // 4, size])
    if site.kind == "offset":
        return rng.choice([0, 1, 2, 4, size - 4, size, size + 4, old + 4, old - 4, old + 2, old ^ (1 << rng.randrange(12)),
                           0x7FFFFFFF, 0xFFFFFFFC])
    if site.kind == "tensor_type":
        return rng.choice([rng.randrange(0, 20), 127, -1, rng.randrange(-128, 128)])
    if site.kind == "builtin_code":
        return rng.choice([rng.randrange(0, 210), -1, 127, 0x7FFFFFFF, 32, 209, 150, 200])
    if site.kind == "options_type":
        return rng.randrange(0, 256)
    if site.kind == "buffer_range":
        return rng.choice([0, 1, size, size - 1, 1 << 40, (1 << 64) - 1, rng.randrange(0, size + 64)])
    return rng.choice(_INTERESTING + (old + 1, old - 1, rng.randrange(0, 1 << (8 * site.width))))


def _put(buf: bytearray, site: Site, value: int) -> None:
    bits = 8 * site.width
    value &= (1 << bits) - 1
    buf[site.pos:site.pos + site.width] = value.to_bytes(site.width, "little")


def _get(buf: bytes, site: Site) -> int:
    return int.from_bytes(buf[site.pos:site.pos + site.width], "little", signed=site.signed)


class TfliteMutator:
    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.sites: dict[str, list[Site]] = {}
        for s in field_sites(self.data):
            self.sites.setdefault(s.kind, []).append(s)

    def kinds(self) -> tuple[str, ...]:
        return TFLITE_RAW_KINDS + tuple(k for k in TFLITE_FIELD_KINDS if self.sites.get(k))

    def mutate(self, kind: str, rng: random.Random) -> tuple[bytes, str]:
        d = bytearray(self.data)
        n = len(d)
        if kind == "bitflip":
            k = rng.choice([1, 1, 2, 3, 8])
            for _ in range(k):
                p = rng.randrange(n)
                d[p] ^= 1 << rng.randrange(8)
            return bytes(d), f"{k} bit(s)"
        if kind == "byteset":
            k = rng.randint(1, 4)
            for _ in range(k):
                d[rng.randrange(n)] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
            return bytes(d), f"{k} byte(s)"
        if kind == "truncate":
            cut = rng.choice([rng.randrange(n), rng.randrange(min(n, 64)), n - rng.randint(1, 16), n // 2])
            cut = max(0, min(n - 1, cut))
            return bytes(d[:cut]), f"to {cut} bytes"
        if kind == "extend":
            extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            return bytes(d) + extra, f"+{len(extra)} bytes"
        site = rng.choice(self.sites[kind])
        old = _get(self.data, site)
        new = _value_for(site, old, rng, n)
        _put(d, site, new)
        return bytes(d), f"{site.what}: {old} -> {new}"


# ---------------------------------------------------------------- MLIR text

MLIR_KINDS = ("token_delete", "token_duplicate", "token_replace", "line_delete", "line_duplicate", "truncate",
              "bad_type", "shape_change", "unbalanced", "huge_number", "invalid_utf8", "op_swap", "value_swap",
              "attr_value", "const_value", "stage_header")

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|0x[0-9A-Fa-f]+|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?'
                    r'|[%@#^!][\w$.\-]*|[A-Za-z_][\w$.]*|->|::|\S')
_TYPE = re.compile(r"\b(?:f16|f32|f64|bf16|i1|i8|i16|i32|i64|ui8|index)\b|tensor<[^<>]*>|!tf_type\.\w+")
_DIMS = re.compile(r"tensor<((?:[0-9?]+x)+)")
_NUMBER = re.compile(r"(?<![\w#%@.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_OPNAME = re.compile(r'"?\b((?:tf|tfl|stablehlo|func|arith|chlo)\.[A-Za-z_][\w.]*)\b"?')
_VALUE = re.compile(r"%[\w$.\-]+")
_DENSE = re.compile(r'dense<("0x[0-9A-Fa-f]+"|[^<>"]+?)>')
_ATTR_STR = re.compile(r'(\w+) = ("[^"\n]*"|\d+ : i\d+|true|false|[-+]?\d+\.\d+(?:e[-+]?\d+)? : f32)')

_BAD_TYPES = ("i1", "i64", "f64", "index", "tensor<*xf32>", "tensor<?x?xf32>", "tensor<0xf32>", "complex<f32>",
              "!tfl.bogus", "tensor<1x2x3x4x5x6x7xf32>", "none", "tensor<f32>", "memref<2xf32>", "vector<4xf32>",
              "tensor<2x!tf_type.string>", "tensor<4xi4>", "f8E4M3FN", "tuple<f32>", "tensor<-1xf32>",
              "tensor<18446744073709551615xf32>")
_HUGE = ("99999999999999999999999999", "1e400", "-1e400", "18446744073709551616", "2147483648", "-2147483649",
         "4294967296", "9223372036854775807", "-9223372036854775808", "0x7fffffffffffffff", "nan", "-0",
         "340282366920938463463374607431768211456", "1" * 400, "0.0000000000000000000000000000000000000000000001")
_BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x90\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00", b"\xfe\xff")
_STAGES = ("tf", "stablehlo", "tfl", "tfl-opt", "flatbuffer", "", "bogus", "tf ", "TFL")


def _tokens(text: str):
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


class MlirMutator:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.lines = text.splitlines(keepends=True)
        self.ops = sorted({m.group(1) for m in _OPNAME.finditer(text)})
        self.values = sorted({m.group(0) for m in _VALUE.finditer(text)})
        needs = {"bad_type": _TYPE, "shape_change": _DIMS, "huge_number": _NUMBER, "attr_value": _ATTR_STR,
                 "const_value": _DENSE}
        self._kinds = tuple(k for k in MLIR_KINDS if (k not in needs or needs[k].search(text))
                            and (k != "op_swap" or len(self.ops) > 1) and (k != "value_swap" or len(self.values) > 1))

    def kinds(self) -> tuple[str, ...]:
        return self._kinds

    def _sub_one(self, pattern, text, rng, repl):
        ms = list(pattern.finditer(text))
        if not ms:
            return None
        m = rng.choice(ms)
        return text[:m.start()] + repl(m) + text[m.end():], m

    def mutate(self, kind: str, rng: random.Random) -> tuple[bytes, str]:
        t = self.text
        if kind == "token_delete":
            k = rng.randint(1, 3)
            for _ in range(k):
                toks = _tokens(t)
                a, b = rng.choice(toks)
                t = t[:a] + t[b:]
            return t.encode(), f"{k} token(s)"
        if kind == "token_duplicate":
            a, b = rng.choice(self.toks)
            run = rng.choice([1, 1, 2, 5])
            b = self.toks[min(len(self.toks) - 1, self.toks.index((a, b)) + run - 1)][1]
            return (t[:b] + " " + t[a:b] + t[b:]).encode(), repr(t[a:b][:40])
        if kind == "token_replace":
            a, b = rng.choice(self.toks)
            c, d = rng.choice(self.toks)
            return (t[:a] + t[c:d] + t[b:]).encode(), f"{t[a:b][:30]!r} -> {t[c:d][:30]!r}"
        if kind in ("line_delete", "line_duplicate"):
            lines = list(self.lines)
            i = rng.randrange(len(lines))
            if kind == "line_delete":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            return "".join(lines).encode(), f"line {i + 1}"
        if kind == "truncate":
            n = len(t.encode())
            cut = rng.choice([rng.randrange(n), rng.randrange(min(n, 200)), n - rng.randint(1, 40)])
            return t.encode()[:max(0, cut)], f"to {cut} bytes"
        if kind == "bad_type":
            r = self._sub_one(_TYPE, t, rng, lambda m: rng.choice(_BAD_TYPES))
            if r:
                return r[0].encode(), f"{r[1].group(0)[:30]} -> bad type"
        if kind == "shape_change":
            def dims(m):
                ds = m.group(1)[:-1].split("x")
                j = rng.randrange(len(ds))
                ds[j] = rng.choice(["0", "1", "?", "3", str(int(ds[j]) + 1) if ds[j].isdigit() else "2", "65536",
                                    "9223372036854775807", "100000000"])
                if rng.random() < 0.2:
                    del ds[j]
                return "tensor<" + "".join(d + "x" for d in ds)
            r = self._sub_one(_DIMS, t, rng, dims)
            if r:
                return r[0].encode(), f"dims of {r[1].group(0)}"
        if kind == "unbalanced":
            brackets = [i for i, ch in enumerate(t) if ch in "{}()[]<>"]
            if brackets and rng.random() < 0.5:
                i = rng.choice(brackets)
                return (t[:i] + t[i + 1:]).encode(), f"removed {t[i]!r}"
            i = rng.randrange(len(t))
            ch = rng.choice("{}()[]<>")
            return (t[:i] + ch * rng.choice([1, 1, 3, 200]) + t[i:]).encode(), f"inserted {ch!r}"
        if kind == "huge_number":
            r = self._sub_one(_NUMBER, t, rng, lambda m: rng.choice(_HUGE))
            if r:
                return r[0].encode(), f"{r[1].group(0)} -> huge"
        if kind == "invalid_utf8":
            raw = t.encode()
            i = rng.randrange(len(raw))
            # Inside a string literal half the time: names and attributes are strings.
            quotes = [m.start() + 1 for m in re.finditer(rb'"', raw)]
            if quotes and rng.random() < 0.5:
                i = rng.choice(quotes)
            return raw[:i] + rng.choice(_BAD_UTF8) + raw[i:], f"at byte {i}"
        if kind == "op_swap" and len(self.ops) > 1:
            r = self._sub_one(_OPNAME, t, rng, lambda m: m.group(0).replace(m.group(1), rng.choice(self.ops)))
            if r:
                return r[0].encode(), f"{r[1].group(1)} -> other op"
        if kind == "value_swap" and len(self.values) > 1:
            r = self._sub_one(_VALUE, t, rng, lambda m: rng.choice(self.values))
            if r:
                return r[0].encode(), f"{r[1].group(0)} -> other value"
        if kind == "attr_value":
            def attr(m):
                v = m.group(2)
                if v.startswith('"'):
                    return f'{m.group(1)} = ' + rng.choice(['"BOGUS"', '""', '"' + "A" * 5000 + '"', '"\\00"', "42 : i32"])
                return f"{m.group(1)} = " + rng.choice(["-1 : i32", "2147483647 : i32", "0 : i32", '"x"', "-1.0e+30 : f32",
                                                          "0 : i64", "true", "999999 : i64"])
            r = self._sub_one(_ATTR_STR, t, rng, attr)
            if r:
                return r[0].encode(), f"{r[1].group(1)}"
        if kind == "const_value":
            # A constant's value, not its type: the parser and verifier accept it, passes see it.
            def const(m):
                body = m.group(1)
                if body.startswith('"0x'):
                    digits = list(body[3:-1])
                    for _ in range(rng.randint(1, 4)):
                        digits[rng.randrange(len(digits))] = rng.choice("0123456789ABCDEF")
                    return 'dense<"0x' + "".join(digits) + '">'
                nums = list(_NUMBER.finditer(body))
                if not nums:
                    return m.group(0)
                n = rng.choice(nums)
                is_float = any(c in n.group(0) for c in ".e")
                new = rng.choice(["0.000000e+00", "-1.000000e+00", "1.000000e+38", "-3.400000e+38", "1.000000e-45",
                                  "6.550400e+04"] if is_float else ["0", "-1", "1", "2147483647", "-2147483648", "3",
                                                                      "65536", "7"])
                return "dense<" + body[:n.start()] + new + body[n.end():] + ">"
            r = self._sub_one(_DENSE, t, rng, const)
            if r:
                return r[0].encode(), f"{r[1].group(0)[:40]}"
        if kind == "stage_header":
            new = rng.choice(_STAGES)
            if t.startswith("// tflx-stage: "):
                first, _, rest = t.partition("\n")
                return (f"// tflx-stage: {new}\n" + rest).encode(), f"{first[15:]} -> {new!r}"
            return (f"// tflx-stage: {new}\n" + t).encode(), f"added {new!r}"
        raise ValueError(f"mutation kind {kind!r} does not apply to this text")
