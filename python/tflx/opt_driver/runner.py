"""Running resolved passes over one input: provider by provider, with the IR held as a
litert-context module or, around TensorFlow passes, as the text TensorFlow printed."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from .. import pass_catalog as cat
from ..errors import TflxError
from ..mlir import ir, passmanager, print_module
from .diagnostics import Diag, DiagnosticCollector, PipelineFailure, _loc_line_col, diags_from_mlir_error, diags_from_text
from .pipeline_parser import Leaf, pipeline_text
from .providers import LITERT, TF, TFLX, _tflx_options


def group(leaves: list[Leaf]) -> list[tuple[str, list[Leaf]]]:
    groups: list[tuple[str, list[Leaf]]] = []
    for lf in leaves:
        if lf.provider != TFLX and groups and groups[-1][0] == lf.provider:
            groups[-1][1].append(lf)
        else:
            groups.append((lf.provider, [lf]))
    return groups


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
        from ..generic_form import to_generic_form
        with self.ctx:
            try:
                return ir.Module.parse(to_generic_form(state))
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
        from ..plugin import PassRaised, PatternError, run_pass
        cls = lf.tflx_cls
        try:
            run_pass(cls(**_tflx_options(lf)), module)
        except PatternError as e:
            line, col = _loc_line_col(e.location)
            raise PipelineFailure([Diag("error", f"pattern {e.rule} raised {type(e.cause).__name__}: {e.cause}",
                                        line, col)], lf.name) from None
        except TflxError as e:
            raise PipelineFailure([Diag("error", e.message)], lf.name) from None
        except ir.MLIRError as e:
            raise PipelineFailure(diags_from_mlir_error(e), lf.name) from None
        except PassRaised as e:
            raise PipelineFailure([Diag("error", f"raised {e} ({e.site})")], lf.name) from None
        with module.context:
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
        from ..isolate import run_tf_pipeline  # TF's passes abort on some valid IR: run them in a child
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
    from ..mlir import walk_ops
    return {op.name for op in walk_ops(module)}
