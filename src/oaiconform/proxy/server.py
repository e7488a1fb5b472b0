"""The validating proxy as a server: uvicorn in a thread (on uvloop and httptools, its fastest
loop and parser), a context manager.

`ValidatingProxy(upstream, spec)` binds 127.0.0.1 (an ephemeral port unless one is given),
forwards to the upstream, and writes its reports on `write_reports()`, on `GET
/_oaiconform/report` and when it stops (when it has a report directory).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from oaiconform.proxy.app import ProxyApp, upstream_tls
from oaiconform.proxy.capture import DEFAULT_CAP_BYTES
from oaiconform.proxy.ledger import JudgeIn, Ledger
from oaiconform.proxy.report import build_proxy_report, write_reports
from oaiconform.report.model import Report
from oaiconform.spec import Spec

_LOOP = "uvloop" if sys.platform != "win32" else "asyncio"  # uvloop has no Windows build
_STARTUP_TIMEOUT_S = 10.0
_FINAL_SETTLE_S = 600.0


class ValidatingProxy:
    """A reverse proxy in front of `upstream` that judges what passes; a context manager."""

    def __init__(
        self,
        upstream: str,
        spec: Spec,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        report_dir: Path | None = None,
        har: Path | None = None,
        timeout_s: float = 600.0,
        cap_bytes: int = DEFAULT_CAP_BYTES,
        ca_bundle: str | None = None,
        insecure: bool = False,
        judge_in: JudgeIn = "thread",
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.report_dir = report_dir
        self.har = har
        self.ledger = Ledger(spec, cap_bytes=cap_bytes, judge_in=judge_in)
        self._report_lock = threading.Lock()
        self.app = ProxyApp(
            self.upstream,
            self.ledger,
            timeout_s=timeout_s,
            tls=upstream_tls(ca_bundle, insecure),
            on_report=self._on_demand,
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # Measured against asyncio/h11 in benchmarks/bench_proxy.py (ARCHITECTURE.md).
            loop=_LOOP,
            http="httptools",
            # The upstream's own Server and Date headers pass through; uvicorn adds none.
            server_header=False,
            date_header=False,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="oaiconform-proxy", daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client sets as its SDK's base_url: the proxy with the upstream's path."""
        return self.origin + urlsplit(self.upstream).path

    def _run(self) -> None:
        get_factory = getattr(self._server.config, "get_loop_factory", None)  # uvicorn >= 0.36
        with asyncio.Runner(loop_factory=get_factory() if get_factory else None) as runner:
            runner.run(self._serve())

    async def _serve(self) -> None:
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            await self.app.aclose()

    def start(self) -> ValidatingProxy:
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the validating proxy did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> Report | None:
        """Stop serving; the reports are written (when there is a report directory)."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        # Nothing new comes in: every exchange is judged before the last report, however long
        # the backlog takes on a busy machine.
        self.ledger.settle(_FINAL_SETTLE_S)
        report = self.write_reports() if self.report_dir is not None else None
        self.ledger.shutdown()
        return report

    def report(self) -> Report:
        """The report of the traffic so far (every finished exchange judged first)."""
        self.ledger.settle()
        return build_proxy_report(self.ledger, self.upstream)[0]

    def applied_checks(self) -> set[str]:
        """The ids of every check the proxy ran on the traffic so far."""
        self.ledger.settle()
        return {check for record in self.ledger.snapshot() for check in record.applied}

    def client_problems(self) -> list[dict[str, Any]]:
        self.ledger.settle()
        problems: list[dict[str, Any]] = build_proxy_report(self.ledger, self.upstream)[1][
            "client"
        ]["problems"]
        return problems

    def write_reports(self) -> Report:
        directory = self.report_dir or Path("reports")
        with self._report_lock:
            return write_reports(self.ledger, self.upstream, directory, self.har)

    def _on_demand(self) -> dict[str, Any]:
        if self.report_dir is not None:
            report = self.write_reports()
            written = str(self.report_dir / "report.json")
        else:
            report = self.report()
            written = ""
        return {
            "written": written,
            "verdicts": report.verdicts,
            "problems": [p.id for p in report.problems],
            "exchanges": report.summary.get("requests", 0),
        }

    def __enter__(self) -> ValidatingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
