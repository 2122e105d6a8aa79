"""The litert-converter MLIR context and small helpers over its upstream Python bindings.

TF-side stages are text that TensorFlow parses; from `stablehlo` on, IR lives in a context
prepared by `converter_api_ext.prepare_mlir_context` (tfl, stablehlo, func, arith registered;
unregistered dialects such as leftover `tf.*` ops allowed).
"""
from __future__ import annotations

import collections
import re

from . import _quiet  # noqa: F401
from litert_converter import converter_api_ext as _cx
from litert_converter.mlir import ir, passmanager  # noqa: F401  (re-exported)

from .errors import TflxError, condense_mlir_error


_SEARCH_PREFIX_ADDED = False


def _add_dialect_search_prefix() -> None:
    # dialects/<ns>.py answer the bindings' per-op dialect-module lookup (see dialects/tfl.py).
    global _SEARCH_PREFIX_ADDED
    if not _SEARCH_PREFIX_ADDED:
        from litert_converter.mlir._mlir_libs import _mlir
        _mlir.globals.append_dialect_search_prefix("tflx.dialects")
        _SEARCH_PREFIX_ADDED = True


def new_context() -> ir.Context:
    _add_dialect_search_prefix()
    ctx = ir.Context()
    _cx.prepare_mlir_context(ctx)
    ctx.allow_unregistered_dialects = True
    _load_pass_dialects(ctx)
    return ctx


def _load_pass_dialects(ctx: ir.Context) -> None:
    """Load every dialect the TFL conversion passes depend on (the `tf` dialect among them).

    Those passes load them lazily. An op parsed while its dialect was unloaded ("tf.Conv2D" as
    an unregistered op) and destroyed after the dialect got loaded crashes the process; loading
    them first means every such op is created registered."""
    with ctx, ir.Location.unknown():
        empty = ir.Module.create()
        _cx.run_convert_to_tfl_passes(empty, passmanager.PassManager("builtin.module"), _cx.ConvertToTFLConfig())


def looks_like_mlir(text: str) -> bool:
    head = text.lstrip()[:4096]
    return bool(re.search(r"(^|\n)\s*(module\b|func\.func\b|\"?builtin\.module|#loc|#[a-z_]+\s*=)", head))


def parse_module(text: str, ctx: ir.Context, *, stage: str | None = None, what: str = "input") -> ir.Module:
    if not looks_like_mlir(text):
        raise TflxError(f"{what} is not MLIR text (expected a 'module' or 'func.func')", stage=stage)
    with ctx:
        try:
            return ir.Module.parse(text)
        except ir.MLIRError as e:
            raise TflxError(f"cannot parse {what}: {condense_mlir_error(str(e))}", stage=stage) from None
        except (ValueError, RuntimeError, MemoryError) as e:  # e.g. a fatal LLVM error the bindings raise
            raise TflxError(f"cannot parse {what}: {' '.join(str(e).split()) or type(e).__name__}",
                            stage=stage) from None


def print_module(module: ir.Module, *, debug_info: bool = True, generic: bool = False) -> str:
    return module.operation.get_asm(enable_debug_info=debug_info, print_generic_op_form=generic,
                                    large_elements_limit=None)


def verify(module: ir.Module, *, stage: str | None = None, pass_name: str | None = None,
           location: str | None = None) -> None:
    """Run MLIR's verifier; failures name the op, the pass and the op's source (or `location`)."""
    from .errors import first_op_name, mlir_error_parts, node_name, user_source_line
    try:
        module.operation.verify()
    except ir.MLIRError as e:
        msg, loc = mlir_error_parts(e)
        err = TflxError(f"IR fails verification: {msg}", stage=stage, pass_name=pass_name,
                        op=first_op_name(msg), location=location or (user_source_line(loc) if loc else None))
        err.node = node_name(loc) if loc else None
        raise err from None


# dtype name (numpy's / TensorFlow's) <-> MLIR element type: the one table.
ELEMENT_TYPES = {"float32": "f32", "float16": "f16", "float64": "f64", "bfloat16": "bf16", "bool": "i1",
                 "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "ui8",
                 "uint16": "ui16", "uint32": "ui32", "uint64": "ui64", "complex64": "complex<f32>"}
_DTYPE_NAMES = {v: k for k, v in ELEMENT_TYPES.items()}


def element_type(dtype) -> ir.Type:
    """The MLIR element type of a dtype (numpy dtype, type or name such as "bfloat16")."""
    import numpy as np
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name not in ELEMENT_TYPES:
        raise KeyError(f"no MLIR element type for dtype {dtype!r}")
    return ir.Type.parse(ELEMENT_TYPES[name])


def dtype_name(type_: ir.Type) -> str | None:
    """The dtype name ("float32", "int8", ...) of an MLIR element type; None if it has none."""
    return _DTYPE_NAMES.get(str(type_))


def dims_of(type_: ir.Type) -> list | None:
    """A shaped type's dims, None for a dynamic one; None for an unranked type."""
    t = ir.ShapedType(type_)
    return [None if ir.ShapedType.is_dynamic_size(d) else d for d in t.shape] if t.has_rank else None


def tensor_type(dims, element: ir.Type) -> ir.Type:
    """A tensor type of `dims` (None entries dynamic); unranked when `dims` is None."""
    if dims is None:
        return ir.UnrankedTensorType.get(element)
    return ir.RankedTensorType.get([ir.ShapedType.get_dynamic_size() if d is None else d for d in dims], element)


def walk_ops(root):
    """Every operation nested in `root` (a module, an op or a region), pre-order, `root` itself
    excluded. A list: rules may rewrite while a caller iterates it."""
    out = []

    def visit_region(region):
        for block in region.blocks:
            for child in block.operations:
                out.append(child.operation)
                for r in child.operation.regions:
                    visit_region(r)

    if isinstance(root, ir.Region):
        visit_region(root)
    else:
        for region in getattr(root, "operation", root).regions:
            visit_region(region)
    return out


def defining_op(value, *names: str):
    """The op that produced `value` (None for a block argument); with `names`, only if it is
    one of those ops."""
    owner = value.owner
    if not isinstance(owner, (ir.Operation, ir.OpView)):
        return None
    owner = owner.operation
    return owner if not names or owner.name in names else None


CONSTANT_OPS = ("arith.constant", "tfl.pseudo_const", "stablehlo.constant", "tf.Const")


def constant_value(value):
    """The numpy value of a constant op's result (any dialect's spelling), else None."""
    import numpy as np
    owner = defining_op(value, *CONSTANT_OPS)
    if owner is not None:
        try:
            return np.array(ir.DenseElementsAttr(owner.attributes["value"]))
        except (ValueError, TypeError, KeyError):
            return None
    return None


# Structural ops that say nothing about what a model computes.
_SKIP = {"func.func", "func.return", "builtin.module", "stablehlo.return", "tfl.yield", "tfl.no_value",
         "tfl.pseudo_const", "arith.constant", "stablehlo.constant", "tf.Const"}


def op_histogram(module: ir.Module) -> collections.Counter:
    hist = collections.Counter()
    for op in walk_ops(module):
        if op.name not in _SKIP:
            hist[op.name] += 1
    return hist


def clone_module(module: ir.Module) -> ir.Module:
    """A deep copy (ops cloned; constants' storage is shared by the context, so it is cheap)."""
    with module.context, module.operation.location:
        copy = ir.Module.create()
        attrs = module.operation.attributes
        for i in range(len(attrs)):
            named = attrs[i]
            copy.operation.attributes[named.name] = named.attr
        ip = ir.InsertionPoint(copy.body)
        for op in module.body.operations:
            op.operation.clone(ip=ip)
    return copy
