"""Python namespace the MLIR bindings look up for `shape.*` ops.

litert-converter ships no generated op classes for this dialect; without a module to find, the
bindings retry (and fail) an import for every op handed to Python — 3x slower rewrites. Ops
are created by name (see tflx.builder).
"""
