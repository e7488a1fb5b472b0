"""The CI gate: baselines of known deviations, the configuration file, the live progress line."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.conftest import StartMock
from tests.e2e.test_cli import assert_no_traceback, oaiconform

# Small features, so that five runs stay quick: a fault each that fails a required feature.
FEATURES = ("embeddings", "errors.invalid_json")
FAULTS = ("embeddings-out-of-order", "flat-errors")


def _run(tmp_path: Path, name: str, *args: str, faults: tuple[str, ...] = FAULTS) -> Any:
    command = ["run", "--seed", "3", "--report-dir", str(tmp_path / name), *args]
    for feature in FEATURES:
        command += ["--feature", feature]
    for fault in faults:
        command += ["--mock-fault", fault]
    result = oaiconform(*command, cwd=tmp_path, timeout=300)
    assert_no_traceback(result)
    report = json.loads((tmp_path / name / "report.json").read_text())
    return result, report


def test_a_baseline_lets_known_deviations_through_and_names_stale_entries(tmp_path: Path) -> None:
    first, report = _run(tmp_path, "first")
    assert first.returncode == 1, first.stdout + first.stderr
    assert len(report["problems"]) == 2

    written = oaiconform("baseline", "write", str(tmp_path / "first" / "report.json"))
    assert written.returncode == 0, written.stderr
    baseline = tmp_path / "known.yaml"
    baseline.write_text(written.stdout)
    assert written.stdout.count("- problem: ") == 2

    known, report = _run(tmp_path, "known", "--baseline", str(baseline))
    assert known.returncode == 0, known.stdout + known.stderr
    assert all(p["baseline"]["reason"].startswith("TODO") for p in report["problems"])
    assert report["baseline"]["new"] == [] and report["verdicts"]["compat"]["new_problems"] == 0
    assert "known (baseline):" in known.stdout
    assert "2 of 2 entries still fail (known)" in known.stdout

    # One fault fixed: its entry is stale, reported, and fails the run only when strict.
    fixed, report = _run(tmp_path, "fixed", "--baseline", str(baseline), faults=FAULTS[1:])
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert [s["entry"] for s in report["baseline"]["stale"]] == [
        p["id"]
        for p in json.loads((tmp_path / "first" / "report.json").read_text())["problems"]
        if not p["check"].startswith("errors.")
    ]
    assert "stale: embeddings." in fixed.stdout
    strict, report = _run(
        tmp_path, "strict", "--baseline", str(baseline), "--baseline-strict", faults=FAULTS[1:]
    )
    assert strict.returncode == 1
    assert "no longer fails (--baseline-strict)" in strict.stdout

    # A new deviation beside the known ones fails the run again.
    new, report = _run(
        tmp_path, "new", "--baseline", str(baseline), faults=(*FAULTS, "embeddings-usage-zero")
    )
    assert new.returncode == 1, new.stdout + new.stderr
    assert report["baseline"]["new"] == [p["id"] for p in report["problems"] if not p["baseline"]]
    assert report["baseline"]["new"]


def test_a_malformed_baseline_is_one_line_and_nothing_is_sent(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    connections: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    watcher = threading.Thread(target=accept)
    watcher.start()
    (tmp_path / "bad.yaml").write_text("- {problem: a}\n")
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    result = oaiconform(
        "run", "--target", target, "--baseline", str(tmp_path / "bad.yaml"), cwd=tmp_path
    )
    watcher.join()
    listener.close()
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--baseline:" in result.stderr and "`reason` must be a non-empty string" in result.stderr
    assert connections == []
    assert_no_traceback(result)


def test_a_configuration_file_sets_the_run_and_the_report_names_it(tmp_path: Path) -> None:
    (tmp_path / "oaiconform.toml").write_text(
        'seed = 8\nreport-dir = "from-file"\nfeature = ["models.list"]\nverdict = "strict"\n'
    )
    result = oaiconform("run", "--seed", "9", cwd=tmp_path, env={"OAICONFORM_VERDICT": "compat"})
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "from-file" / "report.json").read_text())
    assert report["seed"] == 9  # the flag wins
    assert report["verdict"]["mode"] == "compat"  # the environment wins over the file
    assert report["selection"]["features"] == ["models.list"]
    assert report["config"] == {
        "file": str((tmp_path / "oaiconform.toml").resolve()),
        "keys": ["features", "report_dir", "seed", "verdict"],
    }
    (tmp_path / "oaiconform.toml").write_text('seed = 8\nreport_dri = "x"\n')
    result = oaiconform("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key report_dri" in result.stderr
    assert_no_traceback(result)
    assert "\x1b[" not in result.stdout + result.stderr  # a log gets no progress line


def _run_in_a_terminal(tmp_path: Path, *args: str, key: str = "") -> str:
    """`oaiconform run` with a pseudo-terminal as its output, all it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "oaiconform", "run", "--feature", "models.list", *args],
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "120", "OPENAI_API_KEY": key},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_one_live_progress_line_unless_quiet(
    tmp_path: Path, start_mock: StartMock
) -> None:
    key = "sk-progress-secret-0123456789"
    mock = start_mock("echo-key", api_keys=(key,))
    target = ("--target", mock.base_url)
    shown = _run_in_a_terminal(tmp_path, *target, "--report-dir", str(tmp_path / "tty"), key=key)
    assert key not in shown
    assert "\r\x1b[2Koaiconform: features " in shown
    assert " requests · " in shown and " problems · " in shown
    assert "\r\x1b[2K" in shown.rpartition("features ")[2]  # the line is cleared at the end
    quiet = _run_in_a_terminal(tmp_path, "--quiet", "--report-dir", str(tmp_path / "q"))
    assert "\x1b[2K" not in quiet
