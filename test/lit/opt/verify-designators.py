# RUN: %python %s | filecheck %s
#
# The expected-* comment forms -verify-diagnostics understands, as mlir-opt reads them, checked
# against synthetic diagnostics (no pass in reach emits warnings or remarks).
#
# CHECK: designators: error@5 warning@5 remark@None note@8 error@8 error@9 error@12
# CHECK-NEXT: all matched: []
# CHECK-NEXT: regex: True False
# CHECK-NEXT: mismatch: unexpected warning, not produced
from tflx.cli.common import native_stderr_silenced

with native_stderr_silenced():
    from tflx.opt_driver import Chunk, Diag, check_expectations, parse_expectations

text = "\n".join([
    "// line 1",
    "// expected-error@+3 {{bad op}}",                # 2 -> 5
    "// expected-warning@+2 {{careful}}",             # 3 -> 5
    "// expected-remark@unknown {{fyi}}",             # 4 -> unknown location
    "%0 = op",                                        # 5
    "// expected-note@below {{see here}}",            # 6 -> 8, the next line without a designator
    "// expected-error@below {{second}}",             # 7 -> 8
    "%1 = op",                                        # 8
    "%2 = op",                                        # 9
    "%3 = op // expected-error@above {{third}}",      # 10 -> 9, the last line without one
    "",                                               # 11
    "%4 = op // expected-error {{no offset}}",        # 12 -> 12
])
exp = parse_expectations(Chunk(text, 1), "t.mlir")
print("designators:", " ".join(f"{e.severity}@{e.line}" for e in exp))

diags = [Diag("error", "a bad op here", 5, 1), Diag("warning", "be careful", 5, 1), Diag("remark", "fyi: x"),
         Diag("error", "the second one", 8, 1, notes=[Diag("note", "see here", 8, 1)]),
         Diag("error", "third", 9, 1), Diag("error", "no offset given", 12, 1)]
print("all matched:", check_expectations(exp, diags, "t.mlir"))

exp_re = parse_expectations(Chunk("// expected-error-re@+1 {{value {{[0-9]+}} too big}}\nx", 1), "t.mlir")
print("regex:", exp_re[0].matches(Diag("error", "value 42 too big", 2)), exp_re[0].matches(Diag("error", "value x too big", 2)))

problems = check_expectations(parse_expectations(Chunk("// expected-error@+1 {{gone}}\nx", 1), "t.mlir"),
                              [Diag("warning", "surprise", 2, 3)], "t.mlir")
print("mismatch:", ", ".join(("unexpected warning" if "unexpected warning" in p else "not produced")
                             for p in problems))
