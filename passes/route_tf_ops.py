"""route-tf-ops / restore-routed-ops: the route decision of the stablehlo stage as passes.

The stablehlo stage runs these itself (tflx.routes): `route-tf-ops` renames every TF op the
plan sends the direct way to `tf.TflxDirect.<Op>`, so `tf-stablehlo` leaves it alone, and
`restore-routed-ops` gives it its name back for the TFL legalization. As passes they let
`tflx-opt` show (and lit pin) which op takes which route:

    tflx-opt m.mlir -route-tf-ops                         # auto: the route table, else direct
    tflx-opt m.mlir '-route-tf-ops{route=stablehlo}'
    tflx-opt m.mlir '-route-tf-ops{ops=Erf:direct,AddV2:stablehlo}'
"""
from __future__ import annotations

from dataclasses import dataclass

from tflx import routes
from tflx.errors import TflxError
from tflx.mlir import ir
from tflx.plugin import Pass, register_pass


def _ops(text: str) -> dict:
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        op, sep, route = item.partition(":")
        if not sep:
            raise TflxError(f"ops: '{item}' is not OP:ROUTE (e.g. Erf:stablehlo)")
        out[op.strip()] = route.strip()
    return out


@register_pass
@dataclass(frozen=True)
class RouteTfOps(Pass):
    name = "route-tf-ops"
    stage = "tf"
    description = "Rename the TF ops routed directly to TFL to tf.TflxDirect.<Op> (hidden from tf-stablehlo)"
    route: str = routes.AUTO
    ops: str = ""  # OP:ROUTE,... (the --route-op overrides)

    def run(self, module: ir.Module) -> int:
        return routes.hide_direct_ops(module, routes.RoutePlan.of(self.route, _ops(self.ops)))


@register_pass
@dataclass(frozen=True)
class RestoreRoutedOps(Pass):
    name = "restore-routed-ops"
    stage = "stablehlo"
    description = "Give ops hidden by route-tf-ops their TF names back, for TFL legalization"

    def run(self, module: ir.Module) -> int:
        return routes.restore_direct_ops(module)
