"""Diagnostics as tflx-opt reports and checks them.

`Diag` is one diagnostic (severity, message, line:col in the input, notes), made from MLIR's
diagnostics or from TensorFlow's error text; `DiagnosticCollector` receives the context's
diagnostics and prints them as mlir-opt does, or keeps them for `-verify-diagnostics`;
`PipelineFailure` is a failed parse or pass with its diagnostics.

`-split-input-file`: `split_input` cuts the input at `// -----` lines into chunks that keep
their line numbers. `-verify-diagnostics`: `parse_expectations` reads a chunk's
`expected-<severity>[-re][@designator] {{text}}` comments, `check_expectations` compares them
with the diagnostics produced.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import TflxError

if TYPE_CHECKING:
    from ..mlir import ir

SEVERITIES = ("error", "warning", "remark", "note")
_LOC_FILE = re.compile(r'"((?:[^"\\]|\\.)*)":(\d+):(\d+)')
_TEXT_DIAG = re.compile(r"^(?P<file>[^\n:]*):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|remark|note): (?P<msg>.*)$")


@dataclass
class Diag:
    severity: str  # error | warning | remark | note
    message: str
    line: int | None = None  # None: unknown location
    col: int | None = None
    notes: list["Diag"] = field(default_factory=list)

    def where(self, filename: str) -> str:
        return f"{filename}:{self.line}:{self.col}" if self.line is not None else f"{filename}"

    def render(self, filename: str) -> str:
        return f"{self.where(filename)}: {self.severity}: {self.message}"


def _severity_name(sev) -> str:
    s = str(sev).rsplit(".", 1)[-1].lower()
    return s if s in SEVERITIES else "error"


def _loc_line_col(loc_text: str) -> tuple[int | None, int | None]:
    m = _LOC_FILE.search(loc_text)
    if not m or int(m.group(2)) == 0:
        return None, None
    return int(m.group(2)), int(m.group(3))


def diag_from_mlir(d) -> Diag:
    line, col = _loc_line_col(str(d.location))
    return Diag(_severity_name(d.severity), str(d.message), line, col,
                [diag_from_mlir(n) for n in d.notes])


def diags_from_mlir_error(e: ir.MLIRError) -> list[Diag]:
    out = [diag_from_mlir(d) for d in getattr(e, "error_diagnostics", [])]
    if not out:
        out = [Diag("error", str(e).strip().splitlines()[-1] if str(e).strip() else "unknown error")]
    return out


def diags_from_text(text: str) -> list[Diag]:
    """Diagnostics out of TensorFlow's error text ('-:3:10: error: msg' lines; notes attach)."""
    out: list[Diag] = []
    for line in text.splitlines():
        line = line.strip()
        for prefix in ("Invalid pass_pipeline: ",):
            if line.startswith(prefix):
                line = line[len(prefix):]
        m = _TEXT_DIAG.match(line)
        if not m:
            continue
        ln, col = int(m["line"]), int(m["col"])
        d = Diag(m["sev"], m["msg"], ln or None, col if ln else None)
        if d.severity == "note" and out:
            out[-1].notes.append(d)
        else:
            out.append(d)
    return out


class DiagnosticCollector:
    """Receives the context's diagnostics: warnings, remarks, and errors emitted without failing
    a call (a failing call captures its own errors and raises). In verify mode it keeps them;
    otherwise it prints them as mlir-opt does, and remembers that an error was reported."""

    def __init__(self, filename: str, keep: bool):
        self.filename, self.keep = filename, keep
        self.diags: list[Diag] = []
        self.errors = 0

    def __call__(self, d) -> bool:
        diag = diag_from_mlir(d)
        self.add(diag)
        return True

    def add(self, diag: Diag) -> None:
        if self.keep:
            self.diags.append(diag)
            return
        self.errors += diag.severity == "error"
        print(diag.render(self.filename), file=sys.stderr)
        for n in diag.notes:
            print(n.render(self.filename), file=sys.stderr)
        sys.stderr.flush()


class PipelineFailure(Exception):
    """A pass or parse failed; carries the diagnostics and what failed."""

    def __init__(self, diags: list[Diag], pass_name: str | None = None, what: str = ""):
        super().__init__(diags[0].message if diags else what)
        self.diags, self.pass_name, self.what = diags, pass_name, what

    def to_user_error(self, filename: str) -> TflxError:
        errs = [d for d in self.diags if d.severity == "error"] or self.diags
        if errs:
            d = errs[0]
            msg = f"{d.where(filename)}: {d.message}" if d.line is not None else d.message
            if len(errs) > 1:
                msg += f" (and {len(errs) - 1} more error{'s' if len(errs) > 2 else ''})"
        else:
            msg = self.what or "failed"
        return TflxError(msg, pass_name=self.pass_name)


# ---- input chunks and verify-diagnostics ----------------------------------------------------

SPLIT_MARKER = "// -----"


@dataclass
class Chunk:
    text: str  # padded with newlines so line numbers are those of the whole input
    first_line: int  # 1-based line, in the input, where the chunk starts


def split_input(text: str, split: bool) -> list[Chunk]:
    if not split:
        return [Chunk(text, 1)]
    chunks, cur, start = [], [], 1
    for i, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.strip() == SPLIT_MARKER:
            chunks.append(Chunk("\n" * (start - 1) + "".join(cur), start))
            cur, start = [], i + 1
        else:
            cur.append(line)
    chunks.append(Chunk("\n" * (start - 1) + "".join(cur), start))
    return chunks


_EXPECT = re.compile(r"expected-(?P<sev>error|warning|remark|note)(?P<re>-re)?"
                     r"\s*(?:@(?P<at>[+-]\d+|above|below|unknown))?\s*\{\{(?P<text>.*)\}\}\s*$")


@dataclass
class Expected:
    severity: str
    line: int | None  # None: @unknown
    text: str
    is_regex: bool
    src_line: int
    matched: bool = False

    def matches(self, d: Diag) -> bool:
        if d.severity != self.severity or d.line != self.line:
            return False
        if not self.is_regex:
            return self.text in d.message
        return re.search(_regex_of(self.text), d.message) is not None


def _regex_of(text: str) -> str:
    """expected-*-re text: literal except inside {{...}}."""
    out, pos = [], 0
    for m in re.finditer(r"\{\{(.*?)\}\}", text):
        out.append(re.escape(text[pos:m.start()]))
        out.append(m.group(1))
        pos = m.end()
    out.append(re.escape(text[pos:]))
    return "".join(out)


def parse_expectations(chunk: Chunk, filename: str) -> list[Expected]:
    """expected-<severity>[-re][@+N|@-N|@above|@below|@unknown] {{text}} comments, as mlir-opt
    reads them: @above/@below name the nearest line without a designator."""
    out: list[Expected] = []
    below: list[Expected] = []
    last_plain = 0
    for idx, line in enumerate(chunk.text.splitlines(), start=1):
        m = _EXPECT.search(line.rstrip()) if "expected-" in line else None
        if not m:
            for e in below:
                e.line = idx
            below = []
            last_plain = idx
            continue
        at = m.group("at")
        e = Expected(m.group("sev"), idx, m.group("text"), bool(m.group("re")), idx)
        if at == "unknown":
            e.line = None
        elif at == "above":
            e.line = last_plain
        elif at == "below":
            below.append(e)
        elif at:
            e.line = idx + int(at)
        out.append(e)
    if below:
        raise TflxError(f"{filename}:{below[0].src_line}: expected-{below[0].severity}@below has no line below it")
    return out


def check_expectations(expected: list[Expected], diags: list[Diag], filename: str) -> list[str]:
    problems = []
    flat: list[Diag] = []
    for d in diags:
        flat.append(d)
        flat.extend(d.notes)
    want_notes = any(e.severity == "note" for e in expected)
    for d in flat:
        if d.severity == "note" and (not want_notes or d.message.startswith("see current operation")):
            continue
        candidates = [e for e in expected if e.matches(d)]
        if candidates:
            (next((e for e in candidates if not e.matched), candidates[0])).matched = True
            continue
        problems.append(f"{d.where(filename)}: error: unexpected {d.severity}: {d.message}")
    for e in expected:
        if not e.matched:
            where = f"{filename}:{e.src_line}"
            problems.append(f'{where}: error: expected {e.severity} "{e.text}" was not produced'
                            + (f" (at line {e.line})" if e.line not in (None, e.src_line) else ""))
    return problems
