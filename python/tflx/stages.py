"""The named stages of a conversion and what each one runs.

    tf          TF 2.21 imports the frozen function(s): executor -> functional, shape inference
    stablehlo   TF's `tf-stablehlo` lowers the ops routed through StableHLO (tflx.routes); the
                direct-routed ones stay `tf.*`; shape.* ops are legalized for litert's context
    tfl         litert-converter legalizes StableHLO and TF ops (direct route) to TFL
    tfl-opt     tfl-optimize, canonicalize, cse
    flatbuffer  signatures set, flatbuffer written (the IR is the .tflite read back)

Passes (built-in and user plugins) registered for stage S run on S's output, before S+1.
"""
from __future__ import annotations

import collections
import sys
import time
from dataclasses import dataclass, field

from . import _quiet  # noqa: F401
from .errors import TflxError, condense_mlir_error, first_op_name, node_name, user_source_line
from .mlir import clone_module, ir, new_context, op_histogram, parse_module, passmanager, print_module, verify, walk_ops
from . import routes

from .stagedefs import STAGES  # noqa: F401  (the one list of stage names)
from .stagedefs import (TF_IMPORT_PIPELINE, TF_IMPORT_TAIL_PIPELINE, TF_LIFTED_IMPORT_TAIL,  # noqa: F401
                        TF_STABLEHLO_PIPELINE, TFL_OPT_PIPELINE)

# Func attributes that carry the signature through every stage, so a dump can be resumed
# without the original model.
SIG_KEY, SIG_INPUTS, SIG_OUTPUTS = "tflx.signature_key", "tflx.signature_inputs", "tflx.signature_outputs"
SIG_IN_TENSORS, SIG_OUT_TENSORS = "tflx.input_tensor_names", "tflx.output_tensor_names"


@dataclass
class StageResult:
    name: str
    seconds: float
    module: ir.Module | None = None
    flatbuffer: bytes | None = None
    histogram: collections.Counter = field(default_factory=collections.Counter)
    weights: dict | None = None  # values of the module's `tflx.weight` arguments (stage tf)

    @property
    def text(self) -> str:
        if self.module is None:
            return ""
        if self.weights:
            return materialized_text(self.module, self.weights, "tf")
        return print_module(self.module)


def next_stage(stage: str) -> str:
    return STAGES[STAGES.index(stage) + 1]


def _strs(values) -> ir.ArrayAttr:
    return ir.ArrayAttr.get([ir.StringAttr.get(v) for v in values])


def _tf_error(stage: str, pipeline: str, exc: BaseException) -> TflxError:
    text = str(exc)
    op = first_op_name(text)
    loc = None
    for line in text.splitlines():
        if "error" in line:
            loc = user_source_line(line)
            break
    msg = condense_mlir_error(text)
    pass_name = pipeline.split("(")[-1].split(",")[0].rstrip(")") if "," not in pipeline else None
    return TflxError(msg, stage=stage, pass_name=pass_name, op=op, location=loc)


def set_signature_attrs(func, key, inputs, outputs, input_tensors, output_tensors) -> None:
    func.attributes[SIG_KEY] = ir.StringAttr.get(key)
    func.attributes[SIG_INPUTS] = _strs(inputs)
    func.attributes[SIG_OUTPUTS] = _strs(outputs)
    func.attributes[SIG_IN_TENSORS] = _strs(input_tensors)
    func.attributes[SIG_OUT_TENSORS] = _strs(output_tensors)


# ---- stage: tf ----------------------------------------------------------------------------

TF_LIFTED_TAIL_PIPELINE = "tf-shape-inference,canonicalize,symbol-dce"


def _import_lifted(sig, ctx: ir.Context, weights: dict):
    """The unfrozen function, captures lifted to weight arguments (see tflx.weights)."""
    import tensorflow as tf
    from . import weights as wt

    try:
        text = _convert_function(sig.concrete, TF_IMPORT_PIPELINE, TF_LIFTED_IMPORT_TAIL)
    except Exception:  # noqa: BLE001 - the frozen route reports the error if it is real
        return None
    module = parse_module(text, ctx, stage="tf", what=f"TF import of signature '{sig.key}'")
    public = [op.operation for op in module.body.operations if op.operation.name == "func.func"
              and "sym_visibility" not in op.operation.attributes]
    if len(public) != 1:
        return None
    with ctx, ir.Location.unknown():
        try:
            lifted = wt.lift(public[0], sig.captures, sig.key)
        except wt.CannotLift:
            return None
    text = _run_tf_pipeline(print_module(module), TF_LIFTED_TAIL_PIPELINE)
    weights.update(lifted)
    return parse_module(text, ctx, stage="tf", what=f"TF import of signature '{sig.key}'")


def _import_frozen(sig, ctx: ir.Context) -> ir.Module:
    import tensorflow as tf
    try:
        text = _convert_function(sig.function, TF_IMPORT_PIPELINE, TF_IMPORT_TAIL_PIPELINE)
    except TflxError:
        raise
    except Exception as e:  # noqa: BLE001
        raise _tf_error("tf", TF_IMPORT_PIPELINE, e) from None
    return parse_module(text, ctx, stage="tf", what=f"TF import of signature '{sig.key}'")


_FAKE_QUANT_OP = '"' + routes.FAKE_QUANT_OPS  # as ops print: "tf.FakeQuantWithMinMaxVars"(...)
_FAKE_QUANT_HIDDEN = '"tf.TflxKeep.' + routes.op_type(routes.FAKE_QUANT_OPS)


def _has_fake_quant(function) -> bool:
    gd = function.graph.as_graph_def()
    nodes = list(gd.node) + [n for f in gd.library.function for n in f.node_def]
    return any(n.op.startswith(routes.op_type(routes.FAKE_QUANT_OPS)) for n in nodes)


def _convert_function(function, head: str, tail: str) -> str:
    """TF's import of a concrete function, then its passes `head`, then `tail`; a model with
    fake-quant ops runs `tail` with them hidden (see _run_tf_pipeline)."""
    import tensorflow as tf
    if not _has_fake_quant(function):
        return tf.mlir.experimental.convert_function(function, pass_pipeline=f"{head},{tail}",
                                                     show_debug_info=True)
    # shapes first: a hidden op's result types are not inferred
    text = tf.mlir.experimental.convert_function(function, pass_pipeline=f"{head},tf-shape-inference",
                                                 show_debug_info=True)
    return _run_tf_pipeline(text, tail)


def _run_tf_pipeline(text: str, pipeline: str) -> str:
    """TF's passes on a module's text. Fake-quant ops are hidden from them (renamed; TF's dialect
    passes unknown ops through): TF's canonicalize would fold a fake-quant on constant weights
    with TF's kernels and lose the quantization-aware-trained ranges the tfl stage turns into
    int8 kernels (the stock converter wraps them in custom ops for the same reason)."""
    import tensorflow as tf
    hide = _FAKE_QUANT_OP in text
    if hide:
        text = text.replace(_FAKE_QUANT_OP, _FAKE_QUANT_HIDDEN)
    try:
        text = tf.mlir.experimental.run_pass_pipeline(text, pipeline, show_debug_info=True)
    except Exception as e:  # noqa: BLE001
        raise _tf_error("tf", pipeline, e) from None
    return text.replace(_FAKE_QUANT_HIDDEN, _FAKE_QUANT_OP) if hide else text


def import_tf(signatures, ctx: ir.Context, weights: dict | None = None) -> ir.Module:
    """Import every signature into one module. With `weights` (a dict to fill), captured
    variables stay function arguments marked `tflx.weight` (the fast route); else, or when a
    function cannot be lifted, they are frozen into constants."""
    from litert_converter import converter_api_ext as cx

    modules = []
    for sig in signatures:
        module = None
        if weights is not None and sig.captures is not None:
            module = _import_lifted(sig, ctx, weights)
        if module is None:
            module = _import_frozen(sig, ctx)
        funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"
                 and "sym_visibility" not in op.operation.attributes]
        if len(funcs) != 1:
            raise TflxError(f"signature '{sig.key}' imported as {len(funcs)} public functions, expected 1",
                            stage="tf")
        with ctx:
            f = funcs[0]
            f.attributes["sym_name"] = ir.StringAttr.get(sig.key)
            set_signature_attrs(f, sig.key, sig.input_names, sig.output_names,
                                sig.input_tensor_names, sig.output_tensor_names)
        modules.append(module)
    if len(modules) == 1:
        return modules[0]
    with ctx:
        return cx.merge_modules(modules)


def materialized_text(module: ir.Module, weights: dict, dialect: str) -> str:
    """The module's text with weight arguments turned into constants (dumps stay resumable)."""
    from . import weights as wt
    if not weights or not wt.has_weights(module):
        return print_module(module)
    clone = ir.Module.parse(print_module(module), module.context)
    wt.materialize(clone, weights, dialect)
    return print_module(clone)


# ---- stage: stablehlo ---------------------------------------------------------------------

def lower_to_stablehlo(tf_module: ir.Module, ctx: ir.Context, weights: dict | None = None,
                       plan=None, record=None) -> ir.Module:
    """tf-stablehlo on the ops the route plan sends through StableHLO (tflx.routes); the
    direct-routed ones come out as the same `tf.*` ops, for the tfl stage to legalize."""
    from tflx.passes import legalize_shape_to_stablehlo as shape_pass
    from . import weights as wt
    from .generic_form import to_generic_form

    from .isolate import run_tf_pipeline
    plan = plan or routes.RoutePlan()
    hidden = clone_module(tf_module)
    with ctx:
        routes.hide_direct_ops(hidden, plan, record)
    text = print_module(hidden)
    del hidden
    try:  # in a child process: TF's passes abort on some valid (e.g. hand-edited) IR
        out = run_tf_pipeline(text, TF_STABLEHLO_PIPELINE, what="TensorFlow's tf-stablehlo",
                              stage="stablehlo", pass_name="tf-stablehlo")
    except Exception as e:  # noqa: BLE001
        err = e if isinstance(e, TflxError) else _tf_error("stablehlo", "tf-stablehlo", e)
        if err.op:  # name the op as the user knows it
            err.op = err.op.replace(routes.HIDDEN_PREFIX, "tf.")
            err.message = err.message.replace(routes.HIDDEN_PREFIX, "tf.")
        err.details = err.details or str(e)  # TF's whole text: its locations name the TF ops
        raise err from None
    out = to_generic_form(out)
    module = parse_module(out, ctx, stage="stablehlo", what="tf-stablehlo output")
    with ctx:
        routes.restore_direct_ops(module)
        try:
            shape_pass.LegalizeShapeToStablehlo().run(module)
        except Exception as e:  # noqa: BLE001 - a bug of ours, but still one line for the user
            cause = getattr(e, "cause", e)
            raise TflxError(f"internal error: {type(cause).__name__}: {cause}", stage="stablehlo",
                            pass_name="legalize-shape-to-stablehlo", op=getattr(e, "op_name", None)) from None
    left = sorted({op.name for op in walk_ops(module) if op.name.startswith(("shape.", "tensor."))})
    if left:
        raise TflxError(f"dynamic-shape ops left after legalization: {', '.join(left)}", stage="stablehlo",
                        pass_name="legalize-shape-to-stablehlo", op=left[0])
    verify(module, stage="stablehlo", pass_name="legalize-shape-to-stablehlo")
    if weights:
        wt.materialize(module, weights, "stablehlo")
        verify(module, stage="stablehlo", pass_name="materialize-weights")
    return module


# ---- stage: tfl ---------------------------------------------------------------------------

def legalize_to_tfl(module: ir.Module, ctx: ir.Context, *, fuse_dynamic_broadcast: bool = True,
                    canonicalize_inf: bool = False, quantize_fake_quant: bool = False,
                    isolated: bool = False) -> ir.Module:
    """litert-converter's StableHLO -> TFL and TF -> TFL legalization. `isolated`: run it in a
    forked child (for IR read from a file: the TF legalization patterns crash the process on
    some malformed TF ops, e.g. an attribute of another type than the op defines).
    `quantize_fake_quant`: the Q/DQ pairs the TF fake-quant ops legalize to become integer
    kernels (litert's QDQ "STATIC" mode: quantization-aware-trained models, no calibration)."""
    from litert_converter import converter_api_ext as cx

    def legalize(m):
        cfg = cx.ConvertToTFLConfig()
        # TFLite's elementwise kernels broadcast by themselves: fold dynamic_broadcast_in_dim into them.
        cfg.unsafe_fuse_dynamic_shaped_broadcast = fuse_dynamic_broadcast
        # litert's default (and stock's) replaces +-inf in constants by +-FLT_MAX: IsInf, -inf
        # paddings and log(0) identities then differ from TF. tflx keeps them unless asked.
        cfg.canonicalizing_inf_as_min_max_float = canonicalize_inf
        if quantize_fake_quant:
            cfg.qdq_conversion_mode = "STATIC"
        with ctx:
            try:
                cx.run_convert_to_tfl_passes(m, passmanager.PassManager("builtin.module"), cfg)
            except Exception as e:  # noqa: BLE001
                raise TflxError(condense_mlir_error(str(e)), stage="tfl", pass_name="convert-to-tfl",
                                op=first_op_name(str(e))) from None
        return m

    if not isolated:
        return legalize(module)
    from .isolate import run_isolated

    def in_child() -> bytes:
        return legalize(module).operation.get_asm(enable_debug_info=True, large_elements_limit=None,
                                                  print_generic_op_form=True, binary=True)

    text = run_isolated(in_child, what="litert-converter's TFL legalization", stage="tfl",
                        pass_name="convert-to-tfl")
    return parse_module(text.decode("utf-8"), ctx, stage="tfl", what="the TFL legalization's output")


def optimize_tfl(module: ir.Module, ctx: ir.Context) -> ir.Module:
    with ctx:
        try:
            passmanager.PassManager.parse(TFL_OPT_PIPELINE).run(module.operation)
        except Exception as e:  # noqa: BLE001
            raise TflxError(condense_mlir_error(str(e)), stage="tfl-opt", pass_name="tfl-optimize",
                            op=first_op_name(str(e))) from None
    return module


# ---- stage: flatbuffer --------------------------------------------------------------------

# Ops the exporter writes as themselves; anything else from another dialect cannot run.
_EXPORTABLE_PREFIXES = ("tfl.", "stablehlo.", "func.", "arith.constant", "quantfork.", "quant.", "vhlo.")



_STABLEHLO_STRUCTURAL = {"stablehlo.return", "stablehlo.constant"}  # constants are buffers


def _stablehlo_exportable(name: str) -> bool:
    """StableHLO ops TFLite has a STABLEHLO_* builtin for (custom calls cannot run: excluded)."""
    from tflx.dialects.tfl_builtins import is_builtin
    if name in _STABLEHLO_STRUCTURAL:
        return True
    if name == "stablehlo.custom_call":
        return False
    return is_builtin("STABLEHLO_" + name.split(".", 1)[1].upper())


def unsupported_ops(module: ir.Module):
    """(op name, location text) of ops no TFLite builtin represents: leftover tf.* ops,
    StableHLO ops without a STABLEHLO_* builtin, custom calls."""
    found = []
    for op in walk_ops(module):
        name = op.name
        if name.startswith("stablehlo."):
            if not _stablehlo_exportable(name):
                if name == "stablehlo.custom_call" and "call_target_name" in op.attributes:
                    name += " @" + ir.StringAttr(op.attributes["call_target_name"]).value
                found.append((name, str(op.location)))
        elif not name.startswith(_EXPORTABLE_PREFIXES) and name not in routes.EXPORTED_TF_OPS and name != "builtin.module":
            found.append((name, str(op.location)))
    return found


def _loop_functions(module: ir.Module) -> dict:
    """function name -> ('body'|'cond', loop location) for the functions a tf.While names or an
    outlined tfl.while's regions call."""
    out = {}
    for op in walk_ops(module):
        if op.name == "tf.While":
            for part in ("body", "cond"):
                if part in op.attributes:
                    out[ir.FlatSymbolRefAttr(op.attributes[part]).value] = (part, str(op.location))
        elif op.name == "tfl.while":
            for part, region in zip(("cond", "body"), op.regions):
                for block in region.blocks:
                    for inner in block.operations:
                        if inner.operation.name == "func.call":
                            callee = ir.FlatSymbolRefAttr(inner.operation.attributes["callee"]).value
                            out[callee] = (part, str(op.location))
    return out


def _enclosing_loop(module: ir.Module, name: str, loc: str) -> str:
    """' inside the body of the while loop at FILE:LINE' when the op (name, location) sits in a
    loop's body or condition (nested loops: the innermost)."""
    from .builder import functions
    loops = _loop_functions(module)
    for fname, f in functions(module).items():
        if fname not in loops:
            continue
        for op in walk_ops(f):
            if op.name == name and str(op.location) == loc:
                part, loop_loc = loops[fname]
                where = user_source_line(loop_loc) or node_name(loop_loc)
                return f" inside the {part} of the while loop" + (f" at {where}" if where else "")
    return ""


def export_flatbuffer(module: ir.Module, ctx: ir.Context) -> bytes:
    from litert_converter import converter_api_ext as cx

    bad = unsupported_ops(module)
    if bad:
        name, loc = bad[0]
        names = sorted({n for n, _ in bad})
        more = f" (and {len(bad) - 1} more: {', '.join(names)})" if len(bad) > 1 else ""
        loop = _enclosing_loop(module, name, loc)
        hint = ""
        if any(n.startswith("tf.") for n in names):
            from .passes.select_tf_ops import flag_hint
            hint = flag_hint(module, names)
            hint = f"; {hint}" if hint else ""
        err = TflxError(f"no TFLite builtin for this op{loop}{more}. "
                        f"Write a plugin pass for it, or declare a custom op{hint}",
                        stage="flatbuffer", op=name, location=user_source_line(loc))
        err.node = node_name(loc)
        raise err
    with ctx:
        for f in module.body.operations:
            f = f.operation
            if f.name != "func.func" or SIG_KEY not in f.attributes:
                continue
            key = ir.StringAttr(f.attributes[SIG_KEY]).value
            ins = [ir.StringAttr(a).value for a in ir.ArrayAttr(f.attributes[SIG_INPUTS])]
            outs = [ir.StringAttr(a).value for a in ir.ArrayAttr(f.attributes[SIG_OUTPUTS])]
            ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
            if (len(ins), len(outs)) != (len(ftype.inputs), len(ftype.results)):
                raise TflxError(f"signature '{key}' names {len(ins)} inputs and {len(outs)} outputs, but its "
                                f"function has {len(ftype.inputs)} and {len(ftype.results)}", stage="flatbuffer")
            cx.set_signature(f, key, ins, outs)
            tin = [ir.StringAttr(a).value for a in ir.ArrayAttr(f.attributes[SIG_IN_TENSORS])]
            tout = [ir.StringAttr(a).value for a in ir.ArrayAttr(f.attributes[SIG_OUT_TENSORS])]
            f.attributes["tf.entry_function"] = ir.DictAttr.get({
                "inputs": ir.StringAttr.get(",".join(tin)), "outputs": ir.StringAttr.get(",".join(tout))})
        # The exporter reports why through diagnostics; its exception text is often empty.
        diags = []

        def collect(d):
            diags.append((str(d.message), str(d.location)))
            return True

        handler = ctx.attach_diagnostic_handler(collect)
        try:
            data = cx.export_flatbuffer_to_bytes(module.operation)
        except Exception as e:  # noqa: BLE001
            msg = condense_mlir_error(str(e))
            loc = None
            if diags:
                msg = f"{msg.rstrip(': ')}: {diags[0][0]}" if msg else diags[0][0]
                loc = user_source_line(diags[0][1])
            raise TflxError(msg, stage="flatbuffer", pass_name="export",
                            op=first_op_name(msg), location=loc) from None
        finally:
            handler.detach()
    if "tflx.custom_op" in sys.modules:  # the exporter writes custom op codes as version 1
        data = sys.modules["tflx.custom_op"].set_custom_op_versions(data)
    return data


def flatbuffer_to_module(data: bytes, ctx: ir.Context, *, validated: bool = False) -> ir.Module:
    from litert_converter import model_utils_ext as mu
    from .flatbuffer import validate
    if not validated:  # the caller ran tflx.flatbuffer.validate on these bytes already
        validate(data)
    from .custom_op import has_composites, read_back_with_composites
    if has_composites(data):  # litert-converter 0.5.0's reader aborts on STABLEHLO_COMPOSITE
        return read_back_with_composites(data, ctx)
    with ctx:
        return mu.flatbuffer_to_mlir(data, ctx)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


__all__ = ["STAGES", "StageResult", "next_stage", "import_tf", "lower_to_stablehlo", "legalize_to_tfl",
           "optimize_tfl", "export_flatbuffer", "flatbuffer_to_module", "op_histogram", "new_context",
           "verify", "timed"]
