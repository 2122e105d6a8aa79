"""The two passes a declaration registers, generated per op:

  custom-op-NAME        [tf]         the source (a TF op by name, or a pattern) -> `tf.NAME`, with
                                     result types from the shape rule where TF left them unknown
  custom-op-NAME-lower  [stablehlo]  `tf.NAME` -> `tfl.custom` (attributes as a FlexBuffer map) or
                                     `stablehlo.composite` (+ its decomposition function)

The pass classes are frozen dataclasses like every tflx pass; what one run needs (the module,
the decompositions made so far, whether result types were refined) lives in a per-run state
the rules reach through a closure, not on the pass instance.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..attrs import from_attr, to_attr
from ..errors import TflxError
from .decomposition import decomposition_for, tensor_shape
from .options import encode_options
from ..pattern import _match

if TYPE_CHECKING:
    from .declare import CustomOp

LOWERINGS = ("custom", "composite")


class _Run:
    """One run of a generated pass: what its rules share."""

    def __init__(self, module):
        self.module = module
        self.refined = [0]  # source pass: ops whose result types the shape rule refined
        self.decomps: dict = {}  # lower pass: decomposition functions made, by types and attributes


def make_passes(op: CustomOp, module: str) -> list[type]:
    """Register op's source and lowering passes (their classes appear to live in `module`, the
    declaring file's module); returns [source, lower]."""
    import dataclasses as dc

    from ..plugin import NO_MATCH, PatternPass, register_pass, rewrite

    source_op = op.pattern.root if op.pattern is not None else f"tf.{op.tf_name}"
    if op.pattern is not None:
        source_desc = f"pattern {op.source} -> {op.intermediate}"
    elif source_op != op.intermediate:
        source_desc = f"{source_op} -> {op.intermediate}"
    else:
        source_desc = f"{op.intermediate}: result types from the shape rule"

    runs: list[_Run] = []  # the run in progress is runs[-1]

    def outcome(no_match: bool):
        return NO_MATCH if no_match else None

    class SourcePass(PatternPass):
        name = f"custom-op-{op.name}"
        stage = "tf"
        description = f"custom op {op.name}: {source_desc}"
        custom_op = op

        def run(self, module_):
            runs.append(_Run(module_))
            try:
                _precheck(op, module_, source_op)
                n = super().run(module_)
                if runs[-1].refined[0]:
                    _tf_shape_inference(module_)
                return n
            finally:
                runs.pop()

        if op.pattern is not None:
            @rewrite(source_op)
            def _rewrite_pattern(self, mop, rewriter):
                return outcome(_rewrite_pattern(op, mop, rewriter))
        else:
            @rewrite(source_op)
            def _from_tf_op(self, mop, rewriter):
                return outcome(_from_tf_op(op, mop, rewriter, runs[-1].refined))

    class LowerPass(PatternPass):
        name = f"custom-op-{op.name}-lower"
        stage = "stablehlo"
        description = f"custom op {op.name}: {op.intermediate} -> tfl.custom or stablehlo.composite"
        custom_op = op

        def run(self, module_):
            if self.lowering not in LOWERINGS:
                raise TflxError(f"pass '{self.name}': lowering must be one of {LOWERINGS}, not {self.lowering!r}")
            if self.lowering == "composite" and op.decomposition is None:
                raise TflxError(f"{op.where} has no decomposition= to lower it to a composite",
                                location=op.declared_at)
            run = _Run(module_)
            runs.append(run)
            try:
                _precheck(op, module_, op.intermediate)
                if self.lowering == "composite":  # decompositions named in program order
                    from ..mlir import walk_ops
                    for mop in walk_ops(module_):
                        if mop.name == op.intermediate:
                            _decomposition_of(op, mop, module_, run.decomps)
                return super().run(module_)
            finally:
                runs.pop()

        @rewrite(op.intermediate)
        def _lower(self, mop, rewriter):
            if self.lowering == "composite":
                run = runs[-1]
                return outcome(_lower_composite(op, mop, rewriter, run.module, run.decomps))
            return outcome(_lower_custom(op, mop, rewriter))

    for cls, suffix in ((SourcePass, "source"), (LowerPass, "lower")):
        cls.__module__ = module
        cls.__qualname__ = cls.__name__ = f"CustomOp_{re.sub(r'[^A-Za-z0-9_]', '_', op.name)}_{suffix}"
    LowerPass.__annotations__ = {"lowering": str}
    LowerPass.lowering = op.lowering
    SourcePass = register_pass(dc.dataclass(frozen=True)(SourcePass))
    LowerPass = register_pass(dc.dataclass(frozen=True)(LowerPass))
    return [SourcePass, LowerPass]


def _precheck(op: CustomOp, module, op_name: str) -> None:
    """Errors found before the rewrite driver runs come out as they are (not as a failed rule):
    a name TF would lower itself, attribute values of the wrong type."""
    from ..mlir import walk_ops
    found = [m for m in walk_ops(module) if m.name == op_name]
    if not found:
        return
    if op.pattern is not None or op_name != op.intermediate:
        op.check_name_free()
    if op.pattern is None:
        for m in found:
            _op_attr_values(op, m)


def _check_ranked(op: CustomOp, value, what: str):
    from ..mlir import ir
    t = value.type
    if not isinstance(t, ir.RankedTensorType):
        raise TflxError(f"{op.where}: {what} has unknown rank ({t}); declare a shape rule", op=f"tf.{op.name}")
    return t


def _element_dtype(t) -> str | None:
    from ..builder import np_dtype
    try:
        return np_dtype(t.element_type).name
    except TypeError:
        return None


def _op_attr_values(op: CustomOp, mop) -> dict:
    given = {}
    for a in op.attrs:
        if a.name in mop.attributes:
            given[a.name] = from_attr(mop.attributes[a.name])
    return op.attr_values(given, f"{op.where} (op {mop.name} at {_loc(mop)})")


def _declared_attrs(op: CustomOp, values: dict) -> dict:
    """The op's declared attributes as MLIR attributes (ints as i64, floats as f32)."""
    return {a.name: to_attr(values[a.name], int_bits=64) for a in op.attrs}


def _loc(mop) -> str:
    from ..errors import user_source_line
    text = str(mop.location)
    return user_source_line(text) or text[:80]


def _from_tf_op(op: CustomOp, mop, rewriter, refined: list):
    """tf.SOURCE -> tf.NAME with the declared attributes; result types from the shape rule where
    TF left them unknown (an op TF has no shape function for is imported unranked)."""
    from ..builder import tensor
    from ..mlir import ir
    results = list(mop.results)
    if len(results) != len(op.outputs) or len(mop.operands) != len(op.inputs):
        raise TflxError(f"{op.where}: {mop.name} has {len(mop.operands)} operand(s) and {len(results)} "
                        f"result(s); declared {len(op.inputs)} and {len(op.outputs)}", op=mop.name,
                        location=_loc(mop))
    in_types = []
    for v, (iname, dt) in zip(mop.operands, op.inputs):
        t = v.type
        if isinstance(t, ir.ShapedType) and _element_dtype(t) not in (None, dt):
            raise TflxError(f"{op.where}: input '{iname}' is {t}, declared {dt}", op=mop.name, location=_loc(mop))
        in_types.append(t)
    renamed = mop.name != op.intermediate
    attrs = _op_attr_values(op, mop)
    new_types = [r.type for r in results]
    if all(isinstance(t, ir.RankedTensorType) for t in in_types):
        shapes = op.output_shapes([tensor_shape(t) for t in in_types], attrs)
        with mop.location:
            new_types = [tensor([ir.ShapedType.get_dynamic_size() if d is None else d for d in s], dt)
                         for s, (_, dt) in zip(shapes, op.outputs)]
        for r, t in zip(results, new_types):
            old = r.type
            if isinstance(old, ir.RankedTensorType) and list(old.shape) != list(t.shape) and \
                    not any(ir.ShapedType.is_dynamic_size(d) for d in old.shape):
                raise TflxError(f"{op.where}: the shape rule gives {t} but the model says {old}", op=mop.name,
                                location=_loc(mop))
    same_types = all(str(r.type) == str(t) for r, t in zip(results, new_types))
    if same_types and not renamed:
        return True
    if renamed:
        op.check_name_free()
    with rewriter.ip, mop.location:
        if renamed:
            attributes = _declared_attrs(op, attrs)
        else:
            attributes = {k: mop.attributes[k] for k in mop.attributes}
        new = ir.Operation.create(op.intermediate, results=new_types, operands=list(mop.operands),
                                  attributes=attributes)
    rewriter.replace_op(mop, list(new.results))
    if not same_types:
        refined[0] += 1
    return False


def _rewrite_pattern(op: CustomOp, mop, rewriter):
    from ..mlir import ir
    env, caps = {}, {}
    if not _match(op.pattern.tree, mop, env, caps):
        return True
    results = list(mop.results)
    if len(results) != len(op.outputs):
        return True
    inputs = [env[n] for n, _ in op.inputs]
    for v, (_, dt) in zip(inputs, op.inputs):
        if not isinstance(v.type, ir.ShapedType) or _element_dtype(v.type) != dt:
            return True  # another dtype: not this op
    for r, (_, dt) in zip(results, op.outputs):
        if not isinstance(r.type, ir.ShapedType) or _element_dtype(r.type) != dt:
            return True
    values = op.attr_values({a.name: caps[a.name] for a in op.attrs if a.name in caps},
                            f"{op.where} (pattern matched at {_loc(mop)})")
    op.check_name_free()
    with rewriter.ip, mop.location:
        attributes = _declared_attrs(op, values)
        new = ir.Operation.create(op.intermediate, results=[r.type for r in results], operands=inputs,
                                  attributes=attributes)
    rewriter.replace_op(mop, list(new.results))
    return False


def _result_types(op: CustomOp, mop) -> list:
    if len(mop.results) != len(op.outputs):
        raise TflxError(f"{op.where}: {mop.name} has {len(mop.results)} result(s), declared {len(op.outputs)}",
                        op=mop.name, location=_loc(mop))
    return [_check_ranked(op, r, f"result {i} of {mop.name}") for i, r in enumerate(mop.results)]


def _lower_custom(op: CustomOp, mop, rewriter):
    from ..mlir import ir
    types_ = _result_types(op, mop)
    options = encode_options(_op_attr_values(op, mop))
    with rewriter.ip, mop.location:
        new = ir.Operation.create(
            "tfl.custom", results=types_, operands=list(mop.operands),
            attributes={"custom_code": ir.StringAttr.get(op.name),
                        "custom_option": ir.Attribute.parse(f'#tfl<const_bytes : "0x{options.hex().upper()}">')})
    rewriter.replace_op(mop, list(new.results))
    return False


def _lower_composite(op: CustomOp, mop, rewriter, module, decomps: dict):
    from ..mlir import ir
    types_ = _result_types(op, mop)
    attrs = _op_attr_values(op, mop)
    decomposition = _decomposition_of(op, mop, module, decomps)
    with rewriter.ip, mop.location:
        new = ir.Operation.create(
            "stablehlo.composite", results=types_, operands=list(mop.operands),
            attributes={"name": ir.StringAttr.get(op.composite_name),
                        "composite_attributes": ir.DictAttr.get(_declared_attrs(op, attrs)),
                        "decomposition": ir.FlatSymbolRefAttr.get(decomposition),
                        "version": to_attr(op.version)})  # i32
    rewriter.replace_op(mop, list(new.results))
    return False


def _decomposition_of(op: CustomOp, mop, module, decomps: dict) -> str:
    """The decomposition function for this op's operand types and attributes (made once)."""
    types_ = _result_types(op, mop)
    attrs = _op_attr_values(op, mop)
    in_types = [_check_ranked(op, v, f"operand {i} of {mop.name}") for i, v in enumerate(mop.operands)]
    return decomposition_for(op, in_types, types_, attrs, module, decomps)


def _tf_shape_inference(module) -> None:
    """Re-run TF's shape inference after refining custom ops' result types (users of an op TF
    has no shape function for were imported unranked); the module's body is replaced in place."""
    import tensorflow as tf

    from ..mlir import ir, print_module
    text = print_module(module)
    try:
        out = tf.mlir.experimental.run_pass_pipeline(text, "tf-shape-inference,canonicalize", show_debug_info=True)
    except Exception as e:  # noqa: BLE001
        from ..errors import condense_mlir_error
        raise TflxError(f"TF shape inference after refining custom ops failed: {condense_mlir_error(str(e))}",
                        stage="tf") from None
    new = ir.Module.parse(out, module.context)
    for o in list(module.body.operations):
        o.operation.erase()
    for o in list(new.body.operations):
        module.body.append(o.operation)
