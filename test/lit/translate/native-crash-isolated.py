# RUN: %python %s | filecheck %s
#
# tflx.isolate.run_isolated, which tflx-translate reads and writes flatbuffers through: native
# code that aborts or segfaults costs a forked child, not the process; the parent gets a
# one-line TflxError quoting the native library's last "error:" line.
#
# CHECK: ok: b'fine'
# CHECK-NEXT: abort: the reader crashed (SIGABRT): error: couldn't parse flatbuffer
# CHECK-NEXT: segv: the reader crashed (SIGSEGV)
# CHECK-NEXT: user error: bad input
# CHECK-NEXT: bug: the reader failed: ValueError: oops
# CHECK-NEXT: parent alive
import ctypes
import os
import sys

from tflx.errors import TflxError
from tflx.isolate import run_isolated


def fine():
    return b"fine"


def abort():
    os.write(2, b"error: couldn't parse flatbuffer\n")
    os.abort()


def segv():
    ctypes.string_at(0)


def user_error():
    raise TflxError("bad input")


def bug():
    raise ValueError("oops")


print("ok:", run_isolated(fine, what="the reader"))
for label, fn in (("abort", abort), ("segv", segv), ("user error", user_error), ("bug", bug)):
    try:
        run_isolated(fn, what="the reader")
        print(label, "did not fail")
    except TflxError as e:
        print(f"{label}: {e.message}")
print("parent alive")
sys.stdout.flush()
