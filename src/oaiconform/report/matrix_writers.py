"""The matrix as one self-contained HTML page or as Markdown (for docs/ and pull requests).

Every text that came from a target is escaped (HTML) or has its table-breaking characters
neutralised (Markdown): a server's error message never becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from oaiconform.report.json_writer import write_atomically
from oaiconform.report.matrix import Column, Matrix, load_matrix
from oaiconform.report.matrix_text import (
    TARGETS_HEADER,
    baseline_text,
    cell_text,
    column_title,
    header_lines,
    known_text,
    problem_text,
    report_link,
    section_title,
    target_summary,
)

__all__ = ["FORMATS", "render_matrix_html", "render_matrix_markdown", "write_matrix"]

TITLE = "OpenAI API compatibility matrix"
_CELL_COLORS = {
    "pass": "#dafbe1",
    "flaky": "#ddf4f5",
    "FAIL": "#ffebe9",
    "n/i": "#fff8c5",
    "ERROR": "#fbefff",
}
_STYLE = """
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:96rem;color:#1f2328;
padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
h3{font-size:1rem;margin:1.2rem 0 .3rem}.meta{color:#59636e}
table{border-collapse:collapse}td,th{padding:.3rem .55rem;border:1px solid #d1d9e0;
text-align:left;vertical-align:top}td a{color:inherit;text-decoration:none;display:block}
ul{margin:.2rem 0 .6rem}li{margin:.15rem 0}.known{color:#59636e}
.baseline{color:#6e7781}
"""


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _color(cell: str) -> str:
    compat = cell.split(" / ")[0]
    color = _CELL_COLORS.get(compat)
    if color is None and "FAIL" in cell:  # compat passes, strict fails
        color = "#fff1e5"
    return f' style="background:{color}"' if color else ""


@dataclass(frozen=True)
class ProblemItem:
    text: str
    known: str  # the known deviation it looks like, or ""
    baseline: str  # the baseline entry that records it, or ""


def _problem_items(column: Column, *, baseline: bool) -> list[ProblemItem]:
    return [
        ProblemItem(problem_text(p), known_text(p), baseline_text(p))
        for p in column.problems
        if (p.baseline is not None) == baseline
    ]


def _none_outside(column: Column) -> str:
    return "no problems outside its baseline" if column.problems else "no problems"


def render_matrix_markdown(matrix: Matrix, output: Path, generated_at: str, note: str = "") -> str:
    lines = [f"# {TITLE}", ""]
    if note:  # the caller's own words (how to regenerate): Markdown as given
        lines += [note, ""]
    lines += [_md(line) + "\n" for line in header_lines(matrix, generated_at)]
    lines += ["## Targets", "", "| " + " | ".join(TARGETS_HEADER) + " |"]
    lines.append("|" + " --- |" * len(TARGETS_HEADER))
    for column in matrix.columns:
        lines.append("| " + " | ".join(_md(v) for v in target_summary(column)) + " |")
    lines += ["", "## Features", ""]
    header = ["feature", *(_md(column_title(c)) for c in matrix.columns)]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for feature in matrix.features:
        cells = []
        for column in matrix.columns:
            text = cell_text(column.cells.get(feature))
            cells.append(f"[{text}]({report_link(column, output)})" if text != "-" else "-")
        lines.append(f"| {feature} | " + " | ".join(cells) + " |")
    lines += ["", "## Problems per target", ""]
    for column in matrix.columns:
        lines += [f"### {_md(section_title(column))}", ""]
        if not column.ran:
            lines += [f"Did not run: {_md(column.outcome)}: {_md(column.why)}", ""]
            continue
        lines += [f"Report: [{report_link(column, output)}]({report_link(column, output)})", ""]
        new = _problem_items(column, baseline=False)
        lines += [
            f"- {_md(item.text)}" + (f" *{_md(item.known)}*" if item.known else "") for item in new
        ]
        if not new:
            lines.append(f"- {_none_outside(column)}")
        recorded = _problem_items(column, baseline=True)
        if recorded:
            lines += ["", "Recorded in its baseline (shown, never hidden):", ""]
            lines += [f"- {_md(i.text)} ({_md(i.baseline)})" for i in recorded]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _html_problems(column: Column, output: Path) -> str:
    if not column.ran:
        return f"<p>Did not run: <b>{escape(column.outcome)}</b>: {escape(column.why)}</p>"

    def item(entry: ProblemItem, note: str, css: str) -> str:
        extra = f' <span class="{css}">{escape(note)}</span>' if note else ""
        return f"<li>{escape(entry.text)}{extra}</li>"

    link = escape(report_link(column, output))
    parts = [f'<p><a href="{link}">{link}</a></p><ul>']
    new = _problem_items(column, baseline=False)
    parts += [item(entry, entry.known, "known") for entry in new]
    if not new:
        parts.append(f"<li>{_none_outside(column)}</li>")
    parts.append("</ul>")
    recorded = _problem_items(column, baseline=True)
    if recorded:
        parts.append("<p>Recorded in its baseline (shown, never hidden):</p><ul>")
        parts += [item(entry, entry.baseline, "baseline") for entry in recorded]
        parts.append("</ul>")
    return "".join(parts)


def render_matrix_html(matrix: Matrix, output: Path, generated_at: str, note: str = "") -> str:
    meta = "".join(
        f'<p class="meta">{escape(line)}</p>' for line in header_lines(matrix, generated_at)
    )
    targets = "".join(f"<th>{escape(h)}</th>" for h in TARGETS_HEADER)
    target_rows = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in target_summary(c)) + "</tr>"
        for c in matrix.columns
    )
    head = "".join(f"<th>{escape(column_title(c))}</th>" for c in matrix.columns)
    rows = []
    for feature in matrix.features:
        cells = []
        for column in matrix.columns:
            text = cell_text(column.cells.get(feature))
            link = escape(report_link(column, output))
            body = f'<a href="{link}">{escape(text)}</a>' if text != "-" else "-"
            cells.append(f"<td{_color(text)}>{body}</td>")
        rows.append(f"<tr><th>{escape(feature)}</th>{''.join(cells)}</tr>")
    problems = "".join(
        f"<h3>{escape(section_title(c))}</h3>{_html_problems(c, output)}" for c in matrix.columns
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{TITLE}</h1>"
        + (f"<p>{escape(note)}</p>" if note else "")
        + f"{meta}"
        f"<h2>Targets</h2><table><tr>{targets}</tr>{target_rows}</table>"
        f"<h2>Features</h2><table><tr><th>feature</th>{head}</tr>{''.join(rows)}</table>"
        f"<h2>Problems per target</h2>{problems}</body></html>\n"
    )


FORMATS = {"html": render_matrix_html, "markdown": render_matrix_markdown}


def write_matrix(
    directories: list[Path],
    output: Path,
    fmt: str,
    secrets: tuple[str, ...] = (),
    *,
    note: str = "",
) -> Path:
    """Read the reports, render, write atomically; MatrixError/OSError for the caller.

    The date shown is the newest run's start, not today: regenerating from the same reports
    gives the same file.
    """
    matrix = load_matrix(directories, secrets)
    generated_at = max((c.started_at for c in matrix.columns if c.started_at), default="unknown")
    write_atomically(output, FORMATS[fmt](matrix, output, generated_at, note))
    return output
