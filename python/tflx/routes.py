"""Route selection: each TF op reaches TFL by one of two lowerings, chosen per op.

    direct     the op goes to litert-converter's TF -> TFL legalization, as in the stock
               converter: compact dynamic-shape arithmetic (SHAPE / STRIDED_SLICE / PACK), stock's
               fusions (FULLY_CONNECTED, SOFTMAX ...), stock's op choices.
    stablehlo  TF's `tf-stablehlo`, then StableHLO -> TFL: lowers ops TFLite has no builtin for
               (erf, cumprod, linear algebra, image ops) into builtins.

The stablehlo stage hides every direct-routed op from `tf-stablehlo` (renamed
`tf.TflxDirect.<Op>`; TF's dialect accepts unknown ops and passes them through) and gives it
its name back right after, so the stablehlo dump shows direct-routed ops as `tf.*` ops that the
tfl stage legalizes. Constants and ops with regions are never hidden: StableHLO lowerings need
to see constant operands, and a renamed op cannot keep its regions.

Mode `auto` (the default) routes an op type through StableHLO when the route table
(tflx.dialects.routes, measured by bench/coverage.py) says so, else directly. The pipeline then
falls back per op instance: an op the direct route leaves unconverted is retried through
StableHLO, and an op whose StableHLO lowering fails is retried directly (see `fallback`).
"""
from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field, replace

from .errors import TflxError
from .mlir import ir, walk_ops

AUTO, DIRECT, STABLEHLO = "auto", "direct", "stablehlo"
MODES = (AUTO, DIRECT, STABLEHLO)
ROUTES = (DIRECT, STABLEHLO)
HIDDEN_PREFIX = "tf.TflxDirect."
# TFL ops already in a tf-stage module (emitted by a raise pass or a plugin): TF's parser, which
# runs tf-stablehlo, does not know the tfl dialect, so they cross the stage as `tf.TflxTfl.<op>`.
HIDDEN_TFL_PREFIX = "tf.TflxTfl."
NEVER_HIDDEN = frozenset({"tf.Const"})
# TF ops the flatbuffer exporter writes as builtins itself (tf.If -> IF with branch subgraphs,
# as in the stock converter): not leftovers.
EXPORTED_TF_OPS = frozenset({"tf.If"})
# TF's fake-quant ops (FakeQuantWithMinMaxVars[PerChannel], ...Args): a quantization-aware-trained
# model's ranges. The import keeps them from TF's folding (tflx.stages), and on constant weights
# the legalization leaves them (their ranges already became Q/DQ pairs) for
# fold-fake-quant-constants: not leftovers to retry through StableHLO, which would lose the ranges.
FAKE_QUANT_OPS = "tf.FakeQuantWithMinMax"  # the common prefix of their names


def op_type(name: str) -> str:
    """'tf.Erf' -> 'Erf' (also for a hidden op)."""
    if name.startswith(HIDDEN_PREFIX):
        return name[len(HIDDEN_PREFIX):]
    return name[3:] if name.startswith("tf.") else name


def instance_key(op) -> tuple[str, str]:
    """What identifies one op across stages: its type and its location (TF's import gives every
    node its own)."""
    return op_type(op.name), str(op.location)


@dataclass(frozen=True)
class RoutePlan:
    mode: str = AUTO
    ops: tuple = ()  # the user's overrides: ((op type, route), ...)
    fallback_ops: tuple = ()  # overrides found by the fallback: ((op type, route), ...)
    fallback_instances: frozenset = frozenset()  # instance keys the fallback sends through StableHLO

    def __post_init__(self):
        if self.mode not in MODES:
            raise TflxError(f"unknown route '{self.mode}': choose one of {', '.join(MODES)}")
        for op, route in self.ops:
            if route not in ROUTES:
                raise TflxError(f"route for '{op}': '{route}' is not one of {', '.join(ROUTES)}")

    @classmethod
    def of(cls, route: str = AUTO, route_ops=None) -> "RoutePlan":
        """From the API's / CLI's words: route_ops maps op type ('Erf' or 'tf.Erf') -> route."""
        items = route_ops.items() if isinstance(route_ops, dict) else (route_ops or ())
        return cls(mode=route, ops=tuple((op_type(k), v) for k, v in items))

    def pinned(self, op: str) -> bool:
        """The user chose this op type's route: the fallback leaves it alone."""
        return any(k == op for k, _ in self.ops)

    def decide(self, op: str, key: tuple | None = None) -> tuple[str, str]:
        """(route, why) for an op type (and, for the instance fallback, its instance key)."""
        user = dict(self.ops)
        if op in user:
            return user[op], "--route-op"
        if key is not None and key in self.fallback_instances:
            return STABLEHLO, "fallback: the direct route left it unconverted"
        fb = dict(self.fallback_ops)
        if op in fb:
            why = ("fallback: the direct route left it unconverted" if fb[op] == STABLEHLO
                   else "fallback: its StableHLO lowering failed")
            return fb[op], why
        from tflx.dialects.routes import route_table
        table = route_table()
        if op in table.direct_only and self.mode != DIRECT:
            return DIRECT, f"route table: {table.direct_only[op]}"
        if self.mode == DIRECT:
            return DIRECT, "--route direct"
        if self.mode == STABLEHLO:
            return STABLEHLO, "--route stablehlo"
        if op in table.stablehlo:
            return STABLEHLO, f"route table: {table.stablehlo[op]}"
        return DIRECT, "default"

    def with_fallback(self, *, instances=(), ops=None) -> "RoutePlan":
        fb = dict(self.fallback_ops)
        fb.update(ops or {})
        return replace(self, fallback_ops=tuple(sorted(fb.items())),
                       fallback_instances=self.fallback_instances | frozenset(instances))


@dataclass
class RouteRecord:
    """Which route each op type took in one conversion, and why."""
    counts: dict = field(default_factory=dict)  # op type -> {route: n}
    reasons: dict = field(default_factory=dict)  # (op type, route) -> why
    fallbacks: list = field(default_factory=list)  # one line per fallback retry
    direct_keys: set = field(default_factory=set)  # instance keys of the ops hidden from tf-stablehlo
    stablehlo_keys: set = field(default_factory=set)  # instance keys of the ops handed to tf-stablehlo

    def add(self, op: str, route: str, why: str) -> None:
        c = self.counts.setdefault(op, {})
        c[route] = c.get(route, 0) + 1
        self.reasons.setdefault((op, route), why)

    def by_route(self) -> dict[str, dict[str, int]]:
        """route -> {op type: n}."""
        out = {r: {} for r in ROUTES}
        for op, c in sorted(self.counts.items()):
            for route, n in c.items():
                out[route][op] = n
        return out

    def route_of(self, op: str) -> str | None:
        """'direct', 'stablehlo', 'mixed' or None (op type not seen)."""
        c = self.counts.get(op_type(op))
        if not c:
            return None
        return next(iter(c)) if len(c) == 1 else "mixed"

    def summary(self) -> str:
        """'direct: 57 ops (21 types); stablehlo: Erf x2, Cumprod' (what the CLI prints)."""
        by = self.by_route()
        parts = []
        d = by[DIRECT]
        if d:
            parts.append(f"direct: {sum(d.values())} ops ({len(d)} types)")
        s = by[STABLEHLO]
        if s:
            parts.append("stablehlo: " + ", ".join(f"{k} x{n}" if n > 1 else k for k, n in s.items()))
        return "; ".join(parts) or "no TF ops"

    def to_json(self) -> dict:
        return {"ops": {op: {"routes": c, "why": {r: self.reasons[(op, r)] for r in c}}
                        for op, c in sorted(self.counts.items())},
                "fallbacks": list(self.fallbacks)}


def _rename(op, name: str):
    attrs = op.attributes
    with op.location, ir.InsertionPoint(op):
        new = ir.Operation.create(name, results=[r.type for r in op.results], operands=list(op.operands),
                                  attributes={attrs[i].name: attrs[i].attr for i in range(len(attrs))})
    for old, repl in zip(op.results, new.results):
        old.replace_all_uses_with(repl)
    op.erase()
    return new


def hide_direct_ops(module: ir.Module, plan: RoutePlan, record: RouteRecord | None = None) -> int:
    """Rename the direct-routed TF ops so tf-stablehlo passes them through; returns how many."""
    n = 0
    for op in walk_ops(module):
        name = op.name
        if name.startswith("tfl.") and not len(op.regions):
            _rename(op, HIDDEN_TFL_PREFIX + name[len("tfl."):])
            continue
        if not name.startswith("tf.") or name.startswith((HIDDEN_PREFIX, HIDDEN_TFL_PREFIX)) or name in NEVER_HIDDEN:
            continue
        t, key = op_type(name), instance_key(op)
        route, why = plan.decide(t, key)
        if route == DIRECT and len(op.regions):
            route, why = STABLEHLO, "has regions (cannot be hidden from tf-stablehlo)"
        if record is not None:
            record.add(t, route, why)
            (record.direct_keys if route == DIRECT else record.stablehlo_keys).add(key)
        if route == DIRECT:
            _rename(op, HIDDEN_PREFIX + t)
            n += 1
    return n


def restore_direct_ops(module: ir.Module) -> int:
    """Undo hide_direct_ops; returns how many TF ops it restored."""
    n = 0
    for op in [op for op in walk_ops(module) if op.name.startswith((HIDDEN_PREFIX, HIDDEN_TFL_PREFIX))]:
        if op.name.startswith(HIDDEN_TFL_PREFIX):
            _rename(op, "tfl." + op.name[len(HIDDEN_TFL_PREFIX):])
        else:
            _rename(op, "tf." + op_type(op.name))
            n += 1
    return n


def leftover_tf_ops(module: ir.Module) -> list:
    """Instance keys of the TF ops still in a module after TFL legalization."""
    return [instance_key(op) for op in walk_ops(module)
            if op.name.startswith("tf.") and op.name not in NEVER_HIDDEN | EXPORTED_TF_OPS
            and not op.name.startswith(FAKE_QUANT_OPS)]


def fallback_for_leftovers(plan: RoutePlan, record: RouteRecord, leftovers: list) -> RoutePlan | None:
    """The plan to retry with when the direct route left ops unconverted (auto mode only): those
    instances through StableHLO; None when there is nothing to retry."""
    if plan.mode != AUTO:
        return None
    from tflx.dialects.routes import route_table
    never = route_table().direct_only  # their StableHLO lowering is wrong or does not run: better an error
    retry = {k for k in leftovers if record.counts.get(k[0], {}).get(DIRECT) and not plan.pinned(k[0])
             and k[0] not in never and k not in plan.fallback_instances
             and dict(plan.fallback_ops).get(k[0]) != DIRECT}
    if not retry:
        return None
    # A leftover the legalization made itself (not an op of the input) is retried by type.
    by_type = {t: STABLEHLO for t, _ in retry - record.direct_keys if t not in dict(plan.fallback_ops)}
    new = plan.with_fallback(instances=retry & record.direct_keys, ops=by_type)
    return new if new != plan else None


_ERROR_SITE = re.compile(r"^(.+?):(\d+):(\d+): error:", re.M)


def fallback_for_stablehlo_error(plan: RoutePlan, record: RouteRecord, err: TflxError) -> RoutePlan | None:
    """tf-stablehlo failed on an op routed through it: retry that op type directly (auto only).
    The error names the TF op, or an op of its lowering at the TF op's source location."""
    if plan.mode != AUTO:
        return None
    fb = dict(plan.fallback_ops)
    candidates = {t for t, c in record.counts.items()
                  if c.get(STABLEHLO) and not plan.pinned(t) and fb.get(t) != DIRECT}
    if err.op and err.op.startswith("tf."):
        named = {op_type(err.op)}
    else:
        m = _ERROR_SITE.search(err.details or "")
        site = f'"{m[1]}":{m[2]}:{m[3]}' if m else None
        named = {t for t, loc in record.stablehlo_keys if site and site in loc}
        if not named and len(candidates) == 1:
            named = set(candidates)
    retry = {t: DIRECT for t in sorted(named & candidates)}
    return plan.with_fallback(ops=retry) if retry else None


def describe_retry(old: RoutePlan, new: RoutePlan) -> str:
    inst = new.fallback_instances - old.fallback_instances
    types = {t for t, r in new.fallback_ops if r == STABLEHLO} - {t for t, _ in old.fallback_ops}
    if inst or types:
        kinds = collections.Counter([t for t, _ in inst] + sorted(types))
        return ("the direct route left " + ", ".join(f"tf.{t} x{n}" if n > 1 else f"tf.{t}" for t, n in sorted(kinds.items()))
                + " unconverted: retried through StableHLO")
    ops = sorted(set(new.fallback_ops) - set(old.fallback_ops))  # (type, direct)
    return "StableHLO lowering of " + ", ".join(f"tf.{t}" for t, _ in ops) + " failed: retried directly"
