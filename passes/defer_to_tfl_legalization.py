"""defer-to-tfl-legalization / restore-deferred-ops: keep some TF ops away from tf-stablehlo.

For a few ops, TF's StableHLO lowering is worse than litert-converter's direct TF -> TFL
legalization of a leftover `tf.*` op (measured by bench/coverage.py):
  ResizeBilinear / ResizeNearestNeighbor -> gathers + BATCH_MATMUL with WRONG results
      (max error 0.5-0.8 vs TF); directly: RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, exact.
  ScatterNd, TensorScatter*, UnsortedSegment* -> STABLEHLO_SCATTER, which ai-edge-litert 2.3.0
      cannot run; directly: SCATTER_ND / UNSORTED_SEGMENT_* as stock.
At the tf stage the op is renamed `tf.TflxDeferred<Op>` (TF allows unknown ops, so tf-stablehlo
passes it through untouched); at the stablehlo stage it gets its name back, and the TFL
legalization that follows handles it like stock does.
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx.mlir import ir, walk_ops
from tflx.plugin import Pass, register_pass

PREFIX = "tf.TflxDeferred"
DEFERRED = ("tf.ResizeBilinear", "tf.ResizeNearestNeighbor", "tf.ScatterNd", "tf.TensorScatterUpdate",
            "tf.TensorScatterAdd",
            "tf.UnsortedSegmentSum", "tf.UnsortedSegmentMax", "tf.UnsortedSegmentMin",
            "tf.UnsortedSegmentProd")


def _rename(op, name: str) -> None:
    attrs = op.attributes
    with op.location, ir.InsertionPoint(op):
        new = ir.Operation.create(name, results=[r.type for r in op.results], operands=list(op.operands),
                                  attributes={attrs[i].name: attrs[i].attr for i in range(len(attrs))})
    for old, repl in zip(op.results, new.results):
        old.replace_all_uses_with(repl)
    op.erase()


@register_pass
@dataclass(frozen=True)
class DeferToTflLegalization(Pass):
    name = "defer-to-tfl-legalization"
    stage = "tf"
    description = "Hide ops whose TFL legalization beats tf-stablehlo's (resize, scatter, segment ops) from tf-stablehlo"
    ops: tuple = DEFERRED

    def run(self, module: ir.Module) -> int:
        found = [op for op in walk_ops(module) if op.name in self.ops]
        for op in found:
            _rename(op, PREFIX + op.name[len("tf."):])
        return len(found)


@register_pass
@dataclass(frozen=True)
class RestoreDeferredOps(Pass):
    name = "restore-deferred-ops"
    stage = "stablehlo"
    description = "Give ops hidden by defer-to-tfl-legalization their TF names back for TFL legalization"

    def run(self, module: ir.Module) -> int:
        found = [op for op in walk_ops(module) if op.name.startswith(PREFIX)]
        for op in found:
            _rename(op, "tf." + op.name[len(PREFIX):])
        return len(found)
