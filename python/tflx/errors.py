"""User-facing errors: one message naming stage, pass/plugin, op and source location."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


class TflxError(Exception):
    """An error caused by the user's input; the CLI prints it as one line, no traceback."""

    def __init__(self, message: str, *, stage: str | None = None, pass_name: str | None = None,
                 op: str | None = None, location: str | None = None, details: str | None = None):
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.pass_name = pass_name
        self.op = op
        self.location = location
        self.details = details
        self.node: str | None = None  # TF node name, resolved to a source line by the driver

    def one_line(self) -> str:
        parts = []
        if self.stage:
            parts.append(f"stage '{self.stage}'")
        if self.pass_name:
            parts.append(f"pass '{self.pass_name}'")
        if self.op:
            parts.append(f"op '{self.op}'")
        prefix = ", ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        if self.location:
            text += f" (at {self.location})"
        return "tflx: error: " + text.replace("\n", " ")

    def __str__(self) -> str:
        return self.one_line()


# Frames inside these trees are machinery, not the user's model code.
_MACHINERY = re.compile(r"(site-packages|dist-packages|/lib/python3\.\d+/|<frozen |/tflx/)")
_FILE_LINE = re.compile(r'"([^"]+\.py)":(\d+)')


def user_source_line(location_text: str) -> str | None:
    """Pick the innermost user file:line out of an MLIR location's text (callsite/fused/name).

    TF writes an op's creation stack outermost frame first (the user's `tflx.convert(...)` call,
    then TF's tracing machinery, then the model code), so the last frame outside the machinery
    is the line that created the op."""
    if "convert_to_constants.py" in location_text:
        return None  # the stack of the graph rebuild done by freezing, not of the model code
    frames = _FILE_LINE.findall(location_text)
    for path, line in reversed(frames):
        if not _MACHINERY.search(path):
            return f"{path}:{line}"
    return None


_DIAG = re.compile(r"(?:loc\((?P<loc>[^\n]*?)\)|<unknown>|[^\s:]+:\d+:\d+):\s*error:\s*(?P<msg>[^\n]*)")
_OP_IN_MSG = re.compile(r"'((?:tf|tfl|stablehlo|chlo|mhlo|shape|func|arith|vhlo)\.[A-Za-z0-9_.]+)'")


_CALLSITE_NAME = re.compile(r'callsite\("([^"]+)"\(')
_NAME_LOC = re.compile(r'(?:loc\(|fused\[)"([^"]+)"(?!:\d)')  # a name, not a "file":line


_QUOTED = re.compile(r'"([^"]+)"')


def node_name(location_text: str) -> str | None:
    """The TF graph node name in an imported op's location: `callsite("add"(...))` or
    `loc("MatrixDeterminant:")`. An op inlined from a called function
    (`callsite(fused["Mul:", "mul@fn"] at fused["PartitionedCall:", "PartitionedCall"])`) is
    named by its call path, as freezing names it: `PartitionedCall/mul`."""
    if "callsite(" in location_text and "@" in location_text:
        names = [n for n in _QUOTED.findall(location_text)
                 if not n.endswith(":") and not n.endswith(".py") and "/" not in n.split("@")[0][:1]]
        names = [n.split("@")[0] for n in names if not re.search(r"\.py$|^/|^<", n)]
        if names:
            return "/".join(reversed(names))
    m = _CALLSITE_NAME.search(location_text) or _NAME_LOC.search(location_text)
    return m.group(1).rstrip(":") if m else None


def mlir_error_parts(exc: BaseException) -> tuple[str, str | None]:
    """(first error message without its location, that location's text) of an MLIRError."""
    diags = getattr(exc, "error_diagnostics", None) or []
    if diags:
        return str(diags[0].message), str(diags[0].location)
    return condense_mlir_error(str(exc)), None


def first_op_name(text: str) -> str | None:
    m = _OP_IN_MSG.search(text)
    return m.group(1) if m else None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (TF's are pages long), or its type name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def condense_mlir_error(text: str) -> str:
    """Reduce MLIR's multi-line diagnostic dump to the first error message."""
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else text.strip()


class CannotInfer(ValueError):
    """No result-type inference applies to an op a rule builds (tflx.result_types): the rule
    gives the result type itself."""
