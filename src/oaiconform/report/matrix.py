"""The vendor matrix: several targets' report.json files read into one comparison.

Features are rows, targets are columns; a cell holds the feature's compat and strict status and
how many problems touch it. Under the table, each target's problems, one line each, with the
known deviation it looks like, and apart from them the ones its baseline records. Everything
is read from report directories that `oaiconform run` (or `run --targets`) wrote; the keys were
redacted when those were written, and the text is redacted once more here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oaiconform.baseline import BaselineEntry, BaselineError, load_baseline
from oaiconform.redact import Redactor

__all__ = ["Column", "Matrix", "MatrixError", "ProblemLine", "load_matrix"]

TARGET_META = "matrix-target.json"  # written by multirun.py beside the report
BASELINE_COPY = "baseline.yaml"
VERDICTS = ("compat", "strict")
# A target whose run never reached the suites has no feature rows: its column says why.
_RAN = ("PASS", "FAIL")


class MatrixError(ValueError):
    """A directory that holds no usable report; one line for the user."""


@dataclass(frozen=True)
class Cell:
    statuses: dict[str, str]  # verdict -> status
    problems: int  # root problems touching the feature
    in_baseline: int  # how many of them the target's baseline records


@dataclass(frozen=True)
class ProblemLine:
    id: str
    impact: str
    title: str
    detail: str
    features: int
    known: dict[str, str] | None  # the known deviation it looks like
    baseline: BaselineEntry | None  # set when the target's baseline records it


@dataclass(frozen=True)
class Column:
    name: str
    version: str
    directory: Path
    outcome: str  # PASS, FAIL, UNREACHABLE, ...: what `run` ended with
    why: str  # why it did not run, when it did not
    profile: str
    verdicts: dict[str, dict[str, Any]]
    cells: dict[str, Cell]
    problems: list[ProblemLine]
    spec: dict[str, Any]
    tool_version: str
    requests: int
    duration_s: float
    started_at: str

    @property
    def ran(self) -> bool:
        return self.outcome in _RAN


@dataclass(frozen=True)
class Matrix:
    columns: list[Column]
    features: list[str]  # rows, in order: catalog features, params.*, then schema.<operationId>
    specs: list[str] = field(default_factory=list)  # "2.3.0 (sha256 bbfd19ab…)" per distinct
    tool_versions: list[str] = field(default_factory=list)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _outcome(report: dict[str, Any] | None, meta: dict[str, Any]) -> tuple[str, str]:
    if meta.get("outcome"):
        return str(meta["outcome"]), str(meta.get("why") or "")
    if report is None:
        return "NO REPORT", "report.json is missing"
    if report.get("error"):
        return "DID NOT RUN", str(report["error"]).splitlines()[0]
    code = (report.get("verdict") or {}).get("exit_code")
    return ("PASS" if code == 0 else "FAIL"), ""


def _problem_lines(
    report: dict[str, Any], baseline: dict[str, BaselineEntry], text: Any
) -> list[ProblemLine]:
    lines = []
    for raw in report.get("problems") or []:
        if raw.get("consequence_of"):
            continue  # listed under its root in report.html; the matrix counts defects
        lines.append(
            ProblemLine(
                id=text(str(raw.get("id", ""))),
                impact=str(raw.get("impact", "")),
                title=text(str(raw.get("title", ""))),
                detail=text(" ".join(str(raw.get("detail", "")).split())),
                features=len(raw.get("features") or []),
                known=raw.get("known_deviation") or None,
                baseline=baseline.get(str(raw.get("id", ""))),
            )
        )
    return lines


def _cells(
    report: dict[str, Any], problems: list[dict[str, Any]], baseline: dict[str, BaselineEntry]
) -> dict[str, Cell]:
    touching: dict[str, list[str]] = {}
    for problem in problems:
        if problem.get("consequence_of"):
            continue
        for feature in problem.get("features") or []:
            touching.setdefault(feature, []).append(str(problem.get("id", "")))
    cells = {}
    for feature, result in (report.get("features") or {}).items():
        status = str(result.get("status", ""))
        statuses = {v: str((result.get("statuses") or {}).get(v, status)) for v in VERDICTS}
        ids = touching.get(feature, [])
        cells[feature] = Cell(statuses, len(ids), sum(1 for i in ids if i in baseline))
    return cells


def load_column(directory: Path, redactor: Redactor) -> Column:
    if not directory.is_dir():
        raise MatrixError(f"{directory}: not a directory")
    report = _read_json(directory / "report.json")
    meta = _read_json(directory / TARGET_META) or {}
    if report is None and not meta:
        raise MatrixError(f"{directory}: no report.json (run `oaiconform run --report-dir` first)")
    baseline: dict[str, BaselineEntry] = {}
    if (directory / BASELINE_COPY).is_file():
        try:
            baseline = {e.problem: e for e in load_baseline(directory / BASELINE_COPY)}
        except BaselineError as exc:
            raise MatrixError(str(exc)) from None
    report = report or {}
    outcome, why = _outcome(report if report else None, meta)
    problems = list(report.get("problems") or [])
    text = redactor.text
    return Column(
        name=text(str(meta.get("name") or directory.name)),
        version=text(str(meta.get("version") or "")),
        directory=directory,
        outcome=outcome,
        why=text(why),
        profile=str(report.get("profile") or meta.get("profile") or ""),
        verdicts=dict(report.get("verdicts") or {}),
        cells=_cells(report, problems, baseline) if outcome in _RAN else {},
        problems=_problem_lines(report, baseline, text),
        spec=dict(report.get("spec") or {}),
        tool_version=str((report.get("tool") or {}).get("version") or ""),
        requests=int((report.get("summary") or {}).get("requests") or 0),
        duration_s=float(report.get("duration_s") or 0.0),
        started_at=str(report.get("started_at") or ""),
    )


def _row_order(feature: str) -> tuple[int, str]:
    """Catalog features first, then the parameter family (`params.*`), then the property
    suite's `schema.*`."""
    family = 2 if feature.startswith("schema.") else 1 if feature.startswith("params.") else 0
    return (family, feature)


def _shown(column: Column, feature: str) -> bool:
    """A row is shown when some target ran it: skipped-only rows (not in its profile) add
    nothing to a comparison."""
    cell = column.cells.get(feature)
    return cell is not None and cell.statuses.get("compat") != "skipped"


def _report_dirs(directory: Path) -> list[Path]:
    """A report directory, or the --report-dir of a `run --targets`: its targets' directories."""
    if (directory / "report.json").exists() or (directory / TARGET_META).exists():
        return [directory]
    inner = sorted(
        d
        for d in directory.glob("*/")
        if (d / "report.json").exists() or (d / TARGET_META).exists()
    )
    return inner or [directory]


def load_matrix(directories: list[Path], secrets: tuple[str, ...] = ()) -> Matrix:
    redactor = Redactor(secrets)
    expanded = [d for directory in directories for d in _report_dirs(directory)]
    columns = [load_column(directory, redactor) for directory in expanded]
    names = [column.name for column in columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MatrixError(f"two reports are named {twice[0]!r}: give each target its own name")
    features = sorted(
        {f for column in columns for f in column.cells if _shown(column, f)}, key=_row_order
    )
    specs = sorted(
        {
            f"{c.spec.get('version')} (sha256 {str(c.spec.get('sha256'))[:12]})"
            for c in columns
            if c.spec.get("version")
        }
    )
    tools = sorted({c.tool_version for c in columns if c.tool_version})
    return Matrix(columns, features, specs, tools)
