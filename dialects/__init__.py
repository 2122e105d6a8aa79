"""Op knowledge tflx consults: TFL builtin operator tables (tflx.dialects.tfl_builtins)."""
