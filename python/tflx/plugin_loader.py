"""Loading user plugins: a Python file, an importable module, or an installed package that
declares the entry-point group `tflx.plugins`.

A plugin is any module that registers passes with `@tflx.plugin.register_pass` when imported.
Errors while loading (syntax errors, exceptions) are reported with the plugin's file:line.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field

from . import plugin as _plugin
from .errors import TflxError

ENTRY_POINT_GROUP = "tflx.plugins"


@dataclass
class LoadedPlugin:
    spec: str  # what the user named: a path, a module, or "entry point NAME"
    module: str
    passes: list = field(default_factory=list)  # pass classes it registered


_LOADED: dict[str, LoadedPlugin] = {}


def _user_frame(exc: BaseException, path_hint: str | None) -> str | None:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        if path_hint and os.path.abspath(fr.filename) == os.path.abspath(path_hint):
            return f"{fr.filename}:{fr.lineno}"
    for fr in reversed(frames):
        if "importlib" not in fr.filename and "/tflx/" not in fr.filename:
            return f"{fr.filename}:{fr.lineno}"
    return None


def load(spec: str) -> LoadedPlugin:
    """Import a plugin named by a .py path or a module name; returns what it registered."""
    if spec in _LOADED:
        return _LOADED[spec]
    before = set(_plugin._REGISTRY.items())
    path = None
    try:
        if spec.endswith(".py") or os.sep in spec:
            path = os.path.abspath(spec)
            if not os.path.isfile(path):
                raise TflxError(f"plugin file '{spec}' does not exist")
            name = "tflx_plugin_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
            mspec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(mspec)
            sys.modules[name] = module
            mspec.loader.exec_module(module)
        else:
            try:
                module = importlib.import_module(spec)
            except ModuleNotFoundError as e:
                if e.name and spec.startswith(e.name):
                    raise TflxError(f"plugin module '{spec}' not found (no module named '{e.name}')") from None
                raise
    except TflxError:
        raise
    except BaseException as e:  # noqa: BLE001 - any failure in user code is reported as such
        if isinstance(e, KeyboardInterrupt):
            raise
        where = _user_frame(e, path)
        raise TflxError(f"plugin '{spec}' failed to load: {type(e).__name__}: {e}", location=where) from None
    # Registration order: a plugin's passes run in the order its file defines them.
    added = [cls for name, cls in _plugin._REGISTRY.items() if (name, cls) not in before]
    loaded = LoadedPlugin(spec, module.__name__, added)
    _LOADED[spec] = loaded
    return loaded


def load_entry_points() -> list[LoadedPlugin]:
    from importlib.metadata import entry_points
    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        out.append(load(ep.value.split(":")[0]))
        out[-1].spec = f"entry point '{ep.name}' ({ep.value})"
    return out


def passes_from(specs, options: dict[str, dict] | None = None) -> list:
    """Instantiate every pass the named plugins register (plus installed entry-point plugins)."""
    options = options or {}
    out = []
    for lp in [load(s) for s in specs or ()] + load_entry_points():
        for cls in lp.passes:
            try:
                out.append(cls(**options.get(cls.name, {})))
            except TypeError as e:
                raise TflxError(f"pass '{cls.name}' options: {e}", pass_name=cls.name, location=cls.source()) from None
    return out


def loaded() -> list[LoadedPlugin]:
    return list(_LOADED.values())
