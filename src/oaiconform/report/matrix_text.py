"""What the matrix's two renderings (HTML, Markdown) say, worded once.

Both show the same table and lines; only the markup differs, so the words live here.
"""

from __future__ import annotations

import os
from pathlib import Path

from oaiconform.report.matrix import Cell, Column, Matrix, ProblemLine

# A status as a short cell word; failed stands out in capitals.
_SHORT = {
    "passed": "pass",
    "flaky": "flaky",
    "failed": "FAIL",
    "error": "ERROR",
    "not_implemented": "n/i",
    "partial": "partial",
    "not_applicable": "n/a",
    "skipped": "-",
}
LEGEND = (
    "Each cell: the compat verdict's status / the strict verdict's status, then how many "
    "problems touch the feature (and how many of them the server's baseline records). "
    "pass, FAIL, n/i = not implemented (the route is absent), n/a = not applicable, "
    "partial = some tests did not run, flaky = passed only on a rerun (--reruns), "
    "ERROR = a bug of oaiconform, - = not in its profile."
)


def short(status: str) -> str:
    return _SHORT.get(status, status or "-")


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    text = f"{short(cell.statuses.get('compat', ''))} / {short(cell.statuses.get('strict', ''))}"
    if cell.problems:
        text += f" ({cell.problems}"
        text += f", {cell.in_baseline} baseline)" if cell.in_baseline else ")"
    return text


def column_title(column: Column) -> str:
    """A column is named by its target; the targets table gives each one's version."""
    return column.name


def section_title(column: Column) -> str:
    return f"{column.name} ({column.version})" if column.version else column.name


def report_link(column: Column, output: Path) -> str:
    """The target's report.html, relative to where the matrix is written."""
    return os.path.relpath(column.directory / "report.html", output.parent).replace(os.sep, "/")


def verdict_counts(column: Column, verdict: str) -> str:
    summary = column.verdicts.get(verdict) or {}
    features = summary.get("features") or {}
    parts = [
        f"{features.get(status, 0)} {short(status)}"
        for status in ("passed", "flaky", "failed", "not_implemented", "partial", "error")
        if features.get(status) or status in ("passed", "failed")
    ]
    return f"{', '.join(parts)}; {summary.get('problems', 0)} problem(s)"


def target_summary(column: Column) -> list[str]:
    """One row of the targets table: name, profile, outcome, compat, strict, size."""
    if not column.ran:
        return [column.name, column.version, column.profile, column.outcome, column.why, "", ""]
    return [
        column.name,
        column.version,
        column.profile,
        column.outcome,
        verdict_counts(column, "compat"),
        verdict_counts(column, "strict"),
        f"{column.requests} requests, {column.duration_s:.0f} s",
    ]


TARGETS_HEADER = ["target", "version", "profile", "run", "compat", "strict", "size"]


def header_lines(matrix: Matrix, generated_at: str) -> list[str]:
    specs = "; ".join(matrix.specs) or "unknown"
    tools = ", ".join(matrix.tool_versions) or "unknown"
    return [
        f"OpenAI description {specs}; oaiconform {tools}; generated {generated_at}.",
        LEGEND,
    ]


def problem_text(problem: ProblemLine, limit: int = 180) -> str:
    detail = problem.detail if len(problem.detail) <= limit else problem.detail[:limit] + "..."
    return f"[{problem.impact}] {problem.id}: {problem.title}. {detail}"


def known_text(problem: ProblemLine) -> str:
    if not problem.known:
        return ""
    return (
        f"looks like {problem.known.get('reference', '')}: {problem.known.get('description', '')}"
    )


def baseline_text(problem: ProblemLine) -> str:
    entry = problem.baseline
    if entry is None:
        return ""
    upstream = f" ({entry.upstream})" if entry.upstream else " (no upstream issue yet)"
    return f"baseline: {entry.reason}{upstream}"
