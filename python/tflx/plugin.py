"""The pass and pattern API shared by tflx's built-in passes and user plugins.

A pass is a small frozen dataclass: a `name`, the `stage` whose output it rewrites, typed
options as dataclass fields. A `PatternPass` holds rewrite rules, each matching one op name:

    @register_pass
    @dataclass(frozen=True)
    class FoldFoo(PatternPass):
        name = "fold-foo"
        stage = "tfl"

        @rewrite("tfl.foo")
        def fold(self, op, rewriter): ...   # return True when not matched

Rules run under MLIR's greedy driver (`apply_patterns_and_fold_greedily`).
"""
from __future__ import annotations

import dataclasses
import inspect
import traceback
from typing import Callable, ClassVar

from litert_converter._mlir import rewrite as _rw

from .mlir import ir

STAGES_WITH_PASSES = ("tf", "stablehlo", "tfl", "tfl-opt", "quantize")  # quantize: with --quantize only

_REGISTRY: dict[str, type["Pass"]] = {}


class Pass:
    name: ClassVar[str] = ""
    stage: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def run(self, module: ir.Module) -> int:
        """Rewrite `module` in place; return how many rewrites were made (best effort)."""
        raise NotImplementedError

    @classmethod
    def source(cls) -> str:
        try:
            return f"{inspect.getsourcefile(cls)}:{inspect.getsourcelines(cls)[1]}"
        except (OSError, TypeError):
            return cls.__module__

    @classmethod
    def raise_site(cls, e: BaseException) -> str:
        """file:line of the line in this pass's file where `e` was raised (else the class)."""
        try:
            path = inspect.getsourcefile(cls)
        except (OSError, TypeError):
            return cls.source()
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == path]
        return f"{path}:{frames[-1].lineno}" if frames else cls.source()


def rewrite(op_name: str, benefit: int = 1):
    """Mark a PatternPass method as the rewrite rule for ops named `op_name`.

    The method gets (op, rewriter) and returns a falsy value when it rewrote the op,
    True when the op does not match (MLIR's Python convention)."""

    def mark(fn):
        fn._tflx_rewrite = (op_name, benefit)
        return fn

    return mark


class PatternError(Exception):
    """Raised out of a pattern callback, carrying which rule and op failed."""

    def __init__(self, rule: str, op_name: str, location: str, cause: BaseException):
        super().__init__(f"{rule} on {op_name}: {cause!r}")
        self.rule, self.op_name, self.location, self.cause = rule, op_name, location, cause


def _raise_site(exc: BaseException, fn) -> str:
    """file:line in the rule's own file where the exception came from (else the rule's def)."""
    import traceback
    src = inspect.getsourcefile(fn)
    for fr in reversed(traceback.extract_tb(exc.__traceback__)):
        if fr.filename == src:
            return f"{fr.filename}:{fr.lineno}"
    return f"{src}:{inspect.getsourcelines(fn)[1]}"


class PatternPass(Pass):
    # MLIR's greedy driver re-runs rules until nothing changes. Folding and region
    # simplification cost ~35% on large modules; canonicalize does them anyway, so rules opt in.
    greedy_folding: ClassVar[bool] = False

    def rules(self):
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            if callable(fn) and hasattr(fn, "_tflx_rewrite"):
                op_name, benefit = fn._tflx_rewrite
                yield op_name, benefit, getattr(self, attr)

    def run(self, module: ir.Module) -> int:
        count = [0]
        patterns = _rw.RewritePatternSet(module.context)
        for op_name, benefit, fn in self.rules():
            patterns.add(op_name, self._guard(fn, count), benefit)
        config = _rw.GreedyRewriteConfig()
        config.enable_folding = self.greedy_folding
        config.enable_constant_cse = self.greedy_folding
        if not self.greedy_folding:
            config.region_simplification_level = _rw.GreedySimplifyRegionLevel.DISABLED
        _rw.apply_patterns_and_fold_greedily(module, patterns.freeze(), config)
        return count[0]

    def _guard(self, fn: Callable, count: list) -> Callable:
        # Exceptions must not unwind through the C++ driver: record and re-raise after it.
        def callback(op, rewriter):
            try:
                no_match = fn(op, rewriter)
            except PatternError:
                raise
            except Exception as e:  # noqa: BLE001 - reported with rule and op below
                raise PatternError(f"{type(self).__name__}.{fn.__name__}", op.name,
                                   _raise_site(e, fn), e) from e
            if not no_match:
                count[0] += 1
            return no_match

        return callback


def register_pass(cls: type[Pass]) -> type[Pass]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no pass name")
    if cls.stage not in STAGES_WITH_PASSES:
        raise ValueError(f"pass '{cls.name}': stage must be one of {STAGES_WITH_PASSES}, not {cls.stage!r}")
    if not dataclasses.is_dataclass(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
    old = _REGISTRY.get(cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"pass name '{cls.name}' is already registered by {old.__module__}.{old.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def registered_passes() -> dict[str, type[Pass]]:
    from . import passes  # noqa: F401  (importing registers the built-in library)
    return dict(_REGISTRY)


def option_value(text: str, default):
    """Parse a pass option given as text, by the type of its default."""
    if isinstance(default, bool):
        v = text.strip().lower()
        if v in ("1", "true", "yes", "on"):
            return True
        if v in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true/false, got {text!r}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def with_options(p: Pass, options: dict[str, str]) -> Pass:
    """A copy of pass `p` with options set from text (`{"max_n": "3"}`)."""
    from .errors import TflxError
    fields = {f.name: f for f in dataclasses.fields(p)} if dataclasses.is_dataclass(p) else {}
    values = {}
    for key, text in options.items():
        key = key.replace("-", "_")  # MLIR spells options with hyphens: enable-dynamic-update-slice
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise TflxError(f"no option '{key}' (options: {known})", pass_name=p.name)
        try:
            values[key] = option_value(text, getattr(p, key))
        except ValueError as e:
            raise TflxError(f"option '{key}': {e}", pass_name=p.name) from None
    return dataclasses.replace(p, **values)
