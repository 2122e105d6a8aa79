"""JAX input: `jax.export` -> StableHLO portable artifact -> the `stablehlo` stage.

The artifact (VHLO bytecode) is deserialized by litert-converter's own StableHLO, so JAX may be
newer than litert-converter as long as its artifact's version is one litert can read.
"""
from __future__ import annotations

from .errors import TflxError
from .mlir import ir


def export_module(fn, specs, ctx: ir.Context) -> ir.Module:
    try:
        import jax
        from jax import export
    except ImportError:
        raise TflxError("JAX input needs the 'jax' extra: pip install -e '.[jax]'", stage="stablehlo") from None
    from litert_converter.mlir.dialects import stablehlo as shlo

    exported = fn if isinstance(fn, export.Exported) else export.export(jax.jit(fn))(*specs)
    artifact = exported.mlir_module_serialized
    with ctx:
        try:
            return shlo.deserialize_portable_artifact(ctx, artifact)
        except Exception as e:  # noqa: BLE001
            version = artifact[6:40].split(b"\x00")[0].decode(errors="replace")
            raise TflxError(f"cannot read JAX's StableHLO artifact ({version}; litert-converter reads up to "
                            f"{shlo.get_current_version()}): {e}", stage="stablehlo") from None


def to_stablehlo_stage(fn, specs, ctx: ir.Context, *, signature_key: str = "serving_default",
                       input_names=None, output_names=None) -> ir.Module:
    from . import stages as st

    module = export_module(fn, specs, ctx)
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    main = next((f for f in funcs if ir.StringAttr(f.attributes["sym_name"]).value == "main"), None)
    if main is None:
        raise TflxError("JAX export has no @main function", stage="stablehlo")
    ftype = ir.FunctionType(ir.TypeAttr(main.attributes["function_type"]).value)
    input_names = list(input_names or [f"args_{i}" for i in range(len(ftype.inputs))])
    output_names = list(output_names or [f"output_{i}" for i in range(len(ftype.results))])
    if len(input_names) != len(ftype.inputs) or len(output_names) != len(ftype.results):
        raise TflxError(f"JAX function has {len(ftype.inputs)} inputs and {len(ftype.results)} outputs; "
                        f"got names for {len(input_names)} and {len(output_names)}", stage="stablehlo")
    with ctx:
        main.attributes["sym_name"] = ir.StringAttr.get(signature_key)
        st.set_signature_attrs(main, signature_key, input_names, output_names,
                               [f"{signature_key}_{n}:0" for n in input_names],
                               [f"{signature_key}_{n}:0" for n in output_names])
    return module
