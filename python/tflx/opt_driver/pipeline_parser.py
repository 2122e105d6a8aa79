"""Pipeline text: `builtin.module(a, func.func(b{x=1}), c)` <-> the passes it names.

`parse_pipeline` reads the text into `PassSpec`s, `leaves_from_specs` flattens them into `Leaf`s
(a pass with its options and the op it is anchored on: builtin.module or func.func), and
`pipeline_text` prints leaves back as a pipeline, merging adjacent function passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import pass_catalog as cat
from ..errors import TflxError


@dataclass
class PassSpec:
    name: str
    options: str | None = None  # the text inside {...}
    nested: list["PassSpec"] | None = None  # for an op anchor: name(...)

    def text(self) -> str:
        if self.nested is not None:
            return f"{self.name}({','.join(p.text() for p in self.nested)})"
        return self.name + (f"{{{self.options}}}" if self.options else "")


_NAME_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")


def parse_pipeline(text: str) -> list[PassSpec]:
    """`builtin.module(a, func.func(b{x=1}), c)` or `a,b` -> PassSpecs (module level)."""
    pos = 0

    def fail(msg):
        raise TflxError(f"--pass-pipeline: {msg} at column {pos + 1}: {text!r}")

    def ws():
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1

    def options():
        nonlocal pos
        depth, start = 0, pos
        quote = None
        while pos < len(text):
            ch = text[pos]
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    pos += 1
                    return text[start + 1:pos - 1].strip()
            pos += 1
        fail("unbalanced '{'")

    def element():
        nonlocal pos
        ws()
        m = _NAME_CHARS.match(text, pos)
        if not m:
            fail("expected a pass name")
        name = m.group(0)
        pos = m.end()
        ws()
        spec = PassSpec(name)
        if pos < len(text) and text[pos] == "{":
            spec.options = options()
            ws()
        if pos < len(text) and text[pos] == "(":
            if spec.options is not None:
                fail("an op anchor takes no options")
            pos += 1
            ws()
            spec.nested = [] if (pos < len(text) and text[pos] == ")") else elements()
            ws()
            if pos >= len(text) or text[pos] != ")":
                fail("expected ')'")
            pos += 1
        return spec

    def elements():
        nonlocal pos
        out = [element()]
        ws()
        while pos < len(text) and text[pos] == ",":
            pos += 1
            out.append(element())
            ws()
        return out

    ws()
    if pos == len(text):
        return []
    specs = elements()
    ws()
    if pos != len(text):
        fail("unexpected text")
    if len(specs) == 1 and specs[0].nested is not None and specs[0].name in (cat.MODULE, "any"):
        specs = specs[0].nested
    return specs


@dataclass
class Leaf:
    name: str
    options: str | None
    anchor: str | None  # builtin.module / func.func; None = choose (a bare pass flag)
    provider: str = ""
    tflx_cls: type | None = None

    def text(self) -> str:
        return self.name + (f"{{{self.options}}}" if self.options else "")


def leaves_from_specs(specs: list[PassSpec], anchor: str = cat.MODULE) -> list[Leaf]:
    out = []
    for s in specs:
        if s.nested is None:
            out.append(Leaf(s.name, s.options, anchor))
        elif s.name == cat.FUNC and anchor == cat.MODULE:
            out.extend(leaves_from_specs(s.nested, cat.FUNC))
        elif s.name == cat.MODULE and anchor == cat.MODULE:
            out.extend(leaves_from_specs(s.nested, cat.MODULE))
        else:
            raise TflxError(f"--pass-pipeline: cannot nest '{s.name}(...)' inside '{anchor}': tflx-opt "
                            f"schedules passes on '{cat.MODULE}' and '{cat.FUNC}' only")
    return out


def pipeline_text(leaves: list[Leaf], wrap: bool = True) -> str:
    """Leaves -> `builtin.module(a,func.func(b,c),d)`, merging adjacent function passes.

    TF's entry point anchors its PassManager on the module it parsed, where `builtin.module(..)`
    would mean *nested* modules (and silently run nothing): TF gets the list unwrapped."""
    parts: list[str] = []
    funcs: list[str] = []
    for lf in leaves:
        if lf.anchor == cat.FUNC:
            funcs.append(lf.text())
            continue
        if funcs:
            parts.append(f"{cat.FUNC}({','.join(funcs)})")
            funcs = []
        parts.append(lf.text())
    if funcs:
        parts.append(f"{cat.FUNC}({','.join(funcs)})")
    return f"{cat.MODULE}({','.join(parts)})" if wrap else ",".join(parts)


