"""The property suite beside plain `st run` (schemathesis's CLI) on the same operations.

    OAICONFORM_SPEC=PATH python benchmarks/bench_property.py [--examples 5] [--rounds 3]

Both run against the same mock (`oaiconform mock`, a separate process) on the operations of the
`core` profile's tags, on the same (overlaid) description, one generation mode at a time with the
same number of examples per operation: ours through `oaiconform run --feature schema.<id> ...`
with `--property-examples N --property-negative-examples 0` (positive) or the reverse
(negative), schemathesis through `st run --phases fuzzing --mode positive|negative -n N
--continue-on-failure` (without it, st stops an operation at its first failure and skips the
rest of its examples). A case is one generated request that was judged: ours from the
`examples` metric of report.json, schemathesis from its "N generated" line. Each round runs
every command in turn (seed = round number, for both), after one warm-up run of each; the
table shows medians of whole-process wall time per case (start-up included) and, separately,
each tool's start-up (one operation, one example).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from oaiconform.profiles import load_profile
from oaiconform.spec import load_spec, resolve_spec_source

KEY = "sk-bench-0123456789"
# Both tools run as installed packages normally do: with their bytecode cached (a warm-up run
# writes it), not recompiling every module on each start as PYTHONDONTWRITEBYTECODE makes them.
CACHED_BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = load_spec(resolve_spec_source(None, env_value=os.environ.get("OAICONFORM_SPEC")))
    tags = load_profile("core").optional_tags
    operations = [
        op for op in spec.operations.values() if set(op.raw.get("tags") or ()) & set(tags)
    ]
    work = Path(tempfile.mkdtemp(prefix="oaiconform-bench-"))
    overlaid = work / "openapi.json"
    overlaid.write_text(json.dumps(spec.document))
    port = free_port()
    mock = subprocess.Popen(
        [sys.executable, "-m", "oaiconform", "mock", "--port", str(port), "--api-key", KEY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(100):
            try:
                httpx.get(url + "/models", headers={"Authorization": f"Bearer {KEY}"})
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        st = str(Path(sys.executable).with_name("st"))
        tag_args = [arg for tag in tags for arg in ("--include-tag", tag)]
        feature_args = [
            arg for op in operations for arg in ("--feature", f"schema.{op.operation_id}")
        ]
        # Negative cases are judged only for JSON bodies (ours discards the rest): both tools
        # get the same operations, those with a JSON request body, in the negative rows.
        body_ops = [
            op.operation_id
            for op in operations
            if "application/json" in ((op.raw.get("requestBody") or {}).get("content") or {})
        ]
        body_feature_args = [arg for op in body_ops for arg in ("--feature", f"schema.{op}")]
        body_op_args = [arg for op in body_ops for arg in ("--include-operation-id", op)]

        def ours(examples: tuple[int, int], features: list[str]) -> tuple[float, int]:
            report_dir = work / "ours"
            started = time.perf_counter()
            subprocess.run(
                [
                    *(
                        sys.executable,
                        "-m",
                        "oaiconform",
                        "run",
                        "--target",
                        url,
                        "--seed",
                        seed[0],
                    ),
                    *("--report-dir", str(report_dir)),
                    *("--property-examples", str(examples[0])),
                    *("--property-negative-examples", str(examples[1])),
                    *features,
                ],
                capture_output=True,
                check=False,
                env={**CACHED_BYTECODE_ENV, "OPENAI_API_KEY": KEY},
            )
            elapsed = time.perf_counter() - started
            report = json.loads((report_dir / "report.json").read_text())
            cases = sum(int((t["metrics"] or {}).get("examples", 0)) for t in report["tests"])
            return elapsed, cases

        def theirs(mode: str, examples: int, selection: list[str]) -> tuple[float, int]:
            started = time.perf_counter()
            out = subprocess.run(
                [
                    *(st, "run", str(overlaid), "-u", url, "--seed", seed[0], "--no-color"),
                    *("-H", f"Authorization: Bearer {KEY}", "-n", str(examples)),
                    *("--phases", "fuzzing", "--mode", mode, "--continue-on-failure"),
                    *selection,
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=work,  # st keeps a .schemathesis/ cache in its working directory
                env=CACHED_BYTECODE_ENV,
            ).stdout
            elapsed = time.perf_counter() - started
            match = re.search(r"(\d+) generated", out)
            if match is None:
                raise SystemExit(f"could not read st's case count:\n{out[-2000:]}")
            return elapsed, int(match.group(1))

        n = args.examples
        seed = ["0"]
        commands: dict[tuple[str, str], Callable[[], tuple[float, int]]] = {
            ("positive", "oaiconform run"): lambda: ours((n, 0), feature_args),
            ("positive", "st run"): lambda: theirs("positive", n, tag_args),
            ("negative", "oaiconform run"): lambda: ours((0, n), body_feature_args),
            ("negative", "st run"): lambda: theirs("negative", n, body_op_args),
            ("start-up", "oaiconform run"): lambda: ours(
                (1, 0), ["--feature", "schema.listModels"]
            ),
            ("start-up", "st run"): lambda: theirs(
                "positive", 1, ["--include-operation-id", "listModels"]
            ),
        }
        times: dict[tuple[str, str], list[float]] = {key: [] for key in commands}
        cases: dict[tuple[str, str], int] = {}
        for command in commands.values():
            command()  # warm-up: bytecode caches, the mock's first requests
        for round_number in range(args.rounds):
            # Generated bodies differ a lot in size from seed to seed, and the two tools derive
            # their examples differently from a seed: every round uses another seed for both.
            seed[0] = str(round_number + 1)
            for key, command in commands.items():
                elapsed, count = command()
                times[key].append(elapsed)
                cases[key] = count
        print(
            f"{len(operations)} operations (core profile's tags; negative rows: the "
            f"{len(body_ops)} with a JSON body), {n} examples per operation and mode, "
            f"medians of {args.rounds} rounds, whole process"
        )
        print(f"{'mode':<9} {'runner':<15} {'cases':>6} {'wall s':>7} {'ms per case':>12}")
        for (mode, runner), values in times.items():
            wall = statistics.median(values)
            per_case = wall * 1000 / max(cases[(mode, runner)], 1)
            print(
                f"{mode:<9} {runner:<15} {cases[(mode, runner)]:>6} {wall:>7.2f} {per_case:>12.1f}"
            )
        for mode in ("positive", "negative"):
            ours_ms = statistics.median(times[(mode, "oaiconform run")]) / max(
                cases[(mode, "oaiconform run")], 1
            )
            st_ms = statistics.median(times[(mode, "st run")]) / max(cases[(mode, "st run")], 1)
            print(f"{mode}: oaiconform / st per case = {ours_ms / st_ms:.2f}")
    finally:
        mock.terminate()
        mock.wait(timeout=10)


if __name__ == "__main__":
    main()
