"""`tflx convert --report-html report.html`: one self-contained page to look at.

Charts are PNGs drawn by `tflx.png` and embedded as base64: time per stage, ops per stage (one
chart per stage), the .tflite's op histogram, the passes and plugins that fired with how many
ops each rewrote, and -- with --verify -- the error of each output and of each intermediate
tensor. A failed conversion gets the failure report and the reproducer command instead.
"""
from __future__ import annotations

import base64
import html
import time

from . import png

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .2em .8em; border-bottom: 1px solid #eee;
text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #188038; font-weight: bold; } .fail { color: #c5221f; font-weight: bold; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
img { display: block; margin: .6em 0; max-width: 100%; }
.stages { display: flex; flex-wrap: wrap; gap: 1em; } .stages img { max-width: 28em; }
"""


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _top(hist: dict, n: int = 20) -> list[tuple[str, float]]:
    items = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > n:
        rest = sum(v for _, v in items[n - 1:])
        items = items[:n - 1] + [(f"({len(items) - n + 1} more op types)", rest)]
    return items


def charts_for(result) -> list[tuple[str, bytes]]:
    """(caption, PNG) for a ConversionResult: timings, ops per stage, .tflite ops, passes."""
    out = []
    timings = list(result.timings.items())
    if timings:
        out.append(("Time per stage", png.bar_chart("Time per stage (seconds)", timings, width=640,
                                                    colors=png.PALETTE)))
    for i, (stage, r) in enumerate(result.stages.items()):
        hist = dict(r.histogram)
        if hist:
            out.append((f"Ops at stage {stage}",
                        png.bar_chart(f"Ops at stage '{stage}' ({sum(hist.values())})", _top(hist), width=560,
                                      color=png.PALETTE[i % len(png.PALETTE)])))
    if result.flatbuffer is not None:
        hist = result.op_histogram()
        out.append(("Ops in the .tflite", png.bar_chart(f"Ops in the .tflite ({sum(hist.values())})", _top(hist),
                                                        width=640, color=png.PALETTE[1])))
    fired = [(k, v) for k, v in result.pass_counts.items() if v]
    if fired:
        out.append(("Rewrites per pass", png.bar_chart("Rewrites per pass / plugin", fired, width=640,
                                                       color=png.PALETTE[4])))
    return out


def _verify_section(v) -> list[str]:
    parts = ["<h2>Verification: TF vs ai-edge-litert</h2>",
             f"<p>Result: <span class='{'ok' if v.ok else 'fail'}'>{'PASS' if v.ok else 'FAIL'}</span> "
             f"(atol {v.atol:g}, rtol {v.rtol:g}; inputs {html.escape(str(v.inputs))})</p>",
             "<table><tr><th>signature</th><th>output</th><th>shape</th><th>max abs</th><th>max rel</th>"
             "<th></th></tr>"]
    for o in v.outputs:
        parts.append(f"<tr><td>{html.escape(o.signature)}</td><td>{html.escape(o.name)}</td>"
                     f"<td>{o.shape}</td><td class=n>{o.max_abs:.3g}</td><td class=n>{o.max_rel:.3g}</td>"
                     f"<td class={'ok' if o.ok else 'fail'}>{'ok' if o.ok else 'FAIL'}</td></tr>")
    parts.append("</table>")
    matched = [t for t in v.tensors if t.ok is not None]
    if matched:
        items = [(f"#{t.op_index} {t.tfl_op}", t.max_abs or 0.0) for t in matched]
        colors = [png.PALETTE[1] if t.ok else png.PALETTE[3] for t in matched]
        parts.append(_img(png.bar_chart("Max abs error per op output (log scale; red = diverges)", items[:60],
                                        width=720, colors=colors[:60], log=True), "per-tensor errors"))
    d = v.first_divergence
    if d is not None:
        parts.append(f"<p>First divergence: op #{d.op_index} <b>{html.escape(d.tfl_op)}</b> vs TF "
                     f"{html.escape(str(d.tf_op))} <code>{html.escape(str(d.tf_node))}</code>"
                     + (f" at <code>{html.escape(d.source)}</code>" if d.source else "")
                     + f": max abs {d.max_abs:.3g}</p>")
    return parts


def render(*, result=None, verified=None, failure=None, title: str | None = None) -> str:
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             f"<title>tflx report: {html.escape(title or '')}</title><style>{_CSS}</style></head><body>",
             f"<h1>tflx conversion report: {html.escape(title or '')}</h1>",
             f"<p>{time.strftime('%Y-%m-%d %H:%M:%S')}</p>"]
    if failure is not None:
        parts.append("<h2 class=fail>Conversion failed</h2>")
        parts.append(f"<pre>{html.escape(failure.error)}\n\n{html.escape(failure.render())}</pre>")
    if result is not None:
        total = sum(result.timings.values())
        summary = f"{len(result.stages)} stages in {total:.2f} s"
        if result.flatbuffer is not None:
            summary += f"; .tflite {len(result.flatbuffer):,} bytes, {sum(result.op_histogram().values())} ops"
        parts.append(f"<p>{html.escape(summary)}</p>")
        charts = charts_for(result)
        top = [c for c in charts if not c[0].startswith("Ops at stage")]
        per_stage = [c for c in charts if c[0].startswith("Ops at stage")]
        for caption, data in top[:1]:
            parts.append(f"<h2>{html.escape(caption)}</h2>{_img(data, caption)}")
        if per_stage:
            parts.append("<h2>Ops per stage</h2><div class=stages>")
            parts.extend(_img(data, caption) for caption, data in per_stage)
            parts.append("</div>")
        for caption, data in top[1:]:
            parts.append(f"<h2>{html.escape(caption)}</h2>{_img(data, caption)}")
        if result.pass_counts:
            parts.append("<h2>Passes and plugins</h2><table><tr><th>pass</th><th>rewrites</th>"
                         "<th>ops it removed</th></tr>")
            for name, n in result.pass_counts.items():
                removed = ", ".join(f"{k} x{v}" for k, v in result.pass_rewrites.get(name, {}).items())
                parts.append(f"<tr><td>{html.escape(name)}</td><td class=n>{n}</td>"
                             f"<td>{html.escape(removed)}</td></tr>")
            parts.append("</table>")
        if result.notes:
            parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    if verified is not None:
        parts.extend(_verify_section(verified))
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: str, **kwargs) -> None:
    from .atomic import write_atomic
    write_atomic(path, render(**kwargs).encode("utf-8"))
