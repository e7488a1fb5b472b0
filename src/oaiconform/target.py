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
from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.redact import strip_userinfo
from oaiconform.settings import Secret

CONNECT_TIMEOUT_S = 5.0


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
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                self.exhausted = True
                raise BudgetExhaustedError(f"request budget of {self.limit} requests is spent")
            self.used += 1


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
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.budget = budget
        self.embedded_mock = embedded_mock
        self.exchanges: list[Exchange] = []  # of the current test; the plugin clears it
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
            follow_redirects=False,  # a redirect is reported, never followed with our key
            headers={"User-Agent": f"oaiconform/{__version__}"},
        )

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
        try:
            with self._client.stream(
                method, request.url, content=body, headers=request.headers
            ) as response:
                yield response, recorded
        except httpx.HTTPError as exc:
            raise TargetError(
                f"{method} {strip_userinfo(str(request.url))}: "
                f"{_describe_transport_error(exc, self.timeout_s)}"
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
            parts += ["-H", f"{name}: {value}"]
        if request.body:
            parts += ["--data-binary", request.body.decode("utf-8", errors="replace")]
        return " ".join(
            shlex.quote(p) if not p.startswith("Authorization: Bearer $") else f'"{p}"'
            for p in parts
        )
