"""The engine behind `tflx-opt`: one pass pipeline over three pass providers.

A pipeline (from `--pass-pipeline='builtin.module(...)'` or from pass flags) is split into its
passes, and each pass is given to the provider that has it:

    tflx        Python passes from `tflx.plugin.registered_passes()`; run on the whole module
                in the litert context, then the module is verified.
    litert      passes registered in litert-converter's MLIR; run with its PassManager in the
                context from `tflx.mlir.new_context()`.
    tf          passes registered in TensorFlow's MLIR; the module is printed (with locations),
                run through `tf.mlir.experimental.run_pass_pipeline` and parsed back. TensorFlow
                is imported only when such a pass is used.

A name both litert and TF register (`canonicalize`, `cse`, ...) runs with TF when its nearest
neighbour in the pipeline is a TF pass (the IR is then in TF's hands anyway), else with litert;
`tf-*` names both register (`tf-stablehlo`) run with TF, which knows the tf dialect.

Where each litert/TF pass may be scheduled comes from `tflx.pass_catalog`; a pipeline is checked
against it before any native parser sees it (a mis-nested registered pipeline aborts the process).
Pass flags are nested automatically: `-tfl-optimize` becomes `func.func(tfl-optimize)`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field

from . import pass_catalog as cat
from .errors import TflxError
from .plugin import option_value
from .mlir import ir, passmanager, print_module

TFLX, LITERT, TF = "tflx", "litert", "tf"
PROVIDER_TITLES = {TFLX: "tflx", LITERT: "litert-converter", TF: "TensorFlow"}


# ---- diagnostics --------------------------------------------------------------------------

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


# ---- pipeline text ------------------------------------------------------------------------

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


# ---- resolving passes to providers --------------------------------------------------------

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


def _tflx_passes() -> dict:
    from .plugin import registered_passes
    return registered_passes()


def known_pass_names(include_tf: bool) -> list[str]:
    names = set(_tflx_passes()) | set(cat.LITERT.catalog())
    if include_tf:
        names |= set(cat.TENSORFLOW.catalog())
    return sorted(names)


def unknown_pass_error(name: str) -> TflxError:
    names = known_pass_names(include_tf=True)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; see tflx-opt --list-passes"
    return TflxError(f"unknown pass '{name}'{hint}")


def resolve(leaves: list[Leaf]) -> list[Leaf]:
    """Give every pass its provider and anchor, or raise a one-line error."""
    tflx = _tflx_passes()
    litert_anchors: dict[str, list[str] | None] = {}
    need_tf = False
    for lf in leaves:
        if lf.name in tflx:
            lf.provider, lf.tflx_cls = TFLX, tflx[lf.name]
            continue
        litert_anchors[lf.name] = cat.LITERT.anchors(lf.name)
        if litert_anchors[lf.name] is None or lf.name.startswith("tf-"):
            need_tf = True
    tf_anchors: dict[str, list[str] | None] = {}
    if need_tf:
        for lf in leaves:
            if lf.provider != TFLX:
                tf_anchors[lf.name] = cat.TENSORFLOW.anchors(lf.name)
    # exclusive providers first
    for lf in leaves:
        if lf.provider:
            continue
        in_lt, in_tf = litert_anchors.get(lf.name) is not None, tf_anchors.get(lf.name) is not None
        if not in_lt and not in_tf:
            raise unknown_pass_error(lf.name)
        if in_tf and (not in_lt or lf.name.startswith("tf-")):
            lf.provider = TF
        elif in_lt and not in_tf:
            lf.provider = LITERT
    # shared names follow their nearest neighbour that is a TF pass
    for i, lf in enumerate(leaves):
        if lf.provider:
            continue
        near = [x for x in leaves[:i][::-1] if x.provider][:1] + [x for x in leaves[i + 1:] if x.provider][:1]
        lf.provider = TF if near and near[0].provider == TF else LITERT
    # anchors
    for lf in leaves:
        if lf.provider == TFLX:
            lf.anchor = cat.MODULE
            if lf.options:
                _tflx_options(lf)  # validate early
            continue
        allowed = (tf_anchors if lf.provider == TF else litert_anchors)[lf.name] or []
        if lf.anchor is None:
            if not allowed:
                raise TflxError(f"pass '{lf.name}' ({PROVIDER_TITLES[lf.provider]}) cannot be scheduled on "
                                f"'{cat.MODULE}' or '{cat.FUNC}'")
            lf.anchor = allowed[0]
        elif lf.anchor not in allowed:
            where = " or ".join(f"'{a}'" for a in allowed) or "neither 'builtin.module' nor 'func.func'"
            hint = f": write {cat.FUNC}({lf.text()})" if allowed == [cat.FUNC] else ""
            raise TflxError(f"pass '{lf.name}' cannot run on '{lf.anchor}' (it runs on {where}){hint}")
    _check_litert_options(leaves)
    _check_tf_options(leaves)
    return leaves


def _check_tf_options(leaves: list[Leaf]) -> None:
    """Build each TF pass that has options, followed by a pass with a bad option so nothing
    runs: a bad option of ours is reported before any input is read."""
    todo = [lf for lf in leaves if lf.provider == TF and lf.options]
    if not todo:
        return
    tf = cat.import_tensorflow()
    for lf in todo:
        probe = f"{pipeline_text([lf], wrap=False)},canonicalize{{{cat._SENTINEL}=1}}"
        try:
            tf.mlir.experimental.run_pass_pipeline("module {}", probe)
            continue
        except Exception as e:  # noqa: BLE001 - TF status errors
            text = str(e)
        if f"no such option {cat._SENTINEL}" in text:
            continue
        lines = [ln.strip(" :") for ln in text.replace("Invalid pass_pipeline:", "").splitlines() if ln.strip(" :")]
        first = lines[0].replace("<Pass-Options-Parser>", "").strip(" :") if lines else text
        raise TflxError(f"pass '{lf.name}': bad options {{{lf.options}}}: {first}")


def _check_litert_options(leaves: list[Leaf]) -> None:
    """Build each litert pass once (anchors are known good by now) so a bad option is reported
    before any input is read."""
    ctx = None
    for lf in leaves:
        if lf.provider != LITERT or not lf.options:
            continue
        ctx = ctx or ir.Context()
        with _native_stderr_captured() as said:
            try:
                passmanager.PassManager.parse(pipeline_text([lf]), context=ctx)
                error = None
            except ValueError as e:
                error = e
        if error is not None:
            # LLVM's option parser explains a bad value on fd 2, the exception only says "failed".
            lines = [ln.strip(" :") for ln in (said[0] + "\n" + str(error)).splitlines() if ln.strip(" :")]
            first = lines[0].replace("<Pass-Options-Parser>", "").strip(" :") if lines else str(error)
            raise TflxError(f"pass '{lf.name}': bad options {{{lf.options}}}: {first}")


@contextlib.contextmanager
def _native_stderr_captured():
    """Collect what native code writes to fd 2 meanwhile; yields a one-item list filled on exit."""
    out = [""]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out[0] = tmp.read().decode("utf-8", "replace")


def _tflx_options(lf: Leaf) -> dict:
    """`a=1 b=x` for a tflx pass -> constructor kwargs, converted by the field defaults."""
    if not lf.options:
        return {}
    fields = {f.name: f for f in dataclasses.fields(lf.tflx_cls)} if dataclasses.is_dataclass(lf.tflx_cls) else {}
    out = {}
    for item in lf.options.split():
        key, eq, value = item.partition("=")
        key = key.replace("-", "_")  # MLIR spells options with hyphens: enable-dynamic-update-slice
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise TflxError(f"pass '{lf.name}': no option '{key}' (options: {known})")
        f = fields[key]
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
        try:
            out[key] = option_value(value if eq else "true", default)
        except ValueError as e:
            raise TflxError(f"pass '{lf.name}': option '{key}': {e}") from None
    return out


def group(leaves: list[Leaf]) -> list[tuple[str, list[Leaf]]]:
    groups: list[tuple[str, list[Leaf]]] = []
    for lf in leaves:
        if lf.provider != TFLX and groups and groups[-1][0] == lf.provider:
            groups[-1][1].append(lf)
        else:
            groups.append((lf.provider, [lf]))
    return groups


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


# ---- running ------------------------------------------------------------------------------

@dataclass
class PrintOptions:
    debug_info: bool = False
    generic: bool = False
    ir_after_all: bool = False


def dump_header(title: str) -> str:
    return f"// -----// IR Dump After {title} //----- //"


class Runner:
    """Runs resolved passes over one input chunk.

    The IR is held either as a litert-context module or, around TensorFlow passes, as the text
    TensorFlow printed: IR in dialects only TF knows (tf_executor, say) then never needs to
    parse in litert's context. The input goes to TF as text when the first pass is a TF pass."""

    def __init__(self, leaves: list[Leaf], printing: PrintOptions, collector: DiagnosticCollector,
                 ctx: ir.Context):
        self.groups = group(leaves)
        self.printing = printing
        self.collector = collector
        self.ctx = ctx

    # -- representations --
    def parse_input(self, text: str) -> ir.Module:
        with self.ctx:
            try:
                return ir.Module.parse(text)
            except ir.MLIRError as e:
                raise PipelineFailure(diags_from_mlir_error(e), what="parse") from None
            except (ValueError, RuntimeError, MemoryError) as e:  # e.g. "SmallVector unable to grow" for a
                # tensor<9223372036854775807x2xi64> attribute: a fatal LLVM error the bindings raise
                raise PipelineFailure([Diag("error", " ".join(str(e).split()) or type(e).__name__)],
                                      what="parse") from None

    def _module(self, state, leaves: list[Leaf] | None = None) -> ir.Module:
        if isinstance(state, ir.Module):
            return state
        from .passes import legalize_shape_to_stablehlo as shape_pass
        with self.ctx:
            try:
                return ir.Module.parse(shape_pass.to_generic_form(state))
            except ir.MLIRError as e:
                diags = diags_from_mlir_error(e)
                for d in diags:
                    d.message = f"cannot read TensorFlow's output into litert's context: {d.message}"
                raise PipelineFailure(diags, leaves[-1].name if leaves else None) from None

    def _tf_reprint(self, text: str) -> str:
        """TF-only IR, printed by TF with or without locations (generic form is not offered)."""
        if self.printing.debug_info:
            return text
        tf = cat.import_tensorflow()
        return tf.mlir.experimental.run_pass_pipeline(text, "", show_debug_info=False)

    def final(self, state):
        """The result: a litert module, or TF's text when litert cannot parse it."""
        if isinstance(state, ir.Module):
            return state
        try:
            return self._module(state)
        except PipelineFailure:
            return self._tf_reprint(state)

    def _dump(self, title: str, state) -> None:
        if not self.printing.ir_after_all:
            return
        shown = self.final(state)
        if isinstance(shown, ir.Module):
            shown = print_module(shown, debug_info=self.printing.debug_info, generic=self.printing.generic)
        sys.stdout.flush()
        print(dump_header(title), file=sys.stderr)
        print(shown, file=sys.stderr)
        sys.stderr.flush()

    # -- running --
    def run(self, text: str):
        """Input text -> final state (ir.Module, or str when only TF can hold the IR)."""
        state = text if self.groups and self.groups[0][0] == TF else self.parse_input(text)
        for provider, leaves in self.groups:
            if provider == TFLX:
                state = self._run_tflx(leaves[0], self._module(state, leaves))
            elif provider == LITERT:
                state = self._run_litert(leaves, self._module(state, leaves))
            else:
                state = self._run_tf(leaves, state)
        return self.final(state)

    def _run_tflx(self, lf: Leaf, module: ir.Module) -> ir.Module:
        from .plugin import PatternError
        cls = lf.tflx_cls
        with module.context:
            try:
                cls(**_tflx_options(lf)).run(module)
            except PatternError as e:
                line, col = _loc_line_col(e.location)
                raise PipelineFailure([Diag("error", f"pattern {e.rule} raised {type(e.cause).__name__}: {e.cause}",
                                            line, col)], lf.name) from None
            except TflxError as e:
                raise PipelineFailure([Diag("error", e.message)], lf.name) from None
            except ir.MLIRError as e:
                raise PipelineFailure(diags_from_mlir_error(e), lf.name) from None
            except Exception as e:  # noqa: BLE001 - a plugin bug is reported, not propagated
                raise PipelineFailure([Diag("error", f"raised {type(e).__name__}: {e} ({cls.raise_site(e)})")],
                                      lf.name) from None
            try:
                module.operation.verify()
            except ir.MLIRError as e:
                raise PipelineFailure(diags_from_mlir_error(e), lf.name) from None
        self._dump(f"{cls.__name__}: {lf.text()}", module)
        return module

    def _run_litert(self, leaves: list[Leaf], module: ir.Module) -> ir.Module:
        text = pipeline_text(leaves)
        with module.context:
            try:
                pm = passmanager.PassManager.parse(text)
            except ValueError as e:  # a usage error, not a diagnostic about the input
                lines = [ln for ln in str(e).splitlines() if ln.strip()]
                raise TflxError(f"invalid pipeline {text}: {' '.join(lines[:2])}",
                                pass_name=leaves[0].name if len(leaves) == 1 else None) from None
            if self.printing.ir_after_all:
                sys.stdout.flush()
                sys.stderr.flush()
                pm.enable_ir_printing(print_after_all=True, enable_debug_info=self.printing.debug_info,
                                      print_generic_op_form=self.printing.generic)
            try:
                pm.run(module.operation)
            except ir.MLIRError as e:
                raise PipelineFailure(diags_from_mlir_error(e), _failed_pass(str(e), leaves)) from None
        return module

    def _run_tf(self, leaves: list[Leaf], state) -> str:
        if isinstance(state, ir.Module):
            bad = sorted({op for op in _op_names(state) if op.startswith("tfl.")})
            if bad:
                raise PipelineFailure([Diag("error", f"TensorFlow passes cannot run on IR with tfl ops ({bad[0]}): "
                                                     "TensorFlow's MLIR does not know the tfl dialect")],
                                      leaves[0].name)
            text = print_module(state, debug_info=True)
        else:
            text = state
        from .isolate import run_tf_pipeline  # TF's passes abort on some valid IR: run them in a child
        cat.import_tensorflow()
        if not isinstance(state, ir.Module):  # the user's input: report syntax errors as such
            try:
                run_tf_pipeline(text, "", show_debug_info=False, what="TensorFlow's MLIR parser")
            except TflxError:
                raise
            except Exception as e:  # noqa: BLE001
                raise PipelineFailure(diags_from_text(str(e)) or [Diag("error", str(e).strip())],
                                      what="parse") from None
        steps = [[lf] for lf in leaves] if self.printing.ir_after_all else [leaves]
        for step in steps:
            pipe = pipeline_text(step, wrap=False)
            try:
                text = run_tf_pipeline(text, pipe, what=f"TensorFlow's pass pipeline '{pipe}'",
                                       pass_name=step[0].name if len(step) == 1 else None)
            except TflxError:
                raise
            except Exception as e:  # noqa: BLE001 - TF raises status errors of several types
                msg = str(e)
                if msg.startswith("Invalid pass_pipeline"):  # usage error, not about the input
                    raise TflxError(" ".join(msg.split()), pass_name=_failed_pass(msg, step)) from None
                diags = diags_from_text(msg) or [Diag("error", msg.strip().splitlines()[0] if msg.strip() else
                                                      type(e).__name__)]
                raise PipelineFailure(diags, _failed_pass(msg, step)) from None
            self._dump(f"TensorFlow: {step[0].text()}", text)
        return text


def _failed_pass(text: str, leaves: list[Leaf]) -> str | None:
    if len(leaves) == 1:
        return leaves[0].name
    for lf in leaves:
        if f"({lf.name})" in text or f"`{lf.name}`" in text:
            return lf.name
    return None


def _op_names(module: ir.Module):
    from .mlir import walk_ops
    return {op.name for op in walk_ops(module)}


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
