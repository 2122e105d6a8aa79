"""Op knowledge tflx consults, one module per subject:

    tfl            typed views of TFL ops (operands/attributes/results by name, from
                   tfl_signatures.json, generated from tfl_ops.td by gen_tfl_signatures.py),
                   result-type rules
    tfl_builtins   TFLite builtin operator codes and names (litert-converter's schema)
    quant          uniform quantized types: read from their text, quantize by them
    routes         the route table: which TF ops reach TFL through StableHLO (route_table.json)
    gpu_delegate   the LiteRT GPU delegate's op support and constraints

The MLIR bindings also look up a Python module per dialect namespace (`tflx.dialects.<ns>`) for
generated op classes; litert-converter ships none, and a namespace without a module is retried
(and fails) for every op handed to Python -- 3x slower rewrites. The namespaces with no knowledge
here get an empty module object each, made below, instead of a file.
"""
import sys as _sys
import types as _types

# (stablehlo, func and arith have generated classes in litert-converter; tfl and quant are modules here)
_OPS_BY_NAME_ONLY = ("tf", "tf_executor", "tf_saved_model", "chlo", "mhlo", "vhlo", "shape")
for _ns in _OPS_BY_NAME_ONLY:
    _name = f"{__name__}.{_ns}"
    _sys.modules.setdefault(_name, _types.ModuleType(_name, f"`{_ns}.*` ops: created by name (tflx.builder)"))
