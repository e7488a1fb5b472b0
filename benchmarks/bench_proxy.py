"""The validating proxy's cost: client -> proxy -> mock beside client -> mock, one invocation.

    OAICONFORM_SPEC=PATH python benchmarks/bench_proxy.py [--requests 400] [--duration 5]

Every server is its own process (`oaiconform mock`, `oaiconform proxy`, the timed SSE server
benchmarks/sse_upstream.py), so the client here shares no interpreter with them. Measured:
- added median latency of a non-streaming chat completion (sequential, alternating direct and
  proxied requests so drift hits both alike);
- throughput with 8 concurrent clients for --duration seconds, proxied / direct;
- first SSE byte delay: the upstream writes its CLOCK_MONOTONIC time into the first event, the
  client subtracts it from when that byte arrived; proxied minus direct is what the proxy adds;
- the proxy's resident memory idle and with 100 concurrent streams open (each 3 s long);
- CPU time per request of each process during the throughput runs (client, mock, the proxy's
  forwarding process, its judging worker): on a machine with few cores the three processes
  share them, so the throughput ratio cannot exceed about (client + mock) / (client + mock +
  proxy) CPU per request, whatever the proxy's latency.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

KEY = "sk-bench-0123456789"
CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Benchmark me."}],
    "seed": 1,
    "max_tokens": 16,
}
HEADERS = {"authorization": f"Bearer {KEY}"}
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_proxy(
    upstream: str, port: int, ready_path: str, reports: Path
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "oaiconform", "proxy", "--upstream", upstream]
    command += ["--report-dir", str(reports), "--port", str(port)]
    return start(command, f"http://127.0.0.1:{port}{ready_path}")


def start(args: list[str], url: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, headers=HEADERS, timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"{args} did not start")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The proxy's judging worker (and multiprocessing's resource tracker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        found += [int(k) for k in kids]
    return found


def children_busy(pids: list[int], window_s: float = 0.3) -> bool:
    """Whether the processes used CPU in the last moment (the judging backlog not drained)."""
    before = sum(cpu_s(p) for p in pids)
    time.sleep(window_s)
    return sum(cpu_s(p) for p in pids) - before > 0.02


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def latency(direct: str, proxied: str, requests: int) -> tuple[float, float]:
    times: dict[str, list[float]] = {direct: [], proxied: []}
    with httpx.Client(headers=HEADERS) as client:
        for base in (direct, proxied):  # warm both paths
            for _ in range(20):
                client.post(f"{base}/chat/completions", json=CHAT)
        for _ in range(requests):
            for base in (direct, proxied):
                started = time.perf_counter()
                client.post(f"{base}/chat/completions", json=CHAT).raise_for_status()
                times[base].append(time.perf_counter() - started)
    return statistics.median(times[direct]) * 1000, statistics.median(times[proxied]) * 1000


def throughput(base: str, duration_s: float, clients: int = 8) -> tuple[float, int]:
    stop = time.monotonic() + duration_s
    counts = [0] * clients

    def work(i: int) -> None:
        with httpx.Client(headers=HEADERS) as client:
            while time.monotonic() < stop:
                client.post(f"{base}/chat/completions", json=CHAT).raise_for_status()
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / duration_s, sum(counts)


def first_byte_delays(base: str, streams: int) -> list[float]:
    delays = []
    with httpx.Client() as client:
        for _ in range(streams):
            with client.stream("POST", f"{base}/chat/completions", json={"stream": True}) as r:
                first = b""
                for chunk in r.iter_raw():
                    if not first:
                        arrived = time.monotonic()
                        first = chunk
                line = first.split(b"\n\n")[0].removeprefix(b"data: ")
                event = json.loads(line)
                if "sent_at" not in event:
                    raise SystemExit(f"the first bytes were not the first event: {first[:80]!r}")
                delays.append((arrived - event["sent_at"]) * 1000)
    return delays


def memory_under_streams(base: str, pid: int, streams: int = 100) -> tuple[float, float]:
    idle = rss_mib(pid)
    peak = idle
    done = threading.Event()

    def one(_: int) -> None:
        with httpx.Client(timeout=30) as client:
            url = f"{base}/chat/completions?slow=1"
            with client.stream("POST", url, json={"stream": True}) as r:
                r.read()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(streams) as pool:
        list(pool.map(one, range(streams)))
    done.set()
    sampler.join()
    return idle, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--streams", type=int, default=200)
    options = parser.parse_args()
    python = sys.executable
    mock_port, proxy_port, sse_port, sse_proxy_port = (free_port() for _ in range(4))
    mock = f"http://127.0.0.1:{mock_port}/v1"
    servers = [
        start(
            [python, "-m", "oaiconform", "mock", "--port", str(mock_port), "--api-key", KEY],
            f"{mock}/models",
        )
    ]
    reports = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-proxy-reports"
    try:
        servers.append(start_proxy(mock, proxy_port, "/v1/models", reports))
        proxied = f"http://127.0.0.1:{proxy_port}/v1"
        sse = f"http://127.0.0.1:{sse_port}/v1"
        servers.append(
            start(
                [python, str(HERE / "sse_upstream.py"), str(sse_port)],
                f"http://127.0.0.1:{sse_port}/",
            )
        )
        servers.append(start_proxy(sse, sse_proxy_port, "/_oaiconform/report", reports))
        sse_proxied = f"http://127.0.0.1:{sse_proxy_port}/v1"

        direct_ms, proxied_ms = latency(mock, proxied, options.requests)
        print(
            f"non-streaming chat, median of {options.requests}: direct {direct_ms:.2f} ms, "
            f"proxied {proxied_ms:.2f} ms, added {proxied_ms - direct_ms:.2f} ms"
        )
        proxy_pid, mock_pid = servers[1].pid, servers[0].pid
        judges = children(proxy_pid)
        direct_cpu = {"client": 0.0, "mock": 0.0, "requests": 0}
        proxied_cpu = {"client": 0.0, "mock": 0.0, "forward": 0.0, "judge": 0.0, "requests": 0}
        rates = []
        for _ in range(2):
            pair = []
            for base, cpu in ((mock, direct_cpu), (proxied, proxied_cpu)):
                before = (time.process_time(), cpu_s(mock_pid), cpu_s(proxy_pid))
                judged_before = sum(cpu_s(p) for p in judges)
                rate, count = throughput(base, options.duration)
                cpu["client"] += time.process_time() - before[0]
                cpu["mock"] += cpu_s(mock_pid) - before[1]
                if base == proxied:
                    cpu["forward"] += cpu_s(proxy_pid) - before[2]
                    # the judging worker catches up after the burst: wait until it has
                    while children_busy(judges):
                        time.sleep(0.2)
                    cpu["judge"] += sum(cpu_s(p) for p in judges) - judged_before
                cpu["requests"] += count
                pair.append(rate)
            rates.append((pair[0], pair[1]))
        direct_rps = statistics.mean(d for d, _ in rates)
        proxied_rps = statistics.mean(p for _, p in rates)
        print(
            f"throughput, 8 clients: direct {direct_rps:.0f} req/s, proxied "
            f"{proxied_rps:.0f} req/s, ratio {proxied_rps / direct_rps:.2f}"
        )

        def per_request(cpu: dict[str, float], key: str) -> float:
            return cpu[key] / max(cpu["requests"], 1) * 1000

        c, m = per_request(direct_cpu, "client"), per_request(direct_cpu, "mock")
        pc, pm = per_request(proxied_cpu, "client"), per_request(proxied_cpu, "mock")
        forward, judged = per_request(proxied_cpu, "forward"), per_request(proxied_cpu, "judge")
        print(
            f"CPU per request (ms): direct: client {c:.2f} + mock {m:.2f}; proxied: client "
            f"{pc:.2f} + mock {pm:.2f} + proxy forwarding {forward:.2f} (+ judging {judged:.2f} "
            f"in the low-priority worker, mostly after the burst); CPU-bound ceiling of the "
            f"ratio (client + mock) / (client + mock + forwarding) = "
            f"{(pc + pm) / (pc + pm + forward):.2f}"
        )
        direct_fb = statistics.median(first_byte_delays(sse, options.streams))
        proxied_fb = statistics.median(first_byte_delays(sse_proxied, options.streams))
        print(
            f"first SSE byte after the upstream wrote it, median of {options.streams}: "
            f"direct {direct_fb:.2f} ms, proxied {proxied_fb:.2f} ms, "
            f"added {proxied_fb - direct_fb:.2f} ms"
        )
        idle, peak = memory_under_streams(sse_proxied, servers[-1].pid)
        worker = sum(rss_mib(p) for p in children(servers[-1].pid))
        print(
            f"proxy memory: {idle:.0f} MiB idle, {peak:.0f} MiB peak with 100 concurrent "
            f"streams (+{peak - idle:.0f} MiB); its judging worker {worker:.0f} MiB"
        )
        report = httpx.get(
            f"http://127.0.0.1:{sse_proxy_port}/_oaiconform/report", timeout=600
        ).json()
        print(
            f"the proxy judged them: {report['exchanges']} exchanges, problems "
            f"{report['problems'] or 'none'}"
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=300)  # the proxy writes its final report first


if __name__ == "__main__":
    main()
