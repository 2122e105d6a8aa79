"""A fork server: runs tflx command lines, one forked process per command line.

Starting Python and importing TensorFlow + litert-converter costs seconds; running 2,000 mutants
that way would take hours. This server imports them once (before TF starts any thread), then
for every job forks a child that *is* the command's process: stdin is /dev/null, stdout and
stderr go to files, `sys.argv` is the command line, the tool's console-script entry point
(`main()`) runs, and the child exits the way the console script would (`sys.exit(main())`, an
uncaught exception prints its traceback and exits 1), with the interpreter's normal shutdown.
The server reports how each child ended: exit status, or the signal that killed it, or a timeout.

A full interpreter shutdown after TF was imported takes ~2 s (every module torn down, in a forked
child page by page); jobs marked "full_exit" get it, the others end with `_exit_fast` (atexit,
a garbage collection of what the tool made, flush, _exit). The campaign marks every 8th job.

Protocol: one JSON job per line on stdin {"id", "argv": [tool, args...], "timeout", "cwd", "full_exit"}; one JSON
result per line on the stdout it was started with {"id", "rc", "signal", "timeout", "seconds",
"stdout", "stderr"}.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time

TOOLS = {"tflx": ("tflx.cli.main", "main"), "tflx-opt": ("tflx.cli.opt", "main"),
         "tflx-translate": ("tflx.cli.translate", "main")}
KEEP = 8000  # chars of stdout / stderr reported back


# What each tool's process has imported by the time it reads its input. `tflx` imports
# TensorFlow up front (cli.main.import_runtime); tflx-opt and tflx-translate do not (tflx-opt
# imports it only to run a TF pass), and their children must not have it either.
PROFILES = {
    "tf": ("tflx.cli.main", "tflx.mlir", "tflx.pipeline", "tflx.stages", "tflx.flatbuffer", "tflx.isolate",
           "tflx.verify", "tflx.assess", "tflx.report", "tflx.passes", "tflx.importer"),
    "litert": ("tflx.cli.opt", "tflx.cli.translate", "tflx.mlir", "tflx.opt_driver", "tflx.isolate",
               "tflx.flatbuffer", "tflx.stages"),
}
# tflx-opt asked to run a TF pass imports TensorFlow before it reads the input.
PROFILES["litert+tf"] = PROFILES["litert"] + ("tensorflow",)
PROFILE_OF = {"tflx": "tf", "tflx-opt": "litert", "tflx-translate": "litert"}
_TF_PASS = ("-tf-", "--tf-", "tf-stablehlo", "(tf-")


def profile_of(argv: list[str]) -> str:
    if argv[0] == "tflx-opt" and any(t in a for a in argv[1:] for t in _TF_PASS):
        return "litert+tf"
    return PROFILE_OF[argv[0]]


def _warm_up(profile: str):
    import gc
    import importlib
    from tflx.cli import common
    with common.native_stderr_silenced():
        if profile == "tf":
            common.import_runtime()
        for mod in PROFILES[profile]:
            importlib.import_module(mod)
    if "tensorflow" not in PROFILES[profile] and profile != "tf" and "tensorflow" in sys.modules:
        raise RuntimeError("the litert profile imported TensorFlow")
    gc.collect()
    gc.freeze()  # children collect only what the tool creates


def _exit_fast(rc) -> None:
    """The end of a normal interpreter exit, minus tearing down every imported module: atexit
    handlers, a collection that destroys everything the tool created and dropped (MLIR contexts,
    modules, interpreters -- where exit-time crashes come from), flushed stdio, then _exit."""
    import atexit
    import gc
    atexit._run_exitfuncs()
    gc.collect()
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:  # noqa: BLE001
            pass
    code = rc if isinstance(rc, int) else (0 if rc is None else 1)
    if not isinstance(rc, (int, type(None))):
        print(rc, file=sys.stderr)
    os._exit(code & 0xFF)


def _child(job, out_path, err_path, proto_fd):
    """Become the tool's process. Never returns."""
    os.setpgid(0, 0)  # its own process group: a timeout kills its forked helpers too
    os.close(proto_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_TRUNC), 2)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import importlib
    argv = job["argv"]
    if job.get("cwd"):
        os.chdir(job["cwd"])
    sys.argv = [argv[0]] + list(argv[1:])
    mod, fn = TOOLS[argv[0]]
    entry = getattr(importlib.import_module(mod), fn)
    try:
        rc = entry(list(argv[1:]))
    except SystemExit as e:
        rc = e.code
    except BaseException:  # what the interpreter does with an uncaught exception
        sys.excepthook(*sys.exc_info())
        rc = 1
    if job.get("full_exit"):
        sys.exit(rc)  # unwinds to the top level: the interpreter's full shutdown, as a console script
    _exit_fast(rc)


def _wait(pid: int, timeout: float):
    t0 = time.perf_counter()
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False, time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(pid, 0)
            return status, True, time.perf_counter() - t0
        time.sleep(delay)
        delay = min(0.02, delay * 1.5)


def _read(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "replace")
    return text if len(text) <= KEEP else text[:KEEP // 2] + "\n[...]\n" + text[-KEEP // 2:]


def serve(profile: str) -> None:
    proto = os.dup(1)  # results go here; the server's own fd 1 becomes /dev/null
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    _warm_up(profile)
    tmp = tempfile.mkdtemp(prefix="tflx-fuzz-server-")
    out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
    for p in (out_path, err_path):
        open(p, "w").close()
    os.write(proto, b'{"ready": true}\n')
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(job, out_path, err_path, proto)
        status, timed_out, seconds = _wait(pid, float(job.get("timeout", 120)))
        res = {"id": job.get("id"), "seconds": round(seconds, 4), "timeout": timed_out,
               "rc": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
               "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
               "stdout": _read(out_path), "stderr": _read(err_path)}
        data = (json.dumps(res) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(proto, view):]
    for p in (out_path, err_path):
        os.unlink(p)
    os.rmdir(tmp)


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "tf")
