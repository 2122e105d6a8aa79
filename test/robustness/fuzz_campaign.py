"""The fuzz campaign: which mutants go to which tool, how each run is judged, the tally.

A run passes when its process ended normally -- exit status 0 or 1, no signal, no timeout --
printed no Python traceback, and either
  accepted   exit 0 (and wrote its -o output), or
  rejected   exit 1 with a one-line `tflx...: error:` message, wrote no -o output, or
  verdict    exit 1 from `tflx verify` / `tflx assess` judging a model they could read
             (verify: outputs differ; assess: not convertible to builtins),
and it left no temp file and no partial output behind.
"""
from __future__ import annotations

import collections
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import fuzz_mutate as fm  # noqa: E402

ERROR_LINE = re.compile(r"^tflx(?:-opt|-translate)?: error: \S.*$", re.M)
TRACEBACK = "Traceback (most recent call last)"
TEMP_FILE = re.compile(r"^\..+\.tmp$")


# ---------------------------------------------------------------- fork server client


class Server:
    def __init__(self, profile: str = "tf"):
        self.profile = profile
        self.proc = None
        self.started = 0

    def start(self):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fuzz_server.py"), self.profile],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        line = self.proc.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            raise RuntimeError("fuzz server did not start")
        self.started += 1

    def run(self, job: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fuzz server died")  # the server itself never runs tool code
        return json.loads(line)

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
            self.proc = None


class Servers:
    """One fork server per import profile (see fuzz_server.PROFILES), started on first use."""

    def __init__(self):
        import fuzz_server
        self.profile_of = fuzz_server.profile_of
        self.servers: dict[str, Server] = {}

    def run(self, job: dict) -> dict:
        profile = self.profile_of(job["argv"])
        if profile not in self.servers:
            self.servers[profile] = Server(profile)
        return self.servers[profile].run(job)

    def close(self):
        for s in self.servers.values():
            s.close()


# ---------------------------------------------------------------- targets

@dataclass(frozen=True)
class Target:
    name: str
    input: str  # "tflite" | "mlir" | "model"
    seed_filter: str  # which seed files: "any", "tf", "tfl", "header"
    argv: tuple  # with {IN}, {OUT}, {MODEL}, {DUMP} placeholders
    out_ext: str = ""
    weight: float = 1.0


TARGETS = (
    Target("translate-to-mlir", "tflite", "any", ("tflx-translate", "-tflite-flatbuffer-to-mlir", "{IN}", "-o", "{OUT}"),
           ".mlir", 0.29),
    Target("verify", "tflite", "any", ("tflx", "verify", "{MODEL}", "{IN}"), "", 0.10),
    Target("run", "tflite", "any", ("tflx", "run", "{IN}", "--inputs", "{INPUTS}", "-o", "{OUT}"), ".npz", 0.06),
    Target("translate-to-tflite", "mlir", "tfl", ("tflx-translate", "-mlir-to-tflite-flatbuffer", "{IN}", "-o", "{OUT}"),
           ".tflite", 0.12),
    Target("opt-tfl-pipeline", "mlir", "tfl",
           ("tflx-opt", "{IN}", "--pass-pipeline=builtin.module(func.func(tfl-optimize),canonicalize,cse)", "-o", "{OUT}"),
           ".mlir", 0.08),
    Target("opt-tflx-passes", "mlir", "any",
           ("tflx-opt", "{IN}", "-fold-identity-reshape", "-raise-sum-mul-to-mean", "-canonicalize", "-o", "{OUT}"),
           ".mlir", 0.08),
    Target("opt-tf-passes", "mlir", "tf", ("tflx-opt", "{IN}", "-tf-shape-inference", "-tf-stablehlo", "-o", "{OUT}"),
           ".mlir", 0.06),
    Target("convert-resume", "mlir", "header",
           ("tflx", "convert", "-q", "--resume-from", "{IN}", "--dump-dir", "{DUMP}", "-o", "{OUT}"), ".tflite", 0.15),
    Target("assess", "model", "any", ("tflx", "assess", "{IN}"), "", 0.05),
    Target("verify-model", "model", "any", ("tflx", "verify", "{IN}", "{TFLITE}"), "", 0.03),
)

# `tflx assess` takes a model, not a .tflite or an .mlir: its mutants are SavedModels with a
# damaged saved_model.pb / variables and .keras files with damaged bytes or a hostile config.
MODEL_KINDS = ("pb_bitflip", "pb_truncate", "pb_byteset", "variables_truncate", "keras_bitflip", "keras_truncate",
               "keras_config", "keras_code")


def seed_files(seeds: dict, target: Target) -> list[tuple[str, str, str]]:
    """(seed name, model path, file) the target mutates."""
    out = []
    for name, s in seeds.items():
        if name.startswith("_"):
            continue
        if target.input == "tflite":
            out.append((name, s["model"], s["tflite"]))  # (tflx run finds inputs.npz by seed name)
        elif target.input == "mlir":
            for f in s["mlir"]:
                base = os.path.basename(f)
                stage = base.split("-", 1)[1].rsplit(".", 1)[0]
                if target.seed_filter == "tf" and stage != "tf":
                    continue
                if target.seed_filter == "tfl" and stage not in ("tfl", "tfl-opt", "flatbuffer"):
                    continue
                if target.seed_filter == "header" and stage == "flatbuffer":
                    continue  # a flatbuffer dump cannot be resumed from
                out.append((name, s["model"], f))
        else:
            out.append((name, s["model"], s["model"]))
    return out


# ---------------------------------------------------------------- model mutants


def _mutate_model(kind: str, model_dir: str, keras_file: str, out_dir: str, rng: random.Random) -> tuple[str, str]:
    """Write a damaged model under out_dir; (its path, what was done)."""
    if kind.startswith("keras"):
        with open(keras_file, "rb") as f:
            data = f.read()
        path = os.path.join(out_dir, "model.keras")
        if kind == "keras_bitflip":
            d = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
            data, what = bytes(d), "bit flips"
        elif kind == "keras_truncate":
            cut = rng.randrange(len(data))
            data, what = data[:cut], f"to {cut} bytes"
        else:
            data, what = _hostile_keras(data, kind, rng, out_dir)
        with open(path, "wb") as f:
            f.write(data)
        return path, what
    dst = os.path.join(out_dir, "model")
    shutil.copytree(model_dir, dst)
    if kind == "variables_truncate":
        vdir = os.path.join(dst, "variables")
        files = sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []
        if files:
            victim = os.path.join(vdir, rng.choice(files))
            size = os.path.getsize(victim)
            cut = rng.randrange(max(1, size))
            with open(victim, "r+b") as f:
                f.truncate(cut)
            return dst, f"{os.path.basename(victim)} to {cut} bytes"
        kind = "pb_truncate"
    pb = os.path.join(dst, "saved_model.pb")
    with open(pb, "rb") as f:
        d = bytearray(f.read())
    if kind == "pb_bitflip":
        k = rng.randint(1, 6)
        for _ in range(k):
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
        what = f"{k} bit(s)"
    elif kind == "pb_byteset":
        k = rng.randint(1, 4)
        for _ in range(k):
            d[rng.randrange(len(d))] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        what = f"{k} byte(s)"
    else:
        cut = rng.randrange(len(d))
        d = d[:cut]
        what = f"to {cut} bytes"
    with open(pb, "wb") as f:
        f.write(bytes(d))
    return dst, what


def canary_path(out_dir: str) -> str:
    return os.path.join(out_dir, "CODE_RAN")


def _hostile_keras(data: bytes, kind: str, rng: random.Random, out_dir: str) -> tuple[bytes, str]:
    """A .keras whose config asks the loader to run code; running it would create the canary."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    config = json.loads(zin.read("config.json"))
    canary = canary_path(out_dir)
    layers = config["config"]["layers"]
    if kind == "keras_code":
        # A Lambda layer whose function (Python source, as Keras stores lambdas) writes the canary.
        code = f"lambda x: (open({canary!r}, 'w').close(), x)[1]"
        variants = [
            {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {
                 "code": code, "defaults": None, "closure": None}}, "arguments": {}}},
            {"module": "os", "class_name": "system", "registered_name": None, "config": {"command": f"touch {canary}"}},
            {"module": "builtins", "class_name": "exec", "registered_name": None,
             "config": {"source": f"open({canary!r}, 'w').close()"}},
        ]
        layer = dict(rng.choice(variants))
        layer["inbound_nodes"] = layers[1].get("inbound_nodes", [])
        layers.insert(1, layer)
        what = f"{layer['module']}.{layer['class_name']} layer"
    else:
        victim = rng.choice(layers[1:])
        key = rng.choice(sorted(victim["config"]))
        value = rng.choice([-1, 0, 2 ** 40, "x" * 100, None, [1, 2], {"a": 1}, 1e308, True])
        victim["config"][key] = value
        what = f"{victim['class_name']}.{key} = {str(value)[:20]}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = json.dumps(config).encode() if item.filename == "config.json" else zin.read(item.filename)
            zout.writestr(item, body)
    return out.getvalue(), what


# ---------------------------------------------------------------- judging


@dataclass
class Outcome:
    target: str
    kind: str
    seed: str
    detail: str
    verdict: str  # accepted | rejected | verdict | CRASH | TRACEBACK | TIMEOUT | BAD-EXIT | NO-ERROR-LINE | LEFTOVER | CODE-RAN
    rc: int | None
    signal: int | None
    seconds: float
    error: str = ""
    input_path: str = ""


FAILURES = ("CRASH", "TRACEBACK", "TIMEOUT", "BAD-EXIT", "NO-ERROR-LINE", "LEFTOVER", "CODE-RAN")


def _leftovers(*dirs) -> list[str]:
    found = []
    for d in dirs:
        if d and os.path.isdir(d):
            for root, _, files in os.walk(d):
                found += [os.path.join(root, f) for f in files if TEMP_FILE.match(f)]
    return found


def judge(target: Target, res: dict, out: str | None, dump: str | None, job_dir: str) -> tuple[str, str]:
    """(verdict, the error line or a note)."""
    text = res["stderr"] + "\n" + res["stdout"]
    errors = ERROR_LINE.findall(res["stderr"])
    first_error = errors[0] if errors else ""
    if res["timeout"]:
        return "TIMEOUT", f"killed after {res['seconds']:.0f} s"
    if res["signal"] is not None:
        return "CRASH", f"signal {res['signal']}: " + res["stderr"].strip()[-300:]
    if TRACEBACK in text:
        return "TRACEBACK", res["stderr"].strip()[-600:]
    if os.path.exists(canary_path(job_dir)):
        return "CODE-RAN", "code from the model file ran"
    if res["rc"] not in (0, 1):
        return "BAD-EXIT", f"exit status {res['rc']}: " + res["stderr"].strip()[-300:]
    left = _leftovers(job_dir, dump)
    if left:
        return "LEFTOVER", f"temp files left: {left[:3]}"
    if res["rc"] == 0:
        if out and not (os.path.isfile(out) and os.path.getsize(out) > 0):
            return "NO-ERROR-LINE", "exit 0 but no output written"
        return "accepted", ""
    if out and os.path.exists(out):
        return "LEFTOVER", f"exit 1 but wrote {out}"
    if first_error:
        return "rejected", first_error
    if target.name.startswith("verify") and re.search(r"^tflx: verify: FAIL", res["stdout"], re.M):
        return "verdict", "verify: FAIL"
    if target.name == "assess" and "verdict:" in res["stdout"]:
        return "verdict", "assess: not convertible"
    return "NO-ERROR-LINE", res["stderr"].strip()[-300:] or "(no output)"


# ---------------------------------------------------------------- campaign


@dataclass
class Campaign:
    seeds: dict
    work_dir: str
    seed: int = 0
    timeout: float = 120.0
    keep_failures: bool = True
    outcomes: list[Outcome] = field(default_factory=list)
    server: Servers = field(default_factory=Servers)
    full_exit_every: int = 8
    _mutators: dict = field(default_factory=dict)

    def _mutator(self, path: str, kind: str):
        key = (path, kind)
        if key not in self._mutators:
            with open(path, "rb") as f:
                data = f.read()
            self._mutators[key] = fm.TfliteMutator(data) if kind == "tflite" else fm.MlirMutator(data.decode())
        return self._mutators[key]

    def plan(self, counts: dict[str, int]) -> list[tuple[Target, int]]:
        """Jobs interleaved across targets (so a bounded run still covers every tool)."""
        by_name = {t.name: t for t in TARGETS}
        queues = [[(by_name[n], i) for i in range(c)] for n, c in counts.items() if c]
        jobs = []
        while any(queues):
            for q in queues:
                if q:
                    jobs.append(q.pop(0))
        return jobs

    def make_job(self, target: Target, i: int) -> tuple[dict, Outcome, dict]:
        rng = random.Random(f"{self.seed}:{target.name}:{i}")
        choices = seed_files(self.seeds, target)
        # Kinds cycle with i (every kind in every run of a few dozen); seeds cycle more slowly.
        seed_name, model, src = choices[(i // 16) % len(choices)] if rng.random() < 0.5 else rng.choice(choices)
        job_dir = os.path.join(self.work_dir, target.name, f"{i:05d}")
        os.makedirs(job_dir, exist_ok=True)
        if target.input == "model":
            kind = MODEL_KINDS[i % len(MODEL_KINDS)]
            inp, detail = _mutate_model(kind, model, self.seeds["_keras"], job_dir, rng)
        else:
            m = self._mutator(src, target.input)
            kinds = m.kinds()
            kind = kinds[i % len(kinds)] if rng.random() < 0.8 else rng.choice(kinds)
            data, detail = m.mutate(kind, rng)
            inp = os.path.join(job_dir, "input" + (".tflite" if target.input == "tflite" else ".mlir"))
            with open(inp, "wb") as f:
                f.write(data)
            detail = f"{os.path.basename(src)}: {detail}"
        out = os.path.join(job_dir, "out" + target.out_ext) if target.out_ext else None
        dump = os.path.join(job_dir, "dump") if "{DUMP}" in target.argv else None
        subst = {"{IN}": inp, "{OUT}": out, "{MODEL}": model, "{DUMP}": dump,
                 "{INPUTS}": self.seeds.get(seed_name, {}).get("inputs"),
                 "{TFLITE}": self.seeds.get(seed_name, {}).get("tflite")}
        argv = [subst.get(a, a) for a in target.argv]
        job = {"id": f"{target.name}/{i}", "argv": argv, "timeout": self.timeout, "cwd": job_dir,
               "full_exit": self.full_exit_every > 0 and i % self.full_exit_every == 0}
        outcome = Outcome(target.name, kind, seed_name, detail, "", None, None, 0.0, input_path=inp)
        return job, outcome, {"out": out, "dump": dump, "dir": job_dir}

    def run(self, counts: dict[str, int], progress=None) -> list[Outcome]:
        jobs = self.plan(counts)
        for n, (target, i) in enumerate(jobs):
            job, outcome, paths = self.make_job(target, i)
            res = self.server.run(job)
            outcome.rc, outcome.signal, outcome.seconds = res["rc"], res["signal"], res["seconds"]
            outcome.verdict, outcome.error = judge(target, res, paths["out"], paths["dump"], paths["dir"])
            self.outcomes.append(outcome)
            if outcome.verdict in FAILURES and self.keep_failures:
                with open(os.path.join(paths["dir"], "result.json"), "w") as f:
                    json.dump({"job": job, "result": res, "verdict": outcome.verdict, "detail": outcome.detail}, f,
                              indent=2)
            else:
                shutil.rmtree(paths["dir"], ignore_errors=True)
            if progress:
                progress(n + 1, len(jobs), outcome)
        return self.outcomes

    def close(self):
        self.server.close()


def counts_for(total: int) -> dict[str, int]:
    w = sum(t.weight for t in TARGETS)
    counts = {t.name: max(1, round(total * t.weight / w)) for t in TARGETS}
    return counts


# ---------------------------------------------------------------- tally


def tally(outcomes: list[Outcome]) -> dict:
    by_target = collections.defaultdict(collections.Counter)
    by_kind = collections.defaultdict(collections.Counter)
    inputs = collections.Counter()
    for o in outcomes:
        by_target[o.target][o.verdict] += 1
        by_kind[(_input_of(o.target), o.kind)][o.verdict] += 1
        inputs[_input_of(o.target)] += 1
    failures = [o for o in outcomes if o.verdict in FAILURES]
    return {"total": len(outcomes), "inputs": dict(inputs), "failures": failures,
            "by_target": {k: dict(v) for k, v in by_target.items()},
            "by_kind": {f"{a}/{b}": dict(v) for (a, b), v in sorted(by_kind.items())},
            "seconds": sum(o.seconds for o in outcomes)}


def _input_of(target_name: str) -> str:
    return next(t.input for t in TARGETS if t.name == target_name)


def render(t: dict) -> str:
    cols = ("accepted", "rejected", "verdict") + FAILURES
    lines = [f"{t['total']} mutated inputs ({', '.join(f'{k}: {v}' for k, v in t['inputs'].items())}), "
             f"{len(t['failures'])} failures, {t['seconds']:.0f} s in tool processes"]

    def table(title, rows):
        used = [c for c in cols if any(r.get(c) for r in rows.values())]
        w = max(len(k) for k in rows) + 2
        lines.append(f"\n{title:<{w}}" + "".join(f"{c:>10}" for c in ["runs", *used]))
        for k, r in rows.items():
            lines.append(f"{k:<{w}}" + "".join(f"{v:>10}" for v in [sum(r.values()), *(r.get(c, 0) for c in used)]))

    table("per tool", t["by_target"])
    table("per mutation kind", t["by_kind"])
    for o in t["failures"][:30]:
        lines.append(f"FAIL {o.verdict} {o.target} {o.kind} [{o.seed}] {o.detail}: {o.error[:300]}")
    return "\n".join(lines)


__all__ = ["Campaign", "TARGETS", "counts_for", "tally", "render", "judge", "Server", "time"]
