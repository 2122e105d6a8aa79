"""The route table: which TF op types tflx's `auto` mode lowers through StableHLO.

Data, not code: `route_table.json` beside this file, written by `bench/coverage.py
--write-routes` from a sweep that converts every case both ways and runs the results. Op types
are TF op names without the `tf.` prefix (`Erf`, `ResizeBilinear`).
"""
from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "route_table.json")


@dataclass(frozen=True)
class RouteTable:
    stablehlo: dict  # op type -> why auto sends it through StableHLO
    direct_only: dict  # op type -> why it never goes through StableHLO (wrong or unrunnable there)


@functools.lru_cache(maxsize=None)
def route_table(path: str = TABLE_PATH) -> RouteTable:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return RouteTable(stablehlo=dict(data.get("stablehlo", {})), direct_only=dict(data.get("direct_only", {})))
