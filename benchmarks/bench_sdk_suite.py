"""openai-python's generated tests (tests/api_resources) against `oaiconform mock --lenient`
and against Stoplight Prism, with the start time of each server.

    OAICONFORM_SPEC=PATH python benchmarks/bench_sdk_suite.py OPENAI_PYTHON_CHECKOUT
        [--python PATH] [--prism PATH] [--select sync|core|all] [--workers N]

openai-python's maintainers run these tests against a mock of the API (`scripts/mock`); its
`tests/conftest.py` reads the server's base URL from `TEST_API_BASE_URL`. This script starts
each server on 127.0.0.1, waits until it answers `GET /models` (the start time), runs the tests
from the checkout with the interpreter given by `--python` (a virtualenv in which the checkout
is installed with its test dependencies: pytest, pytest-asyncio, pytest-xdist, inline-snapshot,
dirty-equals, trio), reads the counts from a JUnit file, and stops the server by its process id.
Nothing of openai-python is copied here: pass the path of a checkout.

`--select sync` (the default) runs the synchronous tests (`-k "not Async"`), `core` the
synchronous tests of the core resources (chat, completions, embeddings, files, models,
moderations, batches, responses, uploads), `all` every test. Prism (`--prism PATH`: its
binary, e.g. node_modules/.bin/prism) mocks the same description file on port 4024; without
it, only the mock is measured.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import httpx

KEY = "My API Key"  # what openai-python's tests send
PRISM_PORT = 4024
CORE = (
    "tests/api_resources/chat/test_completions.py",
    "tests/api_resources/test_completions.py",
    "tests/api_resources/test_embeddings.py",
    "tests/api_resources/test_files.py",
    "tests/api_resources/test_models.py",
    "tests/api_resources/test_moderations.py",
    "tests/api_resources/test_batches.py",
    "tests/api_resources/test_responses.py",
    "tests/api_resources/test_uploads.py",
)


@dataclass(frozen=True)
class Counts:
    tests: int
    failed: int
    skipped: int

    @property
    def passed(self) -> int:
        return self.tests - self.failed - self.skipped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], url: str, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """The server, in a process group of its own, and the seconds until `url` answered."""
    started = time.monotonic()
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    while time.monotonic() - started < 180:
        if server.poll() is not None:
            raise SystemExit(f"{command[0]} exited with {server.returncode}; see {log}")
        try:
            httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
            return server, time.monotonic() - started
        except httpx.HTTPError:
            time.sleep(0.02)
    stop(server)
    raise SystemExit(f"{url} did not answer within 180 s; see {log}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server we started, by its process id (its group: Node may fork)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run_tests(
    python: str, checkout: Path, base_url: str, select: str, workers: int, junit: Path
) -> Counts:
    paths = list(CORE) if select == "core" else ["tests/api_resources"]
    keyword = [] if select == "all" else ["-k", "not Async"]
    command = [
        *(python, "-m", "pytest", *paths, *keyword),
        *("-q", "-p", "no:cacheprovider", "-n", str(workers), f"--junitxml={junit}"),
    ]
    env = {**os.environ, "TEST_API_BASE_URL": base_url}
    subprocess.run(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, check=False)
    return read_junit(junit)


def read_junit(path: Path) -> Counts:
    root = ET.parse(path).getroot()  # noqa: S314 - pytest wrote it, in our own temp dir
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for name in total:
            total[name] += int(suite.get(name, "0"))
    return Counts(total["tests"], total["failures"] + total["errors"], total["skipped"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="an openai-python checkout (with tests/)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with its test deps")
    parser.add_argument("--prism", help="the prism binary (npm @stoplight/prism-cli)")
    parser.add_argument("--select", choices=("sync", "core", "all"), default="sync")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec = os.environ.get("OAICONFORM_SPEC")
    if not spec or not Path(spec).is_file():
        raise SystemExit("set OAICONFORM_SPEC to the description file (Prism reads it too)")
    if not (args.checkout / "tests" / "api_resources").is_dir():
        raise SystemExit(f"{args.checkout}: no tests/api_resources (an openai-python checkout?)")
    work = Path(tempfile.mkdtemp(prefix="bench-sdk-suite-"))
    servers: dict[str, tuple[list[str], str]] = {}
    port = free_port()
    mock = [sys.executable, "-m", "oaiconform", "mock", "--lenient", "--port", str(port)]
    servers["oaiconform mock --lenient"] = (mock, f"http://127.0.0.1:{port}/v1")
    if args.prism:
        prism = [args.prism, "mock", "-h", "127.0.0.1", "-p", str(PRISM_PORT), "-v", "error", spec]
        servers["Prism"] = (prism, f"http://127.0.0.1:{PRISM_PORT}")  # the bare paths
    print(f"| server | start | {args.select} tests passed | failed | skipped | run time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (command, base_url) in servers.items():
        slug = name.split()[0].lower()
        server, start_s = start(command, base_url + "/models", work / f"{slug}.log")
        try:
            began = time.monotonic()
            counts = run_tests(
                args.python,
                args.checkout,
                base_url,
                args.select,
                args.workers,
                work / f"{slug}.xml",
            )
            elapsed = time.monotonic() - began
        finally:
            stop(server)
        print(
            f"| {name} | {start_s:.2f} s | {counts.passed:,} of {counts.tests:,} | "
            f"{counts.failed:,} | {counts.skipped:,} | {elapsed:.0f} s |",
            flush=True,
        )
    print(f"(logs and JUnit files in {work})")


if __name__ == "__main__":
    main()
