"""Which provider runs each pass -- tflx (Python passes), litert-converter or TensorFlow -- and
on which anchor; bad names, anchors and options are reported before any input is read.

`resolve` gives every `Leaf` its provider and anchor. A name both litert and TF register
(`canonicalize`, `cse`, ...) runs with TF when its nearest neighbour in the pipeline is a TF
pass, else with litert; `tf-*` names both register run with TF. Where each litert/TF pass may
be scheduled comes from `tflx.pass_catalog`.
"""
from __future__ import annotations

import dataclasses
import difflib

from .. import pass_catalog as cat
from ..errors import TflxError
from ..mlir import ir, passmanager
from ..nativeio import native_stderr_captured
from ..plugin import option_value
from .pipeline_parser import Leaf, pipeline_text

TFLX, LITERT, TF = "tflx", "litert", "tf"
PROVIDER_TITLES = {TFLX: "tflx", LITERT: "litert-converter", TF: "TensorFlow"}


def _tflx_passes() -> dict:
    from ..passes import registered_passes
    return registered_passes()


def known_pass_names(include_tf: bool) -> list[str]:
    names = set(_tflx_passes()) | set(cat.LITERT.catalog())
    if include_tf:
        names |= set(cat.TENSORFLOW.catalog())
    return sorted(names)


def unknown_pass_error(name: str) -> TflxError:
    names = known_pass_names(include_tf=True)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; see tflx-opt --list-passes"
    return TflxError(f"unknown pass '{name}'{hint}")


def resolve(leaves: list[Leaf]) -> list[Leaf]:
    """Give every pass its provider and anchor, or raise a one-line error."""
    tflx = _tflx_passes()
    litert_anchors: dict[str, list[str] | None] = {}
    need_tf = False
    for lf in leaves:
        if lf.name in tflx:
            lf.provider, lf.tflx_cls = TFLX, tflx[lf.name]
            continue
        litert_anchors[lf.name] = cat.LITERT.anchors(lf.name)
        if litert_anchors[lf.name] is None or lf.name.startswith("tf-"):
            need_tf = True
    tf_anchors: dict[str, list[str] | None] = {}
    if need_tf:
        for lf in leaves:
            if lf.provider != TFLX:
                tf_anchors[lf.name] = cat.TENSORFLOW.anchors(lf.name)
    # exclusive providers first
    for lf in leaves:
        if lf.provider:
            continue
        in_lt, in_tf = litert_anchors.get(lf.name) is not None, tf_anchors.get(lf.name) is not None
        if not in_lt and not in_tf:
            raise unknown_pass_error(lf.name)
        if in_tf and (not in_lt or lf.name.startswith("tf-")):
            lf.provider = TF
        elif in_lt and not in_tf:
            lf.provider = LITERT
    # shared names follow their nearest neighbour that is a TF pass
    for i, lf in enumerate(leaves):
        if lf.provider:
            continue
        near = [x for x in leaves[:i][::-1] if x.provider][:1] + [x for x in leaves[i + 1:] if x.provider][:1]
        lf.provider = TF if near and near[0].provider == TF else LITERT
    # anchors
    for lf in leaves:
        if lf.provider == TFLX:
            lf.anchor = cat.MODULE
            if lf.options:
                _tflx_options(lf)  # validate early
            continue
        allowed = (tf_anchors if lf.provider == TF else litert_anchors)[lf.name] or []
        if lf.anchor is None:
            if not allowed:
                raise TflxError(f"pass '{lf.name}' ({PROVIDER_TITLES[lf.provider]}) cannot be scheduled on "
                                f"'{cat.MODULE}' or '{cat.FUNC}'")
            lf.anchor = allowed[0]
        elif lf.anchor not in allowed:
            where = " or ".join(f"'{a}'" for a in allowed) or "neither 'builtin.module' nor 'func.func'"
            hint = f": write {cat.FUNC}({lf.text()})" if allowed == [cat.FUNC] else ""
            raise TflxError(f"pass '{lf.name}' cannot run on '{lf.anchor}' (it runs on {where}){hint}")
    _check_litert_options(leaves)
    _check_tf_options(leaves)
    return leaves


def _check_tf_options(leaves: list[Leaf]) -> None:
    """Build each TF pass that has options, followed by a pass with a bad option so nothing
    runs: a bad option of ours is reported before any input is read."""
    todo = [lf for lf in leaves if lf.provider == TF and lf.options]
    if not todo:
        return
    tf = cat.import_tensorflow()
    for lf in todo:
        probe = f"{pipeline_text([lf], wrap=False)},canonicalize{{{cat._SENTINEL}=1}}"
        try:
            tf.mlir.experimental.run_pass_pipeline("module {}", probe)
            continue
        except Exception as e:  # noqa: BLE001 - TF status errors
            text = str(e)
        if f"no such option {cat._SENTINEL}" in text:
            continue
        lines = [ln.strip(" :") for ln in text.replace("Invalid pass_pipeline:", "").splitlines() if ln.strip(" :")]
        first = lines[0].replace("<Pass-Options-Parser>", "").strip(" :") if lines else text
        raise TflxError(f"pass '{lf.name}': bad options {{{lf.options}}}: {first}")


def _check_litert_options(leaves: list[Leaf]) -> None:
    """Build each litert pass once (anchors are known good by now) so a bad option is reported
    before any input is read."""
    ctx = None
    for lf in leaves:
        if lf.provider != LITERT or not lf.options:
            continue
        ctx = ctx or ir.Context()
        with native_stderr_captured() as said:
            try:
                passmanager.PassManager.parse(pipeline_text([lf]), context=ctx)
                error = None
            except ValueError as e:
                error = e
        if error is not None:
            # LLVM's option parser explains a bad value on fd 2, the exception only says "failed".
            lines = [ln.strip(" :") for ln in (said[0] + "\n" + str(error)).splitlines() if ln.strip(" :")]
            first = lines[0].replace("<Pass-Options-Parser>", "").strip(" :") if lines else str(error)
            raise TflxError(f"pass '{lf.name}': bad options {{{lf.options}}}: {first}")


def _tflx_options(lf: Leaf) -> dict:
    """`a=1 b=x` for a tflx pass -> constructor kwargs, converted by the field defaults."""
    if not lf.options:
        return {}
    fields = {f.name: f for f in dataclasses.fields(lf.tflx_cls)} if dataclasses.is_dataclass(lf.tflx_cls) else {}
    out = {}
    for item in lf.options.split():
        key, eq, value = item.partition("=")
        key = key.replace("-", "_")  # MLIR spells options with hyphens: enable-dynamic-update-slice
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise TflxError(f"pass '{lf.name}': no option '{key}' (options: {known})")
        f = fields[key]
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
        try:
            out[key] = option_value(value if eq else "true", default)
        except ValueError as e:
            raise TflxError(f"pass '{lf.name}': option '{key}': {e}") from None
    return out
