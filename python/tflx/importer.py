"""Model loading: SavedModel dir, .keras file, keras.Model, tf.function / ConcreteFunction.

Every input becomes a list of `Signature`s: the ConcreteFunction, the values of what it
captures (variables, constants), and the names the .tflite's SignatureDef and tensors get (the
same names the stock converter gives).

Weights are not frozen into the graph: TF's GraphDef importer is slow on large constants (16 s
of ResNet50's conversion), so the unfrozen function is imported with its captures as arguments
and the values become constants after `tf-stablehlo` (see stages.import_tf). Freezing with
convert_variables_to_constants_v2 remains the fallback when a capture's value is unknown.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import _quiet  # noqa: F401
from .errors import TflxError, first_line

DEFAULT_SIGNATURE = "serving_default"


@dataclass
class Signature:
    key: str
    concrete: object  # tf ConcreteFunction, as given (may capture variables)
    input_names: list[str]  # SignatureDef input keys, in function-argument order
    output_names: list[str]  # SignatureDef output keys, in function-result order
    input_tensor_names: list[str]
    output_tensor_names: list[str]
    notes: list[str] = field(default_factory=list)
    # TF node name -> the user's file:line that created it (from the unfrozen graph's tracebacks;
    # freezing rebuilds the graph and loses them).
    node_sources: dict[str, str] = field(default_factory=dict)
    # Values of concrete.captured_inputs, in order (numpy); None when one is unknown.
    captures: list | None = None
    # What owns the captured variables (loaded SavedModel, Keras model): kept alive so the
    # function can still be frozen later (TF deletes variables with their last owner).
    owner: object = None
    _frozen: object = None

    @property
    def function(self):
        """The frozen ConcreteFunction (variables folded in); computed on first use."""
        if self._frozen is None:
            self._frozen = _freeze_or_explain(self.concrete, self.key)
        return self._frozen


def capture_values(cf, variables=()) -> list | None:
    """numpy values of `cf.captured_inputs`: variables through their handles, other tensors as is."""
    tf = _tf()
    by_handle = {}
    for v in list(getattr(cf.graph, "variables", ())) + list(variables):
        try:
            by_handle[id(v.handle)] = v
        except (AttributeError, ValueError):
            continue
    values = []
    for c in cf.captured_inputs:
        if c.dtype == tf.resource:
            var = by_handle.get(id(c))
            if var is None:
                return None
            values.append(var.numpy())
        else:
            try:
                values.append(c.numpy())
            except (AttributeError, ValueError, TypeError):
                return None
    return values


def node_sources(cf) -> dict[str, str]:
    from .errors import _MACHINERY
    out = {}
    for op in cf.graph.get_operations():
        for frame in reversed(getattr(op, "traceback", None) or []):
            if not _MACHINERY.search(frame.filename):
                out[op.name] = f"{frame.filename}:{frame.lineno}"
                break
    return out


def _tf():
    import tensorflow as tf
    return tf


def _freeze(cf):
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    return convert_variables_to_constants_v2(cf, lower_control_flow=False)


def _flat_output_keys(structured_outputs) -> list[str]:
    tf = _tf()
    if isinstance(structured_outputs, dict):
        return [str(k) for k in sorted(structured_outputs)]  # tf.nest flattens dicts by sorted key
    flat = tf.nest.flatten(structured_outputs)
    return [f"output_{i}" for i in range(len(flat))]


def _arg_keys(cf) -> list[str]:
    """Input names in argument order: keyword names for signatures, else the spec names."""
    args, kwargs = cf.structured_input_signature
    tf = _tf()
    if kwargs and not args and all(isinstance(v, tf.TensorSpec) for v in kwargs.values()):
        # Signature functions take keyword args; their placeholders follow sorted-key order.
        return sorted(kwargs)
    # Only tensor arguments become inputs; Python values (defaulted parameters) are baked in.
    specs = [s for s in tf.nest.flatten((args, kwargs)) if isinstance(s, tf.TensorSpec)]
    names, seen = [], set()
    for i, spec in enumerate(specs):
        name = spec.name or f"input_{i}"
        if name in seen:  # two specs with one name: keep the signature's names unique
            name = f"{name}_{i}"
        seen.add(name)
        names.append(name)
    return names


def _call_target(cf) -> str | None:
    for op in cf.graph.get_operations():
        if op.type in ("StatefulPartitionedCall", "PartitionedCall"):
            return op.get_attr("f").name
    return None


def _signature_def_tensor_names(path: str) -> dict[str, tuple[dict, dict]]:
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    out = {}
    for key, sd in sm.meta_graphs[0].signature_def.items():
        out[key] = ({k: v.name for k, v in sd.inputs.items()}, {k: v.name for k, v in sd.outputs.items()})
    return out


def load_saved_model(path: str, signature_keys: list[str] | None = None) -> list[Signature]:
    if not os.path.isdir(path):
        raise TflxError(f"no SavedModel directory at '{path}'", stage="tf")
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise TflxError(f"'{path}' has no saved_model.pb: not a SavedModel directory", stage="tf")
    tf = _tf()
    try:
        tensor_names = _signature_def_tensor_names(path)
        loaded = tf.saved_model.load(path)
    except TflxError:
        raise
    except Exception as e:  # noqa: BLE001 - TF raises many types for a damaged model
        first = first_line(e)
        raise TflxError(f"cannot load SavedModel '{path}': {first}", stage="tf") from None
    available = list(loaded.signatures.keys())
    if not available:
        raise TflxError(f"SavedModel '{path}' has no signatures", stage="tf")
    notes = []
    if signature_keys:
        missing = [k for k in signature_keys if k not in available]
        if missing:
            raise TflxError(f"signature(s) {missing} not in SavedModel; it has {available}", stage="tf")
        chosen = list(signature_keys)
    else:
        # Every signature, `serving_default` first; one that merely aliases an already chosen
        # signature (Keras export's `serve` and `serving_default` call the same function) is
        # skipped, as stock does, so the .tflite holds no duplicate subgraph.
        ordered = sorted(available, key=lambda k: (k != DEFAULT_SIGNATURE, available.index(k)))
        chosen, targets = [], {}
        for key in ordered:
            target = _call_target(loaded.signatures[key])
            if target is not None and target in targets:
                notes.append(f"signature '{key}' calls the same function as '{targets[target]}': "
                             f"not converted again (pick it with --signature {key})")
                continue
            targets[target] = key
            chosen.append(key)
    sigs = []
    for key in chosen:
        cf = loaded.signatures[key]
        in_keys = _arg_keys(cf)
        out_keys = _flat_output_keys(cf.structured_outputs)
        tin, tout = tensor_names.get(key, ({}, {}))
        sigs.append(Signature(
            key=key, concrete=cf,
            input_names=in_keys, output_names=out_keys,
            input_tensor_names=[tin.get(k, f"{key}_{k}:0") for k in in_keys],
            output_tensor_names=[tout.get(k, f"{key}_{k}:0") for k in out_keys],
            captures=capture_values(cf, getattr(loaded, "variables", ())), owner=loaded))
    if sigs:
        sigs[0].notes.extend(notes)
    return sigs


def _freeze_or_explain(cf, key):
    try:
        return _freeze(cf)
    except Exception as e:  # noqa: BLE001
        first = first_line(e)
        raise TflxError(f"cannot freeze variables of signature '{key}': {first}", stage="tf") from None


def _keras_concrete_function(model):
    tf = _tf()
    specs = [tf.TensorSpec(t.shape, t.dtype, name=getattr(t, "name", None)) for t in model.inputs]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0]))
    return fn.get_concrete_function(*specs), [s.name for s in specs]


def load_keras(model_or_path, signature_key: str = DEFAULT_SIGNATURE) -> list[Signature]:
    import keras
    model = model_or_path
    if isinstance(model_or_path, (str, os.PathLike)):
        path = os.fspath(model_or_path)
        if not os.path.isfile(path):
            raise TflxError(f"no Keras file at '{path}'", stage="tf")
        try:
            # safe_mode=True: never run Python code (lambdas) stored in a model file.
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as e:  # noqa: BLE001
            first = first_line(e)
            raise TflxError(f"cannot load Keras model '{path}': {first}", stage="tf") from None
    cf, names = _keras_concrete_function(model)
    names = [n or f"input_{i}" for i, n in enumerate(names)]
    outs = [f"output_{i}" for i in range(len(_tf().nest.flatten(cf.structured_outputs)))]
    return [Signature(signature_key, cf, names, outs,
                      [f"{signature_key}_{n}:0" for n in names], [f"{signature_key}_{n}:0" for n in outs],
                      captures=capture_values(cf, model.variables), owner=model)]


def load_function(fn, signature_key: str = DEFAULT_SIGNATURE) -> list[Signature]:
    tf = _tf()
    cf = fn
    if not hasattr(fn, "structured_input_signature"):  # a tf.function: needs an input signature
        if getattr(fn, "input_signature", None) is None:
            raise TflxError("a tf.function needs an input_signature (or pass a ConcreteFunction)", stage="tf")
        cf = fn.get_concrete_function()
    names = _arg_keys(cf)
    outs = _flat_output_keys(cf.structured_outputs)
    return [Signature(signature_key, cf, names, outs,
                      [f"{signature_key}_{n}:0" for n in names], [f"{signature_key}_{n}:0" for n in outs],
                      node_sources=node_sources(cf), captures=capture_values(cf))]


def load(model, signatures: list[str] | None = None) -> list[Signature]:
    """Dispatch on what `model` is."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if path.endswith((".keras", ".h5")):
            return load_keras(path)
        return load_saved_model(path, signatures)
    try:
        import keras
        if isinstance(model, keras.Model):
            return load_keras(model)
    except ImportError:
        pass
    if hasattr(model, "get_concrete_function") or hasattr(model, "structured_input_signature"):
        return load_function(model)
    raise TflxError(f"cannot convert a {type(model).__name__}: expected a SavedModel directory, "
                    ".keras file, keras.Model, tf.function or ConcreteFunction", stage="tf")
