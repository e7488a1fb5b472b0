"""Every exchange the proxy saw, judged off the event loop by the checks the suites use.

`open` numbers an exchange when its request arrives, `close` hands the finished copy to the
judge (the forwarding path never waits for a check): one thread, or (`judge_in="process"`,
what `oaiconform proxy` uses) one worker process at low CPU priority, so that judging never
holds the forwarding loop's GIL and yields the CPU to forwarding when the machine is busy.
The judge matches the exchange to its operation, judges the answer with
`checks.traffic.judge` and the request with the client rules, and returns a bounded record:
the failures, a redacted curl repro, a HAR entry. The backlog of finished, unjudged copies
is bounded in bytes; beyond it an exchange is forwarded and listed as not judged.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shlex
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from oaiconform.checks import Failure, impact_of
from oaiconform.checks.http import TARGET_ERROR
from oaiconform.checks.traffic import judge, operation_of
from oaiconform.exchange import StreamExchange
from oaiconform.proxy.capture import DEFAULT_CAP_BYTES, Capture
from oaiconform.proxy.client_rules import client_failures
from oaiconform.proxy.har import har_entry
from oaiconform.redact import Redactor
from oaiconform.spec import Spec, SpecSource, load_spec

# Headers whose values are credentials: kept for the upstream, masked everywhere we write.
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-api-key"})
_REPRO_BODY_CHARS = 64 * 1024
_MIN_SECRET_CHARS = 8
# The checks that judge an answer by itself, whatever was asked. When the request breaks the
# description, only these judge its answer: a check that reads the request (n choices, the
# tools offered, the inputs counted) has nothing meaningful to hold an answer to.
_ANSWER_ONLY_AREAS = frozenset({"schema", "errors", "headers", "http"})
_ANSWER_ONLY_CHECKS = frozenset(
    {"streaming.stream_framing", "streaming.event_stream_served", "streaming.json_not_event_stream"}
)
_REPRO_SKIP = frozenset({"host", "content-length", "accept-encoding", "connection"})
DEFAULT_BACKLOG_BYTES = 256 * 1024 * 1024
_JUDGE_NICENESS = 10
_PARENT_POLL_S = 1.0
JudgeIn = Literal["thread", "process"]


@dataclass
class Record:
    """One judged exchange, as the report reads it."""

    number: int
    method: str
    url: str  # the upstream URL
    path: str  # the URL's path, for names
    operation: str | None  # the description's operationId; None: listed, not judged
    status: int
    duration_s: float
    streamed: bool
    failures: list[dict[str, str]] = field(default_factory=list)  # the server's
    client: list[dict[str, str]] = field(default_factory=list)  # the request's
    applied: list[str] = field(default_factory=list)
    not_judged: str = ""  # why the answer was not judged (over the cap, no operation)
    client_aborted: bool = False  # the client hung up mid-answer: no finding of the server's
    backlog_skipped: bool = False  # finished while the judging backlog was full: not judged
    # checks whose failures were set aside: they read a request that breaks the description
    set_aside: list[str] = field(default_factory=list)
    repro: str = ""
    har: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"proxy::{self.number:05d} {self.method} {self.path}"


def _answer_only(check_id: str) -> bool:
    return check_id.partition(".")[0] in _ANSWER_ONLY_AREAS or check_id in _ANSWER_ONLY_CHECKS


def _as_dicts(failures: list[Failure]) -> list[dict[str, str]]:
    return [{**asdict(f), "impact": impact_of(f).value} for f in failures]


def curl_of(capture: Capture) -> str:
    """A shell command that replays the request; a key is a variable reference, never a value."""
    parts = ["curl", "-sS", "-X", capture.method, capture.url]
    if capture.media_type == "text/event-stream":
        parts.insert(2, "-N")
    for name, value in capture.request_headers:
        lowered = name.lower()
        if lowered in _REPRO_SKIP:
            continue
        if lowered == "authorization":
            value = "Bearer $OPENAI_API_KEY"
        elif lowered in SECRET_HEADERS:
            value = "$OPENAI_API_KEY"
        parts += ["-H", f"{name}: {value}"]
    if capture.request_body:
        text = capture.request_body[:_REPRO_BODY_CHARS].decode("utf-8", errors="replace")
        parts += ["--data-binary", text]
    return " ".join(shlex.quote(p) if "$OPENAI_API_KEY" not in p else f'"{p}"' for p in parts)


def secrets_in(headers: tuple[tuple[str, str], ...]) -> set[str]:
    """The credentials a request carries: the token of each credential header (never the
    scheme word, nor a value too short to be a key, which masking would smear over text)."""
    found = set()
    for name, value in headers:
        if name.lower() in SECRET_HEADERS:
            scheme, _, token = value.strip().partition(" ")
            token = token.strip() if scheme.lower() in ("bearer", "basic") else value.strip()
            if len(token) >= _MIN_SECRET_CHARS:
                found.add(token)
    return found


class Ledger:
    """The proxy's record of the traffic; thread-safe, bounded per exchange and in count."""

    def __init__(
        self,
        spec: Spec,
        *,
        cap_bytes: int = DEFAULT_CAP_BYTES,
        har_body_bytes: int = 64 * 1024,
        max_records: int = 20_000,
        judge_in: JudgeIn = "thread",
        max_backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
    ) -> None:
        self.spec = spec
        self.cap_bytes = cap_bytes
        self.har_body_bytes = har_body_bytes
        self.max_records = max_records
        self.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.started = time.monotonic()
        self.records: list[Record] = []
        self.dropped = 0  # records beyond max_records: counted, not kept
        self.max_backlog_bytes = max_backlog_bytes
        self.backlog_skipped = 0  # finished while the backlog was full: forwarded, not judged
        self._backlog_bytes = 0
        self.judge_errors: list[str] = []
        self._secrets: set[str] = set()
        self._count = 0
        self._lock = threading.Lock()
        self._pending = 0  # finished, not yet judged
        self._in_flight = 0  # request in, answer still passing
        self._idle = threading.Condition(self._lock)
        self.judge_in = judge_in
        # Finished copies wait here; one judging thread takes them all at once, so that a
        # busy proxy hands the worker process batches (one round trip, not one a request).
        self._queue: deque[tuple[Capture, int]] = deque()
        self._closing = False
        self._worker: ProcessPoolExecutor | None = None
        self.worker_restarts = 0
        if judge_in == "process":
            self._worker = self._start_worker()
        self._judging = threading.Thread(target=self._judge_loop, name="oaiconform-judge")
        self._judging.daemon = True
        self._judging.start()

    def _start_worker(self) -> ProcessPoolExecutor:
        # spawn: the proxy's process has threads running, which fork would not carry.
        with _signal_mask_kept():
            worker = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(
                    self.spec.source,
                    _vendor_overlays(self.spec),
                    self.cap_bytes,
                    self.har_body_bytes,
                ),
            )
        worker.submit(_worker_ready)  # starts it now, not on the first exchange
        return worker

    def open(
        self,
        method: str,
        url: str,
        judged_url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
    ) -> Capture:
        with self._lock:
            self._count += 1
            self._in_flight += 1
            number = self._count
            self._secrets.update(secrets_in(headers))
        return Capture(
            number,
            method,
            url,
            judged_url,
            headers,
            body[: self.cap_bytes],
            len(body),  # the app updates both when it streams the request body
            cap=self.cap_bytes,
        )

    def close(self, capture: Capture) -> None:
        size = capture.kept + len(capture.request_body)
        with self._idle:
            self._in_flight -= 1
            full = self._backlog_bytes + size > self.max_backlog_bytes and self._pending > 0
            if full:
                self.backlog_skipped += 1
                record = _record_of(capture, None)
                record.backlog_skipped = True
                record.not_judged = (
                    f"the judging backlog was full ({self.max_backlog_bytes} bytes of finished "
                    "exchanges waiting): forwarded, not judged"
                )
                self._keep(record)
                self._idle.notify_all()
                return
            self._pending += 1
            self._backlog_bytes += size
            self._idle.notify_all()
            self._queue.append((capture, size))

    def redactor(self) -> Redactor:
        with self._lock:
            return Redactor(self._secrets)

    def settle(self, timeout_s: float = 30.0, in_flight_grace_s: float = 1.0) -> bool:
        """Wait until every finished exchange is judged; False when the wait ran out.

        A client may hold its whole answer a moment before the proxy sees the upstream end
        it; exchanges still in flight are waited for `in_flight_grace_s` (a long stream is
        not: it is in the next report).
        """
        deadline = time.monotonic() + timeout_s
        grace = time.monotonic() + in_flight_grace_s
        with self._idle:
            while self._pending or (self._in_flight and time.monotonic() < grace):
                if not self._pending:
                    self._idle.wait(max(grace - time.monotonic(), 0.0))
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)

    def shutdown(self) -> None:
        with self._idle:
            self._closing = True
            self._idle.notify_all()
        self._judging.join()
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=False)

    def _judge_loop(self) -> None:
        while True:
            with self._idle:
                while not self._queue and not self._closing:
                    self._idle.wait()
                if not self._queue:
                    return
                batch = list(self._queue)
                self._queue.clear()
            captures = [capture for capture, _ in batch]
            try:
                if self._worker is not None:
                    results = self._worker.submit(_worker_judge, captures).result()
                else:
                    results = [
                        _judged(self.spec, c, self.cap_bytes, self.har_body_bytes) for c in captures
                    ]
            except Exception as exc:  # the worker died: say so for each, keep serving
                results = [f"{type(exc).__name__}: {exc}"] * len(captures)
                if isinstance(exc, BrokenProcessPool) and not self._closing:
                    # killed (out of memory, by hand): a broken pool refuses every later
                    # batch, so the next one gets a new worker
                    broken, self._worker = self._worker, self._start_worker()
                    self.worker_restarts += 1
                    if broken is not None:
                        broken.shutdown(wait=False)
            with self._idle:
                for (capture, size), result in zip(batch, results, strict=True):
                    if isinstance(result, Record):
                        self._keep(result)
                    else:
                        self.judge_errors.append(
                            f"exchange {capture.number} ({capture.method} {capture.url}): {result}"
                        )
                    self._pending -= 1
                    self._backlog_bytes -= size
                self._idle.notify_all()

    def _keep(self, record: Record) -> None:
        if len(self.records) < self.max_records:
            self.records.append(record)
        else:
            self.dropped += 1


def _record_of(capture: Capture, operation: str | None, har_body_bytes: int = 0) -> Record:
    return Record(
        capture.number,
        capture.method,
        capture.url,
        urlsplit(capture.url).path,
        operation,
        capture.status,
        round(capture.finished_s or 0.0, 6),
        capture.media_type == "text/event-stream",
        repro=curl_of(capture),
        har=har_entry(capture, har_body_bytes) if har_body_bytes else {},
    )


def judge_capture(spec: Spec, capture: Capture, cap_bytes: int, har_body_bytes: int) -> Record:
    """One finished exchange judged: the server's failures, the client's, and why not."""
    exchange = capture.to_exchange()
    head = exchange.head if isinstance(exchange, StreamExchange) else exchange
    operation = operation_of(spec, capture.method, capture.judged_url)
    record = _record_of(capture, operation.operation_id if operation else None, har_body_bytes)
    if capture.upstream_error is not None:
        record.failures = _as_dicts(
            [
                Failure(
                    "target_error",
                    f"{capture.method} {capture.url}: the upstream did not answer "
                    f"({capture.upstream_error}); the proxy answered {capture.status}",
                    where="status",
                    check_id=TARGET_ERROR,
                )
            ]
        )
        record.applied = [TARGET_ERROR]
        return record
    if operation is None:
        record.not_judged = "no operation of the description has this method and path"
        return record
    if capture.request_size <= cap_bytes:
        record.client = _as_dicts(client_failures(spec, operation, head))
    if capture.client_aborted and isinstance(exchange, StreamExchange) and exchange.done:
        # The SDKs stop reading at `data: [DONE]` and close the connection, often before the
        # upstream's end of body reaches the proxy: that client had the whole answer.
        exchange = replace(exchange, interrupted=None)
    elif capture.client_aborted:
        record.client_aborted = True
        record.not_judged = (
            "the client closed the connection before the answer ended: the proxy closed "
            "the upstream request; a partial answer is not the server's fault, not judged"
        )
        return record
    if capture.truncated:
        record.not_judged = (
            f"the answer ({capture.size} bytes) is larger than the check cap of "
            f"{cap_bytes} bytes: forwarded whole, not judged"
        )
        return record
    judgement = judge(spec, exchange)
    failures = judgement.failures
    if record.client:
        kept = [f for f in failures if _answer_only(f.check_id)]
        record.set_aside = sorted({f.check_id for f in failures if f not in kept})
        failures = kept
    record.failures = _as_dicts(failures)
    record.applied = judgement.applied
    return record


def _judged(spec: Spec, capture: Capture, cap_bytes: int, har_body_bytes: int) -> Record | str:
    """The record, or what went wrong: a bug of ours must not stop the judging of the rest."""
    try:
        return judge_capture(spec, capture, cap_bytes, har_body_bytes)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _signal_mask_kept() -> Iterator[None]:
    """multiprocessing's resource tracker unblocks SIGINT and SIGTERM in the thread that
    first starts it (CPython 3.11-3.13); `oaiconform proxy` blocks them to sigwait for them."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _vendor_overlays(spec: Spec) -> tuple[Path, ...]:
    return tuple(Path(o.source) for o in spec.overlays if o.source != "builtin")


# The judging process's own state: the description, loaded once when it starts.
_worker_state: dict[str, Any] = {}


def _worker_start(
    source: SpecSource, overlays: tuple[Path, ...], cap_bytes: int, har_body_bytes: int
) -> None:
    # Judging waits for the CPU; forwarding (another process) does not. No nice on Windows.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(_JUDGE_NICENESS)
    # A proxy killed outright (SIGKILL, a crash) cannot stop its worker: the worker does.
    threading.Thread(
        target=_exit_with, args=(os.getppid(),), name="oaiconform-judge-orphan", daemon=True
    ).start()
    _worker_state.update(
        spec=load_spec(source, overlays), cap_bytes=cap_bytes, har_body_bytes=har_body_bytes
    )


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(0)


def _worker_ready() -> bool:
    return "spec" in _worker_state


def _worker_judge(captures: list[Capture]) -> list[Record | str]:
    spec, cap, har = (
        _worker_state["spec"],
        _worker_state["cap_bytes"],
        _worker_state["har_body_bytes"],
    )
    return [_judged(spec, capture, cap, har) for capture in captures]
