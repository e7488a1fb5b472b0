"""Requests per second of the mock beside its ceiling, with 8 concurrent clients (wrk).

    OAICONFORM_SPEC=PATH python benchmarks/bench_mock.py [--duration 5] [--rounds 3]

The ceiling is a bare Starlette endpoint on the same server stack (uvicorn, same loop and HTTP
parser) answering the very bytes the mock answered, so `mock / ceiling` is the share of the
stack's capacity the mock keeps. Each round measures both servers, in turn, for every endpoint;
the table shows medians. Time to first byte of a stream is measured by a Python client,
sequentially (no load), for both. Needs `wrk` (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

KEY = "sk-bench-0123456789"
CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Benchmark me."}],
    "seed": 1,
    "max_tokens": 64,
}
STREAM = {**CHAT, "stream": True, "n": 4}  # four choices: about 64 chunks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def wrk(url: str, body: dict[str, object] | None, seconds: int, workdir: Path) -> float:
    script = workdir / "request.lua"
    lines = [f'wrk.headers["Authorization"] = "Bearer {KEY}"']
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = [[{json.dumps(body)}]]",
        ]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None or "Non-2xx" in out:
        raise SystemExit(f"wrk failed or saw errors:\n{out}")
    return float(match.group(1))


def first_byte_ms(url: str, samples: int = 100) -> float:
    times = []
    with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as client:
        for _ in range(samples):
            started = time.perf_counter()
            with client.stream("POST", url, json=STREAM) as response:
                chunks = response.iter_raw()
                next(chunks)
                times.append((time.perf_counter() - started) * 1000)
                for _ in chunks:
                    pass
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="oaiconform-bench-"))
    mock_port, ceiling_port = free_port(), free_port()
    mock = subprocess.Popen(
        [sys.executable, "-m", "oaiconform", "mock", "--port", str(mock_port), "--api-key", KEY],
        stdout=subprocess.DEVNULL,
    )
    servers = [mock]
    try:
        mock_url = f"http://127.0.0.1:{mock_port}/v1"
        wait_up(mock_url + "/models")
        headers = {"Authorization": f"Bearer {KEY}"}
        (workdir / "models.json").write_bytes(
            httpx.get(mock_url + "/models", headers=headers).content
        )
        (workdir / "chat.json").write_bytes(
            httpx.post(mock_url + "/chat/completions", json=CHAT, headers=headers).content
        )
        stream = httpx.post(mock_url + "/chat/completions", json=STREAM, headers=headers).content
        (workdir / "stream.txt").write_bytes(stream)
        chunks = stream.count(b"\n\n")
        ceiling = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ceiling_app:app",
                "--factory",
                "--port",
                str(ceiling_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=Path(__file__).parent,
            env={**os.environ, "CEILING_DIR": str(workdir)},
            stderr=subprocess.DEVNULL,
        )  # wrk's abrupt disconnects make asyncio log send errors
        servers.append(ceiling)
        ceiling_url = f"http://127.0.0.1:{ceiling_port}/v1"
        wait_up(ceiling_url + "/models")
        cases = {
            "GET /models": ("/models", None),
            "chat completion": ("/chat/completions", CHAT),
            f"stream ({chunks} chunks)": ("/chat/completions", STREAM),
        }
        results: dict[str, dict[str, list[float]]] = {c: {"mock": [], "ceiling": []} for c in cases}
        for _ in range(args.rounds):
            for case, (path, body) in cases.items():
                results[case]["mock"].append(wrk(mock_url + path, body, args.duration, workdir))
                results[case]["ceiling"].append(
                    wrk(ceiling_url + path, body, args.duration, workdir)
                )
        print(f"{'endpoint':<26} {'mock req/s':>11} {'ceiling req/s':>14} {'mock/ceiling':>13}")
        for case, pair in results.items():
            m, c = statistics.median(pair["mock"]), statistics.median(pair["ceiling"])
            print(f"{case:<26} {m:>11,.0f} {c:>14,.0f} {m / c:>13.2f}")
        mock_ttfb = first_byte_ms(mock_url + "/chat/completions")
        ceiling_ttfb = first_byte_ms(ceiling_url + "/chat/completions")
        print(
            f"time to first stream byte, median of 100: mock {mock_ttfb:.2f} ms, "
            f"ceiling {ceiling_ttfb:.2f} ms"
        )
        print(
            f"rounds {args.rounds} x {args.duration} s, wrk -t2 -c8; uvicorn loop/http: "
            "auto (uvloop/httptools when installed)"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
