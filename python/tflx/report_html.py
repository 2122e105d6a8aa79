"""`tflx convert --report-html report.html`: one self-contained page to look at.

Charts are inline SVG (text stays text: searchable, zoomable, no image files): time per stage,
ops per stage (one chart per stage), the .tflite's op histogram, the passes and plugins that
fired with how many ops each rewrote, and -- with --verify -- the error of each output and of
each intermediate tensor. A failed conversion gets the failure report and the reproducer
command instead. A converted model also gets its device profile (tflx.profile: parameters,
MACs, memory, latency, XNNPACK and GPU-delegate verdicts per op type).
"""
from __future__ import annotations

import html
import math
import time

# chart colours (Google's palette, as Model Explorer and TensorBoard use)
PALETTE = ("#1a73e8", "#188038", "#e8710a", "#c5221f", "#9334e6", "#12b5cb")

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .2em .8em; border-bottom: 1px solid #eee;
text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #188038; font-weight: bold; } .fail { color: #c5221f; font-weight: bold; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
svg { display: block; margin: .6em 0; max-width: 100%; }
.stages { display: flex; flex-wrap: wrap; gap: 1em; } .stages svg { max-width: 28em; }
"""


def _top(hist: dict, n: int = 20) -> list[tuple[str, float]]:
    items = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > n:
        rest = sum(v for _, v in items[n - 1:])
        items = items[:n - 1] + [(f"({len(items) - n + 1} more op types)", rest)]
    return items


def charts_for(result) -> list[tuple[str, str]]:
    """(caption, SVG) for a ConversionResult: timings, ops per stage, .tflite ops, passes."""
    out = []
    timings = list(result.timings.items())
    if timings:
        out.append(("Time per stage", svg_bars("Time per stage (seconds)", timings,
                                               colors=[PALETTE[i % len(PALETTE)] for i in range(len(timings))],
                                               fmt=lambda v: f"{v:.3f}")))
    for i, (stage, r) in enumerate(result.stages.items()):
        hist = dict(r.histogram)
        if hist:
            out.append((f"Ops at stage {stage}",
                        svg_bars(f"Ops at stage '{stage}' ({sum(hist.values())})", _top(hist), width=560,
                                 color=PALETTE[i % len(PALETTE)])))
    if result.flatbuffer is not None:
        hist = result.op_histogram()
        out.append(("Ops in the .tflite", svg_bars(f"Ops in the .tflite ({sum(hist.values())})", _top(hist),
                                                   color=PALETTE[1])))
    fired = [(k, v) for k, v in result.pass_counts.items() if v]
    if fired:
        out.append(("Rewrites per pass", svg_bars("Rewrites per pass / plugin", fired, color=PALETTE[4])))
    return out


def svg_bars(title: str, items: list[tuple[str, float]], color: str = PALETTE[0], width: int = 640,
             fmt=lambda v: f"{v:,.0f}", colors: list[str] | None = None, log: bool = False) -> str:
    """A horizontal bar chart as inline SVG: one labelled bar per item, scaled to the largest
    (`log`: lengths on a log10 scale starting a decade below the smallest value); `colors`: one
    per bar."""
    row, label_w, top = 22, 200, 28
    values = [v for _, v in items]
    floor = math.floor(math.log10(min([v for v in values if v > 0] or [1.0]))) - 1

    def scale(v):
        if log:
            return math.log10(v) - floor if v > 0 else 0.0
        return max(v, 0.0)

    top_value = max([scale(v) for v in values] + [1e-30])
    bar_w = width - label_w - 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + row * len(items) + 8}" '
             f'role="img" aria-label="{html.escape(title)}" font-family="system-ui, sans-serif" font-size="12">',
             f'<title>{html.escape(title)}</title><text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, v) in enumerate(items):
        y = top + i * row
        w = max(1.0, bar_w * scale(v) / top_value) if scale(v) > 0 else 0
        fill = colors[i] if colors else color
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{html.escape(label[:30])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{fill}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{html.escape(fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _profile_section(prof) -> list[str]:
    from .profile import fmt_bytes, fmt_count, latency_text
    p = prof if isinstance(prof, dict) else prof.to_dict()
    lat = latency_text(p["latency_ms"], p["latency_ms_all_cores"], p["threads_all_cores"])
    parts = ["<h2>Device profile</h2><table>",
             f"<tr><td>parameters</td><td class=n>{p['params']:,}</td>"
             f"<td>{fmt_bytes(p['param_bytes'])} stored</td></tr>",
             f"<tr><td>compute (batch {p['batch']})</td><td class=n>{fmt_count(p['macs'])} MACs</td>"
             f"<td>{fmt_count(p['flops'])} FLOPs</td></tr>",
             f"<tr><td>peak activations</td><td class=n>{fmt_bytes(p['peak_activation_bytes'] or 0)}</td>"
             f"<td>{html.escape(p['peak_activation_source'])}; liveness peak {fmt_bytes(p['liveness_peak_bytes'])}"
             "</td></tr>",
             f"<tr><td>latency</td><td colspan=2>{html.escape(lat)}</td></tr></table>"]
    counted = [(o["op"], o["macs"]) for o in p["ops"] if o["macs"]]
    if counted:
        parts.append(svg_bars("MACs per op type", counted, fmt=fmt_count))
    flops = [(o["op"], o["flops"]) for o in p["ops"] if o["flops"]]
    if flops:
        parts.append(svg_bars("FLOPs per op type", flops, color=PALETTE[1], fmt=fmt_count))
    mem = [("peak (" + p["peak_activation_source"] + ")", p["peak_activation_bytes"] or 0),
           ("liveness peak", p["liveness_peak_bytes"])] + [(t["name"].split(";")[0][-30:], t["bytes"])
                                                           for t in p["largest_live"]]
    parts.append(svg_bars("Activation memory (bytes)", mem, color=PALETTE[2], fmt=fmt_bytes))
    parts.append("<table><tr><th>op</th><th>count</th><th>MACs</th><th>FLOPs</th><th>XNNPACK</th>"
                 "<th>GPU delegate</th></tr>")
    for o in p["ops"]:
        def verdict(v):
            cls = "ok" if v is True else "fail" if v is False or isinstance(v, str) else ""
            text = "yes" if v is True else "no" if v is False else "-" if v is None else v
            return f"<td class='{cls}'>{html.escape(str(text))}</td>"
        parts.append(f"<tr><td>{html.escape(o['op'])}</td><td class=n>{o['count']}</td>"
                     f"<td class=n>{fmt_count(o['macs'])}</td><td class=n>{fmt_count(o['flops'])}</td>"
                     f"{verdict(o['xnnpack'])}{verdict(o['gpu_delegate'])}</tr>")
    parts.append("</table>")
    if p["restricted"] or p["notes"]:
        parts.append("<ul>" + "".join(f"<li>{html.escape(r['op'])} #{r['index']}: {html.escape(r['reason'])}</li>"
                                      for r in p["restricted"][:30])
                     + "".join(f"<li>{html.escape(n)}</li>" for n in p["notes"]) + "</ul>")
    return parts


def _profile_of(result) -> list[str]:
    """The profile section for a converted model; a profile failure is a note, not a broken report."""
    try:
        from .profile import profile
        return _profile_section(profile(result.flatbuffer))
    except Exception as e:  # noqa: BLE001 - the report is still worth writing
        return [f"<h2>Device profile</h2><p>not available: {html.escape(f'{type(e).__name__}: {e}')}</p>"]


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
        colors = [PALETTE[1] if t.ok else PALETTE[3] for t in matched]
        parts.append(svg_bars("Max abs error per op output (log scale; red = diverges)", items[:60], width=720,
                              colors=colors[:60], log=True, fmt=lambda v: f"{v:.2g}"))
    d = v.first_divergence
    if d is not None:
        parts.append(f"<p>First divergence: op #{d.op_index} <b>{html.escape(d.tfl_op)}</b> vs TF "
                     f"{html.escape(str(d.tf_op))} <code>{html.escape(str(d.tf_node))}</code>"
                     + (f" at <code>{html.escape(d.source)}</code>" if d.source else "")
                     + f": max abs {d.max_abs:.3g}</p>")
    return parts


def render(*, result=None, verified=None, failure=None, title: str | None = None, profile=None) -> str:
    """The page. `profile` (a tflx.profile.Profile or its dict) is computed from the result's
    .tflite when not given."""
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
        for caption, svg in top[:1]:
            parts.append(f"<h2>{html.escape(caption)}</h2>{svg}")
        if per_stage:
            parts.append("<h2>Ops per stage</h2><div class=stages>")
            parts.extend(svg for _, svg in per_stage)
            parts.append("</div>")
        for caption, svg in top[1:]:
            parts.append(f"<h2>{html.escape(caption)}</h2>{svg}")
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
        if profile is not None:
            parts.extend(_profile_section(profile))
        elif result.flatbuffer is not None:
            parts.extend(_profile_of(result))
    if verified is not None:
        parts.extend(_verify_section(verified))
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: str, **kwargs) -> None:
    from .atomic import write_atomic
    write_atomic(path, render(**kwargs).encode("utf-8"))
