"""A test plugin: reports an error at every tfl.tanh without failing (diagnostics plumbing)."""
from dataclasses import dataclass

from tflx.mlir import walk_ops
from tflx.plugin import Pass, register_pass


@register_pass
@dataclass(frozen=True)
class FlagTanh(Pass):
    name = "test-flag-tanh"
    stage = "tfl"
    description = "emit an error diagnostic at every tfl.tanh (lit test plugin)"

    def run(self, module):
        for op in walk_ops(module):
            if op.name == "tfl.tanh":
                op.location.emit_error("tfl.tanh is flagged by the test plugin")
        return 0
