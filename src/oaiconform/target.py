"""The Target: one base URL with its auth, timeouts, byte caps and request budget.

Tests never build URLs or headers themselves; they ask the Target, which records every
exchange so that a failure can be reported with a (redacted) curl command that reproduces it.
A target that hangs, resets or sends garbage raises TargetError with a one-line message, and
the run goes on.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import shlex
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from oaiconform import __version__, interrupt
from oaiconform.concurrency import Outcome, Recorded, Speculation, Throttle
from oaiconform.exchange import Exchange, RecordedRequest, StreamEvent, StreamExchange
from oaiconform.redact import strip_userinfo
from oaiconform.settings import Secret
from oaiconform.sse import SSEParser

CONNECT_TIMEOUT_S = 5.0
# Only encodings decoded here, under the byte cap (httpx would also offer br/zstd if installed).
ACCEPT_ENCODING = "gzip, deflate"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# One event larger than this is a defect, whatever the stream's total byte cap.
_MAX_EVENT_BYTES = 16 * 1024 * 1024
_P = ParamSpec("_P")


# A route (method and first path segment) whose answers ran into the time limit this many times
# in a row is not asked again: one more request there costs another full --timeout and would
# tell nothing new. A target that hangs everywhere then costs a few timeouts per route, not one
# per request (hours at the default 30 s); each answer in time on the route resets its count.
SILENT_ROUTE_LIMIT = 3


def route_of(method: str, path: str) -> str:
    """The route a request counts against: "POST chat", "GET files" (ids and queries aside)."""
    first = path.split("?", 1)[0].strip("/").split("/", 1)[0]
    return f"{method.upper()} {first}"


class TargetError(Exception):
    """The target did not answer usably (refused, reset, timed out, oversized, malformed)."""


class TargetUnreachableError(TargetError):
    """Nothing answers at the base URL: before the run it cannot start (exit code 3); during
    the run (the target died) the tests left are `not_run`, not failed."""


class BudgetExhaustedError(Exception):
    """The run's request budget is spent; remaining tests are skipped, and the report says so."""


class RunDeadlineError(BudgetExhaustedError):
    """The run's time limit (--max-duration) has passed: every further request is refused."""


class RequestBudget:
    """The run's caps on requests: how many (`limit`) and until when (`max_duration_s`)."""

    def __init__(
        self,
        limit: int | None,
        max_duration_s: float | None = None,
        seconds_left: float | None = None,
        concurrency: int = 1,
    ) -> None:
        self.limit = limit
        # Requests in flight at once (--concurrency), cut on 429s: the budget's, since it is
        # the one object every request of the process passes.
        self.throttle = Throttle(concurrency)
        self.used = 0
        self.exhausted = False
        self.rate_limited_retries = 0  # 429 answers waited out (each retry is also `used`)
        self.max_duration_s = max_duration_s  # as configured, for the messages and the report
        # A run's deadline counts from its start: a worker is handed what is left of it.
        left = max_duration_s if seconds_left is None else seconds_left
        self.deadline = None if left is None else time.monotonic() + left
        self.deadline_hit = False
        self.latencies_s: list[float] = []  # each answered request's elapsed time (the report)
        self._lock = threading.Lock()

    def seconds_left(self) -> float | None:
        """What is left of the run's time limit (None: no limit)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def deadline_error(self) -> RunDeadlineError:
        self.deadline_hit = True
        return RunDeadlineError(
            f"the run's time limit of {self.max_duration_s:g} s (--max-duration) has passed"
        )

    def take(self) -> None:
        with self._lock:
            left = self.seconds_left()
            if left is not None and left <= 0:
                raise self.deadline_error()
            if self.limit is not None and self.used >= self.limit:
                self.exhausted = True
                raise BudgetExhaustedError(f"request budget of {self.limit} requests is spent")
            self.used += 1

    def note_rate_limited(self, retries: int) -> None:
        with self._lock:
            self.rate_limited_retries += retries

    def absorb(
        self,
        used: int,
        exhausted: bool,
        rate_limited_retries: int,
        deadline_hit: bool = False,
        concurrency: Mapping[str, int] | None = None,
        latencies_s: list[float] | None = None,
    ) -> None:
        """Add a parallel worker's share, so the run's report counts every request."""
        with self._lock:
            self.used += used
            self.latencies_s.extend(latencies_s or ())
            self.exhausted = self.exhausted or exhausted
            self.rate_limited_retries += rate_limited_retries
            self.deadline_hit = self.deadline_hit or deadline_hit
            if concurrency:
                self.throttle.absorb(concurrency)

    def concurrency_info(self) -> dict[str, int]:
        return self.throttle.info()


class _Deadline(threading.local):
    """When the request being sent on this thread must be over (monotonic), if it must, and
    how many bytes of its response arrived (a hang and a drip are told apart by it)."""

    at: float | None = None
    received: int = 0

    def cap(self, timeout: float | None, expired: type[Exception]) -> float | None:
        """The socket timeout for one connect/read/write: never beyond the deadline."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("the request's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write ends by the request's deadline.

    httpx's timeouts apply to each socket operation: a target that drips one byte a second
    never trips them. Capping each operation by what is left of one deadline bounds the
    whole request (connect, TLS, headers and body) however the bytes arrive.
    """

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))
        self._deadline.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _ssl_context(ca_bundle: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:  # --insecure: the user accepts any certificate for this target
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_bundle:  # --ca-bundle: this file's CAs only, as curl's --cacert
        return ssl.create_default_context(cafile=ca_bundle)
    return httpx.create_ssl_context()  # httpx's default: certifi's bundle


def _transport(deadline: _Deadline, ca_bundle: str | None, insecure: bool) -> httpx.BaseTransport:
    """httpx's transport with a connection pool on the deadline-bound sockets."""
    context = _ssl_context(ca_bundle, insecure)
    transport = httpx.HTTPTransport(verify=context)
    limits = httpx.Limits()
    # httpx builds its pool without a way to pass the network backend: build the same pool.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_DeadlineBackend(deadline),
    )
    return transport


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind an httpx error, if the handshake is what failed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _describe_tls(error: ssl.SSLError) -> str:
    reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or error
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted ({reason}): pass --ca-bundle FILE with the CA that "
            "signed it, or --insecure to skip verification"
        )
    return f"TLS handshake failed ({reason})"


def _describe_transport_error(exc: httpx.HTTPError, timeout_s: float) -> str:
    tls = _tls_failure(exc)
    if tls is not None:
        return _describe_tls(tls)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection not established within {min(CONNECT_TIMEOUT_S, timeout_s):g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc})"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response data within {timeout_s:g} s (the target hangs)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"malformed HTTP response or connection reset ({exc})"
    if isinstance(exc, httpx.ReadError):
        return f"the connection broke while the response was read ({exc})"
    if isinstance(exc, httpx.WriteError):
        return f"the connection broke while the request was sent ({exc})"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    return f"{type(exc).__name__}: {exc}"


class _BodyDecoder:
    """Undoes the Content-Encoding with the byte cap applied to the *decoded* size.

    A gzip bomb is small on the wire and gigabytes decoded: zlib is asked for at most what
    the cap still allows, so the decoded body never grows past it in memory.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.strip().lower()
        self._zlib: Any = None
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.encoding not in ("", "identity"):
            raise ValueError(
                f"Content-Encoding {encoding!r}, which was not asked for "
                f"(Accept-Encoding: {ACCEPT_ENCODING})"
            )
        self._first = True

    def feed(self, raw: bytes, room: int) -> bytes:
        """Decoded bytes of `raw`: at most room + 1 (one more than fits says "over the cap")."""
        if self._zlib is None:
            return raw
        try:
            out: bytes = self._zlib.decompress(raw, room + 1)
        except zlib.error as exc:
            if not (self._first and self.encoding == "deflate"):
                raise ValueError(f"the {self.encoding} body cannot be decoded ({exc})") from None
            # Some servers send raw deflate data without the zlib header the name promises.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(raw, room)
        self._first = False
        return out


@dataclass(frozen=True)
class _Limit:
    """The time limits of one request, as sent."""

    seconds: float  # the whole request on the wire: connect, TLS, head and body
    read_s: float  # one read (the idle timeout)
    named: str  # which option sets it, for the messages
    cut_by_run: bool  # shortened to what is left of the run (--max-duration)


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
        ca_bundle: str | None = None,
        insecure: bool = False,
        concurrent_streams: bool = False,
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
        self.ca_bundle = ca_bundle
        self.insecure = insecure
        self.concurrent_streams = concurrent_streams
        self._deadline = _Deadline()
        self._sink = _Sink()
        self._speculation: Speculation | None = None
        self._timed_out: dict[str, int] = {}  # route -> answers cut by the time limit in a row
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            follow_redirects=False,  # a redirect is reported, never followed with our key
            headers={"User-Agent": f"oaiconform/{__version__}", "Accept-Encoding": ACCEPT_ENCODING},
            transport=_transport(self._deadline, ca_bundle, insecure),
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

    def _limit(self, total_s: float) -> tuple[float, bool]:
        """A request's time limit: `total_s`, or what is left of the run if that is less."""
        left = self.budget.seconds_left()
        if left is not None and left <= 0:
            raise self.budget.deadline_error()
        if left is not None and left < total_s:
            return left, True
        return total_s, False

    def _failure(self, where: str, exc: httpx.HTTPError, limit: _Limit) -> Exception:
        """What a transport error says about the target, as the exception to raise."""
        overdue = self._deadline.at is not None and time.monotonic() >= self._deadline.at
        if overdue and limit.cut_by_run:
            return self.budget.deadline_error()
        received = self._deadline.received
        if overdue and not received:
            return TargetError(
                f"{where}: no response data within {limit.seconds:g} s "
                f"(the target hangs), {limit.named}"
            )
        if overdue:
            return TargetError(
                f"{where}: the response did not complete within {limit.seconds:g} s, "
                f"{limit.named}: {received} bytes arrived, the target sends too slowly"
            )
        if isinstance(exc, httpx.ConnectError) and _tls_failure(exc) is None:
            return TargetUnreachableError(
                f"{where}: the target became unreachable: "
                f"{_describe_transport_error(exc, limit.read_s)}"
            )
        return TargetError(f"{where}: {_describe_transport_error(exc, limit.read_s)}")

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
        total_s: float,
        read_timeout_s: float | None = None,
        limit_named: str = "the limit per request (--timeout)",
    ) -> Iterator[tuple[httpx.Response, RecordedRequest]]:
        """Send a request whose response is read, in the `with` block, by `total_s` at most."""
        interrupt.raise_if_pending()
        route = route_of(method, path)
        self._refuse_silent_route(route, method, path)
        with (
            self.budget.throttle.slot(self._refuse_after_deadline),
            self._send_now(
                method,
                path,
                route,
                json_body=json_body,
                content=content,
                headers=headers,
                auth=auth,
                params=params,
                total_s=total_s,
                read_timeout_s=read_timeout_s,
                limit_named=limit_named,
            ) as sent,
        ):
            yield sent

    def _refuse_after_deadline(self) -> None:
        """While a request waits for a slot: the run's time limit still ends it."""
        left = self.budget.seconds_left()
        if left is not None and left <= 0:
            raise self.budget.deadline_error()

    @contextmanager
    def _send_now(
        self,
        method: str,
        path: str,
        route: str,
        *,
        json_body: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        auth: bool,
        params: Mapping[str, Any] | None,
        total_s: float,
        read_timeout_s: float | None,
        limit_named: str,
    ) -> Iterator[tuple[httpx.Response, RecordedRequest]]:
        limit_s, cut_by_run = self._limit(total_s)
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
        read_s = min(read_timeout_s or self.timeout_s, limit_s)
        limit = _Limit(limit_s, read_s, limit_named, cut_by_run)
        timeout = httpx.Timeout(read_s, connect=min(CONNECT_TIMEOUT_S, limit_s))
        self._deadline.at = time.monotonic() + limit_s
        self._deadline.received = 0
        try:
            with self._client.stream(
                method,
                request.url,
                content=body,
                headers=request.headers,
                timeout=timeout,
            ) as response:
                if "x-oaiconform-simulate" not in all_headers:  # a 429 asked for cuts nothing
                    self.budget.throttle.note(response.status_code)
                yield response, recorded
        except httpx.HTTPError as exc:
            where = f"{method} {strip_userinfo(recorded.url)}"
            failure = self._failure(where, exc, limit)
            self._record_unanswered(recorded)
            overdue = self._deadline.at is not None and time.monotonic() >= self._deadline.at
            self.note_timing(route, timed_out=overdue and not cut_by_run)
            raise failure from None
        except TargetError:  # over the byte cap, an encoding we cannot read
            self._record_unanswered(recorded)
            raise
        finally:
            self._deadline.at = None

    def _log(self, exchange: Exchange, stream: StreamExchange | None = None) -> None:
        """Log what a test exchanged; a request sent ahead logs into its own outcome."""
        sink = self._sink.outcome
        exchanges = sink.exchanges if sink is not None else self.exchanges
        streams = sink.streams if sink is not None else self.streams
        exchanges.append(exchange)
        if stream is not None:
            streams.append(stream)

    def _speculate(self, key: Hashable, send: Callable[[], Any]) -> Any:
        speculation = self._speculation
        assert speculation is not None
        if speculation.recording:
            speculation.record(key, send)
        outcome = speculation.take(key)
        if outcome is None:
            return send()
        if broke_ahead(outcome):
            try:
                return send()
            except TargetUnreachableError:
                pass  # the route went silent meanwhile: what it gave ahead is the verdict
        return self.replay(outcome)

    def replay(self, outcome: Outcome) -> Any:
        """What a request sent ahead gave, as if sent now: logged, its error raised."""
        self.exchanges.extend(outcome.exchanges)
        self.streams.extend(outcome.streams)
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    def send_all(self, sends: list[Callable[[], Any]]) -> list[Outcome]:
        """Run each request-sending function, up to --concurrency at once, on pool threads;
        nothing is logged until the outcome is `replay`ed."""
        if not sends:
            return []
        self.budget.throttle.sent_ahead += len(sends)  # only ever on the test's thread
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="oaiconform-send") as pool:
            return list(pool.map(self._send_ahead, sends))

    def send_together(self, sends: list[Callable[[], Any]]) -> list[Outcome]:
        """Independent request-sending functions run at once (up to --concurrency), their
        logs kept in the order given, as a serial run's; each `Outcome` holds a value or the
        error it raised. Serial with --concurrency 1, or while a test is noted ahead (the
        first request ends it there, see `note_ahead`)."""
        recording = self._speculation is not None and self._speculation.recording
        if self.concurrency <= 1 or len(sends) < 2 or recording:
            outcomes = []
            for send in sends:
                outcome = Outcome()
                try:
                    outcome.value = send()
                except Recorded:
                    raise
                except Exception as exc:
                    outcome.error = exc
                outcomes.append(outcome)
                if outcome.error is not None:
                    break  # serially, nothing is sent after an error
            return outcomes
        outcomes = self.send_all(sends)
        for index, outcome in enumerate(outcomes):
            if broke_ahead(outcome):
                alone = self.send_together([sends[index]])[0]  # logged now
                if not isinstance(alone.error, TargetUnreachableError):
                    outcomes[index] = alone
                    continue
                # The route went silent meanwhile (the requests sent together timed out):
                # what it gave ahead is the verdict, as serially.
                self.exchanges.extend(outcome.exchanges)
                self.streams.extend(outcome.streams)
                continue
            self.exchanges.extend(outcome.exchanges)
            self.streams.extend(outcome.streams)
        return outcomes

    def _send_ahead(self, send: Callable[[], Any]) -> Outcome:
        """One noted request, sent on a pool thread: its answer and log kept for later."""
        outcome = Outcome()
        self._sink.outcome = outcome
        try:
            outcome.value = send()
        except Exception as exc:  # raised when the second pass asks for this answer
            outcome.error = exc
        finally:
            self._sink.outcome = None
        return outcome

    @property
    def concurrency(self) -> int:
        return self.budget.throttle.configured

    def speculatively(
        self,
        search: Callable[[], object],
        *,
        limit: int | None = None,
        leftovers: Callable[[list[Any]], None] | None = None,
    ) -> None:
        """Run `search` with its requests sent ahead, concurrently (concurrency.py).

        `search` runs twice on this thread: once noting its requests (wrap the function that
        sends in `speculative`), then, after they were sent at once, as it always runs, with
        the answers ready. `leftovers` gets the answers it never asked for again, however it
        ended (so the caller may remove what they created). With --concurrency 1 it runs
        once, serially.
        """
        outer = self._speculation
        if outer is not None and outer.recording:
            raise Recorded("a search")  # a test noted ahead (see `note_ahead`) ends here
        if self.concurrency <= 1:
            search()
            return
        speculation = Speculation(limit=limit)
        self._speculation = speculation
        try:
            # The recording pass decides nothing (its examples all "pass"): the second does.
            with contextlib.suppress(Exception):
                search()
            speculation.dispatch(self.send_all)
            search()
        finally:
            self._speculation = outer
            if leftovers is not None:
                leftovers([o.value for o in speculation.leftovers() if o.value is not None])

    def note_ahead(self, tests: list[Callable[[], object]]) -> int:
        """Send the first request of each test at once; the tests, run later one by one, are
        answered from them (until `forget_ahead`). Each is called once with this Target
        recording: it ends at its first request, whatever it raises. Returns how many
        requests were sent ahead."""
        self.forget_ahead()
        speculation = Speculation()
        self._speculation = speculation
        for test in tests:
            try:
                test()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # noqa: S112 - a skip or a failure before any request: none noted
                continue
        sent = len(speculation.calls)
        speculation.dispatch(self.send_all)
        return sent

    def forget_ahead(self) -> None:
        """Answers sent ahead for tests that did not ask for them are dropped (they were
        counted by the budget when sent)."""
        self._speculation = None

    def speculative(self, function: Callable[_P, None]) -> Callable[_P, None]:
        """`function` (one example of a search) ends quietly on the recording pass once it
        has noted its request, as if the example passed."""

        @functools.wraps(function)
        def example(*args: _P.args, **kwargs: _P.kwargs) -> None:
            try:
                function(*args, **kwargs)
            except Recorded:
                return

        return example

    def note_timing(self, route: str, *, timed_out: bool) -> None:
        """Count an answer cut by the time limit on `route`, or reset its count."""
        if timed_out:
            self._timed_out[route] = self._timed_out.get(route, 0) + 1
        else:
            self._timed_out.pop(route, None)

    def _refuse_silent_route(self, route: str, method: str, path: str) -> None:
        count = self._timed_out.get(route, 0)
        if count >= SILENT_ROUTE_LIMIT:
            raise TargetUnreachableError(
                f"{method} {strip_userinfo(self.url(path))}: not sent: the target stopped "
                f"answering {route} in time ({count} requests in a row ran into the time "
                "limit); raise --timeout if it is only slow"
            )

    def _record_unanswered(self, recorded: RecordedRequest) -> None:
        """Log a request that got no usable answer (status 0), so the failure's curl repro
        is this request, not the one before it."""
        self._log(Exchange(request=recorded, status=0))

    def _not_redirected(self, exchange: Exchange) -> None:
        """A redirect is never followed (our key would go with it): it is the target's fault."""
        location = exchange.header("location")
        if 300 <= exchange.status < 400 and location is not None:
            raise TargetError(
                f"{exchange.describe()}: a redirect to {strip_userinfo(location)}, not followed "
                "(the API must answer at its own URL; the key is never sent elsewhere)"
            )

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
        """Send one request and read the whole response, within the time and byte caps.

        The time cap is total (connect, headers and body, --timeout), not only between bytes;
        the byte cap applies to the decoded body. Either one hit is a TargetError.
        """

        def send() -> Exchange:
            return self._request(
                method, path, json=json, content=content, headers=headers, params=params, auth=auth
            )

        if self._speculation is None:
            return send()
        key = ("request", method, path, _body_key(json, content), _items(headers), _items(params))
        return self._speculate((*key, auth), send)  # type: ignore[no-any-return]

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        auth: bool,
    ) -> Exchange:
        started = time.perf_counter()
        with self._send(
            method,
            path,
            json_body=json,
            content=content,
            headers=headers,
            auth=auth,
            params=params,
            total_s=self.timeout_s,
        ) as (response, recorded):
            body = self._read_body(response, recorded)
            exchange = Exchange(
                request=recorded,
                status=response.status_code,
                headers=tuple(response.headers.items()),
                body=body,
                elapsed_s=time.perf_counter() - started,
                received_at=time.time(),
            )
        self.note_timing(route_of(method, path), timed_out=False)
        self.budget.latencies_s.append(exchange.elapsed_s)  # atomic: safe across threads
        self._log(exchange)
        self._not_redirected(exchange)
        return exchange

    def _read_body(self, response: httpx.Response, recorded: RecordedRequest) -> bytes:
        where = f"{recorded.method} {strip_userinfo(recorded.url)}"
        cap = self.max_response_bytes
        try:
            decoder = _BodyDecoder(response.headers.get("content-encoding", ""))
            chunks: list[bytes] = []
            size = 0
            for raw in response.iter_raw():
                chunk = decoder.feed(raw, cap - size)
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    # The exception's traceback keeps this frame alive as long as the test's
                    # report does: let go of the bytes, or every such test holds a full cap.
                    chunks.clear()
                    del chunk, raw
                    decoded = " decoded" if decoder.encoding not in ("", "identity") else ""
                    raise TargetError(
                        f"{where}: the response exceeded the byte cap of {cap} bytes{decoded} "
                        "(--max-response-bytes)"
                    )
        except ValueError as exc:  # an encoding we cannot (or did not ask to) decode
            raise TargetError(f"{where} -> {response.status_code}: {exc}") from None
        return b"".join(chunks)

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
        arrived. A non-SSE answer is read whole, as `request` reads it. On the wire the whole
        request (connect and head included) ends by the total cap plus one idle timeout: a
        target that never sends the head is a TargetError.
        """

        def send() -> StreamExchange:
            return self._stream(method, path, json, headers, auth, caps)

        caps = (idle_timeout_s, total_timeout_s, max_bytes)
        if self._speculation is None:
            return send()
        if self.concurrent_streams:
            key = ("stream", method, path, _body_key(json, None), _items(headers), auth, caps)
            return self._speculate(key, send)  # type: ignore[no-any-return]
        if self._speculation.recording:
            # Not sent ahead unless --concurrent-streams: a server that generates one answer
            # at a time may cut a stream short when another request arrives (llama-cpp-python
            # does by default, its `interrupt_requests`), which a serial run never sees.
            raise Recorded("a stream")
        return send()

    def _stream(
        self,
        method: str,
        path: str,
        json: Any,
        headers: Mapping[str, str] | None,
        auth: bool,
        caps: tuple[float | None, float | None, int | None],
    ) -> StreamExchange:
        idle_timeout_s, total_timeout_s, max_bytes = caps
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
            # On the wire the stream gets one idle timeout beyond its total cap: a stream that
            # went silent just before the cap is then reported as stalled, which it is.
            total_s=total + idle,
            read_timeout_s=idle,
            limit_named=f"the stream's total cap of {total:g} s plus its idle timeout",
        ) as (response, recorded):
            deadline_at = self._deadline.at or time.monotonic() + total
            reader = _StreamReader(response, started, idle, total, cap, deadline_at)
            reader.read()
            # Its head came in time: the route answers. A stream that stalls or never ends is
            # judged by the stream checks, with their own caps, and does not trip the route.
            self.note_timing(route_of(method, path), timed_out=False)
            left = self.budget.seconds_left()
            if reader.overdue and left is not None and left <= 0:
                raise self.budget.deadline_error()  # the run's time is up, not the stream's
        head = Exchange(
            request=recorded,
            status=response.status_code,
            headers=tuple(response.headers.items()),
            body=reader.body,
            elapsed_s=time.perf_counter() - started,
            truncated=reader.truncated,
            received_at=time.time(),
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
        self._log(head, result)
        self._not_redirected(head)
        return result

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def probe(self) -> None:
        """Fail fast (TargetUnreachableError) when nothing answers at the base URL.

        Only the response head is read, within --timeout in total: what the body holds is
        for the tests to judge.
        """
        self._deadline.at = time.monotonic() + self.timeout_s
        try:
            with self._client.stream(
                "GET", self.url("models"), headers=self._headers(None, True)
            ) as response:
                _ = response.status_code
        except httpx.HTTPError as exc:
            overdue = time.monotonic() >= self._deadline.at
            reason = (
                f"no complete response head within {self.timeout_s:g} s (--timeout)"
                if overdue
                else _describe_transport_error(exc, self.timeout_s)
            )
            raise TargetUnreachableError(
                f"target {self.display_url} is unreachable: {reason}"
            ) from None
        finally:
            self._deadline.at = None

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


def broke_ahead(outcome: Outcome) -> bool:
    """A request sent beside others whose exchange broke (reset, cut, timed out): it is sent
    again alone before anyone judges it. Some servers break requests that arrive together
    (llama-cpp-python resets connections of malformed bodies sent at once), which a serial
    run never meets; a target that breaks it alone too fails as it would serially. When the
    route is no longer asked by then (3 timeouts in a row, see `_refuse_silent_route`), the
    error it gave ahead stands."""
    return isinstance(outcome.error, TargetError)


class _Sink(threading.local):
    """Where a pool thread's request logs its exchanges (None: the test's own log)."""

    outcome: Outcome | None = None


def _body_key(json_body: Any, content: bytes | None) -> Hashable:
    return content if json_body is None else json.dumps(json_body)


def _items(mapping: Mapping[str, Any] | None) -> Hashable:
    return tuple(sorted((str(k), str(v)) for k, v in (mapping or {}).items()))


def _asks_for_stream(body: bytes) -> bool:
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True


class _StreamReader:
    """Reads one response: events with arrival times for SSE, the whole body otherwise."""

    def __init__(
        self,
        response: httpx.Response,
        started: float,
        idle_s: float,
        total_s: float,
        cap: int,
        deadline_at: float,
    ) -> None:
        self.response = response
        self.started = started
        self.deadline_at = deadline_at  # monotonic: when the wire gives up (see Target.stream)
        self.overdue = False
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
            decoder = _BodyDecoder(self.response.headers.get("content-encoding", ""))
            for raw in self.response.iter_raw():
                chunk = decoder.feed(raw, self.cap - self.size)
                now = time.perf_counter() - self.started
                self._add(chunk, now)
                if self.size > self.cap:
                    self.truncated = True
                    self.interrupted = f"the response exceeded the byte cap of {self.cap} bytes"
                    return
                if now > self.total_s:
                    self._too_long()
                    return
        except httpx.ReadTimeout:
            if time.monotonic() >= self.deadline_at:  # cut short by the total, not a stall
                self._too_long()
            else:
                self.interrupted = (
                    f"no data for {self.idle_s:g} s {self._where()} (the stream stalled)"
                )
        except httpx.HTTPError as exc:
            self.interrupted = (
                f"the connection failed {self._where()}: "
                f"{_describe_transport_error(exc, self.idle_s)}"
            )
        except ValueError as exc:  # an encoding we cannot (or did not ask to) decode
            self.interrupted = f"the body cannot be read {self._where()}: {exc}"
        finally:
            if self.is_sse:
                now = time.perf_counter() - self.started
                self.events.extend(StreamEvent(e.data, e.event, now) for e in self.parser.close())

    def _too_long(self) -> None:
        self.overdue = True
        self.interrupted = (
            f"the stream did not end within {self.total_s:g} s ({len(self.events)} events received)"
        )
