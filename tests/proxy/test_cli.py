"""`oaiconform proxy` as a process: reports on SIGUSR1 and on SIGTERM, a clear error on bad
input, and the pytest fixture an application's suite uses."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from oaiconform.mock import MockServer
from oaiconform.proxy import ProxyFindingsError, validating_proxy
from oaiconform.proxy.cli import add_proxy_parser, proxy_command
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY, StartMock


def _start(upstream: str, report_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oaiconform",
            "proxy",
            "--upstream",
            upstream,
            "--port",
            "0",
            "--report-dir",
            str(report_dir),
            "--har",
            str(report_dir / "traffic.har"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"serving (\S+)", line)
    assert found, line + (process.stderr.read() if process.stderr else "")
    return process, found.group(1)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)


def test_signals_write_the_reports(correct_mock: MockServer, tmp_path: Path) -> None:
    process, base_url = _start(correct_mock.base_url, tmp_path)
    try:
        headers = {"authorization": f"Bearer {TEST_KEY}"}
        assert httpx.get(f"{base_url}/models", headers=headers).status_code == 200
        process.send_signal(signal.SIGUSR1)
        _wait_for(tmp_path / "report.json")
        assert json.loads((tmp_path / "report.json").read_text())["proxy"]["exchanges"] == 1
        httpx.get(f"{base_url}/models/gpt-4o-mini", headers=headers)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # closes its pipes
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["proxy"]["exchanges"] == 2
    # judged in the command's worker process, before the last report
    assert report["proxy"]["judged"] == 2 and report["proxy"]["pending"] == 0
    assert "headers.request_id_present" in report["proxy"]["checks_applied"]
    assert {"report.html", "junit.xml", "traffic.har"} <= {p.name for p in tmp_path.iterdir()}
    assert TEST_KEY not in "".join(p.read_text() for p in tmp_path.iterdir() if p.is_file())


def _proxy_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_proxy_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["proxy", *argv])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--upstream", "ftp://x"), "--upstream 'ftp://x' is not an http(s) URL"),
        (
            ("--upstream", "https://127.0.0.1:1/v1", "--ca-bundle", "/no/such/ca.pem"),
            "--ca-bundle '/no/such/ca.pem': no such file",
        ),
    ],
)
def test_bad_input_is_one_line(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (the command's own function, before it serves): the same lines, no start-up.
    assert proxy_command(_proxy_args(*argv)) == 2
    assert capsys.readouterr().err.strip() == f"oaiconform: error: {message}"


def test_a_ca_bundle_that_is_no_certificate_is_one_line(
    tmp_path: Path, spec_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    args = _proxy_args("--upstream", "https://127.0.0.1:1/v1", "--ca-bundle", str(bogus))
    args.spec = spec_path
    assert proxy_command(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"oaiconform: error: --ca-bundle {str(bogus)!r}: ") and "\n" not in err


def test_the_context_manager_fails_on_problems_that_break_clients(
    spec: Spec, start_mock: StartMock
) -> None:
    broken = start_mock("stream-no-done")
    body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {TEST_KEY}"}

    def application() -> None:
        with validating_proxy(broken.base_url, spec=spec) as proxy:
            httpx.post(f"{proxy.base_url}/chat/completions", json=body, headers=headers)

    with pytest.raises(ProxyFindingsError, match=r"streaming\.stream_framing"):
        application()


def test_the_context_manager_passes_a_correct_server(spec: Spec, correct_mock: MockServer) -> None:
    with validating_proxy(correct_mock.base_url, spec=spec) as proxy:
        headers = {"authorization": f"Bearer {TEST_KEY}"}
        httpx.get(f"{proxy.base_url}/models", headers=headers)
    assert proxy.report().summary["passed"] == 1


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree in /proc")
def test_the_judging_worker_ends_with_a_killed_proxy(
    correct_mock: MockServer, tmp_path: Path
) -> None:
    process, _ = _start(correct_mock.base_url, tmp_path)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 20
    while not (workers := [pid for pid in _pids(children) if _is_judging_worker(pid)]):
        assert time.monotonic() < deadline, "the proxy started no judging worker"
        time.sleep(0.05)
    process.kill()  # no chance to stop its worker
    process.wait(timeout=20)
    deadline = time.monotonic() + 10
    while alive := [w for w in workers if _running(w)]:
        if time.monotonic() > deadline:
            for pid in alive:
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"judging worker(s) {alive} outlived the killed proxy")
        time.sleep(0.1)
    # The orphan held the proxy's stdout and stderr: closed only now, so a failure cannot hang.
    process.communicate(timeout=20)


def _pids(children: Path) -> list[int]:
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def _is_judging_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
