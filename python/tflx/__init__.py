"""tflx: TensorFlow -> TensorFlow Lite conversion as named MLIR stages you can dump, edit,
resume and extend with Python passes."""
from __future__ import annotations

from . import _quiet  # noqa: F401
from .errors import TflxError
from .stagedefs import STAGES

__version__ = "0.1.0"


def _plugin_passes(plugins) -> list:
    """Plugins as pass instances, pass classes, or plugin specs (a .py path or module name)."""
    from . import plugin_loader as loader
    out, specs = [], []
    for p in plugins:
        if isinstance(p, str):
            specs.append(p)
        elif isinstance(p, type):
            out.append(p())
        else:
            out.append(p)
    return loader.passes_from(specs) + out


def _passes(builtin_passes, disable_passes, plugins, select_tf_ops=False, allow_custom_ops=False,
            select_user_tf_ops=()) -> list:
    """The built-in passes (unless switched off), the plugins' passes, and last (when asked) the
    Flex / custom-op fallback for what is left."""
    from . import pipeline
    passes = (pipeline.default_passes(disable_passes) if builtin_passes else []) + _plugin_passes(plugins)
    if select_tf_ops or allow_custom_ops or select_user_tf_ops:
        from .passes.select_tf_ops import SelectTfOps
        passes.append(SelectTfOps(select_tf_ops=bool(select_tf_ops or select_user_tf_ops),
                                  allow_custom_ops=bool(allow_custom_ops),
                                  user_ops=tuple(select_user_tf_ops)))
    return passes


def convert(model, *, signatures=None, plugins=(), dump_dir=None, stop_after=None,
            builtin_passes=True, disable_passes=(), fuse_dynamic_broadcast=True, route="auto",
            route_ops=None, select_tf_ops=False, allow_custom_ops=False,
            select_user_tf_ops=(), canonicalize_inf=False, quantize=None, representative_data=None,
            io_type="float32") -> ConversionResult:
    """Convert `model` (SavedModel dir, .keras path, keras.Model, tf.function/ConcreteFunction)
    to TFLite; returns every stage's IR, timings and the flatbuffer.

    route: how TF ops reach TFL -- "auto" (per op: direct TF->TFL legalization as the stock
    converter, StableHLO where that yields builtins and direct does not), "direct" or
    "stablehlo"; route_ops overrides single op types, e.g. {"Erf": "stablehlo"}.

    select_tf_ops: TF ops no route turns into builtins and that TF's Flex allow-list admits (or
    named in select_user_tf_ops) become Flex ops, as the stock converter's SELECT_TF_OPS (the app
    then needs the Flex delegate); allow_custom_ops: the others become plain custom ops (you
    supply their kernels). canonicalize_inf: replace +-inf in constants by +-FLT_MAX as the stock
    converter does (default: keep them, as TF computes).

    quantize: "dynamic", "weight-only", "float16" or "int8" (post-training, after the flatbuffer
    stage; int8 needs representative_data: an .npz path, a directory of .npy, or an iterable of
    {input name: array}); io_type "int8"/"uint8" makes an int8 model's inputs and outputs integer."""
    from . import importer, pipeline
    from .routes import RoutePlan

    plan = RoutePlan.of(route, route_ops)
    passes = _passes(builtin_passes, disable_passes, plugins, select_tf_ops, allow_custom_ops, select_user_tf_ops)
    sigs = importer.load(model, list(signatures) if signatures else None)
    result = pipeline.run(signatures=sigs, passes=passes, stop_after=stop_after, dump_dir=dump_dir,
                          fuse_dynamic_broadcast=fuse_dynamic_broadcast, route_plan=plan,
                          canonicalize_inf=canonicalize_inf, quantize=quantize,
                          representative_data=representative_data, io_type=io_type)
    for s in sigs:
        result.notes.extend(s.notes)
    return result


def convert_jax(fn, *input_specs, signature="serving_default", input_names=None, output_names=None,
                plugins=(), dump_dir=None, stop_after=None, builtin_passes=True,
                disable_passes=()) -> ConversionResult:
    """Convert a JAX function (with `jax.ShapeDtypeStruct` / array input specs) or a
    `jax.export.Exported`; it enters the pipeline at the `stablehlo` stage."""
    from . import jax_input, pipeline
    from .mlir import new_context

    ctx = new_context()
    module = jax_input.to_stablehlo_stage(fn, input_specs, ctx, signature_key=signature,
                                          input_names=input_names, output_names=output_names)
    passes = _passes(builtin_passes, disable_passes, plugins)
    return pipeline.run(resume=("stablehlo", module), resume_passes=True, ctx=ctx, passes=passes,
                        stop_after=stop_after, dump_dir=dump_dir)


def resume(path, *, stage=None, plugins=(), dump_dir=None, stop_after=None, builtin_passes=True,
           disable_passes=(), route="auto", route_ops=None, select_tf_ops=False, allow_custom_ops=False,
           select_user_tf_ops=()) -> ConversionResult:
    """Continue a conversion from a stage dump (possibly hand-edited)."""
    from . import pipeline
    from .mlir import new_context
    from .routes import RoutePlan

    plan = RoutePlan.of(route, route_ops)
    ctx = new_context()
    loaded = pipeline.read_stage_file(path, stage, ctx)
    passes = _passes(builtin_passes, disable_passes, plugins, select_tf_ops, allow_custom_ops, select_user_tf_ops)
    return pipeline.run(resume=loaded, ctx=ctx, passes=passes, stop_after=stop_after, dump_dir=dump_dir,
                        route_plan=plan)


def __getattr__(name):
    # Lazy: importing litert-converter/TF costs seconds and prints native banners.
    if name == "ConversionResult":
        from .pipeline import ConversionResult
        return ConversionResult
    if name in ("custom_op", "runtime"):  # tflx.custom_op(...) declares a custom op (a callable module)
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)


__all__ = ["convert", "convert_jax", "resume", "ConversionResult", "TflxError", "STAGES", "custom_op"]
