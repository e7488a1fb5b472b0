"""What the rule for routes that stopped answering saves against a target that hangs.

One invocation runs the core profile twice against the same hostile server (tests/e2e/hostile.py:
GET /models answers, every other request hangs), each run in a child process: once as shipped,
once with the rule switched off (SILENT_ROUTE_LIMIT set out of reach), and prints wall time,
requests and the ratio.

    python benchmarks/bench_silent_routes.py --spec ../shared/spec/openapi.json [--timeout 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the hostile server lives with the self-tests

from tests.e2e.hostile import HostileServer  # noqa: E402

# The child: `oaiconform run`, with the rule's limit overridden when asked.
_CHILD = """
import sys
import oaiconform.target
if sys.argv[1] == "off":
    oaiconform.target.SILENT_ROUTE_LIMIT = 10**9
from oaiconform.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_once(rule: str, target: str, spec: str, timeout: str) -> tuple[float, int, int]:
    """(wall seconds, requests, exit code) of one core run."""
    with tempfile.TemporaryDirectory() as report_dir:
        command = [sys.executable, "-c", _CHILD, rule, "run", "--target", target, "--seed", "5"]
        command += ["--timeout", timeout, "--report-dir", report_dir]
        env = {**os.environ, "OAICONFORM_SPEC": spec, "OPENAI_API_KEY": "sk-bench-0123456789"}
        started = time.monotonic()
        code = subprocess.run(command, env=env, capture_output=True, check=False).returncode
        wall = time.monotonic() - started
        report = json.loads((Path(report_dir) / "report.json").read_text())
    return wall, int(report["summary"]["requests"]), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=os.environ.get("OAICONFORM_SPEC"))
    parser.add_argument("--timeout", default="1", help="--timeout of both runs (seconds)")
    args = parser.parse_args()
    if not args.spec:
        parser.error("pass --spec or set OAICONFORM_SPEC")
    results = {}
    for rule in ("on", "off"):
        with HostileServer({"models": "models"}, default="hang") as server:
            results[rule] = run_once(rule, server.base_url, args.spec, args.timeout)
    print(
        f"core profile against a target that hangs on all but GET /models, --timeout {args.timeout}"
    )
    print(f"{'route rule':<12} {'wall s':>7} {'requests':>9}  exit")
    for rule, (wall, requests, code) in results.items():
        print(f"{rule:<12} {wall:7.1f} {requests:9d}  {code}")
    print(f"off / on: {results['off'][0] / results['on'][0]:.1f}x the wall time")


if __name__ == "__main__":
    main()
