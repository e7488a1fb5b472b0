"""Requests per second of the mock beside its ceiling, with 8 concurrent clients (wrk).

    OAICONFORM_SPEC=PATH python benchmarks/bench_mock.py [--duration 5] [--rounds 3]
        [--prism PATH]

The ceiling is a bare Starlette endpoint on the same server stack (uvicorn, same loop and HTTP
parser) answering the very bytes the mock answered, so `mock / ceiling` is the share of the
stack's capacity the mock keeps. Each round measures every server, in turn, for every endpoint;
the table shows medians. Time to first byte of a stream is measured by a Python client,
sequentially (no load), for both. Needs `wrk` (Debian package `wrk`).

When a `prism` binary is found (`--prism PATH`, else on PATH; npm: @stoplight/prism-cli),
Stoplight Prism mocking the same description file gets the same requests as a third column:
a point of reference on another stack (Node), not a ratio. Start time (until the first answered
request) and resident memory after the run are printed for the mock and for Prism.
"""

from __future__ import annotations

import argparse
import importlib.util
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
# Eight choices cut at 6 tokens each (the mock writes at least 8): per choice a role chunk,
# six content chunks and a finish chunk, so 64 chunks and then [DONE].
STREAM = {**CHAT, "stream": True, "n": 8, "max_tokens": 6}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, server: subprocess.Popen[bytes], timeout_s: float = 120) -> float:
    """Seconds from now until `url` answers (the caller starts timing at Popen)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if server.poll() is not None:
            raise SystemExit(f"server for {url} exited with {server.returncode}")
        try:
            httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
            return time.monotonic() - started
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"server at {url} did not start")


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants (Prism's launcher may fork)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total_kib, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


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


def stack() -> str:
    """What uvicorn's "auto" picks here, for mock and ceiling alike."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}/{http}"


def find_prism(flag: str | None) -> str | None:
    if flag is not None:
        if not Path(flag).is_file():
            raise SystemExit(f"--prism {flag}: no such file")
        return flag
    return shutil.which("prism")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prism", help="path of the prism binary (default: prism on PATH)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    prism = find_prism(args.prism)
    spec_file = os.environ.get("OAICONFORM_SPEC", "")
    if prism and not Path(spec_file).is_file():
        raise SystemExit("Prism needs OAICONFORM_SPEC to name the description file")
    workdir = Path(tempfile.mkdtemp(prefix="oaiconform-bench-"))
    mock_port, ceiling_port, prism_port = free_port(), free_port(), free_port()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        mock = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oaiconform",
                "mock",
                *("--port", str(mock_port), "--api-key", KEY),
            ],
            stdout=subprocess.DEVNULL,
        )
        servers.append(mock)
        mock_url = f"http://127.0.0.1:{mock_port}/v1"
        mock_start = wait_up(mock_url + "/models", mock)
        headers = {"Authorization": f"Bearer {KEY}"}
        (workdir / "models.json").write_bytes(
            httpx.get(mock_url + "/models", headers=headers).content
        )
        (workdir / "chat.json").write_bytes(
            httpx.post(mock_url + "/chat/completions", json=CHAT, headers=headers).content
        )
        stream = httpx.post(mock_url + "/chat/completions", json=STREAM, headers=headers).content
        (workdir / "stream.txt").write_bytes(stream)
        chunks = stream.count(b"data: {")
        ceiling = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "ceiling_app:app", "--factory"),
                *("--port", str(ceiling_port), "--log-level", "warning", "--no-access-log"),
            ],
            cwd=Path(__file__).parent,
            env={**os.environ, "CEILING_DIR": str(workdir)},
            stderr=subprocess.DEVNULL,
        )  # wrk's abrupt disconnects make asyncio log send errors
        servers.append(ceiling)
        ceiling_url = f"http://127.0.0.1:{ceiling_port}/v1"
        wait_up(ceiling_url + "/models", ceiling)
        urls = {"mock": mock_url, "ceiling": ceiling_url}
        prism_server: subprocess.Popen[bytes] | None = None
        prism_start = 0.0
        if prism:
            prism_server = subprocess.Popen(
                [prism, "mock", "-h", "127.0.0.1", "-p", str(prism_port), "-v", "error", spec_file],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append(prism_server)
            urls["prism"] = f"http://127.0.0.1:{prism_port}"  # Prism serves the bare paths
            prism_start = wait_up(urls["prism"] + "/models", prism_server)
        cases = {
            "GET /models": ("/models", None),
            "chat completion": ("/chat/completions", CHAT),
            f"stream ({chunks} chunks)": ("/chat/completions", STREAM),
        }
        results: dict[str, dict[str, list[float]]] = {
            case: {name: [] for name in urls} for case in cases
        }
        for _ in range(args.rounds):
            for case, (path, body) in cases.items():
                for name, url in urls.items():
                    results[case][name].append(wrk(url + path, body, args.duration, workdir))
        head = f"{'endpoint':<26} {'mock req/s':>11} {'ceiling req/s':>14} {'mock/ceiling':>13}"
        print(head + (f" {'prism req/s':>12}" if prism else ""))
        for case, runs in results.items():
            m, c = statistics.median(runs["mock"]), statistics.median(runs["ceiling"])
            line = f"{case:<26} {m:>11,.0f} {c:>14,.0f} {m / c:>13.2f}"
            if prism:
                line += f" {statistics.median(runs['prism']):>12,.0f}"
            print(line)
        mock_ttfb = first_byte_ms(mock_url + "/chat/completions")
        ceiling_ttfb = first_byte_ms(ceiling_url + "/chat/completions")
        print(
            f"time to first stream byte, median of 100: mock {mock_ttfb:.2f} ms, "
            f"ceiling {ceiling_ttfb:.2f} ms"
        )
        print(f"mock: started in {mock_start:.1f} s, {rss_mib(mock.pid):.0f} MiB resident")
        if prism_server is not None:
            print(
                f"prism: started in {prism_start:.1f} s, {rss_mib(prism_server.pid):.0f} MiB "
                "resident (static examples; its stream answer is the JSON example)"
            )
        print(f"rounds {args.rounds} x {args.duration} s, wrk -t2 -c8; uvicorn: {stack()}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
