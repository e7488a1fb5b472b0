"""The command line as a user runs it: exit codes, the four outputs, clear errors, no secrets."""

from __future__ import annotations

import errno
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartMock

SECRET = "sk-e2e-secret-value-0123456789abcdef"


def oaiconform(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "oaiconform", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def test_run_without_target_checks_the_embedded_mock_and_writes_four_outputs(
    tmp_path: Path,
) -> None:
    result = oaiconform("run", "--report-dir", str(tmp_path / "r"), "--seed", "42", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seed 42 (replay with --seed 42)" in result.stdout
    out = tmp_path / "r"
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 2
    assert report["target"]["embedded_mock"] is True
    assert report["seed"] == 42
    assert report["features"]["chat.completions"]["status"] == "passed"
    assert report["summary"]["requests"] > 0
    junit = (out / "junit.xml").read_text()
    assert "<testcase" in junit and "test_chat_completion" in junit
    assert list((out / "allure-results").glob("*-result.json"))
    html = (out / "report.html").read_text()
    assert "<html" in html and "chat.completions" in html and "<script src" not in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # nothing else left in cwd


def test_an_unreachable_target_exits_3_with_one_line_and_a_report(tmp_path: Path) -> None:
    result = oaiconform("run", "--target", "http://127.0.0.1:9/v1", "--report-dir", str(tmp_path))
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "http://127.0.0.1:9/v1 is unreachable: connection failed" in lines[0]
    assert "unreachable" in json.loads((tmp_path / "report.json").read_text())["error"]


@pytest.mark.parametrize("content", ["just-a-hostname\n", '{"openapi": "2.0"}', "[1, 2"])
def test_a_spec_that_is_not_openapi_3_exits_2(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "hostname"
    bad.write_text(content)
    result = oaiconform("run", "--spec", str(bad), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--no-such-flag"],
        ["run", "--target", "not a url"],
        ["run", "--profile", "nope"],
        ["run", "--mock-fault", "nope"],
        ["run", "--seed", "x"],
        ["run", "--feature", "nope.x"],
        ["run", "--feature", "schema.noSuchOperation"],
        ["run", "--feature", "pagination.no_such_list"],
        ["frobnicate"],
        ["mock", "--port", "99999"],
        ["proxy", "--upstream", "http://127.0.0.1:9/v1", "--port", "99999"],
        ["baseline"],
        ["baseline", "write", "/nonexistent/report.json"],
        ["report", "markdown", "/nonexistent"],
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(args: list[str], tmp_path: Path) -> None:
    result = (
        oaiconform(*args, "--report-dir", str(tmp_path)) if args[0] == "run" else oaiconform(*args)
    )
    assert result.returncode == 2
    assert "oaiconform" in result.stderr
    assert_no_traceback(result)


def test_a_fault_fails_the_run_and_no_secret_reaches_any_output(
    tmp_path: Path, start_mock: StartMock
) -> None:
    mock = start_mock("usage-total-wrong", "echo-key", api_keys=(SECRET,))
    url = mock.base_url.replace("http://", "http://user:url-password-42@")
    result = oaiconform(
        "run", "--target", url, "--report-dir", str(tmp_path / "r"), env={"OPENAI_API_KEY": SECRET}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    failure = report["features"]["chat.completions"]["failures"][0]
    assert "Bearer $OPENAI_API_KEY" in failure["repro"]
    everything = (
        result.stdout
        + result.stderr
        + "".join(p.read_text(errors="replace") for p in (tmp_path / "r").rglob("*") if p.is_file())
    )
    assert SECRET not in everything
    assert "url-password-42" not in everything


@dataclass(frozen=True)
class HangingTarget:
    url: str
    hanging: threading.Event


@pytest.fixture
def half_hanging_target() -> Iterator[HangingTarget]:
    """Answers GET /v1/models correctly, never answers anything else."""
    release = threading.Event()
    hanging = threading.Event()  # a request is being left unanswered

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/v1/models"):
                body = json.dumps(
                    {
                        "object": "list",
                        "data": [
                            {"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "x"}
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                hanging.set()
                release.wait(30)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield HangingTarget(f"http://127.0.0.1:{server.server_address[1]}/v1", hanging)
    release.set()
    server.shutdown()
    server.server_close()


def test_a_target_that_hangs_fails_its_checks_and_the_run_still_ends(
    tmp_path: Path, half_hanging_target: HangingTarget
) -> None:
    started = time.monotonic()
    result = oaiconform(
        "run",
        "--target",
        half_hanging_target.url,
        "--timeout",
        "0.5",
        "--feature",
        "chat.completions",
        "--feature",
        "models.list",
        "--report-dir",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["features"]["models.list"]["status"] == "passed"
    chat = report["features"]["chat.completions"]
    assert chat["status"] == "failed"
    assert "no response data within 0.5 s (the target hangs)" in chat["failures"][0]["message"]
    assert_no_traceback(result)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_the_run_promptly_and_leaves_a_partial_report(
    tmp_path: Path, half_hanging_target: HangingTarget, stop: signal.Signals
) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oaiconform",
            "run",
            "--target",
            half_hanging_target.url,
            "--timeout",
            "20",
            "--report-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    # Interrupt once a test waits on a hanging request (on a loaded machine collection alone
    # can take seconds: a fixed sleep would interrupt before any test ran).
    assert half_hanging_target.hanging.wait(120), "no test reached the hanging target"
    time.sleep(0.5)
    sent = time.monotonic()
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert time.monotonic() - sent < 10, "the run must stop promptly, not finish its tests"
    assert process.returncode == 1
    assert "interrupted; partial report written" in err
    assert_no_traceback(subprocess.CompletedProcess([], 1, "", err))
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] is True
    assert report["verdict"]["exit_code"] != 0
    not_run = [t for t in report["tests"] if t["outcome"] == "not_run"]
    assert not_run and all(t["message"] for t in not_run)


def test_mock_command_serves_until_interrupted(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "oaiconform", "mock", "--port", str(port)),
            *("--api-key", "sk-a-key", "--model", "my-local-model"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"serving http://127.0.0.1:{port}/v1" in line
        ok = httpx.get(
            f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer sk-a-key"}
        )
        assert ok.status_code == 200
        served = {model["id"] for model in ok.json()["data"]}
        assert {"my-local-model", "gpt-5.4", "text-embedding-3-large"} <= served
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_profiles_and_faults_are_listed() -> None:
    profiles = oaiconform("profiles")
    assert profiles.returncode == 0
    assert "core:" in profiles.stdout and "chat:" in profiles.stdout
    assert "errors.auth" in profiles.stdout
    faults = oaiconform("mock", "--list-faults")
    assert "accept-any-key" in faults.stdout


def test_dry_run_lists_the_plan_and_sends_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        result = oaiconform(
            "run",
            "--dry-run",
            "--target",
            f"http://127.0.0.1:{port}/v1",
            "--budget-requests",
            "50",
            cwd=tmp_path,
        )
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected
    assert result.returncode == 0, result.stderr
    assert "nothing was sent" in result.stdout
    assert "chat.completions" in result.stdout
    assert "at most 50 requests" in result.stdout
    assert list(tmp_path.iterdir()) == []  # no report, no cache, nothing


def test_a_run_loads_its_own_plugins_whatever_the_environment_says(tmp_path: Path) -> None:
    # CI images often set this; the run must not depend on pytest's plugin auto-loading.
    result = oaiconform(
        "run",
        "--feature",
        "models.list",
        "--report-dir",
        str(tmp_path / "r"),
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list((tmp_path / "r" / "allure-results").glob("*-result.json"))


def test_a_report_dir_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    result = oaiconform("run", "--report-dir", str(taken), cwd=tmp_path)
    assert result.returncode == 2
    assert "--report-dir" in result.stderr and "not a directory" in result.stderr
    assert_no_traceback(result)
    assert taken.read_text() == "not a directory"


def test_a_full_disk_is_found_before_any_request_and_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report directory is probed with a write first: a full disk is exit 2, nothing sent."""
    from oaiconform import runner
    from oaiconform.settings import Settings

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("oaiconform.runner.tempfile.NamedTemporaryFile", full)
    err = io.StringIO()
    outcome = runner.run(Settings(target_url="http://127.0.0.1:9/v1", report_dir=tmp_path), err=err)
    assert outcome.exit_code == 2
    assert err.getvalue().strip().endswith("cannot be used (No space left on device)")
    assert len(err.getvalue().strip().splitlines()) == 1


def test_a_disk_that_fills_during_the_run_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec_path: str
) -> None:
    from oaiconform import runner
    from oaiconform.settings import Settings

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_reports", full)
    err = io.StringIO()
    outcome = runner.run(
        Settings(spec=spec_path, report_dir=tmp_path, features=("models.list",), seed=1),
        out=io.StringIO(),
        err=err,
    )
    assert outcome.exit_code == 2
    assert "the report could not be written" in err.getvalue()
    assert "Traceback" not in err.getvalue()
