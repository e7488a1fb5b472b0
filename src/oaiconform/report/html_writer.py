"""report.html: one self-contained page (no external assets) a person can read at a glance."""

from __future__ import annotations

from html import escape
from pathlib import Path

from oaiconform.report.json_writer import write_atomically
from oaiconform.report.model import Report

_COLORS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "not_implemented": "#9a6700",
    "skipped": "#6e7781",
}
_STYLE = """
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1f2328}
h1{font-size:1.5rem;margin:0 0 .25rem}.meta{color:#59636e;margin-bottom:1.5rem}
.cards{display:flex;gap:1rem;margin:1rem 0 2rem}.card{border:1px solid #d1d9e0;border-radius:8px;
padding:.75rem 1.25rem;min-width:7rem}.card b{display:block;font-size:1.75rem}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:.5rem 0 2rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;
border-bottom:1px solid #d1d9e0;vertical-align:top}.badge{color:#fff;border-radius:1rem;
padding:.05rem .6rem;font-size:12px;white-space:nowrap}pre{white-space:pre-wrap;background:#f6f8fa;
padding:.5rem;border-radius:6px;margin:.25rem 0;font-size:12px}.muted{color:#59636e}
"""


def _badge(status: str) -> str:
    return (
        f'<span class="badge" style="background:{_COLORS.get(status, "#6e7781")}">'
        f"{escape(status.replace('_', ' '))}</span>"
    )


def render_html(report: Report) -> str:
    s = report.summary
    total = sum(s[k] for k in _COLORS) or 1
    bar = "".join(
        f'<div title="{k}: {s[k]}" style="width:{100 * s[k] / total:.2f}%;background:{c}"></div>'
        for k, c in _COLORS.items()
        if s[k]
    )
    cards = "".join(
        f'<div class="card"><b style="color:{c}">{s[k]}</b>{escape(k.replace("_", " "))}</div>'
        for k, c in _COLORS.items()
    )
    rows = []
    for feature_id, result in sorted(
        report.features.items(), key=lambda kv: (list(_COLORS).index(kv[1].status), kv[0])
    ):
        details = "".join(
            f"<div>{escape(f.test)}</div><pre>{escape(f.message)}</pre>"
            + (f"<pre>{escape(f.repro)}</pre>" if f.repro else "")
            for f in result.failures
        )
        if result.reason:
            details += f'<div class="muted">{escape(result.reason)}</div>'
        rows.append(
            f"<tr><td><code>{escape(feature_id)}</code></td><td>{_badge(result.status)}</td>"
            f"<td>{'required' if result.required else 'optional'} · {result.level}</td>"
            f"<td>{result.tests}</td><td>{details}</td></tr>"
        )
    error = (
        f'<p style="color:#cf222e"><b>Run error:</b> {escape(report.error)}</p>'
        if report.error
        else ""
    )
    target = escape(str(report.target.get("base_url")))
    if report.target.get("embedded_mock"):
        target += " (embedded mock)"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>oaiconform report: {escape(report.profile)}</title><style>{_STYLE}</style></head><body>
<h1>oaiconform conformance report</h1>
<div class="meta">target {target} · profile <b>{escape(report.profile)}</b> · spec
{escape(str(report.spec.get("version")))} · seed {report.seed} · {escape(report.started_at)} ·
{report.duration_s:.1f} s · {s["requests"]} requests ·
oaiconform {escape(report.tool["version"])}</div>
{error}<div class="cards">{cards}</div><div class="bar">{bar}</div>
<table><thead><tr><th>feature</th><th>status</th><th>level</th><th>tests</th><th>details</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table></body></html>
"""


def write_html(report: Report, directory: Path) -> Path:
    path = directory / "report.html"
    write_atomically(path, render_html(report))
    return path
