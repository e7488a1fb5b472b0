"""Peak memory and wall time of whole runs against hostile targets, beside a correct one.

Each round runs `oaiconform run` as a child process once per behaviour, in turn, so machine
noise hits them alike: first the reference (the embedded mock, the same features), then a
hostile server (tests/e2e/hostile.py) that answers GET /models properly and does one wrong
thing on every other route. The table gives the median peak resident memory of the child
(`wait4`'s ru_maxrss) and its ratio to the reference, and the median wall time.

    python benchmarks/bench_hostile.py --spec ../shared/spec/openapi.json [--rounds 3]

The bound the README states: a run against any of these behaviours peaks within the same run
against a correct server plus 4 times --max-response-bytes (the byte cap bounds what one
answer may hold, decoded: 16 MiB by default), and no request outlives --timeout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the hostile server lives with the self-tests

from tests.e2e.hostile import HostileServer  # noqa: E402

FEATURES = ("models.list", "chat.completions", "chat.stream", "embeddings")
BEHAVIOURS = ("hang", "drip-body", "sse-forever", "huge", "gzip-bomb", "reset-stream", "deep")
TIMEOUT_S = "2"


def run_once(target: str | None, spec: str) -> tuple[float, float, int]:
    """(wall seconds, peak resident MiB, exit code) of one `oaiconform run` child."""
    with tempfile.TemporaryDirectory() as report_dir:
        command = [sys.executable, "-m", "oaiconform", "run", "--seed", "1"]
        command += ["--report-dir", report_dir, "--timeout", TIMEOUT_S]
        for feature in FEATURES:
            command += ["--feature", feature]
        if target is not None:
            command += ["--target", target]
        env = {**os.environ, "OAICONFORM_SPEC": spec, "OPENAI_API_KEY": "sk-bench-0123456789"}
        started = time.monotonic()
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
    return wall, usage.ru_maxrss / 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=os.environ.get("OAICONFORM_SPEC"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.spec:
        parser.error("pass --spec or set OAICONFORM_SPEC")
    contenders = ("correct (embedded mock)", *BEHAVIOURS)
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    peaks: dict[str, list[float]] = {name: [] for name in contenders}
    codes: dict[str, set[int]] = {name: set() for name in contenders}
    for _ in range(args.rounds):
        wall, peak, code = run_once(None, args.spec)
        walls[contenders[0]].append(wall)
        peaks[contenders[0]].append(peak)
        codes[contenders[0]].add(code)
        for behaviour in BEHAVIOURS:
            with HostileServer({"models": "models"}, default=behaviour) as server:
                wall, peak, code = run_once(server.base_url, args.spec)
            walls[behaviour].append(wall)
            peaks[behaviour].append(peak)
            codes[behaviour].add(code)
    reference = statistics.median(peaks[contenders[0]])
    print(f"{len(FEATURES)} features, --timeout {TIMEOUT_S}, medians of {args.rounds} rounds")
    print(f"{'target':<26} {'wall s':>7} {'peak MiB':>9} {'x ref':>6}  exit")
    for name in contenders:
        peak = statistics.median(peaks[name])
        wall = statistics.median(walls[name])
        exits = ",".join(str(c) for c in sorted(codes[name]))
        print(f"{name:<26} {wall:7.1f} {peak:9.0f} {peak / reference:6.2f}  {exits}")


if __name__ == "__main__":
    main()
