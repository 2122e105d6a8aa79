"""Debugging options of `tflx convert`: failure reports with a reproducer, --verify, HTML report.

    tflx convert MODEL -o m.tflite --report report.json    # on failure: report + repro.mlir beside it
    tflx convert MODEL -o m.tflite --repro-dir repro/      # on failure: repro/repro.mlir, report.json
    tflx convert MODEL -o m.tflite --verify                # compare the .tflite with TF afterwards
    tflx convert MODEL -o m.tflite --report-html r.html    # charts: ops per stage, timings, passes

Without --report / --repro-dir a failure is the usual one line on stderr. With them, the line is
followed by the report (stage, pass, failing ops with source lines, an IR excerpt, the command
that reproduces the failure).
"""
from __future__ import annotations

import json
import os
import sys


def add_parser(sub) -> None:
    conv = sub.choices["convert"]
    g = conv.add_argument_group("debugging")
    g.add_argument("--report", metavar="REPORT.json",
                   help="write a JSON report; on failure also repro.mlir beside it and print the report")
    g.add_argument("--repro-dir", metavar="DIR", help="on failure write repro.mlir and report.json here")
    g.add_argument("--report-html", metavar="REPORT.html",
                   help="write an HTML report: ops per stage, timings, passes that fired, verify results")
    g.add_argument("--verify", action="store_true", help="afterwards compare the .tflite with the TF model")
    from .verify_cmd import add_arguments
    add_arguments(g, prefix="verify-")
    original = conv.get_default("fn")
    conv.set_defaults(fn=lambda args: _convert(args, original))


def _wanted(args) -> bool:
    return bool(args.report or args.repro_dir or args.report_html)


def _convert(args, original) -> int:
    from tflx.errors import TflxError
    from tflx.report import FailureRecorder
    if args.verify and not args.model:
        raise TflxError("--verify needs the MODEL to compare with (not --resume-from)")
    recorder = FailureRecorder() if _wanted(args) else None
    args.on_failure = recorder
    converted = []

    def after(result):
        converted.append(True)
        return _after(args, result)

    args.on_result = after
    try:
        return original(args)
    except TflxError as e:
        if recorder is None or converted:  # no report asked for, or --verify/--report-html failed
            raise
        _on_failure(args, e, recorder)
        return 1


def _sources(model) -> dict:
    from tflx import debuginfo
    out = {}
    if model and os.path.isdir(model):
        for per_sig in debuginfo.saved_model_node_sources(model).values():
            for k, v in per_sig.items():
                out.setdefault(k, v)
    return out


def _on_failure(args, err, recorder) -> None:
    from tflx import report
    route_args = ([f"--route={args.route}"] if args.route != "auto" else []) + [f"--route-op={r}" for r in args.route_op]
    rep = report.build_report(err, recorder, sources=_sources(args.model), plugins=args.plugin,
                              fuse_dynamic_broadcast=not args.no_dynamic_broadcast_fusion, model=args.model,
                              route_args=route_args)
    if args.report:
        out_dir = args.repro_dir or os.path.dirname(os.path.abspath(args.report))
    else:
        out_dir = args.repro_dir or os.path.dirname(os.path.abspath(args.report_html))
    json_path = args.report or (os.path.join(out_dir, "report.json") if args.repro_dir else None)
    report.write(rep, out_dir, json_path=json_path)
    if args.report_html:
        from tflx import report_html
        report_html.write(args.report_html, failure=rep)
    print(err.one_line(), file=sys.stderr)
    print(rep.render(), file=sys.stderr)
    written = [p for p in (rep.repro, json_path, args.report_html) if p]
    if written:
        print(f"  wrote       {', '.join(written)}", file=sys.stderr)


def _after(args, result) -> int:
    from tflx.atomic import write_atomic
    status = 0
    verified = None
    if args.verify:
        if result.flatbuffer is None:
            print("tflx: note: --verify skipped: the conversion stopped before the flatbuffer", file=sys.stderr)
        else:
            from .verify_cmd import run_verify
            verified = run_verify(args, args.model, result.flatbuffer)
            print(verified.render(per_tensor_rows=40 if args.per_tensor else 0), file=sys.stderr)
            status = 0 if verified.ok else 1
    if args.report:
        data = {"ok": status == 0, "stages": {k: {"seconds": v.seconds, "ops": dict(v.histogram)}
                                              for k, v in result.stages.items()},
                "pass_counts": result.pass_counts, "pass_rewrites": result.pass_rewrites,
                "tflite_ops": result.op_histogram() if result.flatbuffer is not None else None,
                "verify": verified.to_dict() if verified else None}
        write_atomic(args.report, json.dumps(data, indent=2, default=float) + "\n")
    if args.report_html:
        from tflx import report_html
        report_html.write(args.report_html, result=result, verified=verified, title=args.model or args.resume_from)
    return status
