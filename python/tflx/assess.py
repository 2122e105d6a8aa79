"""`tflx assess`: before converting, what will happen to each TF op of the model?

The model is imported to the `tf` stage; that IR's ops are the inventory (count, the user's
source lines). Then the real pipeline runs on it (built-in passes and plugins included) and the
outcome decides each op's status:

    builtin      lowered by tflx's stages (tf-stablehlo, TFL legalization) to TFLite builtins
    pass         a built-in pass or a plugin removed it (pipeline records which pass took which ops)
    flex         it survives to the flatbuffer and is in TF's Flex (Select TF ops) allow-list:
                 it would run only with the Flex delegate
    unsupported  it survives and is not Flex-able (the exporter would make it a custom op), or a
                 stage fails on it

When a stage fails, the TF ops the failure points at (by op name, or by the TF node names in the
failing location) are marked unsupported and cut out of the module -- their results become
function arguments -- and the pipeline runs again, until it gets through; so one failing op
does not hide the status of the others. Which leftover ops are Flex-able is the exporter's own
verdict: litert-converter's flatbuffer exporter lists them under "TF Select ops" or "Custom ops".

When the model converts, the .tflite gets a device profile (tflx.profile): parameters, MACs and
FLOPs at a stated batch, peak activation memory, measured latency, and per op type whether XNNPACK
took it and whether the GPU delegate would; over a memory or latency budget is a flag.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field

from .errors import TflxError

BUILTIN, PASS, FLEX, UNSUPPORTED, UNKNOWN = "builtin", "pass", "flex", "unsupported", "unknown"
STATUS_TEXT = {BUILTIN: "builtin via tflx", PASS: "handled by {}", FLEX: "would need Flex",
               UNSUPPORTED: "unsupported", UNKNOWN: "not assessed"}
LARGE_CONSTANT_BYTES = 1 << 20
_NO_OP = {"func.func", "func.return", "builtin.module"}


@dataclass
class OpAssessment:
    op: str
    count: int
    status: str
    sources: list[str] = field(default_factory=list)  # the user's file:line, distinct, first few
    nodes: list[str] = field(default_factory=list)  # TF node names, first few
    handled_by: str | None = None  # pass name (and "plugin" or "built-in pass")
    detail: str | None = None  # why: the failure message, the exporter's verdict
    suggestion: str | None = None  # what to do, with a code skeleton
    route: str | None = None  # direct | stablehlo | mixed (tflx.routes): how it reaches TFL

    @property
    def status_text(self) -> str:
        return STATUS_TEXT[self.status].format(self.handled_by)


@dataclass
class Flag:
    kind: str  # model-size | large-constant | dynamic-shape | float64 | int64 | memory-budget | latency-budget
    message: str
    sources: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    model: str
    ops: list[OpAssessment]
    flags: list[Flag]
    convertible: bool  # to TFLite builtins only
    seconds: float
    runs: int  # pipeline runs it took
    tflite_ops: dict[str, int] | None = None  # when the whole model converted
    profile: dict | None = None  # tflx.profile.Profile.to_dict(), when the model converted and was profiled
    over_budget: bool = False  # the profile exceeds --memory-budget or --latency-budget

    def to_json(self) -> str:
        d = asdict(self)
        for o, src in zip(d["ops"], self.ops):
            o["status_text"] = src.status_text
        return json.dumps(d, indent=2)

    def render(self) -> str:
        out = [f"tflx: assess {self.model}: {len(self.ops)} TF op types, "
               f"{sum(o.count for o in self.ops)} ops ({self.seconds:.2f} s, {self.runs} pipeline run(s))"]
        w = max([len(o.op) for o in self.ops] + [8])
        for o in sorted(self.ops, key=lambda o: (_ORDER[o.status], o.op)):
            src = o.sources[0] if o.sources else (f"TF node '{o.nodes[0]}'" if o.nodes else "")
            more = f" (+{len(o.sources) - 1} more)" if len(o.sources) > 1 else ""
            out.append(f"  {o.op:<{w}} {o.count:5d}  {o.status_text:<34} {o.route or '-':<9} {src}{more}")
        bad = [o for o in self.ops if o.status in (FLEX, UNSUPPORTED, UNKNOWN)]
        for o in bad:
            out.append("")
            out.append(f"{o.op} ({o.status_text}, {o.count}x"
                       + (f", at {', '.join(o.sources[:3])}" if o.sources else "") + "):")
            if o.detail:
                out.append(f"  why: {o.detail}")
            if o.suggestion:
                out.extend("  " + ln if ln else "" for ln in o.suggestion.splitlines())
        if self.profile is not None:
            from .profile import Profile
            out.append("")
            out.extend(Profile(**self.profile).render())
        if self.flags:
            out.append("")
            out.append("flags:")
            for f in self.flags:
                out.append(f"  [{f.kind}] {f.message}" + (f" (at {', '.join(f.sources[:2])})" if f.sources else ""))
        out.append("")
        if self.convertible:
            hist = ", ".join(f"{k} {v}" for k, v in sorted((self.tflite_ops or {}).items(), key=lambda kv: -kv[1]))
            out.append(f"verdict: converts to TFLite builtins only ({hist})")
            if self.over_budget:
                over = [f.kind for f in self.flags if f.kind.endswith("-budget")]
                out.append(f"verdict: OVER BUDGET ({', '.join(over)})")
        else:
            n = len(bad)
            out.append(f"verdict: NOT convertible to builtins only: {n} op type{'s' if n != 1 else ''} "
                       f"({', '.join(o.op for o in bad)})")
        return "\n".join(out)


_ORDER = {UNSUPPORTED: 0, UNKNOWN: 1, FLEX: 2, PASS: 3, BUILTIN: 4}


# ---- pieces -------------------------------------------------------------------------------

def _model_bytes(model) -> int | None:
    if not isinstance(model, (str, os.PathLike)):
        return None
    path = os.fspath(model)
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def _element_bytes(type_) -> int:
    s = str(type_)
    m = re.search(r"(\d+)$", s)
    if s.startswith("complex"):
        return 2 * int(re.search(r"(\d+)", s).group(1)) // 8
    return max(1, int(m.group(1)) // 8) if m else 4


def _num_elements(shaped) -> int | None:
    if not shaped.has_static_shape:
        return None
    n = 1
    for d in shaped.shape:
        n *= d
    return n


def cut_ops(module, names: set[str]) -> int:
    """Replace every op named in `names` (or holding one) by function arguments; how many cut."""
    from .mlir import ir, walk_ops
    from .reduce import _body_ops, _funcs, replace_with_arguments
    n = 0
    with module.context, ir.Location.unknown():
        for f in _funcs(module):
            chosen = []
            for op in _body_ops(f):
                inner = [op] + walk_ops(op)
                if any(o.name in names for o in inner):
                    chosen.append(op)
            if chosen:
                replace_with_arguments(f, chosen)
                n += len(chosen)
    return n


def _culprits(err: TflxError, stage: str, inventory: dict, tf_module) -> set[str]:
    """TF op names a failure points at: its op, or the TF ops whose locations carry the node
    names of the failing location."""
    from .mlir import walk_ops
    if err.op and err.op in inventory:
        return {err.op}
    names = re.findall(r'loc\("([^"]+)"', err.message)
    if err.node:
        names.append(err.node)
    found = set()
    for n in names:
        for op in walk_ops(tf_module):
            if op.name in inventory and f'"{n}"' in str(op.location):
                found.add(op.name)
    return found


# Cutting these changes every other op's inputs (shapes go unknown); they are not what fails.
_NEVER_CULPRIT = {"tf.Const", "tf.Identity", "tf.IdentityN", "tf.NoOp"}


def _bisect(candidates: list[str], recurs, budget) -> str | None:
    """The one op type whose removal makes the failure go away (binary search), or None."""
    if not candidates or recurs(set(candidates)):
        return None  # even without all of them it fails: not a single op type's doing
    while len(candidates) > 1 and budget():
        half = candidates[:len(candidates) // 2]
        candidates = half if not recurs(set(half)) else candidates[len(half):]
    return candidates[0] if len(candidates) == 1 else None


def _suggestion(op_name: str, example, stage_hint: str) -> str:
    """A pattern-pass skeleton for the op (types from one instance) and the custom-op route."""
    short = op_name.split(".", 1)[1]
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", short).lower()
    cls = "Lower" + short
    ins = ", ".join(str(v.type) for v in example.operands)
    outs = ", ".join(str(r.type) for r in example.results)
    first = "op.operands[0]" if len(example.operands) else "None"
    result = "op.result.type" if len(example.results) == 1 else "op.results[0].type"
    lines = [
        f"fix: write a pattern pass at stage '{stage_hint}' (the op is still {op_name} there) that rewrites",
        "it into ops TFLite has, and pass it with --plugin:",
        "",
        f"    # {slug}.py  --  tflx convert MODEL -o m.tflite --plugin {slug}.py",
        "    from dataclasses import dataclass",
        "    from tflx import builder as b",
        "    from tflx.plugin import PatternPass, register_pass, rewrite",
        "",
        "    @register_pass",
        "    @dataclass(frozen=True)",
        f"    class {cls}(PatternPass):",
        f"        name = \"lower-{slug}\"",
        f"        stage = \"{stage_hint}\"",
        f"        description = \"{op_name} -> TFLite builtins\"",
        "",
        f"        @rewrite(\"{op_name}\")",
        "        def lower(self, op, rewriter):",
        f"            # ({ins}) -> {outs}",
        f"            x = {first}",
        "            with rewriter.ip, op.location:",
        f"                y = b.tf(\"...\", [x], {result})  # build the result from ops that convert",
        "            rewriter.replace_op(op, [y])",
        "",
        "or keep it as one custom op and ship a kernel for it:",
        "",
    ]
    import importlib.util
    if importlib.util.find_spec("tflx.custom_op") is not None:
        lines += [
            "    import numpy as np, tflx",
            "",
            f"    @tflx.custom_op(\"{short}\", version=1, inputs={{\"x\": \"float32\"}}, outputs={{\"y\": \"float32\"}},",
            f"                    source=\"{op_name}\")",
            f"    def {slug.replace('-', '_')}(x):",
            "        return ...  # numpy reference implementation",
        ]
    else:
        lines += [
            f"    a stage 'tfl' pass rewriting {op_name} into b.tfl(\"custom\", ...) with custom_code "
            f"\"{short}\", plus a kernel registered with the interpreter",
        ]
    return "\n".join(lines)


# ---- the assessment -----------------------------------------------------------------------

def assess(model, *, plugins=(), signatures=None, builtin_passes: bool = True, disable_passes=(),
           max_runs: int = 8, route: str = "auto", route_ops=None, profile: bool = True, batch: int = 1,
           memory_budget: int | None = None, latency_budget_ms: float | None = None) -> Assessment:
    """Assess `model` (see the module doc). When it converts to builtins and `profile` is set, the
    .tflite is profiled (tflx.profile) at `batch` and checked against the budgets (bytes of peak
    activation memory, batch-1 latency in ms): over a budget is a flag and `over_budget`."""
    from . import _plugin_passes, debuginfo, importer, pipeline
    from .debuginfo import source_for_location
    from .errors import node_name
    from .mlir import ir, new_context, op_histogram, walk_ops
    from .report import FailureRecorder

    from .routes import RoutePlan, op_type
    t0 = time.perf_counter()
    plan = RoutePlan.of(route, route_ops)
    passes = pipeline.default_passes(disable_passes) if builtin_passes else []
    passes += _plugin_passes(plugins)
    builtin_names = {p.name for p in passes if type(p).__module__.startswith("tflx.passes")}
    sigs = importer.load(model, list(signatures) if signatures else None)
    debuginfo.attach(model, sigs)
    sources = {}
    for s in sigs:
        sources.update(s.node_sources)
    ctx = new_context()
    tf_result = pipeline.run(signatures=sigs, ctx=ctx, passes=[], stop_after="tf")
    # The stage's text is self-contained (weights as constants), as a dump to resume from is.
    tf_text = tf_result.stages["tf"].text
    with ctx:
        tf_module = ir.Module.parse(tf_text)

    # Inventory.
    inventory: dict[str, OpAssessment] = {}
    examples = {}
    for op in walk_ops(tf_module):
        if op.name in _NO_OP:
            continue
        a = inventory.setdefault(op.name, OpAssessment(op.name, 0, BUILTIN))
        examples.setdefault(op.name, op)
        a.count += 1
        loc = str(op.location)
        where = source_for_location(loc, sources)
        if where and where not in a.sources and len(a.sources) < 5:
            a.sources.append(where)
        node = node_name(loc)
        if node and len(a.nodes) < 3 and node not in a.nodes:
            a.nodes.append(node)
    flags = _flags(model, tf_module, sources)

    # Run the pipeline; cut what fails and run again.
    cut: set[str] = set()
    removed_by: dict[str, dict[str, int]] = {}
    leftovers: dict[str, int] = {}
    final = None
    runs = 0
    text = tf_text
    while runs < max_runs:
        runs += 1
        with ctx:
            module = ir.Module.parse(text)
        if cut:
            cut_ops(module, cut)
        rec = FailureRecorder()
        try:
            final = pipeline.run(resume=("tf", module), resume_passes=True, ctx=ctx, passes=list(passes),
                                 on_failure=rec, route_plan=plan)
            for p, rem in final.pass_rewrites.items():
                for k, v in rem.items():
                    removed_by.setdefault(k, {}).setdefault(p, 0)
                    removed_by[k][p] += v
            break
        except TflxError as e:
            stage = rec.stage or e.stage
            if stage == "flatbuffer" and rec.before is not None:
                with ctx:
                    before = ir.Module.parse(rec.before)
                left = op_histogram(before)
                left_tf = {k: v for k, v in left.items() if k in inventory}
                if left_tf:
                    from .passes.select_tf_ops import classify_leftovers
                    verdict, other = classify_leftovers(before)
                    for k, v in left_tf.items():
                        leftovers[k] = leftovers.get(k, 0) + v
                        a = inventory[k]
                        kind = verdict.get(k)
                        if kind == "flex":
                            a.status, a.detail = FLEX, ("survives to the flatbuffer; the exporter lists it under "
                                                        "'TF Select ops' (needs the Flex delegate at run time)")
                        else:
                            a.status = UNSUPPORTED
                            a.detail = ("survives to the flatbuffer; not in the Flex allow-list (the exporter "
                                        "lists it under 'Custom ops')" if kind == "custom" else
                                        f"survives to the flatbuffer; export fails: {other or e.message}")
                    cut |= set(left_tf)
                    continue
            culprits = _culprits(e, stage, inventory, tf_module) - cut
            if not culprits and runs < max_runs:
                # Nothing in the error names a TF op: bisect over op types -- cut half of them and
                # see whether the same failure comes back.
                def recurs(extra: set[str]) -> bool:
                    nonlocal runs
                    runs += 1
                    with ctx:
                        m = ir.Module.parse(text)
                    cut_ops(m, cut | extra)
                    try:
                        pipeline.run(resume=("tf", m), resume_passes=True, ctx=ctx, passes=list(passes),
                                     stop_after=stage, route_plan=plan)
                    except TflxError as e2:
                        return e2.message == e.message and (e2.stage or stage) == stage
                    return False

                found = _bisect([k for k in inventory if k not in cut and k not in _NEVER_CULPRIT], recurs,
                                lambda: runs < max_runs + 8)
                culprits = {found} if found else set()
            if not culprits:
                for a in inventory.values():
                    if a.status == BUILTIN and a.op not in cut:
                        a.status = UNKNOWN
                        a.detail = f"the conversion fails before this op could be assessed: {e.one_line()}"
                break
            for k in culprits:
                a = inventory[k]
                a.status = UNSUPPORTED
                where = f"stage '{stage}'" + (f", pass '{e.pass_name}'" if e.pass_name else "")
                a.detail = f"{where} fails on it: {e.message}"
            cut |= culprits
    else:
        for a in inventory.values():
            if a.status == BUILTIN and a.op not in cut:
                a.status, a.detail = UNKNOWN, f"gave up after {max_runs} pipeline runs"

    for k, a in inventory.items():
        if a.status == BUILTIN and k in removed_by:
            by = removed_by[k]
            name = max(by, key=by.get)
            a.status = PASS
            a.handled_by = f"{'built-in pass' if name in builtin_names else 'plugin'} '{name}'"
    for a in inventory.values():  # the route taken (fallbacks included) where it converted, else the plan's
        a.route = (final.routes.route_of(a.op) if final is not None else None) or plan.decide(op_type(a.op))[0]
    for a in inventory.values():
        if a.status in (FLEX, UNSUPPORTED):  # still tf.X at stage tf, before tf-stablehlo
            a.suggestion = _suggestion(a.op, examples[a.op], "tf")
    convertible = all(a.status in (BUILTIN, PASS) for a in inventory.values()) and final is not None
    tflite_ops = final.op_histogram() if convertible and final.flatbuffer is not None else None
    if tflite_ops and any(k.startswith("CUSTOM") or k.startswith("FlexDelegate") for k in tflite_ops):
        convertible = False
    del tf_result
    prof = None
    if profile and convertible and final.flatbuffer is not None:
        prof = _profile(final.flatbuffer, batch, memory_budget, latency_budget_ms, flags)
    return Assessment(str(model) if isinstance(model, (str, os.PathLike)) else type(model).__name__,
                      list(inventory.values()), flags, convertible, time.perf_counter() - t0, runs, tflite_ops,
                      profile=prof.to_dict() if prof is not None else None,
                      over_budget=bool(prof is not None and prof.over_budget))


def _profile(tflite: bytes, batch: int, memory_budget, latency_budget_ms, flags: list):
    """The converted model's device profile; budgets it exceeds become flags."""
    from .profile import apply_budgets, profile
    prof = profile(tflite, batch=batch, latency=True)
    for b in apply_budgets(prof, memory_budget, latency_budget_ms):
        if b["over"]:
            flags.append(Flag(b["kind"], b["message"]))
    return prof


def _flags(model, tf_module, sources) -> list[Flag]:
    from .debuginfo import source_for_location
    from .mlir import ir, walk_ops
    flags = []
    size = _model_bytes(model)
    const_bytes, f32_bytes, large = 0, 0, []
    f64, i64 = [], []
    dyn_ops = 0
    for op in walk_ops(tf_module):
        if op.name in _NO_OP:
            continue
        for r in op.results:
            try:
                t = ir.ShapedType(r.type)
            except (ValueError, TypeError):
                continue
            et = str(t.element_type)
            if t.has_rank and not t.has_static_shape:
                dyn_ops += 1
            n = _num_elements(t) if t.has_rank else None
            if et == "f64":
                f64.append(op)
            elif et == "i64" and op.name != "tf.Const":
                i64.append(op)
            if op.name == "tf.Const" and n is not None:
                b = n * _element_bytes(t.element_type)
                const_bytes += b
                if et == "f32" and n >= 64:  # weights; --quantize leaves small constants
                    f32_bytes += b
                if b >= LARGE_CONSTANT_BYTES:
                    large.append((b, op))
    # --quantize estimate: int8 weights are a quarter of float32's, float16 a half
    quant = (f"; with --quantize about {(const_bytes - 0.75 * f32_bytes) / 1e6:.2f} MB (dynamic, weight-only, "
             f"int8), {(const_bytes - 0.5 * f32_bytes) / 1e6:.2f} MB (float16)") if f32_bytes else ""
    if size is not None:
        flags.append(Flag("model-size", f"model on disk {size / 1e6:.2f} MB; constants after freezing "
                                        f"{const_bytes / 1e6:.2f} MB (the .tflite is about that size, float32)"
                                        + quant))
    else:
        flags.append(Flag("model-size", f"constants after freezing {const_bytes / 1e6:.2f} MB" + quant))
    if large:
        large.sort(key=lambda bo: -bo[0])
        b, op = large[0]
        flags.append(Flag("large-constant", f"{len(large)} constant(s) of >= {LARGE_CONSTANT_BYTES >> 20} MiB, "
                                            f"largest {b / 1e6:.2f} MB {op.results[0].type}; consider quantization",
                          [s for s in (source_for_location(str(o.location), sources) for _, o in large[:3]) if s]))
    for f in (o.operation for o in tf_module.body.operations):
        if f.name != "func.func":
            continue
        ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
        dyn = [str(t) for t in ftype.inputs if "?" in str(t)]
        if dyn:
            flags.append(Flag("dynamic-shape", f"function '{ir.StringAttr(f.attributes['sym_name']).value}' has "
                                               f"dynamic inputs {', '.join(dyn)}; {dyn_ops} op results have dynamic "
                                               "shapes (fine for TFLite, but fixed shapes convert to simpler IR)"))
    for kind, ops, why in (("float64", f64, "TFLite kernels are float32: float64 ops convert poorly or not at all"),
                           ("int64", i64, "many TFLite kernels want int32; int64 can block builtins or cost casts")):
        if ops:
            names = sorted({o.name for o in ops})
            flags.append(Flag(kind, f"{len(ops)} op(s) produce {kind} ({', '.join(names[:6])}"
                                    f"{', ...' if len(names) > 6 else ''}); {why}",
                              [s for s in (source_for_location(str(o.location), sources) for o in ops[:20]) if s][:3]))
    return flags
