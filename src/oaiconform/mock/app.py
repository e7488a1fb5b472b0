"""The mock's ASGI application: routes, auth, standard headers, and the error boundary."""

from __future__ import annotations

import os
import random
import time

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oaiconform.mock.config import MockConfig
from oaiconform.mock.errors import APIError
from oaiconform.mock.faults import FaultLayer, resolve_faults
from oaiconform.mock.generic import generic_routes
from oaiconform.mock.handlers import (
    batches,
    chat,
    completions,
    embeddings,
    files,
    models,
    moderations,
    responses,
    stored_completions,
    uploads,
)
from oaiconform.mock.lenient import LenientLayer
from oaiconform.mock.state import MockState
from oaiconform.spec import Spec

# Each handler module lists its own routes (paths under /v1); add a module here to serve it.
# Starlette tries routes in order: chat completions, the most requested, come first.
HANDLER_MODULES = (
    chat,
    models,
    stored_completions,
    files,
    batches,
    responses,
    embeddings,
    moderations,
    completions,
    uploads,
)

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def _mask(key: str) -> str:
    return f"{key[:3]}***{key[-4:]}" if len(key) > 10 else "***"


def _envelope(status: int, message: str, code: str | None = None) -> bytes:
    return bytes(APIError(status, message, code=code).response().body)


def _authenticate(
    header: str | None, api_keys: frozenset[str], *, any_key: bool = False
) -> str | bytes:
    """The bearer key when it is one of `api_keys` (or any key: `any_key`), else the body of
    the 401 (bytes)."""
    scheme, _, key = (header or "").partition(" ")
    key = key.strip()
    if header is None or (not key and scheme.lower() == "bearer"):
        return _envelope(401, _MISSING_KEY)
    if scheme.lower() != "bearer":
        return _envelope(401, _MISSING_KEY, "invalid_api_key")
    if key not in api_keys and not any_key:
        return _envelope(401, f"Incorrect API key provided: {_mask(key)}.", "invalid_api_key")
    return key


SIMULATE_HEADER = b"x-oaiconform-simulate"


def _rate_limited() -> Response:
    """The 429 the API sends when a rate limit is hit (asked for with the simulate header)."""
    return APIError(
        429,
        "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, "
        "Requested 1. Please try again in 1s.",
        code="rate_limit_exceeded",
        error_type="requests",
        headers={
            "retry-after": "1",
            "retry-after-ms": "1000",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s",
        },
    ).response()


# Sent on every response; computed once, since they are the same for every request.
_FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"openai-version", b"2020-10-01"),
    (b"x-ratelimit-limit-requests", b"10000"),
    (b"x-ratelimit-remaining-requests", b"9999"),
    (b"x-ratelimit-reset-requests", b"6ms"),
    (b"x-ratelimit-limit-tokens", b"10000000"),
    (b"x-ratelimit-remaining-tokens", b"9999000"),
    (b"x-ratelimit-reset-tokens", b"0s"),
)
# Request ids: 128 random bits from a generator seeded once from the OS (no system call per
# request, unlike uuid4), so they are unique in practice and carry no meaning.
_REQUEST_IDS = random.Random(os.urandom(32))
_STANDARD_NAMES = frozenset(
    {b"x-request-id", b"openai-processing-ms", *(name for name, _ in _FIXED_HEADERS)}
)


def _with_standard_headers(
    headers: list[tuple[bytes, bytes]], elapsed_ms: int
) -> list[tuple[bytes, bytes]]:
    """x-request-id, openai-processing-ms and the rate-limit headers after a response's own;
    one it set itself (a simulated 429's) keeps its value."""
    defaults = [
        (b"x-request-id", b"req_%032x" % _REQUEST_IDS.getrandbits(128)),
        (b"openai-processing-ms", b"%d" % elapsed_ms),
        *_FIXED_HEADERS,
    ]
    for name, _ in headers:
        if name.lower() in _STANDARD_NAMES:  # rare: the common case builds no set
            present = {name.lower() for name, _ in headers}
            defaults = [(n, value) for n, value in defaults if n not in present]
            break
    return headers + defaults


class Gateway:
    """What every request meets around the routes, in the API's order.

    1. Auth: 401 with the envelope for a missing, malformed or unknown bearer key, on every
       route (with `www-authenticate`).
    2. Simulated conditions a client cannot provoke on demand: `x-oaiconform-simulate:
       rate_limit` gets the 429 the API sends when a rate limit is hit (the envelope with type
       "requests" and code "rate_limit_exceeded", `retry-after`, `retry-after-ms`,
       x-ratelimit-remaining-requests 0). It comes after auth, so as in the API a request
       without a valid key still gets 401. Other values are ignored.
    3. Standard headers on every response, those two included.

    One pure-ASGI layer, not three: it runs on every request, and each layer cost a coroutine
    frame, a send wrapper or a pass over the headers (the mock's share of its server stack is
    measured by benchmarks/bench_mock.py).
    """

    def __init__(self, app: ASGIApp, api_keys: tuple[str, ...], *, lenient: bool = False) -> None:
        self.app = app
        self.api_keys = frozenset(api_keys)
        self.lenient = lenient  # any bearer key is accepted (mock --lenient)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                message["headers"] = _with_standard_headers(
                    list(message.get("headers", ())), elapsed_ms
                )
            await send(message)

        authorization: str | None = None
        asked: bytes | None = None
        for name, value in scope["headers"]:
            if authorization is None and name.lower() == b"authorization":
                authorization = value.decode("latin-1")  # the first one
            elif name == SIMULATE_HEADER:
                asked = value  # the last one, as a dict of the headers would keep
        key = _authenticate(authorization, self.api_keys, any_key=self.lenient)
        if isinstance(key, bytes):
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(key)).encode()),
                        (b"www-authenticate", b'Bearer realm="OpenAI API"'),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": key})
            return
        if asked == b"rate_limit":
            await _rate_limited()(scope, receive, send_with_headers)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send_with_headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"Invalid URL ({request.method} {request.url.path})"
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed for {request.url.path}"
    else:
        message = str(exc.detail)
    return APIError(exc.status_code, message).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    # A bug in the mock, never the client's fault: still the envelope, never a traceback.
    return JSONResponse(
        {
            "error": {
                "message": "The server had an error while processing your "
                f"request ({type(exc).__name__}).",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
        status_code=500,
    )


_EXCEPTION_HANDLERS = {
    APIError: _api_error,
    HTTPException: _http_error,
    Exception: _server_error,
}


def create_app(config: MockConfig, spec: Spec, state: MockState | None = None) -> ASGIApp:
    """The mock as an ASGI app; faults (if any) wrap the correct server from the outside.
    `state`, when given, is the one it serves (a self-test seeds its store directly)."""
    routes = [route for module in HANDLER_MODULES for route in module.ROUTES]
    generic = generic_routes(spec, full=config.lenient)
    routes += generic  # last: any documented operation no handler above serves
    app = Starlette(routes=routes, exception_handlers=_EXCEPTION_HANDLERS)
    app.state.mock = state if state is not None else MockState(config, spec)
    served: ASGIApp = app
    if config.lenient:
        fallback = Starlette(routes=generic, exception_handlers=_EXCEPTION_HANDLERS)
        fallback.state.mock = app.state.mock
        served = LenientLayer(app, fallback, config.max_body_bytes)
    wrapped: ASGIApp = Gateway(served, config.api_keys, lenient=config.lenient)
    faults = resolve_faults(config.faults)
    if faults:
        wrapped = FaultLayer(wrapped, faults, config.api_keys)
    return wrapped


__all__ = ["create_app"]
