"""The matrix's reading of report directories and its two renderings, on hostile text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oaiconform.baseline import BaselineError, parse_baseline
from oaiconform.report.matrix import MatrixError, load_matrix
from oaiconform.report.matrix_writers import render_matrix_html, render_matrix_markdown
from oaiconform.targets_file import TargetsFileError, parse_targets

HOSTILE = "<script>alert(1)</script> | a|b sk-abcdefghijklmnop1234"


def _report_dir(root: Path, name: str, detail: str = HOSTILE) -> Path:
    directory = root / name
    directory.mkdir()
    problem = {
        "id": "errors.error_envelope@error",
        "impact": "breaks-clients",
        "title": "An error body is the envelope",
        "detail": detail,
        "features": ["errors.envelope", "errors.auth"],
        "known_deviation": {"reference": "owner/repo#7", "description": "FastAPI detail"},
        "consequence_of": "",
    }
    report = {
        "tool": {"version": "0.1.0"},
        "spec": {"version": "2.3.0", "sha256": "ab" * 32},
        "profile": "chat",
        "started_at": "2026-12-07T08:00:00+00:00",
        "summary": {"requests": 12},
        "verdicts": {"compat": {"features": {"passed": 1, "failed": 2}, "problems": 1}},
        "features": {
            "errors.envelope": {"status": "failed", "statuses": {"compat": "failed"}},
            "errors.auth": {"status": "failed", "statuses": {"compat": "failed"}},
            "models.list": {"status": "passed", "statuses": {"compat": "passed"}},
            "batches": {"status": "skipped", "statuses": {"compat": "skipped"}},
        },
        "problems": [problem, {**problem, "id": "later", "consequence_of": problem["id"]}],
    }
    (directory / "report.json").write_text(json.dumps(report))
    return directory


def test_cells_count_root_problems_and_rows_leave_out_features_no_target_ran(
    tmp_path: Path,
) -> None:
    matrix = load_matrix([_report_dir(tmp_path, "a")])
    assert matrix.features == ["errors.auth", "errors.envelope", "models.list"]
    cell = matrix.columns[0].cells["errors.envelope"]
    assert (cell.statuses["compat"], cell.problems) == ("failed", 1)
    assert [p.id for p in matrix.columns[0].problems] == ["errors.error_envelope@error"]
    assert matrix.specs == ["2.3.0 (sha256 abababababab)"]


def test_target_text_never_becomes_markup_nor_breaks_a_table(tmp_path: Path) -> None:
    matrix = load_matrix([_report_dir(tmp_path, "a")])
    html = render_matrix_html(matrix, tmp_path / "m.html", "now")
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = render_matrix_markdown(matrix, tmp_path / "m.md", "now")
    assert "<script>" not in markdown
    line = next(x for x in markdown.splitlines() if "errors.error_envelope@error" in x)
    assert "a\\|b" in line and "owner/repo#7" in line
    assert "sk-abcdefghijklmnop1234" not in html + markdown  # key-shaped text is masked


def test_a_known_secret_is_masked_even_if_a_report_kept_it(tmp_path: Path) -> None:
    directory = _report_dir(tmp_path, "a", detail="echoed plain-secret-value-42")
    matrix = load_matrix([directory], secrets=("plain-secret-value-42",))
    assert "plain-secret-value-42" not in render_matrix_markdown(matrix, tmp_path / "m.md", "x")


def test_two_reports_with_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    first = _report_dir(tmp_path / "x", "same")
    (tmp_path / "y").mkdir()
    second = _report_dir(tmp_path / "y", "same")
    with pytest.raises(MatrixError, match="two reports are named 'same'"):
        load_matrix([first, second])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- problem: a\n", "`reason` must be"),
        ("- problem: a\n  reason: r\n  upstream: not-a-ref\n", "owner/repo#N"),
        ("- {problem: a, reason: r}\n- {problem: a, reason: s}\n", "listed twice"),
        ("problem: a\n", "expected a list"),
    ],
)
def test_a_bad_baseline_names_its_fault(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse_baseline(text)


def test_a_target_entry_becomes_its_run_arguments(tmp_path: Path) -> None:
    (entry,) = parse_targets(
        "- name: srv\n  base_url: http://127.0.0.1:1/v1\n  key_env: SRV_KEY\n"
        "  models: {chat: c, embedding: e}\n  profile: chat\n  flags: [--no-pinning]\n"
        "  baseline: b.yaml\n",
        tmp_path,
    )
    assert entry.run_args() == [
        "--target",
        "http://127.0.0.1:1/v1",
        "--api-key-env",
        "SRV_KEY",
        "--model",
        "c",
        "--embedding-model",
        "e",
        "--profile",
        "chat",
        "--no-pinning",
    ]
    assert entry.baseline == tmp_path / "b.yaml"
    with pytest.raises(TargetsFileError, match="unknown model kind 'image'"):
        parse_targets("- name: s\n  base_url: http://x\n  models: {image: m}\n", tmp_path)
