"""The property suite beside plain `st run` (schemathesis's CLI) on the same operations.

    OAICONFORM_SPEC=PATH python benchmarks/bench_property.py [--examples 5] [--rounds 3]

Both run against the same mock (`oaiconform mock`, a separate process) on the operations of the
`core` profile's tags, with the same number of generated examples per operation, on the same
(overlaid) description: ours through `oaiconform run --feature schema.<id> ...`, schemathesis
through `st run --phases fuzzing -n N --include-tag ...`. Each round runs both, in turn; the
table shows medians of wall time per generated request (ours counts requests from report.json,
schemathesis its "generated" test cases).
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
from pathlib import Path

import httpx

from oaiconform.profiles import load_profile
from oaiconform.spec import load_spec, resolve_spec_source

KEY = "sk-bench-0123456789"


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
        ours_cmd = [
            sys.executable,
            "-m",
            "oaiconform",
            "run",
            "--target",
            url,
            "--seed",
            "1",
            "--report-dir",
            str(work / "ours"),
            "--property-examples",
            str(args.examples),
            "--property-negative-examples",
            str(args.examples),
        ]
        for operation in operations:
            ours_cmd += ["--feature", f"schema.{operation.operation_id}"]
        st_cmd = [
            str(Path(sys.executable).with_name("st")),
            "run",
            str(overlaid),
            "-u",
            url,
            "-H",
            f"Authorization: Bearer {KEY}",
            "-n",
            str(args.examples),
            "--phases",
            "fuzzing",
            "--seed",
            "1",
            "--no-color",
        ]
        for tag in tags:
            st_cmd += ["--include-tag", tag]
        ours_ms: list[float] = []
        st_ms: list[float] = []
        counts: dict[str, int] = {}
        for _ in range(args.rounds):
            started = time.perf_counter()
            subprocess.run(
                ours_cmd,
                capture_output=True,
                check=False,
                env={**os.environ, "OPENAI_API_KEY": KEY},
            )
            elapsed = time.perf_counter() - started
            requests = json.loads((work / "ours" / "report.json").read_text())["summary"][
                "requests"
            ]
            ours_ms.append(elapsed * 1000 / requests)
            counts["oaiconform run (schema.*)"] = requests
            started = time.perf_counter()
            out = subprocess.run(st_cmd, capture_output=True, text=True, check=False).stdout
            elapsed = time.perf_counter() - started
            match = re.search(r"(\d+) generated", out)
            if match is None:
                raise SystemExit(f"could not read st's case count:\n{out[-2000:]}")
            st_ms.append(elapsed * 1000 / int(match.group(1)))
            counts["st run (schemathesis CLI)"] = int(match.group(1))
        ours, theirs = statistics.median(ours_ms), statistics.median(st_ms)
        print(
            f"{len(operations)} operations, {args.examples} examples per operation and mode, "
            f"{args.rounds} rounds (whole process, start-up included)"
        )
        print(f"{'runner':<28} {'requests':>9} {'ms per request':>15}")
        for name, value in (
            ("oaiconform run (schema.*)", ours),
            ("st run (schemathesis CLI)", theirs),
        ):
            print(f"{name:<28} {counts[name]:>9} {value:>15.2f}")
        print(f"ratio oaiconform / st: {ours / theirs:.2f}")
    finally:
        mock.terminate()
        mock.wait(timeout=10)


if __name__ == "__main__":
    main()
