"""The Target: one base URL with its auth, timeouts, byte caps and request budget.

Tests never build URLs or headers themselves; they ask the Target, which records every
exchange so that a failure can be reported with a (redacted) curl command that reproduces it.
A target that hangs, resets or sends garbage raises TargetError with a one-line message, and
the run goes on.
"""

from __future__ import annotations

import base64
import json
import shlex
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from oaiconform import __version__
from oaiconform.exchange import Exchange, RecordedRequest, StreamEvent, StreamExchange
from oaiconform.redact import strip_userinfo
from oaiconform.settings import Secret
from oaiconform.sse import SSEParser

CONNECT_TIMEOUT_S = 5.0
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# One event larger than this is a defect, whatever the stream's total byte cap.
_MAX_EVENT_BYTES = 16 * 1024 * 1024


class TargetError(Exception):
    """The target did not answer usably (refused, reset, timed out, oversized, malformed)."""


class TargetUnreachableError(TargetError):
    """Nothing answers at the base URL at all; the run cannot start (exit code 3)."""


class BudgetExhaustedError(Exception):
    """The run's request budget is spent; remaining tests are skipped, and the report says so."""


class RequestBudget:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False
        self.rate_limited_retries = 0  # 429 answers waited out (each retry is also `used`)
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                self.exhausted = True
                raise BudgetExhaustedError(f"request budget of {self.limit} requests is spent")
            self.used += 1

    def note_rate_limited(self, retries: int) -> None:
        with self._lock:
            self.rate_limited_retries += retries

    def absorb(self, used: int, exhausted: bool, rate_limited_retries: int) -> None:
        """Add a parallel worker's share, so the run's report counts every request."""
        with self._lock:
            self.used += used
            self.exhausted = self.exhausted or exhausted
            self.rate_limited_retries += rate_limited_retries


def _describe_transport_error(exc: httpx.HTTPError, timeout_s: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection not established within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc})"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response data within {timeout_s:g} s (the target hangs)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"malformed HTTP response or connection reset ({exc})"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    return f"{type(exc).__name__}: {exc}"


class Target:
    """An OpenAI-compatible base URL (SDK convention: path prefix included, e.g. .../v1)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: Secret | None,
        api_key_env: str,
        timeout_s: float,
        max_response_bytes: int,
        budget: RequestBudget,
        embedded_mock: bool = False,
        deterministic: bool | None = None,
        named_keys: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        # Credentials in the URL never travel in request URLs (and so never into a failure
        # message); they are used as Basic auth only when no API key is configured.
        self._basic_auth = (
            (unquote(parts.username or ""), unquote(parts.password or ""))
            if parts.username or parts.password
            else None
        )
        self.base_url = strip_userinfo(base_url).replace("***@", "").rstrip("/")
        self.api_key = api_key
        self.api_key_env = api_key_env
        # Other keys a test may send (e.g. a second tenant's): value -> variable name for repros.
        self.named_keys = dict(named_keys or {})
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.budget = budget
        self.embedded_mock = embedded_mock
        # Same request and seed, same answer: streamed and plain answers may then be compared.
        # The embedded mock is; another target only when whoever builds the Target says so.
        self.deterministic = embedded_mock if deterministic is None else deterministic
        self.exchanges: list[Exchange] = []  # of the current test; the plugin clears it
        self.streams: list[StreamExchange] = []  # likewise; their timings go into the report
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
            follow_redirects=False,  # a redirect is reported, never followed with our key
            headers={"User-Agent": f"oaiconform/{__version__}"},
        )

    @property
    def is_loopback(self) -> bool:
        """Whether the target is on this machine: generated tests may then send more requests."""
        return self.embedded_mock or urlsplit(self.base_url).hostname in _LOOPBACK_HOSTS

    @property
    def example_budget(self) -> int:
        """How many generated variants a property test may send: few to a remote (paid) API."""
        return 12 if self.is_loopback else 3

    @property
    def display_url(self) -> str:
        return strip_userinfo(self.base_url)

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def _headers(self, headers: Mapping[str, str] | None, auth: bool) -> dict[str, str]:
        out: dict[str, str] = {}
        if auth and self.api_key is not None:
            out["Authorization"] = f"Bearer {self.api_key.reveal()}"
        elif auth and self._basic_auth is not None:
            token = base64.b64encode(":".join(self._basic_auth).encode()).decode()
            out["Authorization"] = f"Basic {token}"
        out.update(headers or {})
        return out

    @contextmanager
    def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        auth: bool,
        params: Mapping[str, Any] | None,
        read_timeout_s: float | None = None,
    ) -> Iterator[tuple[httpx.Response, RecordedRequest]]:
        self.budget.take()
        body = content
        all_headers = self._headers(headers, auth)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        request = self._client.build_request(
            method, self.url(path), content=body, headers=all_headers, params=params
        )
        recorded = RecordedRequest(
            method, str(request.url), tuple(request.headers.items()), body or b""
        )
        timeout: httpx.Timeout | httpx._client.UseClientDefault = httpx.USE_CLIENT_DEFAULT
        if read_timeout_s is not None:
            timeout = httpx.Timeout(read_timeout_s, connect=CONNECT_TIMEOUT_S)
        try:
            with self._client.stream(
                method,
                request.url,
                content=body,
                headers=request.headers,
                timeout=timeout,
            ) as response:
                yield response, recorded
        except httpx.HTTPError as exc:
            raise TargetError(
                f"{method} {strip_userinfo(str(request.url))}: "
                f"{_describe_transport_error(exc, read_timeout_s or self.timeout_s)}"
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        auth: bool = True,
    ) -> Exchange:
        """Send one request and read the whole response, within the time and byte caps."""
        started = time.perf_counter()
        deadline = started + self.timeout_s
        with self._send(
            method, path, json_body=json, content=content, headers=headers, auth=auth, params=params
        ) as (response, recorded):
            chunks: list[bytes] = []
            size = 0
            truncated = False
            try:
                for chunk in response.iter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        truncated = True
                        break
                    if time.perf_counter() > deadline:
                        raise TargetError(
                            f"{method} {recorded.url}: the response did not end "
                            f"within {self.timeout_s:g} s"
                        )
            except httpx.HTTPError as exc:
                raise TargetError(
                    f"{method} {strip_userinfo(recorded.url)}: "
                    f"{_describe_transport_error(exc, self.timeout_s)}"
                ) from None
            body = b"".join(chunks)[: self.max_response_bytes]
            exchange = Exchange(
                request=recorded,
                status=response.status_code,
                headers=tuple(response.headers.items()),
                body=body,
                elapsed_s=time.perf_counter() - started,
                truncated=truncated,
            )
        self.exchanges.append(exchange)
        return exchange

    def stream(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        idle_timeout_s: float | None = None,
        total_timeout_s: float | None = None,
        max_bytes: int | None = None,
    ) -> StreamExchange:
        """Send one request and read a server-sent event stream as it arrives.

        Bytes go to the SSE parser as they come, so each event gets its arrival time. Reading
        stops at the idle timeout (no byte for that long), the total time cap or the byte cap;
        the reason is recorded in `interrupted` rather than raised, so the checks still see what
        arrived. A non-SSE answer is read whole, as `request` reads it.
        """
        idle = idle_timeout_s if idle_timeout_s is not None else self.timeout_s
        total = total_timeout_s if total_timeout_s is not None else self.timeout_s
        cap = max_bytes if max_bytes is not None else self.max_response_bytes
        started = time.perf_counter()
        with self._send(
            method,
            path,
            json_body=json,
            content=None,
            headers=headers,
            auth=auth,
            params=None,
            read_timeout_s=idle,
        ) as (response, recorded):
            reader = _StreamReader(response, started, idle, total, cap)
            reader.read()
        head = Exchange(
            request=recorded,
            status=response.status_code,
            headers=tuple(response.headers.items()),
            body=reader.body,
            elapsed_s=time.perf_counter() - started,
            truncated=reader.truncated,
        )
        result = StreamExchange(
            head=head,
            events=tuple(reader.events),
            defects=tuple((d.kind, d.message) for d in reader.parser.defects),
            done=reader.parser.done,
            comments=reader.parser.comments,
            first_byte_s=reader.first_byte_s,
            interrupted=reader.interrupted,
        )
        self.exchanges.append(head)
        self.streams.append(result)
        return result

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def probe(self) -> None:
        """Fail fast (TargetUnreachableError) when nothing answers at the base URL."""
        try:
            response = self._client.get(self.url("models"), headers=self._headers(None, True))
            response.close()
        except httpx.HTTPError as exc:
            raise TargetUnreachableError(
                f"target {self.display_url} is unreachable: "
                f"{_describe_transport_error(exc, self.timeout_s)}"
            ) from None

    def curl(self, exchange: Exchange) -> str:
        """A shell command that replays the request, with the key as a variable reference."""
        request = exchange.request
        parts = ["curl", "-sS", "-X", request.method, strip_userinfo(request.url)]
        if exchange.media_type == "text/event-stream" or _asks_for_stream(request.body):
            parts.insert(2, "-N")  # show events as they arrive
        for name, value in request.headers:
            lowered = name.lower()
            if lowered in (
                "host",
                "content-length",
                "accept-encoding",
                "connection",
                "user-agent",
                "accept",
            ):
                continue
            if (
                lowered == "authorization"
                and self.api_key is not None
                and value == f"Bearer {self.api_key.reveal()}"
            ):
                value = f"Bearer ${self.api_key_env}"
            elif lowered == "authorization" and value.removeprefix("Bearer ") in self.named_keys:
                value = f"Bearer ${self.named_keys[value.removeprefix('Bearer ')]}"
            parts += ["-H", f"{name}: {value}"]
        if request.body:
            parts += ["--data-binary", request.body.decode("utf-8", errors="replace")]
        return " ".join(
            shlex.quote(p) if not p.lower().startswith("authorization: bearer $") else f'"{p}"'
            for p in parts
        )


def _asks_for_stream(body: bytes) -> bool:
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True


class _StreamReader:
    """Reads one response: events with arrival times for SSE, the whole body otherwise."""

    def __init__(
        self, response: httpx.Response, started: float, idle_s: float, total_s: float, cap: int
    ) -> None:
        self.response = response
        self.started = started
        self.idle_s = idle_s
        self.total_s = total_s
        self.cap = cap
        self.parser = SSEParser(max_event_bytes=min(cap, _MAX_EVENT_BYTES))
        self.is_sse = (
            response.headers.get("content-type", "").split(";")[0].strip().lower()
            == "text/event-stream"
        )
        self.events: list[StreamEvent] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False
        self.first_byte_s: float | None = None
        self.interrupted: str | None = None

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)[: self.cap]

    def _where(self) -> str:
        if not self.events:
            return "before the first event" if self.size else "before the first byte"
        return f"after event #{len(self.events)}"

    def _add(self, chunk: bytes, now: float) -> None:
        if self.first_byte_s is None:
            self.first_byte_s = now
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.is_sse:
            for event in self.parser.feed(chunk):
                self.events.append(StreamEvent(event.data, event.event, now))

    def read(self) -> None:
        try:
            for chunk in self.response.iter_bytes():
                now = time.perf_counter() - self.started
                self._add(chunk, now)
                if self.size > self.cap:
                    self.truncated = True
                    self.interrupted = f"the response exceeded the byte cap of {self.cap} bytes"
                    return
                if now > self.total_s:
                    self.interrupted = (
                        f"the stream did not end within {self.total_s:g} s "
                        f"({len(self.events)} events received)"
                    )
                    return
        except httpx.ReadTimeout:
            self.interrupted = f"no data for {self.idle_s:g} s {self._where()} (the stream stalled)"
        except httpx.HTTPError as exc:
            self.interrupted = (
                f"the connection failed {self._where()}: "
                f"{_describe_transport_error(exc, self.idle_s)}"
            )
        finally:
            if self.is_sse:
                now = time.perf_counter() - self.started
                self.events.extend(StreamEvent(e.data, e.event, now) for e in self.parser.close())
