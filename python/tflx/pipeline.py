"""The conversion driver: runs the stages in order, the passes at each stage boundary,
records timings and histograms, dumps and resumes."""
from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from . import routes
from . import stages as st
from .atomic import write_atomic
from .errors import TflxError
from .mlir import clone_module, ir, new_context, op_histogram, parse_module, print_module, verify, walk_ops
from .plugin import Pass, PassRaised, PatternError, PatternPass, run_pass

STAGE_HEADER = "// tflx-stage: "


@dataclass
class ConversionResult:
    stages: dict[str, st.StageResult] = field(default_factory=dict)
    flatbuffer: bytes | None = None
    notes: list[str] = field(default_factory=list)
    pass_counts: dict[str, int] = field(default_factory=dict)
    pass_rewrites: dict[str, dict[str, int]] = field(default_factory=dict)  # pass -> {op name: ops it removed}
    routes: routes.RouteRecord = field(default_factory=routes.RouteRecord)  # which route each TF op took
    fake_quant: bool = False  # quantized in the tfl stage from the model's fake-quant ranges (QAT)

    @property
    def timings(self) -> dict[str, float]:
        return {name: r.seconds for name, r in self.stages.items()}

    def op_histogram(self, stage: str | None = None) -> dict[str, int]:
        """Ops of the .tflite (builtin names), or of the given stage's IR."""
        if stage is None and self.flatbuffer is not None:
            from .flatbuffer import op_histogram
            return dict(op_histogram(self.flatbuffer))
        name = stage or list(self.stages)[-1]
        return dict(self.stages[name].histogram)

    def ir(self, stage: str) -> str:
        return self.stages[stage].text

    def save(self, path: str | os.PathLike) -> None:
        if self.flatbuffer is None:
            raise TflxError("no flatbuffer: the conversion stopped before the 'flatbuffer' stage")
        write_atomic(path, self.flatbuffer)


def default_passes(disabled: Iterable[str] = ()) -> list[Pass]:
    from tflx.passes import DEFAULT_PASSES, registered_passes
    reg = registered_passes()
    disabled = set(disabled)
    unknown = disabled - set(reg)
    if unknown:
        raise TflxError(f"--disable-pass: unknown pass(es) {sorted(unknown)}")
    return [reg[n]() for n in DEFAULT_PASSES if n not in disabled]


def run_passes(passes: list[Pass], stage: str, module: ir.Module, result: ConversionResult,
               on_failure: FailureHook | None = None) -> None:
    for p in passes:
        if p.stage != stage:
            continue
        before = module.operation.clone() if on_failure else None
        hist = op_histogram(module)
        try:
            n = _run_pass(p, stage, module)
        except TflxError as e:
            if on_failure:
                on_failure(stage, p.name, _asm(before), e)
            raise
        result.pass_counts[p.name] = result.pass_counts.get(p.name, 0) + (n or 0)
        # Which ops the pass took away (by name): what `tflx assess` credits it with. A pattern
        # pass is credited only with the ops its rules match (not with what folding cleaned up).
        after = op_histogram(module)
        matched = {r[0] for r in p.rules()} if hasattr(p, "rules") else None
        removed = {k: v - after.get(k, 0) for k, v in hist.items()
                   if after.get(k, 0) < v and (matched is None or k in matched)}
        if removed:
            rec = result.pass_rewrites.setdefault(p.name, {})
            for k, v in removed.items():
                rec[k] = rec.get(k, 0) + v


def _run_pass(p: Pass, stage: str, module: ir.Module) -> int:
    try:
        n = run_pass(p, module)
    except PatternError as e:
        raise TflxError(f"pattern {e.rule} raised {type(e.cause).__name__}: {e.cause}",
                        stage=stage, pass_name=p.name, op=e.op_name, location=e.location) from None
    except PassRaised as e:
        raise TflxError(f"raised {e}", stage=stage, pass_name=p.name, location=e.site) from None
    except ir.MLIRError as e:
        raise TflxError(f"raised MLIRError: {e}", stage=stage, pass_name=p.name, location=p.source()) from None
    verify(module, stage=stage, pass_name=p.name, location=f"pass defined at {p.source()}")
    return n


def _lower_to_stablehlo(tf_module, ctx, weights, plan, result):
    """The stablehlo stage; an op whose StableHLO lowering fails is retried directly (auto)."""
    while True:
        record = routes.RouteRecord(fallbacks=result.routes.fallbacks)
        try:
            module = st.lower_to_stablehlo(tf_module, ctx, weights, plan, record)
        except TflxError as e:
            retry = routes.fallback_for_stablehlo_error(plan, record, e)
            if retry is None:
                raise
            result.routes.fallbacks.append(routes.describe_retry(plan, retry))
            plan = retry
            continue
        result.routes = record
        return module, plan


def _legalize_to_tfl(module, ctx, fuse: dict, tf_module, weights, plan, result, passes, dump_dir,
                     counts_before_shlo, untrusted):
    """The tfl stage. In auto mode, TF ops the direct route leaves unconverted are retried through
    StableHLO (the stablehlo stage re-run with those instances routed there); the retry is kept
    when it leaves fewer TF ops."""
    def legalize(m):
        # It rewrites in place: work on a copy so the previous stage's result keeps its IR.
        try:
            out = st.legalize_to_tfl(clone_module(m), ctx, **fuse, isolated=untrusted)
        except TflxError as e:
            if not (e.op or "").startswith("tf."):
                raise
            return None, [(routes.op_type(e.op), "")], e
        return out, routes.leftover_tf_ops(out), None

    out, left, err = legalize(module)
    while left and tf_module is not None:
        retry = routes.fallback_for_leftovers(plan, result.routes, left)
        if retry is None:
            break
        saved = (plan, result.routes, result.pass_counts, result.pass_rewrites)
        note = routes.describe_retry(plan, retry)
        # The re-run stage's passes count instead of the first run's.
        result.pass_counts, result.pass_rewrites = copy.deepcopy(counts_before_shlo)
        try:
            shlo, retry = _lower_to_stablehlo(tf_module, ctx, weights, retry, result)
            run_passes(list(passes), "stablehlo", shlo, result)  # a failure here only rejects the retry
            out2, left2, err2 = legalize(shlo)
        except TflxError:
            out2 = err2 = None
        retry_failed = out2 is None and err2 is None
        if retry_failed or (err is None and len(left2) >= len(left)):  # no better than the direct route
            plan, result.routes, result.pass_counts, result.pass_rewrites = saved
            result.routes.fallbacks.append(note + " (no better: kept the direct route)")
            break
        result.routes.fallbacks.append(note)
        plan, out, left, err = retry, out2, left2, err2
        r = result.stages["stablehlo"]
        result.stages["stablehlo"] = st.StageResult("stablehlo", r.seconds, shlo, None, op_histogram(shlo))
        if dump_dir:
            _dump(dump_dir, "stablehlo", result.stages["stablehlo"])
    if err is not None:
        raise err
    return out


# on_failure(stage, pass name or None for the stage's own step, IR text right before the failing
# step (None when there is none: the TF import), the error) -- called before the error propagates.
FailureHook = Callable[[str, "str | None", "str | None", TflxError], None]


def _asm(op) -> str | None:
    return None if op is None else op.get_asm(enable_debug_info=True, large_elements_limit=None)


def quantize_file(path: str, mode: str, data=None, io_type: str = "float32", dump_dir=None, on_start=None,
                  on_stage=None, passes=()) -> ConversionResult:
    """Resume at the quantize stage: a float .tflite (e.g. a dump's 04-flatbuffer.tflite) quantized."""
    from .flatbuffer import validate
    try:
        with open(path, "rb") as f:
            fb = f.read()
    except OSError as e:
        raise TflxError(f"cannot read '{path}': {e.strerror or e}") from None
    validate(fb, f"'{path}'")
    result = ConversionResult()
    result.flatbuffer = fb
    _quantize_stage(result, new_context(), mode, data, io_type, dump_dir, on_start, on_stage, passes)
    return result


def _quantize_stage(result, ctx, mode, data, io_type, dump_dir, on_start, on_stage, passes=(),
                    on_failure=None) -> None:
    """After the flatbuffer stage: the quantized .tflite (tflx.quantize), dumped as 05-quantize.
    Passes of stage "quantize" (plugins) rewrite its read-back IR; the file is then re-exported."""
    from . import quantize as qz
    if on_start:
        on_start("quantize")
    t0 = time.perf_counter()
    if result.fake_quant:  # quantized in the tfl stage: only the I/O types
        fb = qz.integer_model_io(result.flatbuffer, io_type)
    else:
        fb = qz.quantize(result.flatbuffer, mode, data, io_type)
    module = st.flatbuffer_to_module(fb, ctx)
    todo = [p for p in passes if p.stage == "quantize"]
    if todo:
        before = dict(result.pass_counts)
        run_passes(todo, "quantize", module, result, on_failure)
        # Pattern passes count their rewrites exactly; any other pass may have changed the IR.
        if any(result.pass_counts.get(p.name, 0) != before.get(p.name, 0) or not isinstance(p, PatternPass)
               for p in todo):  # something rewrote: write the file anew
            fb = st.export_flatbuffer(module, ctx)
            module = st.flatbuffer_to_module(fb, ctx)
    r = st.StageResult("quantize", time.perf_counter() - t0, module, fb, op_histogram(module), None)
    result.stages["quantize"] = r
    result.flatbuffer = fb
    if dump_dir:
        _dump(dump_dir, "quantize", r)
    if on_stage:
        on_stage("quantize", r)


def has_fake_quant(module: ir.Module) -> bool:
    return any(op.name.startswith(routes.FAKE_QUANT_OPS) for op in walk_ops(module))


def _dump(dump_dir: str, stage: str, result: st.StageResult) -> None:
    idx = st.STAGES.index(stage) if stage in st.STAGES else len(st.STAGES)  # quantize: 05
    write_atomic(os.path.join(dump_dir, f"{idx:02d}-{stage}.mlir"), STAGE_HEADER + stage + "\n" + result.text)
    if result.flatbuffer is not None:
        write_atomic(os.path.join(dump_dir, f"{idx:02d}-{stage}.tflite"), result.flatbuffer)


def read_stage_file(path: str, stage: str | None, ctx: ir.Context) -> tuple[str, ir.Module]:
    """Load an (edited) stage dump; its header names the stage unless `stage` is given."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise TflxError(f"cannot read '{path}': {e}") from None
    if stage is None:
        first = text.splitlines()[0] if text else ""
        if not first.startswith(STAGE_HEADER):
            raise TflxError(f"'{path}' does not say which stage it is: pass --stage ({', '.join(st.STAGES[:-1])})")
        stage = first[len(STAGE_HEADER):].strip()
    if stage not in st.STAGES[:-1]:
        raise TflxError(f"cannot resume from stage '{stage}': choose one of {', '.join(st.STAGES[:-1])}")
    module = parse_module(text, ctx, stage=stage, what=f"'{path}'")
    verify(module, stage=stage)
    return stage, module


def run(*, signatures=None, **kwargs) -> ConversionResult:
    """Run the stages; a TflxError naming a TF node gets the user's source line for it."""
    sources = {}
    for sig in signatures or ():
        sources.update(sig.node_sources)
    partial = ConversionResult()
    try:
        return _run(signatures=signatures, result=partial, **kwargs)
    except TflxError as e:
        if e.location is None and e.node:
            e.location = sources.get(e.node) or f"TF node '{e.node}'"
        e.routes = partial.routes  # which route each op type had taken (failure reports)
        _dump_failure(kwargs.get("dump_dir"), partial, e)
        raise
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as the CLI maps it
        _dump_failure(kwargs.get("dump_dir"), partial, None)
        raise


FAILURE_FILE = "failure.json"


def _dump_failure(dump_dir: str | None, partial: ConversionResult, err: TflxError | None) -> None:
    """Beside the dumps of the stages that finished: what failed (or that it was interrupted).
    Dump files of later stages, if any, are left over from an earlier run."""
    if not dump_dir:
        return
    done = list(partial.stages)
    record = {"error": err.one_line() if err else "interrupted", "stage": err.stage if err else None,
              "pass": err.pass_name if err else None, "op": err.op if err else None,
              "location": err.location if err else None, "completed_stages": done,
              "dumps": [f for f in (f"{st.STAGES.index(s):02d}-{s}.mlir" for s in done)
                        if os.path.exists(os.path.join(dump_dir, f))],
              "timings": partial.timings, "passes": partial.pass_counts, "routes": partial.routes.to_json()}
    write_atomic(os.path.join(dump_dir, FAILURE_FILE), json.dumps(record, indent=2) + "\n")


def _run(*, signatures=None, resume: tuple[str, ir.Module] | None = None, ctx: ir.Context | None = None,
        passes: list[Pass] = (), stop_after: str | None = None, dump_dir: str | None = None,
        fuse_dynamic_broadcast: bool = True, canonicalize_inf: bool = False, resume_passes: bool = False,
        quantize: str | None = None, representative_data=None, io_type: str = "float32",
        route_plan: routes.RoutePlan | None = None,
        on_stage: Callable[[str, st.StageResult], None] | None = None,
        on_start: Callable[[str], None] | None = None,
        on_failure: FailureHook | None = None, result: ConversionResult | None = None) -> ConversionResult:
    ctx = ctx or new_context()
    result = result if result is not None else ConversionResult()
    if stop_after is not None and stop_after not in st.STAGES:
        raise TflxError(f"unknown stage '{stop_after}': choose one of {', '.join(st.STAGES)}")
    if resume is not None:
        from_stage, module = resume
        todo = st.STAGES[st.STAGES.index(from_stage) + 1:]
        if resume_passes:  # a fresh module entering at this stage (JAX): its passes still run
            t0 = time.perf_counter()
            run_passes(list(passes), from_stage, module, result, on_failure)
            result.stages[from_stage] = st.StageResult(from_stage, time.perf_counter() - t0, module,
                                                       None, op_histogram(module))
            if dump_dir:
                _dump(dump_dir, from_stage, result.stages[from_stage])
    else:
        module, todo = None, st.STAGES
    if stop_after is not None and stop_after not in todo:
        raise TflxError(f"--stop-after {stop_after}: that stage is not run when resuming after '{from_stage}'")

    weights: dict = {}  # captured variables' values, lifted to arguments until stablehlo
    plan = route_plan or routes.RoutePlan()
    tf_module = None  # the stablehlo stage's input, kept for the route fallback
    counts_before_shlo = None
    for stage in todo:
        if on_start:
            on_start(stage)
        t0 = time.perf_counter()
        fb = None
        before = module.operation.clone() if on_failure and module is not None else None
        try:
            if stage == "tf":
                module = st.import_tf(signatures, ctx, weights)
            elif stage == "stablehlo":
                tf_module = module
                module, plan = _lower_to_stablehlo(tf_module, ctx, weights, plan, result)
            elif stage == "tfl":
                # a quantization-aware-trained model: its fake-quant ranges give the int8 kernels
                result.fake_quant = quantize == "int8" and has_fake_quant(module)
                module = _legalize_to_tfl(module, ctx, {"fuse_dynamic_broadcast": fuse_dynamic_broadcast,
                                                        "canonicalize_inf": canonicalize_inf,
                                                        "quantize_fake_quant": result.fake_quant}, tf_module, weights, plan, result,
                                          passes, dump_dir, counts_before_shlo,
                                          untrusted=resume is not None and not resume_passes)
            elif stage == "tfl-opt":
                module = st.optimize_tfl(clone_module(module), ctx)
            elif stage == "flatbuffer":
                fb = st.export_flatbuffer(module, ctx)
                module = st.flatbuffer_to_module(fb, ctx)
                result.flatbuffer = fb
        except TflxError as e:
            if on_failure:
                on_failure(stage, None, st.materialized_text(before, weights, "tf") if before is not None
                           and stage == "stablehlo" else _asm(before), e)
            raise
        del before
        if stage == "stablehlo":  # what the route fallback rolls back to when it re-runs the stage
            counts_before_shlo = (dict(result.pass_counts), {k: dict(v) for k, v in result.pass_rewrites.items()})
        if stage != "flatbuffer":
            run_passes(list(passes), stage, module, result, on_failure)
        r = st.StageResult(stage, time.perf_counter() - t0, module, fb, op_histogram(module),
                           weights if stage == "tf" else None)
        result.stages[stage] = r
        if dump_dir:
            _dump(dump_dir, stage, r)
        if on_stage:
            on_stage(stage, r)
        if stage == stop_after:
            break
    if quantize and "flatbuffer" in result.stages and stop_after is None:  # --stop-after flatbuffer: the float file
        _quantize_stage(result, ctx, quantize, representative_data, io_type, dump_dir, on_start, on_stage, passes,
                        on_failure)
    if dump_dir:
        write_atomic(os.path.join(dump_dir, "timings.json"),
                     json.dumps({"stages": result.timings, "passes": result.pass_counts}, indent=2))
        stale = os.path.join(dump_dir, FAILURE_FILE)
        if os.path.exists(stale):  # from an earlier, failed run into the same directory
            os.unlink(stale)
    return result
