"""The engine behind `tflx-opt`: one pass pipeline over three pass providers.

A pipeline (from `--pass-pipeline='builtin.module(...)'` or from pass flags) is split into its
passes, and each pass is given to the provider that has it:

    tflx        Python passes from `tflx.passes.registered_passes()`; run on the whole module
                in the litert context, then the module is verified.
    litert      passes registered in litert-converter's MLIR; run with its PassManager in the
                context from `tflx.mlir.new_context()`.
    tf          passes registered in TensorFlow's MLIR; the module is printed (with locations),
                run through `tf.mlir.experimental.run_pass_pipeline` and parsed back. TensorFlow
                is imported only when such a pass is used.

A name both litert and TF register (`canonicalize`, `cse`, ...) runs with TF when its nearest
neighbour in the pipeline is a TF pass (the IR is then in TF's hands anyway), else with litert;
`tf-*` names both register (`tf-stablehlo`) run with TF, which knows the tf dialect.

Where each litert/TF pass may be scheduled comes from `tflx.pass_catalog`; a pipeline is checked
against it before any native parser sees it (a mis-nested registered pipeline aborts the process).
Pass flags are nested automatically: `-tfl-optimize` becomes `func.func(tfl-optimize)`.

The package, by job:
    pipeline_parser  pipeline text <-> PassSpec / Leaf (parse_pipeline, leaves_from_specs, pipeline_text)
    providers        which provider and anchor each pass gets, options checked early (resolve)
    runner           running the resolved passes over one input (Runner)
    diagnostics      Diag, DiagnosticCollector, PipelineFailure; -split-input-file (split_input)
                     and -verify-diagnostics (parse_expectations, check_expectations)
"""
from __future__ import annotations

from .diagnostics import (SEVERITIES, SPLIT_MARKER, Chunk, Diag, DiagnosticCollector, Expected, PipelineFailure,
                          _loc_line_col, check_expectations, diag_from_mlir, diags_from_mlir_error, diags_from_text,
                          parse_expectations, split_input)
from .pipeline_parser import Leaf, PassSpec, leaves_from_specs, parse_pipeline, pipeline_text
from .providers import (LITERT, PROVIDER_TITLES, TF, TFLX, _tflx_options, known_pass_names, resolve,
                        unknown_pass_error)
from .runner import PrintOptions, Runner, dump_header, group

__all__ = ["SEVERITIES", "SPLIT_MARKER", "Chunk", "Diag", "DiagnosticCollector", "Expected", "PipelineFailure",
           "check_expectations", "diag_from_mlir", "diags_from_mlir_error", "diags_from_text", "parse_expectations",
           "split_input", "Leaf", "PassSpec", "leaves_from_specs", "parse_pipeline", "pipeline_text", "LITERT",
           "PROVIDER_TITLES", "TF", "TFLX", "known_pass_names", "resolve", "unknown_pass_error", "PrintOptions",
           "Runner", "dump_header", "group"]
