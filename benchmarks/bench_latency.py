"""Whole runs against a slow target: the mock behind a fixed added latency, serial vs concurrent.

    OAICONFORM_SPEC=PATH python benchmarks/bench_latency.py [--latency-ms 0 100 500]
        [--profiles core full] [--concurrency 8 ...] [--seed 1] [--serial-max-ms 100]
        [--concurrent-streams] [--repeat 2]

The target is the mock (the same app `oaiconform mock` serves) in a separate process behind a
proxy layer that holds every answer back by a fixed latency before its head is sent (an ASGI
layer in front of the app: what a slow API looks like to the client, one RTT per answer, without
a second network hop). For each profile and latency, `oaiconform run --concurrency 1` (serial)
and `--concurrency N` run as whole processes; the table shows wall time, CPU time (user and
system of the run process: what the machine's load does not inflate), requests sent
(report.json's budget), peak memory (the run process's maximum resident set, from wait4) and the
ratio of the wall time to the bare run (latency 0, serial) of the same profile in the same
invocation (the mean of the bare runs when repeated); a serial run above --serial-max-ms of
latency is skipped (minutes of waiting). `--concurrent-streams` passes that flag to the
concurrent runs (the mock never cuts a stream); `--repeat N` runs each configuration N times,
interleaved.
Each run's per-feature statuses (compat and strict) and failing tests are compared with the
bare serial run's: the `same` column says whether the verdicts are identical.

    python benchmarks/bench_latency.py serve --port P --latency-ms 100 --api-key K

serves one such delayed mock in the foreground (what the benchmark starts for itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

KEY = "sk-bench-latency-0123456789"
CACHED_BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _delayed(app: Any, latency_s: float) -> Any:
    """The app with every answer's head held back by `latency_s`."""

    async def delayed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or latency_s <= 0:
            await app(scope, receive, send)
            return

        async def send_later(message: Any) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(latency_s)
            await send(message)

        await app(scope, receive, send_later)

    return delayed


def serve(port: int, latency_ms: float, api_key: str, seed: int) -> None:
    import uvicorn

    from oaiconform.mock import MockConfig
    from oaiconform.mock.app import create_app
    from oaiconform.mock.state import MockState
    from oaiconform.spec import load_spec, resolve_spec_source

    spec = load_spec(resolve_spec_source(None, env_value=os.environ.get("OAICONFORM_SPEC")))
    config = MockConfig(api_keys=(api_key,), seed=seed)
    app = _delayed(create_app(config, spec, MockState(config, spec)), latency_ms / 1000)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _verdicts(report: dict[str, Any]) -> tuple[Any, ...]:
    features = tuple(
        sorted(
            (name, json.dumps(feature.get("statuses"), sort_keys=True))
            for name, feature in report["features"].items()
        )
    )
    failing = tuple(sorted(t["id"] for t in report["tests"] if t["outcome"] in ("failed", "error")))
    return features, failing


def _run(
    url: str, profile: str, concurrency: int, seed: int, work: Path, streams: bool
) -> dict[str, Any]:
    report_dir = Path(tempfile.mkdtemp(prefix=f"{profile}-{concurrency}-", dir=work))
    argv = [
        *(sys.executable, "-m", "oaiconform", "run", "--target", url, "--profile", profile),
        *("--seed", str(seed), "--deterministic", "--concurrency", str(concurrency)),
        *("--report-dir", str(report_dir)),
        *(("--concurrent-streams",) if streams and concurrency > 1 else ()),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**CACHED_BYTECODE_ENV, "OPENAI_API_KEY": KEY},
    )
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    report = json.loads((report_dir / "report.json").read_text())
    return {
        "wall": wall,
        "cpu": cpu,
        "requests": report["budget"]["used"],
        "peak_mb": usage.ru_maxrss / 1024,
        "verdicts": _verdicts(report),
        "concurrency": report["budget"].get("concurrency"),
    }


def _start(latency_ms: float, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, __file__, "serve", "--port", str(port)),
            *("--latency-ms", str(latency_ms), "--api-key", KEY, "--seed", str(seed)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(200):
        try:
            httpx.get(url + "/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
            return server, url
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the delayed mock did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    served = sub.add_parser("serve")
    served.add_argument("--port", type=int, required=True)
    served.add_argument("--latency-ms", type=float, default=0)
    served.add_argument("--api-key", default=KEY)
    served.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 100, 500])
    parser.add_argument("--profiles", nargs="+", default=["core", "full"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serial-max-ms", type=float, default=100, help="skip slower serial")
    parser.add_argument("--concurrent-streams", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port, args.latency_ms, args.api_key, args.seed)
        return
    work = Path(tempfile.mkdtemp(prefix="oaiconform-bench-latency-"))
    rows: list[tuple[str, float, int, dict[str, Any]]] = []
    for latency in args.latency_ms:
        server, url = _start(latency, args.seed)
        try:
            for profile in args.profiles:
                for concurrency in [c for _ in range(args.repeat) for c in (1, *args.concurrency)]:
                    if concurrency == 1 and latency > args.serial_max_ms:
                        continue  # minutes of waiting that tell nothing new
                    streams = args.concurrent_streams
                    result = _run(url, profile, concurrency, args.seed, work, streams)
                    rows.append((profile, latency, concurrency, result))
                    print(
                        f"  {profile} {latency:g} ms c={concurrency}: {result['wall']:.1f} s",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=10)
    bare: dict[str, dict[str, Any]] = {}  # the first bare run's verdicts, the mean bare wall
    for p, lat, c, r in rows:
        if lat == 0 and c == 1:
            bare.setdefault(p, dict(r, walls=[]))["walls"].append(r["wall"])
    for reference in bare.values():
        reference["wall"] = sum(reference["walls"]) / len(reference["walls"])
    streams = " (--concurrent-streams)" if args.concurrent_streams else ""
    print(f"seed {args.seed}; ratios to the bare serial run of the same profile{streams}")
    print(f"load average at the end: {os.getloadavg()}")
    print(
        f"{'profile':<8} {'latency':>8} {'conc':>5} {'wall s':>7} {'ratio':>6} {'cpu s':>6} "
        f"{'requests':>9} {'peak MB':>8} {'min conc':>9} {'same':>5}"
    )
    for profile, latency, concurrency, result in rows:
        found = bare.get(profile)
        ratio = result["wall"] / found["wall"] if found else float("nan")
        same = "yes" if found and found["verdicts"] == result["verdicts"] else "NO"
        low = (result["concurrency"] or {}).get("min_reached", "-")
        print(
            f"{profile:<8} {latency:>6g}ms {concurrency:>5} {result['wall']:>7.1f} "
            f"{ratio:>6.2f} {result['cpu']:>6.1f} {result['requests']:>9} "
            f"{result['peak_mb']:>8.0f} {low!s:>9} {same:>5}"
        )


if __name__ == "__main__":
    main()
