"""`run --targets` and `report matrix` as a user runs them: two embedded mocks (one with
faults) and a target that never answers, then the matrix of their reports."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import StartMock
from tests.e2e.test_cli import assert_no_traceback, oaiconform

# Not sk- shaped: only the redaction of the run's known secrets can mask it.
KEY = "matrix-secret-key-value-7f3a9c"
FEATURES = ("--feature", "models.list", "--feature", "errors.auth")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _targets_file(tmp_path: Path, correct: str, faulty: str) -> Path:
    baseline = tmp_path / "faulty-baseline.yaml"
    baseline.write_text(
        "- problem: errors.key_not_echoed@body\n"
        "  reason: the 401 message repeats the submitted key\n"
        "  upstream: example/mock#1\n"
    )
    path = tmp_path / "targets.yaml"
    path.write_text(
        f"""targets:
  - name: correct
    base_url: {correct}
    key_env: MATRIX_KEY
    models: {{chat: gpt-4o-mini}}
    version: reference mock
  - name: faulty
    base_url: {faulty}
    key_env: MATRIX_KEY
    version: mock with faults
    baseline: faulty-baseline.yaml
  - name: gone
    base_url: http://127.0.0.1:{_closed_port()}/v1
    key_env: MATRIX_KEY
"""
    )
    return path


@pytest.fixture
def matrix_runs(tmp_path: Path, start_mock: StartMock) -> tuple[Path, str]:
    correct = start_mock(api_keys=(KEY,))
    faulty = start_mock("created-as-string", "echo-key", api_keys=(KEY,))
    targets = _targets_file(tmp_path, correct.base_url, faulty.base_url)
    out = tmp_path / "reports"
    result = oaiconform(
        "run",
        "--targets",
        str(targets),
        "--report-dir",
        str(out),
        *FEATURES,
        "--seed",
        "7",
        env={"MATRIX_KEY": KEY},
    )
    assert_no_traceback(result)
    return out, result.stdout


def test_targets_run_each_in_its_own_report_dir_and_the_unreachable_one_is_reported(
    matrix_runs: tuple[Path, str],
) -> None:
    out, stdout = matrix_runs
    lines = {line.split()[0]: line for line in stdout.splitlines()[1:] if line.strip()}
    assert set(lines) == {"correct", "faulty", "gone"}
    assert lines["correct"].split()[1] == "PASS"
    assert lines["faulty"].split()[1] == "FAIL"
    assert "UNREACHABLE" in lines["gone"] and "Connection refused" in lines["gone"]
    correct = json.loads((out / "correct" / "report.json").read_text())
    faulty = json.loads((out / "faulty" / "report.json").read_text())
    assert correct["features"]["models.list"]["status"] == "passed"
    assert faulty["features"]["models.list"]["status"] == "failed"
    assert correct["seed"] == faulty["seed"] == 7
    meta = json.loads((out / "gone" / "matrix-target.json").read_text())
    assert meta["exit_code"] == 3 and meta["outcome"] == "UNREACHABLE"
    assert (out / "gone" / "report.json").exists()  # a run always writes its report


def test_targets_exit_code_is_the_worst_of_the_targets(
    tmp_path: Path, start_mock: StartMock
) -> None:
    correct = start_mock(api_keys=(KEY,))
    path = tmp_path / "t.yaml"
    path.write_text(f"- name: only\n  base_url: {correct.base_url}\n  key_env: MATRIX_KEY\n")
    args = ("--report-dir", str(tmp_path / "r"), "--feature", "models.list")
    passed = oaiconform("run", "--targets", str(path), *args, env={"MATRIX_KEY": KEY})
    assert passed.returncode == 0, passed.stdout + passed.stderr
    path.write_text(
        path.read_text()
        + f"- name: down\n  base_url: http://127.0.0.1:{_closed_port()}\n  key_env: MATRIX_KEY\n"
    )
    mixed = oaiconform("run", "--targets", str(path), *args, env={"MATRIX_KEY": KEY})
    assert mixed.returncode == 3


def test_matrix_shows_features_by_target_with_problems_and_the_baseline_apart(
    matrix_runs: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = matrix_runs
    dirs = [str(out / name) for name in ("correct", "faulty", "gone")]
    markdown = tmp_path / "docs" / "matrix.md"
    result = oaiconform("report", "matrix", *dirs, "-o", str(markdown))
    assert result.returncode == 0, result.stderr
    text = markdown.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| models.list |"))
    cells = [cell.strip() for cell in row.split("|")[2:-1]]
    assert cells[0] == "[pass / pass](../reports/correct/report.html)"
    assert cells[1].startswith("[FAIL / FAIL (2)](../reports/faulty/report.html)")
    assert cells[2] == "-"  # never ran
    assert "| gone |  | core | UNREACHABLE |" in text
    assert "OpenAI description 2.3.0" in text and "| correct | reference mock | core |" in text
    faulty = text.split("### faulty")[1].split("###")[0]
    new, recorded = faulty.split("Recorded in its baseline")
    assert "schema.response_schema_conformance@data[].created" in new
    assert "errors.key_not_echoed@body" not in new
    assert "errors.key_not_echoed@body" in recorded and "example/mock#1" in recorded


def test_matrix_html_escapes_and_links_each_report(
    matrix_runs: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = matrix_runs
    html = tmp_path / "matrix.html"
    result = oaiconform(
        "report", "matrix", str(out / "correct"), str(out / "faulty"), "-o", str(html)
    )
    assert result.returncode == 0, result.stderr
    page = html.read_text()
    assert page.count('href="reports/faulty/report.html"') >= 3  # cells and the problems' link
    assert "<th>models.list</th>" in page
    assert "FAIL / FAIL (2)" in page


def test_matrix_of_a_targets_run_directory_has_a_column_per_target(
    matrix_runs: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = matrix_runs
    result = oaiconform("report", "matrix", str(out), "-o", str(tmp_path / "m.md"))
    assert result.returncode == 0, result.stderr
    header = next(
        x for x in (tmp_path / "m.md").read_text().splitlines() if x.startswith("| feature")
    )
    assert header == "| feature | correct | faulty | gone |"


def test_no_output_of_a_matrix_run_holds_the_key(
    matrix_runs: tuple[Path, str], tmp_path: Path
) -> None:
    out, stdout = matrix_runs
    for fmt in ("m.md", "m.html"):
        oaiconform("report", "matrix", *map(str, sorted(out.iterdir())), "-o", str(tmp_path / fmt))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "junit.xml" for p in files) and any(p.name == "run.log" for p in files)
    leaking = [p for p in files if KEY.encode() in p.read_bytes()]
    assert leaking == [] and KEY not in stdout


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (None, (), "cannot read"),
        ("targets: [", (), "not valid YAML"),
        ("- name: a\n  base_url: http://127.0.0.1:1\n  colour: red\n", (), "unknown field"),
        ("- name: a\n  base_url: ftp://x\n", (), "base_url must start with http"),
        ("- name: a\n  base_url: http://x\n- name: a\n  base_url: http://y\n", (), "used twice"),
        ("- name: a\n  base_url: http://x\n  flags: [--target, y]\n", (), "may not set --target"),
        ("- name: a\n  base_url: http://x\n", ("--model", "m"), "--model cannot be used"),
        ("- name: a\n  base_url: http://x\n  baseline: none.yaml\n", (), "cannot read"),
    ],
)
def test_a_bad_targets_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str | None, extra: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "targets.yaml"
    if content is not None:
        path.write_text(content)
    result = oaiconform("run", "--targets", str(path), *extra, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert_no_traceback(result)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # nothing was asked


def test_report_matrix_of_a_directory_without_a_report_is_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    result = oaiconform("report", "matrix", str(tmp_path), "-o", str(tmp_path / "m.html"))
    assert result.returncode == 2
    assert_no_traceback(result)
    assert "no report.json" in result.stderr
