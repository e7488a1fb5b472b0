"""Every exchange the proxy saw, judged off the event loop by the checks the suites use.

`open` numbers an exchange when its request arrives, `close` hands the finished copy to one
judging thread (the forwarding path never waits for a check), which matches it to its
operation, judges the answer with `checks.traffic.judge` and the request with the client
rules, and keeps a bounded record: the failures, a redacted curl repro, a HAR entry.
"""

from __future__ import annotations

import shlex
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from oaiconform.checks import Failure, impact_of
from oaiconform.checks.http import TARGET_ERROR
from oaiconform.checks.traffic import judge, operation_of
from oaiconform.exchange import StreamExchange
from oaiconform.proxy.capture import DEFAULT_CAP_BYTES, Capture
from oaiconform.proxy.client_rules import client_failures
from oaiconform.proxy.har import har_entry
from oaiconform.redact import Redactor
from oaiconform.spec import Spec

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
    ) -> None:
        self.spec = spec
        self.cap_bytes = cap_bytes
        self.har_body_bytes = har_body_bytes
        self.max_records = max_records
        self.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.started = time.monotonic()
        self.records: list[Record] = []
        self.dropped = 0  # records beyond max_records: counted, not kept
        self.judge_errors: list[str] = []
        self._secrets: set[str] = set()
        self._count = 0
        self._lock = threading.Lock()
        self._pending = 0  # finished, not yet judged
        self._in_flight = 0  # request in, answer still passing
        self._idle = threading.Condition(self._lock)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oaiconform-judge")

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
        with self._idle:
            self._in_flight -= 1
            self._pending += 1
            self._idle.notify_all()
        self._executor.submit(self._judge_safely, capture)

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
        self._executor.shutdown(wait=True, cancel_futures=False)

    def _judge_safely(self, capture: Capture) -> None:
        try:
            record = self._judge(capture)
        except Exception as exc:  # a bug of ours must not stop the judging of later traffic
            record = None
            with self._lock:
                self.judge_errors.append(
                    f"exchange {capture.number} ({capture.method} {capture.url}): "
                    f"{type(exc).__name__}: {exc}"
                )
        with self._idle:
            if record is not None:
                if len(self.records) < self.max_records:
                    self.records.append(record)
                else:
                    self.dropped += 1
            self._pending -= 1
            self._idle.notify_all()

    def _judge(self, capture: Capture) -> Record:
        exchange = capture.to_exchange()
        head = exchange.head if isinstance(exchange, StreamExchange) else exchange
        operation = operation_of(self.spec, capture.method, capture.judged_url)
        record = Record(
            capture.number,
            capture.method,
            capture.url,
            urlsplit(capture.url).path,
            operation.operation_id if operation else None,
            capture.status,
            round(capture.finished_s or 0.0, 6),
            isinstance(exchange, StreamExchange),
            repro=curl_of(capture),
            har=har_entry(capture, self.har_body_bytes),
        )
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
        if capture.request_size <= self.cap_bytes:
            record.client = _as_dicts(client_failures(self.spec, operation, head))
        if capture.truncated:
            record.not_judged = (
                f"the answer ({capture.size} bytes) is larger than the check cap of "
                f"{self.cap_bytes} bytes: forwarded whole, not judged"
            )
            return record
        judgement = judge(self.spec, exchange)
        failures = judgement.failures
        if record.client:
            kept = [f for f in failures if _answer_only(f.check_id)]
            record.set_aside = sorted({f.check_id for f in failures if f not in kept})
            failures = kept
        record.failures = _as_dicts(failures)
        record.applied = judgement.applied
        return record
