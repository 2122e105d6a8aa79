"""The pass and pattern API shared by tflx's built-in passes and user plugins.

A pass is a small frozen dataclass: a `name`, the `stage` whose output it rewrites, typed
options as dataclass fields. A `PatternPass` holds rewrite rules, each matching one op name:

    @register_pass
    @dataclass(frozen=True)
    class FoldFoo(PatternPass):
        name = "fold-foo"
        stage = "tfl"

        @rewrite("tfl.foo")
        def fold(self, op, rewriter):
            if ...: return NO_MATCH            # not an op this rule handles
            rewriter.replace_op(op, [...])     # rewrite; return nothing

Rules run under MLIR's greedy driver (`apply_patterns_and_fold_greedily`), in the order written.
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


def rewrite(*op_names: str, benefit: int = 1, match: str | None = None):
    """Mark a PatternPass method as a rewrite rule for ops named `op_names`.

    The method gets (op, rewriter) and either rewrites the op and returns nothing, or returns
    `NO_MATCH` when the op is not one it handles. With `match`, a DAG pattern in the custom-op
    pattern language (e.g. "tf.Mul(%x, tf.Sigmoid(%x))"; its root names the op), the rule runs only
    on ops the pattern matches and gets the captures as keyword arguments (`%x` -> x: the
    ir.Value, `{value=$a}` -> a: the attribute's value).

    Rules apply in the order they are written (a higher `benefit` goes first). The older
    protocol -- True for no match, any falsy value for rewritten -- still works, with a warning."""
    pattern = None
    if match is not None:
        from .pattern import Pattern
        pattern = Pattern.parse(match)
        op_names = op_names or (pattern.root,)
        if set(op_names) != {pattern.root}:
            raise ValueError(f"@rewrite({', '.join(op_names)}): the pattern's root is {pattern.root}")
    if not op_names:
        raise ValueError("@rewrite needs an op name (or match=PATTERN)")

    def mark(fn):
        fn._tflx_rewrite = (tuple(op_names), benefit, pattern)
        return fn

    return mark


class _NoMatch:
    """What a rule returns when the op is not one it handles."""

    def __repr__(self):
        return "NO_MATCH"


NO_MATCH = _NoMatch()


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
        """(op name, benefit, bound rule) in the order the rules are written (base classes first;
        an override keeps its base's place)."""
        found: dict[str, Callable] = {}
        for klass in reversed(type(self).__mro__):
            for attr, fn in vars(klass).items():
                if callable(fn) and hasattr(fn, "_tflx_rewrite"):
                    found[attr] = fn
        for attr, fn in found.items():
            op_names, benefit = fn._tflx_rewrite[:2]
            for op_name in op_names:
                yield op_name, benefit, getattr(self, attr)

    def run(self, module: ir.Module) -> int:
        count = [0]
        patterns = _rw.RewritePatternSet(module.context)
        rules = list(self.rules())
        for i, (op_name, benefit, fn) in enumerate(rules):
            # MLIR orders patterns by benefit: encode the written order below the user's benefit
            patterns.add(op_name, self._guard(fn, count), min(65535, benefit * 1000 + max(0, 999 - i)))
        config = _rw.GreedyRewriteConfig()
        config.enable_folding = self.greedy_folding
        config.enable_constant_cse = self.greedy_folding
        if not self.greedy_folding:
            config.region_simplification_level = _rw.GreedySimplifyRegionLevel.DISABLED
        _rw.apply_patterns_and_fold_greedily(module, patterns.freeze(), config)
        return count[0]

    def _guard(self, fn: Callable, count: list) -> Callable:
        # An exception raised here unwinds through the C++ driver as a PatternError carrying the
        # rule, op and file:line; the pipeline reports it (tflx.pipeline._run_pass).
        rule = f"{type(self).__name__}.{fn.__name__}"
        pattern = fn._tflx_rewrite[2]

        def callback(op, rewriter):
            try:
                if pattern is not None:
                    captures = pattern.match(op)
                    if captures is None:
                        return True
                    result = fn(op, rewriter, **captures)
                else:
                    result = fn(op, rewriter)
            except PatternError:
                raise
            except Exception as e:  # noqa: BLE001 - reported with rule and op below
                raise PatternError(rule, op.name, _raise_site(e, fn), e) from e
            no_match = _no_match(result, rule)
            if not no_match:
                count[0] += 1
            return no_match

        return callback


_WARNED: set = set()


def _no_match(result, rule: str) -> bool:
    """A rule's return value -> MLIR's (True: no match). None: rewritten; NO_MATCH: not matched;
    the older True / falsy protocol is accepted and warned about (once per rule)."""
    if result is None:
        return False
    if result is NO_MATCH:
        return True
    if rule not in _WARNED:
        _WARNED.add(rule)
        import warnings
        hint = ("return tflx.plugin.NO_MATCH for no match" if result is True else
                f"returned {result!r}, read as 'rewritten'; return nothing after rewriting")
        warnings.warn(f"rule {rule}: {hint} (the True/falsy protocol is deprecated)", FutureWarning, stacklevel=2)
    return result is True


class PassRaised(Exception):
    """A pass's `run` raised something else than a TflxError or a PatternError (a plugin bug):
    the exception and the file:line in the pass's file it came from."""

    def __init__(self, cause: BaseException, site: str):
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause, self.site = cause, site


def run_pass(p: Pass, module: ir.Module) -> int:
    """Run pass `p` on `module` (in its context); how many rewrites it made. TflxError,
    PatternError and MLIR's own errors pass through; anything else becomes PassRaised. The one
    way tflx runs a Python pass (the pipeline and tflx-opt map the errors to their own reports)."""
    from .errors import TflxError
    with module.context:
        try:
            return p.run(module) or 0
        except (TflxError, PatternError, ir.MLIRError):
            raise
        except Exception as e:  # noqa: BLE001 - a plugin bug: reported with where it was raised
            raise PassRaised(e, p.raise_site(e)) from e


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


def registry() -> dict[str, type[Pass]]:
    """The passes registered so far (plugins loaded, built-ins imported). With the built-in
    library loaded: tflx.passes.registered_passes()."""
    return dict(_REGISTRY)


def option_value(text: str, default, annotation=None):
    """Parse a pass option given as text, by its declared type (`annotation`, e.g.
    tuple[str, ...]) or else the type of its default: bool, int, float, str, an Enum (by name or
    value), or a tuple/list of those written comma-separated ("tf.AddV2,tf.Mul")."""
    import enum
    import typing
    origin = typing.get_origin(annotation)
    if isinstance(default, (tuple, list)) or origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        element = args[0] if args else type(default[0]) if default else str
        items = [option_value(t.strip(), _zero(element), element) for t in text.split(",") if t.strip()]
        return list(items) if isinstance(default, list) or origin is list else tuple(items)
    kind = annotation if isinstance(annotation, type) else type(default)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        for member in kind:
            if text.strip().lower() in (member.name.lower(), str(member.value).lower()):
                return member
        raise ValueError(f"expected one of {', '.join(m.name.lower() for m in kind)}, got {text!r}")
    if kind is bool:
        v = text.strip().lower()
        if v in ("1", "true", "yes", "on"):
            return True
        if v in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true/false, got {text!r}")
    if kind is int:
        return int(text)
    if kind is float:
        return float(text)
    return text


def _zero(kind):
    """A stand-in default of type `kind` (for list elements)."""
    import enum
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    return {bool: False, int: 0, float: 0.0}.get(kind, "")


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
            values[key] = option_value(text, getattr(p, key), _annotation(type(p), key))
        except ValueError as e:
            raise TflxError(f"option '{key}': {e}", pass_name=p.name) from None
    return dataclasses.replace(p, **values)


def _annotation(cls, field: str):
    import typing
    try:
        return typing.get_type_hints(cls).get(field)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to the default's type
        return None
