"""The mock's ASGI application: routes, auth, standard headers, and the error boundary."""

from __future__ import annotations

import time
import uuid

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
)
from oaiconform.mock.state import MockState
from oaiconform.spec import Spec

# Each handler module lists its own routes (paths under /v1); add a module here to serve it.
HANDLER_MODULES = (
    models,
    chat,
    stored_completions,
    files,
    batches,
    responses,
    embeddings,
    moderations,
    completions,
)

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def _mask(key: str) -> str:
    return f"{key[:3]}***{key[-4:]}" if len(key) > 10 else "***"


def _envelope(status: int, message: str, code: str | None = None) -> bytes:
    return bytes(APIError(status, message, code=code).response().body)


class AuthLayer:
    """401 with the envelope for a missing, malformed or unknown bearer key, on every route."""

    def __init__(self, app: ASGIApp, api_keys: tuple[str, ...]) -> None:
        self.app = app
        self.api_keys = frozenset(api_keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"authorization"),
            None,
        )
        scheme, _, key = (header or "").partition(" ")
        key = key.strip()
        if header is None or (not key and scheme.lower() == "bearer"):
            body, code = _envelope(401, _MISSING_KEY), None
        elif scheme.lower() != "bearer":
            body, code = _envelope(401, _MISSING_KEY, "invalid_api_key"), "invalid_api_key"
        elif key not in self.api_keys:
            body = _envelope(401, f"Incorrect API key provided: {_mask(key)}.", "invalid_api_key")
            code = "invalid_api_key"
        else:
            scope.setdefault("state", {})["api_key"] = key
            await self.app(scope, receive, send)
            return
        del code
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="OpenAI API"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


SIMULATE_HEADER = b"x-oaiconform-simulate"


class SimulatedConditions:
    """Conditions a client cannot provoke on demand, answered when a request asks for them.

    `x-oaiconform-simulate: rate_limit` gets the 429 the API sends when a rate limit is hit:
    the envelope (type "requests", code "rate_limit_exceeded"), `retry-after` (seconds) and
    `retry-after-ms`, and x-ratelimit-remaining-requests 0. It sits behind AuthLayer, so as in
    the API a request without a valid key still gets 401. Other values are ignored.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = dict(scope["headers"]).get(SIMULATE_HEADER) if scope["type"] == "http" else None
        if asked != b"rate_limit":
            await self.app(scope, receive, send)
            return
        error = APIError(
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
        )
        await error.response()(scope, receive, send)


class StandardHeaders:
    """x-request-id, openai-processing-ms and rate-limit headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                defaults = [
                    (b"x-request-id", f"req_{uuid.uuid4().hex}".encode()),
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                    (b"openai-version", b"2020-10-01"),
                    (b"x-ratelimit-limit-requests", b"10000"),
                    (b"x-ratelimit-remaining-requests", b"9999"),
                    (b"x-ratelimit-reset-requests", b"6ms"),
                    (b"x-ratelimit-limit-tokens", b"10000000"),
                    (b"x-ratelimit-remaining-tokens", b"9999000"),
                    (b"x-ratelimit-reset-tokens", b"0s"),
                ]
                # A response that set one itself (a simulated 429) keeps its own value.
                message["headers"] = [
                    *headers,
                    *((name, value) for name, value in defaults if name not in present),
                ]
            await send(message)

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


def create_app(config: MockConfig, spec: Spec) -> ASGIApp:
    """The mock as an ASGI app; faults (if any) wrap the correct server from the outside."""
    routes = [route for module in HANDLER_MODULES for route in module.ROUTES]
    routes += generic_routes(spec)  # last: any documented operation no handler above serves
    app = Starlette(
        routes=routes,
        exception_handlers={
            APIError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.mock = MockState(config, spec)
    wrapped: ASGIApp = StandardHeaders(AuthLayer(SimulatedConditions(app), config.api_keys))
    faults = resolve_faults(config.faults)
    if faults:
        wrapped = FaultLayer(wrapped, faults, config.api_keys)
    return wrapped


__all__ = ["create_app"]
