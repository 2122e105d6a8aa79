"""Delta debugging for failing IR: shrink a module while it still fails the same way.

    tflx reduce input.mlir --pipeline 'builtin.module(...)' --error 'REGEX' -o small.mlir
    tflx reduce repro.mlir --pipeline convert --error 'no TFLite builtin'    # tflx convert --resume-from

A candidate is "interesting" when running the pipeline on it fails and the failure text
matches REGEX. Candidates run in a worker process (`python -m tflx.cli.reduce_worker`: it runs the
tflx commands in-process and answers with their exit status and error text) that reads
one candidate at a time, so TF and litert-converter are imported once; a crash of the native
code (abort, segfault) kills only the worker, counts as a failure with the text
"crashed (SIGNAL)" plus what the native code printed, and a fresh worker takes over.

Reductions, each checked by re-running the pipeline (ddmin over the op list, then one at a time):
  1. remove ops: an op's results are replaced by new function arguments of the same types
     (the function's signature attributes grow to match), then the op is erased;
  2. bypass ops: an op's result is replaced by its operand of the same type;
     then replace results by constants (zeros) instead of arguments, for ops whose value matters;
  3. drop function results the failure does not need;
  4. drop unused function arguments and unreferenced private functions.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from .errors import TflxError

HEADER = "// tflx-stage: "
_STRUCTURAL = ("func.func", "func.return", "builtin.module", "tfl.yield", "stablehlo.return")


# ---- IR editing ---------------------------------------------------------------------------

def _funcs(module):
    return [op.operation for op in module.body.operations if op.operation.name == "func.func"]


def _body_ops(func) -> list:
    block = func.regions[0].blocks[0]
    return [op.operation for op in block.operations if op.operation.name != "func.return"]


def count_ops(module) -> int:
    """Ops that compute something: everything but module, functions and terminators."""
    from .mlir import walk_ops
    return sum(1 for op in walk_ops(module) if op.name not in _STRUCTURAL)


def _string_list(attr):
    from .mlir import ir
    try:
        arr = ir.ArrayAttr(attr)
        return [ir.StringAttr(a).value for a in arr]
    except (ValueError, TypeError):
        return None


def _strs(values):
    from .mlir import ir
    return ir.ArrayAttr.get([ir.StringAttr.get(v) for v in values])


_SIG_IN = ("tflx.signature_inputs", "tflx.input_tensor_names")
_SIG_OUT = ("tflx.signature_outputs", "tflx.output_tensor_names")


def _set_function_type(func, inputs, results) -> None:
    from .mlir import ir
    func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def _function_type(func):
    from .mlir import ir
    return ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)


def _extend_arg_lists(func, n_new: int, base: int) -> None:
    """Keep per-argument attributes in step with new trailing arguments."""
    from .mlir import ir
    for name in _SIG_IN:
        if name in func.attributes:
            vals = _string_list(func.attributes[name])
            if vals is not None:
                func.attributes[name] = _strs(vals + [f"tflx_reduce_arg{base + i}" for i in range(n_new)])
    if "arg_attrs" in func.attributes:
        arr = list(ir.ArrayAttr(func.attributes["arg_attrs"]))
        func.attributes["arg_attrs"] = ir.ArrayAttr.get(arr + [ir.DictAttr.get({})] * n_new)
    if "tf.entry_function" in func.attributes:
        d = ir.DictAttr(func.attributes["tf.entry_function"])
        if "inputs" in d:
            ins = ir.StringAttr(d["inputs"]).value
            names = [x for x in ins.split(",") if x] + [f"tflx_reduce_arg{base + i}" for i in range(n_new)]
            entries = {a.name: a.attr for a in d}
            entries["inputs"] = ir.StringAttr.get(",".join(names))
            func.attributes["tf.entry_function"] = ir.DictAttr.get(entries)


def replace_with_arguments(func, ops: list) -> None:
    """Replace each op's results by new arguments of `func`, then erase the ops (latest first)."""
    from .mlir import ir
    block = func.regions[0].blocks[0]
    ftype = _function_type(func)
    inputs, results = list(ftype.inputs), list(ftype.results)
    base = len(inputs)
    new = 0
    for op in reversed(ops):  # `ops` in block order: erase users before what they use
        for r in op.results:
            arg = block.add_argument(r.type, ir.Location.unknown())
            r.replace_all_uses_with(arg)
            inputs.append(r.type)
            new += 1
        op.erase()
    _set_function_type(func, inputs, results)
    _extend_arg_lists(func, new, base)


def _zero_constant(type_, dialect: str):
    """A constant op of `type_` (static shape) filled with zeros, in the op's dialect."""
    import numpy as np
    from .mlir import ir
    from . import builder as b
    rt = ir.RankedTensorType(type_)
    if not rt.has_static_shape:
        return None
    try:
        dtype = b.np_dtype(rt.element_type)
    except Exception:  # noqa: BLE001 - quantized or exotic types: no constant
        return None
    attr = ir.DenseElementsAttr.get(np.zeros(rt.shape, dtype), type=rt)
    if dialect == "tf":
        return ir.Operation.create("tf.Const", results=[rt], attributes={"value": attr})
    if dialect == "stablehlo":
        return ir.Operation.create("stablehlo.constant", results=[rt], attributes={"value": attr})
    return ir.Operation.create("arith.constant", results=[rt], attributes={"value": attr})


def replace_with_constants(func, ops: list) -> bool:
    """Replace each op's results by zero constants; False (nothing changed) when impossible."""
    from .mlir import ir
    made = []
    for op in ops:
        dialect = op.name.split(".")[0]
        consts = []
        for r in op.results:
            try:
                with ir.InsertionPoint(op):
                    c = _zero_constant(r.type, dialect)
            except Exception:  # noqa: BLE001
                c = None
            if c is None:
                for x in consts:
                    x.erase()
                return False
            consts.append(c)
        made.append((op, consts))
    for op, consts in made:
        for r, c in zip(op.results, consts):
            r.replace_all_uses_with(c.result)
        op.erase()
    return True


def bypass(func, ops: list) -> bool:
    """Replace each op's (single) result by its first operand of the same type, erase the op;
    False when none of `ops` has such an operand."""
    done = False
    for op in reversed(ops):
        if len(op.results) != 1:
            continue
        r = op.results[0]
        same = [v for v in op.operands if v.type == r.type]
        if not same:
            continue
        r.replace_all_uses_with(same[0])
        op.erase()
        done = True
    return done


def drop_results(func, keep: list[int]) -> None:
    """Keep only the results at indices `keep`."""
    from .mlir import ir
    block = func.regions[0].blocks[0]
    ret = [op.operation for op in block.operations][-1]
    operands = [ret.operands[i] for i in keep]
    with ir.InsertionPoint(ret), ret.location:
        ir.Operation.create("func.return", operands=operands)
    ret.erase()
    ftype = _function_type(func)
    res = list(ftype.results)
    _set_function_type(func, list(ftype.inputs), [res[i] for i in keep])
    for name in _SIG_OUT:
        if name in func.attributes:
            vals = _string_list(func.attributes[name])
            if vals is not None and len(vals) == len(res):
                func.attributes[name] = _strs([vals[i] for i in keep])
    if "res_attrs" in func.attributes:
        arr = list(ir.ArrayAttr(func.attributes["res_attrs"]))
        if len(arr) == len(res):
            func.attributes["res_attrs"] = ir.ArrayAttr.get([arr[i] for i in keep])
    if "tf.entry_function" in func.attributes:
        d = ir.DictAttr(func.attributes["tf.entry_function"])
        if "outputs" in d:
            outs = [x for x in ir.StringAttr(d["outputs"]).value.split(",") if x]
            if len(outs) == len(res):
                entries = {a.name: a.attr for a in d}
                entries["outputs"] = ir.StringAttr.get(",".join(outs[i] for i in keep))
                func.attributes["tf.entry_function"] = ir.DictAttr.get(entries)


def drop_unused_arguments(func) -> bool:
    from .mlir import ir
    block = func.regions[0].blocks[0]
    ftype = _function_type(func)
    inputs = list(ftype.inputs)
    unused = [i for i, a in enumerate(block.arguments) if not list(a.uses)]
    if not unused:
        return False
    keep = [i for i in range(len(inputs)) if i not in unused]
    for i in reversed(unused):
        block.erase_argument(i)
    _set_function_type(func, [inputs[i] for i in keep], list(ftype.results))
    for name in _SIG_IN:
        if name in func.attributes:
            vals = _string_list(func.attributes[name])
            if vals is not None and len(vals) == len(inputs):
                func.attributes[name] = _strs([vals[i] for i in keep])
    if "arg_attrs" in func.attributes:
        arr = list(ir.ArrayAttr(func.attributes["arg_attrs"]))
        if len(arr) == len(inputs):
            func.attributes["arg_attrs"] = ir.ArrayAttr.get([arr[i] for i in keep])
    if "tf.entry_function" in func.attributes:
        d = ir.DictAttr(func.attributes["tf.entry_function"])
        if "inputs" in d:
            ins = [x for x in ir.StringAttr(d["inputs"]).value.split(",") if x]
            if len(ins) == len(inputs):
                entries = {a.name: a.attr for a in d}
                entries["inputs"] = ir.StringAttr.get(",".join(ins[i] for i in keep))
                func.attributes["tf.entry_function"] = ir.DictAttr.get(entries)
    return True


def erase_dead_ops(module) -> None:
    """Erase ops whose results are all unused and that have no regions (pure leftovers)."""
    changed = True
    while changed:
        changed = False
        for f in _funcs(module):
            for op in reversed(_body_ops(f)):
                if op.results and all(not list(r.uses) for r in op.results) and not op.regions:
                    op.erase()
                    changed = True


# ---- running candidates -------------------------------------------------------------------

@dataclass
class Outcome:
    failed: bool
    text: str  # the failure text (empty when it passed)


# The worker runs `tflx convert` / `tflx-opt` in-process (tflx.cli.reduce_worker): the library
# starts it as a command line and never imports the CLI.
WORKER_ARGV = [sys.executable, "-m", "tflx.cli.reduce_worker"]


class Worker:
    """A `python -m tflx.cli.reduce_worker` child; restarted after a crash or a timeout."""

    def __init__(self, timeout: float = 120.0):
        self.timeout = timeout
        self.proc = None
        self.started = 0

    def _start(self):
        import tempfile
        self.err = tempfile.TemporaryFile()
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        self.proc = subprocess.Popen(WORKER_ARGV, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, env=env, text=True, bufsize=1)
        self.started += 1
        line = self._readline(600)
        if not line or not json.loads(line).get("ready"):
            self.close()
            raise TflxError("tflx reduce: the worker process did not start")

    def _readline(self, timeout: float):
        """A line; "" at end of file (the worker died); None after `timeout` seconds."""
        fd = self.proc.stdout
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        return fd.readline()

    def _native_tail(self) -> str:
        self.err.seek(0)
        text = self.err.read().decode("utf-8", "replace")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "absl::InitializeLog" not in ln]
        return " | ".join(lines[-3:])

    def run(self, text: str, pipeline: str, plugins: list[str]) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.err.seek(0)
        self.err.truncate()
        try:
            self.proc.stdin.write(json.dumps({"text": text, "pipeline": pipeline, "plugins": plugins}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        line = self._readline(self.timeout)
        if line is None:  # hung: kill it; the failure text says so
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            return Outcome(True, f"timeout after {self.timeout:g} s")
        if not line:  # the worker died: a crash
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            why = signal.Signals(-rc).name if rc < 0 and -rc in signal.Signals._value2member_map_ else f"exit {rc}"
            tail = self._native_tail()
            self.proc = None
            return Outcome(True, f"crashed ({why})" + (f": {tail}" if tail else ""))
        ans = json.loads(line)
        return Outcome(ans["failed"], ans["text"])

    def close(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()
            self.proc = None


# ---- the reducer --------------------------------------------------------------------------

@dataclass
class ReduceResult:
    text: str
    ops_before: int
    ops_after: int
    tests: int
    seconds: float
    failure: str  # the failure text of the final module
    log: list[str] = field(default_factory=list)


class Reducer:
    def __init__(self, text: str, pipeline: str, error: str, *, plugins=(), timeout: float = 120.0,
                 progress=None):
        from .mlir import new_context
        self.header = ""
        first, _, rest = text.partition("\n")
        if first.startswith(HEADER):
            self.header, text = first + "\n", rest
        self.text = text
        self.pipeline = pipeline
        self.regex = re.compile(error)
        self.plugins = [os.path.abspath(p) if os.path.isfile(p) else p for p in plugins]
        self.worker = Worker(timeout)
        self.tests = 0
        self.ctx = new_context()
        self.progress = progress or (lambda msg: None)
        self.failure = ""

    def parse(self, text):
        from .mlir import ir
        with self.ctx:
            return ir.Module.parse(text)

    def print(self, module) -> str:
        return module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)

    def interesting(self, text: str) -> bool:
        self.tests += 1
        o = self.worker.run(self.header + text, self.pipeline, self.plugins)
        if o.failed and self.regex.search(o.text):
            self.failure = o.text
            return True
        return False

    def _try(self, edit) -> bool:
        """Apply `edit(module)` to a fresh parse of the current text; keep it if still failing."""
        from .mlir import ir
        module = self.parse(self.text)
        with self.ctx, ir.Location.unknown():
            try:
                if edit(module) is False:
                    return False
                erase_dead_ops(module)
                module.operation.verify()
            except Exception:  # noqa: BLE001 - an edit that breaks the IR is just not taken
                return False
            candidate = self.print(module)
        if candidate == self.text or not self.interesting(candidate):
            return False
        self.text = candidate
        return True

    def _ddmin_ops(self, replace) -> None:
        """ddmin over the top-level ops of every function: remove chunks while still failing."""
        def op_keys():
            module = self.parse(self.text)
            return [(fi, oi) for fi, f in enumerate(_funcs(module)) for oi, _ in enumerate(_body_ops(f))]

        def removing(keys):
            def edit(module):
                funcs = _funcs(module)
                by_func = {}
                for fi, oi in keys:
                    by_func.setdefault(fi, []).append(oi)
                for fi, idx in by_func.items():
                    ops = _body_ops(funcs[fi])
                    chosen = [ops[i] for i in idx if i < len(ops)]
                    if replace(funcs[fi], chosen) is False:
                        return False
                return True
            return edit

        n = 2
        keys = op_keys()
        while len(keys) >= 1:
            chunk = max(1, len(keys) // n)
            removed_any = False
            for start in range(0, len(keys), chunk):
                part = keys[start:start + chunk]
                if self._try(removing(part)):
                    self.progress(f"removed {len(part)} op(s): {count_ops(self.parse(self.text))} left")
                    removed_any = True
                    break
            keys = op_keys()
            if removed_any:
                n = max(n - 1, 2)
                continue
            if chunk == 1:
                break
            n = min(len(keys), n * 2)

    def _drop_results(self) -> None:
        i = 0
        while True:
            module = self.parse(self.text)
            funcs = _funcs(module)
            pairs = [(fi, ri) for fi, f in enumerate(funcs) for ri in range(len(_function_type(f).results))]
            if i >= len(pairs):
                return
            fi, ri = pairs[i]

            def edit(m, fi=fi, ri=ri):
                f = _funcs(m)[fi]
                n = len(_function_type(f).results)
                if n <= 1:
                    return False
                drop_results(f, [k for k in range(n) if k != ri])
                return True
            if not self._try(edit):
                i += 1

    def _drop_functions(self) -> None:
        module = self.parse(self.text)
        names = [ir_name(f) for f in _funcs(module)]
        for name in names:
            def edit(m, name=name):
                fs = [f for f in _funcs(m) if ir_name(f) == name]
                if len(_funcs(m)) <= 1 or not fs:
                    return False
                rest = self.print(m).replace(f"@{name}(", "", 1)
                if f"@{name}" in rest.replace(f"sym_name = \"{name}\"", ""):
                    return False  # still referenced
                fs[0].erase()
                return True
            self._try(edit)

    def run(self) -> ReduceResult:
        t0 = time.perf_counter()
        try:
            module = self.parse(self.text)
        except Exception as e:  # noqa: BLE001
            raise TflxError(f"tflx reduce: cannot parse the input: {str(e).splitlines()[0]}") from None
        before = count_ops(module)
        self.text = self.print(module)
        if not self.interesting(self.text):
            raise TflxError(f"tflx reduce: the input does not fail with an error matching /{self.regex.pattern}/ "
                            f"(it gives: {self._last_text()!r})")
        self.progress(f"input fails as expected: {before} ops")
        try:
            for _ in range(3):
                size = count_ops(self.parse(self.text))
                self._drop_results()
                self._ddmin_ops(replace_with_arguments)
                self._ddmin_ops(bypass)
                self._ddmin_ops(lambda f, ops: replace_with_constants(f, ops))
                self._try(lambda m: any([drop_unused_arguments(f) for f in _funcs(m)]) or False)
                self._drop_functions()
                if count_ops(self.parse(self.text)) >= size:
                    break
        finally:
            self.worker.close()
        after = count_ops(self.parse(self.text))
        return ReduceResult(self.header + self.text, before, after, self.tests, time.perf_counter() - t0,
                            self.failure)

    def _last_text(self) -> str:
        o = self.worker.run(self.header + self.text, self.pipeline, self.plugins)
        return o.text if o.failed else "no error"


def ir_name(func) -> str:
    from .mlir import ir
    return ir.StringAttr(func.attributes["sym_name"]).value


def reduce(text: str, pipeline: str, error: str, **kwargs) -> ReduceResult:
    return Reducer(text, pipeline, error, **kwargs).run()
