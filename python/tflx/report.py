"""Failure reports: when a stage or pass fails, say where and leave a reproducer behind.

`FailureRecorder` is the pipeline's `on_failure` hook: it keeps the IR right before the failing
step. `build_report` turns that and the error into a `FailureReport`: stage, pass, the failing
op(s) with the user's source line, an IR excerpt around them, and -- written by `write` -- a
`repro.mlir` (with its `// tflx-stage:` header) plus the one command that reproduces the failure:

    stage step failed      tflx convert --resume-from repro.mlir --stop-after STAGE -o OUT
    built-in pass failed   tflx-opt repro.mlir -PASS
    plugin pass failed     tflx-opt --plugin=PLUGIN repro.mlir -PASS
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import asdict, dataclass, field

from .stagedefs import STAGES
from .errors import TflxError

HEADER = "// tflx-stage: "
_TRAILING_LOC = re.compile(r"\s+loc\((?:[^()]|\([^()]*\))*\)\s*$")
_MARK = "tflx.failing_op"


@dataclass
class FailingOp:
    op: str
    source: str | None = None  # the user's file:line
    node: str | None = None  # TF node name from the op's location
    location: str | None = None  # the location's text, shortened


@dataclass
class FailureReport:
    error: str  # the one-line error, as the CLI prints it
    message: str
    stage: str
    pass_name: str | None
    step: str  # "stage" (the stage's own transformation) or "pass"
    failing_ops: list[FailingOp] = field(default_factory=list)
    excerpt: str = ""
    repro_stage: str | None = None  # header of repro.mlir
    repro: str | None = None  # path, once written
    command: str | None = None
    command_argv: list[str] | None = None
    note: str | None = None
    routes: dict | None = None  # {"summary", "fallbacks", "failing_ops": {op: route}} (tflx.routes)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def render(self) -> str:
        out = ["failure report:"]
        where = f"stage '{self.stage}'"
        if self.step == "pass":
            where += f", pass '{self.pass_name}'"
        elif self.pass_name:
            where += f" (step '{self.pass_name}')"
        out.append(f"  failed in   {where}")
        out.append(f"  message     {self.message}")
        if self.failing_ops:
            out.append("  failing op(s):")
            for f in self.failing_ops:
                extra = f"  (TF node '{f.node}')" if f.node else ""
                out.append(f"    {f.op}  at {f.source or 'unknown source'}{extra}")
        if self.routes:
            out.append(f"  routes      {self.routes['summary']}")
            for op, route in self.routes["failing_ops"].items():
                out.append(f"    {op} went {route}")
            for line in self.routes["fallbacks"]:
                out.append(f"    fallback: {line}")
        if self.excerpt:
            out.append(f"  IR right before the failing step (stage '{self.repro_stage}'):")
            out.extend("    " + ln for ln in self.excerpt.splitlines())
        if self.note:
            out.append(f"  note        {self.note}")
        if self.repro:
            out.append(f"  reproducer  {self.repro}")
        if self.command:
            out.append("  reproduce with:")
            out.append(f"    {self.command}")
        return "\n".join(out)


class FailureRecorder:
    """The pipeline's `on_failure` hook: remembers the last failure (stage, pass, IR before)."""

    def __init__(self):
        self.stage = self.pass_name = self.before = self.error = None

    def __call__(self, stage, pass_name, before, error):
        self.stage, self.pass_name, self.before, self.error = stage, pass_name, before, error

    @property
    def failed(self) -> bool:
        return self.error is not None


def _tool(name: str, module: str) -> list[str]:
    return [name] if shutil.which(name) else [sys.executable, "-m", module]


def _parse(text: str):
    from .mlir import ir, new_context
    ctx = new_context()
    with ctx:
        try:
            return ctx, ir.Module.parse(text)
        except ir.MLIRError:
            return ctx, None


def _short(loc: str, n: int = 160) -> str:
    return loc if len(loc) <= n else loc[:n] + "..."


def _find_failing(module, stage: str, err: TflxError) -> list:
    """The ops the failure is about, in the IR before the failing step."""
    import re
    from .mlir import walk_ops
    from .stages import unsupported_ops
    ops = walk_ops(module)
    if stage == "flatbuffer" and err.pass_name is None:
        names = {n for n, _ in unsupported_ops(module)}
        found = [op for op in ops if op.name in names]
        if found:
            return found
    if err.op:
        found = [op for op in ops if op.name == err.op]
        if found:
            return found
    # The failing op may only exist mid-step (e.g. a tfl op the legalizer made): match the TF
    # node names its location carries against the locations of the ops before the step.
    names = [n for n in re.findall(r'loc\("([^"]+)"', err.message)]
    if err.node:
        names.append(err.node)
    found = []
    for n in names:
        for op in ops:
            if op.name.startswith(("func.", "builtin.")):
                continue
            if f'"{n}"' in str(op.location) and op not in found:
                found.append(op)
        if found:
            break
    return found


def _excerpt(module, failing, context: int = 4, max_ops: int = 3) -> tuple[str, str]:
    """(numbered lines around the failing ops, marked '>'; the module's text for repro.mlir).

    The failing ops get a marker attribute for one print; the second print, without it, is what
    repro.mlir holds -- same printer, same options, so the line numbers are that file's."""
    from .mlir import ir
    with module.context:
        for op in failing[:max_ops]:
            op.attributes[_MARK] = ir.UnitAttr.get()
        marked_text = module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)
        for op in failing[:max_ops]:
            del op.attributes[_MARK]
        text = module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)
    marked = [i for i, ln in enumerate(marked_text.splitlines()) if _MARK in ln]
    lines = text.splitlines()
    keep: list[tuple[int, int]] = []
    for i in marked:
        lo, hi = max(0, i - context), min(len(lines), i + context + 1)
        if keep and lo <= keep[-1][1]:
            keep[-1] = (keep[-1][0], hi)
        else:
            keep.append((lo, hi))
    out = []
    for lo, hi in keep:
        if out:
            out.append("     ...")
        for i in range(lo, hi):
            ln = _TRAILING_LOC.sub("", lines[i])
            if len(ln) > 200:
                ln = ln[:200] + " ..."
            out.append(f"{'>' if i in marked else ' '} {i + 2:5d} | {ln}")  # +2: the header line
    return "\n".join(out), text


def build_report(err: TflxError, recorder: FailureRecorder | None, *, sources: dict | None = None,
                 plugins: list[str] = (), fuse_dynamic_broadcast: bool = True,
                 model: str | None = None, route_args: list[str] = ()) -> FailureReport:
    from .debuginfo import source_for_location
    from .errors import node_name
    sources = sources or {}
    stage = (recorder.stage if recorder and recorder.failed else None) or err.stage or "?"
    pass_name = recorder.pass_name if recorder and recorder.failed else None
    step = "pass" if pass_name else "stage"
    rep = FailureReport(error=err.one_line(), message=err.message, stage=stage,
                        pass_name=pass_name or err.pass_name, step=step)
    routes = getattr(err, "routes", None)
    if routes is not None and routes.counts:
        rep.routes = {"summary": routes.summary(), "fallbacks": list(routes.fallbacks), "failing_ops": {}}
    before = recorder.before if recorder and recorder.failed else None
    if before is None:
        if stage == "tf" and model:
            rep.note = "the failure is in TensorFlow's import of the model: there is no IR before it"
            argv = _tool("tflx", "tflx.cli.main") + ["convert", model, "--stop-after", "tf", "-o", "tf.mlir"]
            rep.command_argv, rep.command = argv, shlex.join(argv)
        if err.op:
            rep.failing_ops.append(FailingOp(err.op, err.location, err.node))
        return rep
    rep.repro_stage = stage if step == "pass" else STAGES[STAGES.index(stage) - 1]
    ctx, module = _parse(before)
    if module is not None:
        failing = _find_failing(module, stage, err)
        for op in failing[:20]:
            loc = str(op.location)
            node = node_name(loc)
            if node and re.search(r'"%s":\d+' % re.escape(node), loc):
                node = None  # a file location ("file":line:col), not a TF node name
            fallback = err.location if op.name == err.op and err.location and \
                not err.location.startswith("TF node") else None
            rep.failing_ops.append(FailingOp(op.name, source_for_location(loc, sources) or fallback,
                                             node, _short(loc)))
        rep.excerpt, before = _excerpt(module, failing)
    if not rep.failing_ops and err.op:
        rep.failing_ops.append(FailingOp(err.op, err.location, err.node))
        rep.note = (f"'{err.op}' is not in the IR before the failing step: the step itself created it "
                    "(reduce repro.mlir with `tflx reduce` to find the input op that leads to it)")
    if rep.routes is not None:
        for f in rep.failing_ops:
            route = routes.route_of(f.op)
            if route:
                rep.routes["failing_ops"][f.op] = route
    rep._before = before  # noqa: SLF001 - kept for write(), not serialized
    rep._plugins = list(plugins)
    rep._fuse = fuse_dynamic_broadcast
    rep._route_args = list(route_args)  # the conversion's --route/--route-op, for the repro command
    return rep


def _command(rep: FailureReport, repro: str, out_dir: str) -> list[str]:
    if rep.step == "pass":
        from .passes import registered_passes
        from . import passes as builtin  # noqa: F401
        cls = registered_passes().get(rep.pass_name)
        is_builtin = cls is not None and cls.__module__.startswith("tflx.passes")
        if is_builtin or not rep._plugins:
            return _tool("tflx-opt", "tflx.cli.opt") + [repro, f"-{rep.pass_name}"]
        plugin_paths = [os.path.abspath(p) if os.path.exists(p) else p for p in rep._plugins]
        return (_tool("tflx-opt", "tflx.cli.opt") + [f"--plugin={p}" for p in plugin_paths]
                + [repro, f"-{rep.pass_name}"])
    out = os.path.join(out_dir, "repro-out.tflite" if rep.stage == "flatbuffer" else "repro-out.mlir")
    argv = _tool("tflx", "tflx.cli.main") + ["convert", "--resume-from", repro, "--stop-after", rep.stage,
                                             "-o", out]
    if rep.stage == "tfl" and not rep._fuse:
        argv.append("--no-dynamic-broadcast-fusion")
    if rep.stage == "stablehlo":  # the stage that routes ops: reproduce with the same routes
        argv += getattr(rep, "_route_args", [])
    return argv


def write(rep: FailureReport, out_dir: str, *, json_path: str | None = None) -> FailureReport:
    """Write repro.mlir (when there is IR before the failure) and the JSON report."""
    from .atomic import write_atomic
    os.makedirs(out_dir, exist_ok=True)
    before = getattr(rep, "_before", None)
    if before is not None:
        repro = os.path.abspath(os.path.join(out_dir, "repro.mlir"))
        write_atomic(repro, HEADER + rep.repro_stage + "\n" + before)
        rep.repro = repro
        argv = _command(rep, repro, os.path.abspath(out_dir))
        rep.command_argv, rep.command = argv, shlex.join(argv)
    if json_path:
        write_atomic(json_path, rep.to_json() + "\n")
    return rep
