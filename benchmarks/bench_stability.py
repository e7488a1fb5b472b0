"""How often a feature's status differs between runs of the same profile on an unchanged target.

Runs `oaiconform run` K times per mode, each a child process with the same `--seed`, and
compares the runs of a mode: the share of features whose status (or one of its tests'
outcome) is not the same in all K runs. Two modes, in turn within each round so that the
machine's noise hits them alike:

- unpinned: `--no-pinning`, the request bodies as the tests wrote them (before #22);
- pinned: the default, `temperature: 0` and a run-derived `seed` on every inference request.

Without `--target`, the target is the embedded mock with the `sampling` fault (answers vary
from process to process unless a request pins both). With `--target`, a real server, e.g.
llama-cpp-python serving a small model (pass its flags after `--`):

    python benchmarks/bench_stability.py --runs 5
    python benchmarks/bench_stability.py --runs 3 --target http://127.0.0.1:4012/v1 -- \
        --api-key-env LLAMACPP_KEY --model smollm2 --completion-model smollm2 \
        --embedding-model smollm2

It prints, per mode: runs, features compared, features whose status differs, tests whose
outcome differs (named), and the share; and the ratio of the two shares.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the inference features are the sampling self-test's

from tests.suites.test_faults_sampling import FEATURES  # noqa: E402

MODES = {"unpinned": ("--no-pinning",), "pinned": ()}


def run_once(args: argparse.Namespace, extra: tuple[str, ...], report_dir: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "oaiconform", "run", "--seed", str(args.seed)]
    command += ["--report-dir", str(report_dir), *extra]
    for feature in args.features or FEATURES:
        command += ["--feature", feature]
    if args.target:
        command += ["--target", args.target, *args.target_args]
    else:
        command += ["--mock-fault", "sampling"]
    env = {**os.environ}
    if args.spec:
        env["OAICONFORM_SPEC"] = args.spec
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return report


def differences(reports: list[dict[str, Any]]) -> tuple[int, set[str], set[str]]:
    """(features compared, features whose status differs, tests whose outcome differs)."""
    features = [
        {f: r["status"] for f, r in report["features"].items() if r["tests"]} for report in reports
    ]
    compared = set.intersection(*(set(f) for f in features))
    differing = {f for f in compared if len({run[f] for run in features}) > 1}
    outcomes = [{t["id"]: t["outcome"] for t in report["tests"]} for report in reports]
    tests = set.union(*(set(o) for o in outcomes))
    flipped = {t for t in tests if len({o.get(t, "absent") for o in outcomes}) > 1}
    return len(compared), differing, flipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (5)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--spec", default=os.environ.get("OAICONFORM_SPEC"))
    parser.add_argument("--target", help="a real server's base URL (default: the mock)")
    parser.add_argument("--feature", dest="features", action="append")
    parser.add_argument("target_args", nargs="*", help="more `oaiconform run` flags, after --")
    args = parser.parse_args()
    reports: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.runs):
            for mode, extra in MODES.items():
                report_dir = Path(scratch) / f"{mode}-{index}"
                reports[mode].append(run_once(args, extra, report_dir))
    target = args.target or "the embedded mock with the sampling fault"
    print(f"target: {target}; {args.runs} runs per mode, seed {args.seed}")
    shares: dict[str, float] = {}
    for mode, runs in reports.items():
        compared, differing, flipped = differences(runs)
        shares[mode] = len(differing) / compared if compared else 0.0
        print(
            f"{mode:<9} features compared {compared}, status differs in {len(differing)} "
            f"({shares[mode]:.0%}); tests whose outcome differs: {len(flipped)}"
        )
        for test in sorted(flipped):
            outcomes = sorted({t["outcome"] for r in runs for t in r["tests"] if t["id"] == test})
            print(f"          {test}: {', '.join(outcomes)}")
    if shares["unpinned"]:
        ratio = shares["pinned"] / shares["unpinned"]
        print(f"pinned / unpinned share of differing features: {ratio:.2f}")
    else:
        print("no feature differed between unpinned runs: nothing to compare against")


if __name__ == "__main__":
    main()
