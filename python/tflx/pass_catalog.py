"""Which MLIR passes litert-converter and TensorFlow register, and where each may be scheduled.

Neither set of Python bindings can list its pass registry, so names are discovered: candidate
strings are read from the read-only data of the native library, and each is checked with a
pipeline that names it followed by a sentinel. Name lookup happens before any pass is built, so
that check is safe.

Where a pass may run (its anchor: `builtin.module`, `func.func`, or both) is found by building a
pipeline with the pass at that level. For ordinary passes a wrong level is a recoverable error;
for registered pass *pipelines* it is an LLVM fatal error that aborts the process. So anchor
probes run in forked children: a child that aborts costs only itself, and the parent resumes the
probes after the one that killed it. Results are cached as JSON, keyed by the library's version
and file stamp (directory: $TFLX_CACHE_DIR, else $XDG_CACHE_HOME/tflx, else ~/.cache/tflx).

Anchors are what `tflx-opt` checks a pipeline against before handing it to the native parser,
and how it nests a pass given as a bare flag (`-tfl-optimize` -> `func.func(tfl-optimize)`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import select
import signal
import struct
import sys

MODULE, FUNC = "builtin.module", "func.func"
ANCHORS = (MODULE, FUNC)

_SENTINEL = "tflx-no-such-pass-sentinel"
_NAME_RE = re.compile(rb"(?<=\0)([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?=\0)")
_PROBE_TIMEOUT = 300.0  # seconds without progress before a probing child is given up on (TF import under load)


# ---- candidate names from a shared library's .rodata ---------------------------------------

def _elf_rodata(path: str) -> bytes:
    """The bytes of an ELF64 little-endian file's .rodata section ('' if not found)."""
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2 or hdr[5] != 1:
            return b""
        (shoff,) = struct.unpack_from("<Q", hdr, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", hdr, 0x3A)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
        names_sec = sections[shstrndx]
        f.seek(names_sec[4])
        names = f.read(names_sec[5])
        for sec in sections:
            name = names[sec[0]:names.index(b"\0", sec[0])]
            if name == b".rodata":
                f.seek(sec[4])
                return f.read(sec[5])
    return b""


# Upstream MLIR's generic passes. The linker may merge their names into longer strings
# ("canonicalize" is not findable in libtensorflow_cc's rodata), so they are always candidates.
GENERIC_PASSES = ("canonicalize", "cse", "inline", "symbol-dce", "symbol-privatize", "sccp",
                  "remove-shape-constraints", "topological-sort", "strip-debuginfo", "print-ir",
                  "loop-invariant-code-motion", "control-flow-sink", "mem2reg", "snapshot-op-locations")


def candidate_names(paths) -> list[str]:
    """Strings that could be pass arguments. The linker shares string tails, so a name can
    hide as the suffix of a longer string: every suffix after a '-' is a candidate too."""
    found = set(GENERIC_PASSES)
    for path in paths:
        try:
            data = _elf_rodata(path)
        except OSError:
            continue
        for m in _NAME_RE.findall(b"\0" + data):
            s = m.decode()
            if len(s) < 3 or len(s) > 80:
                continue
            found.add(s)
            parts = s.split("-")
            for i in range(1, len(parts)):
                found.add("-".join(parts[i:]))
    return sorted(n for n in found if len(n) >= 3)


# ---- forked probing -----------------------------------------------------------------------

def probe_forked(items: list, setup, probe) -> dict:
    """Run `probe(state, item)` for every item in forked children (`state = setup()` once per
    child). Returns {item: result}; an item whose probe killed or hung its child maps to None."""
    results: dict = {}
    i = 0
    while i < len(items):
        r, w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # child: probe items[i:], one JSON line per result
            try:
                os.close(r)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                state = setup()
                for j in range(i, len(items)):
                    os.write(w, (json.dumps([j, probe(state, items[j])]) + "\n").encode())
            finally:
                os._exit(0)
        os.close(w)
        done = i
        buf = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], _PROBE_TIMEOUT)
                if not ready:
                    os.kill(pid, signal.SIGKILL)
                    break
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    j, res = json.loads(line)
                    results[items[j]] = res
                    done = j + 1
        os.waitpid(pid, 0)
        if done < len(items):  # items[done] aborted or hung its child
            results[items[done]] = None
            done += 1
        i = done
    return results


# ---- cache --------------------------------------------------------------------------------

def cache_dir() -> str:
    d = os.environ.get("TFLX_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "tflx")
    return d


def _stamp(version: str, paths) -> str:
    # The catalog's own code is part of the key: a cache written by another tflx is not reused.
    h = hashlib.sha1(version.encode())
    with open(__file__, "rb") as f:
        h.update(f.read())
    for p in paths:
        try:
            st = os.stat(p)
            h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(p.encode())
    return h.hexdigest()[:16]


def _load_cache(kind: str, stamp: str) -> dict | None:
    path = os.path.join(cache_dir(), f"passes-{kind}-{stamp}.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) and isinstance(data.get("passes"), dict) else None
    except (OSError, ValueError):
        return None


def _save_cache(kind: str, stamp: str, data: dict) -> None:
    try:
        from .atomic import write_atomic
        write_atomic(os.path.join(cache_dir(), f"passes-{kind}-{stamp}.json"), json.dumps(data, indent=1))
    except OSError:
        pass  # a read-only home is no reason to fail; we probe again next time


# ---- one provider -------------------------------------------------------------------------

class Provider:
    """A pass registry reachable from Python: its names and each name's anchors."""

    kind = ""

    def __init__(self):
        self._data: dict | None = None

    # subclasses: library paths, version, is_registered(name), anchor_probe(state, (name, anchor))
    def _libraries(self) -> list[str]:
        raise NotImplementedError

    def _version(self) -> str:
        raise NotImplementedError

    def is_registered(self, name: str) -> bool:
        raise NotImplementedError

    def _probe_setup(self):
        return None

    def _anchor_ok(self, state, item) -> bool:
        raise NotImplementedError

    def _stamp(self) -> str:
        return _stamp(self._version(), self._libraries())

    def _live_lookup_ok(self) -> bool:
        """Whether a name missing from the catalog is worth asking the registry about."""
        return True

    def _probe_anchors(self, names) -> dict[str, list[str]]:
        items = [(n, a) for n in names for a in ANCHORS]
        res = probe_forked(items, self._probe_setup, self._anchor_ok)
        return {n: [a for a in ANCHORS if res.get((n, a))] for n in names}

    def catalog(self) -> dict[str, list[str]]:
        """name -> anchors, for every pass found (discovered once, then cached)."""
        if self._data is None:
            stamp = self._stamp()
            data = _load_cache(self.kind, stamp)
            if data is None:
                names = [n for n in candidate_names(self._libraries()) if self.is_registered(n)]
                data = {"version": self._version(), "passes": self._probe_anchors(names)}
                _save_cache(self.kind, stamp, data)
            self._data = data
        return self._data["passes"]

    def anchors(self, name: str) -> list[str] | None:
        """Where `name` may be scheduled; None if this registry does not know it."""
        cat = self.catalog()
        if name in cat:
            return cat[name]
        if not self._live_lookup_ok() or not self.is_registered(name):  # not discovered: ask directly
            return None
        cat[name] = self._probe_anchors([name])[name]
        _save_cache(self.kind, self._stamp(), self._data)
        return cat[name]


class LitertPasses(Provider):
    kind = "litert"

    def _libraries(self):
        import litert_converter
        d = os.path.dirname(litert_converter.__file__)
        return [os.path.join(d, f) for f in ("libLiteRTCompilerMLIR.so", "_mlir.so", "_stablehlo.so")
                if os.path.exists(os.path.join(d, f))]

    def _version(self):
        import litert_converter
        return "litert-converter " + getattr(litert_converter, "__version__", "?")

    def _ctx(self):
        if not hasattr(self, "_context"):
            from .mlir import new_context
            self._context = new_context()
        return self._context

    def is_registered(self, name: str) -> bool:
        from .mlir import passmanager
        try:
            passmanager.PassManager.parse(f"builtin.module({name},{_SENTINEL})", context=self._ctx())
        except ValueError as e:
            return f"'{_SENTINEL}'" in str(e)
        return True  # unreachable in practice: the sentinel never parses

    def _probe_setup(self):
        from .mlir import new_context
        return new_context()

    def _anchor_ok(self, ctx, item) -> bool:
        from .mlir import passmanager
        name, anchor = item
        text = f"builtin.module({name})" if anchor == MODULE else f"builtin.module(func.func({name}))"
        try:
            passmanager.PassManager.parse(text, context=ctx)
            return True
        except ValueError:
            return False


def import_tensorflow():
    from .nativeio import native_stderr_silenced
    with native_stderr_silenced():
        import tensorflow as tf
    return tf


class TensorFlowPasses(Provider):
    kind = "tf"

    def _libraries(self):
        import importlib.util
        spec = importlib.util.find_spec("tensorflow")
        if spec is None or not spec.submodule_search_locations:
            return []
        d = list(spec.submodule_search_locations)[0]
        return [os.path.join(d, "libtensorflow_cc.so.2")]

    def _version(self):
        try:
            from importlib.metadata import version
            return "tensorflow " + version("tensorflow-cpu")
        except Exception:  # noqa: BLE001
            try:
                from importlib.metadata import version
                return "tensorflow " + version("tensorflow")
            except Exception:  # noqa: BLE001
                return "tensorflow ?"

    def _live_lookup_ok(self) -> bool:
        # The catalog covers what the library's strings name; importing TensorFlow (seconds)
        # just to confirm a typo is unknown is not worth it.
        return "tensorflow" in sys.modules

    def catalog(self):
        if self._data is None and _load_cache(self.kind, self._stamp()) is None:
            import_tensorflow()
        return super().catalog()

    def is_registered(self, name: str) -> bool:
        tf = import_tensorflow()
        try:
            tf.mlir.experimental.run_pass_pipeline("module {}", f"{name},{_SENTINEL}")
        except Exception as e:  # noqa: BLE001 - TF raises its own status errors
            return f"'{_SENTINEL}'" in str(e)
        return True

    def _probe_setup(self):
        return import_tensorflow()

    def _anchor_ok(self, tf, item) -> bool:
        # TF's entry point parses *and runs*. A second pass with a bad option stops it after
        # the probed pass was added (or refused) and before anything runs.
        name, anchor = item
        tail = f"{name},canonicalize{{{_SENTINEL}=1}}"
        text = f"builtin.module({tail})" if anchor == MODULE else f"builtin.module(func.func({tail}))"
        try:
            tf.mlir.experimental.run_pass_pipeline("module {}", text)
        except Exception as e:  # noqa: BLE001
            return f"no such option {_SENTINEL}" in str(e)
        return False


LITERT = LitertPasses()
TENSORFLOW = TensorFlowPasses()


def tensorflow_cached() -> bool:
    """Whether TF's catalog is known without importing TensorFlow."""
    return TENSORFLOW._data is not None or _load_cache(TENSORFLOW.kind, TENSORFLOW._stamp()) is not None
