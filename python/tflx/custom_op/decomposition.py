"""Decompositions: a custom op's TF function (decomposition=) traced for the operand types at
hand, lowered to StableHLO and added to the module as the private function a
`stablehlo.composite` names, so the model runs where no kernel for the op exists."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import TflxError

if TYPE_CHECKING:
    from .declare import CustomOp


def tensor_shape(t) -> list:
    """A ranked tensor type's shape with None for dynamic dims."""
    from ..mlir import ir
    return [None if ir.ShapedType.is_dynamic_size(d) else d for d in t.shape]


def decomposition_for(op: CustomOp, in_types, out_types, attrs: dict, module, made: dict) -> str:
    """The decomposition function's name for these operand and result types and attribute
    values; it is made once (`made` remembers it) and added to `module`."""
    key = (tuple(str(t) for t in in_types), tuple(str(t) for t in out_types), repr(sorted(attrs.items())))
    if key not in made:
        made[key] = add_decomposition(op, module, in_types, out_types, attrs)
    return made[key]


def add_decomposition(op: CustomOp, module, in_types, out_types, attrs: dict) -> str:
    """Trace the declaration's TF decomposition for these operand types, lower it to StableHLO and
    add it to `module` as a private function; returns its symbol name."""
    import tensorflow as tf

    from ..mlir import ir
    from ..stagedefs import TF_IMPORT_PIPELINE, TF_IMPORT_TAIL_PIPELINE, TF_STABLEHLO_PIPELINE

    specs = [tf.TensorSpec(tensor_shape(t), dt, name=n) for t, (n, dt) in zip(in_types, op.inputs)]

    def body(*xs):
        return op.decomposition(*xs, **attrs)

    try:
        cf = tf.function(body, input_signature=specs, autograph=False).get_concrete_function()
        text = tf.mlir.experimental.convert_function(
            cf, pass_pipeline=f"{TF_IMPORT_PIPELINE},{TF_IMPORT_TAIL_PIPELINE}")
        text = tf.mlir.experimental.run_pass_pipeline(text, TF_STABLEHLO_PIPELINE)
    except Exception as e:  # noqa: BLE001 - the user's decomposition failed to trace or lower
        from ..errors import first_line
        first = first_line(e)
        raise TflxError(f"{op.where}: its decomposition does not lower to StableHLO: {first}",
                        location=op.declared_at) from None
    parsed = ir.Module.parse(text, module.context)
    funcs = [f.operation for f in parsed.body.operations if f.operation.name == "func.func"]
    if len(funcs) != 1:
        raise TflxError(f"{op.where}: its decomposition lowered to {len(funcs)} functions, expected 1",
                        location=op.declared_at)
    func = funcs[0]
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    got = [str(t) for t in ftype.results]
    if got != [str(t) for t in out_types]:
        raise TflxError(f"{op.where}: its decomposition returns ({', '.join(got)}), the op "
                        f"({', '.join(str(t) for t in out_types)})", location=op.declared_at)
    existing = {ir.StringAttr(f.operation.attributes["sym_name"]).value for f in module.body.operations
                if "sym_name" in f.operation.attributes}
    base = f"{op.composite_name}.decomposition"
    name, k = base, 0
    while name in existing:
        k += 1
        name = f"{base}_{k}"
    for attr in [a for a in func.attributes if a not in ("function_type", "sym_name", "arg_attrs", "res_attrs")]:
        del func.attributes[attr]
    for attr in ("arg_attrs", "res_attrs"):
        if attr in func.attributes:
            del func.attributes[attr]
    func.attributes["sym_name"] = ir.StringAttr.get(name, module.context)
    func.attributes["sym_visibility"] = ir.StringAttr.get("private", module.context)
    module.body.append(func)
    return name
