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
from oaiconform.mock.handlers import chat, models
from oaiconform.mock.state import MockState
from oaiconform.spec import Spec

# Each handler module lists its own routes (paths under /v1); add a module here to serve it.
HANDLER_MODULES = (models, chat)

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
                message["headers"] = [
                    *message.get("headers", []),
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
    app = Starlette(
        routes=routes,
        exception_handlers={
            APIError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.mock = MockState(config, spec)
    wrapped: ASGIApp = StandardHeaders(AuthLayer(app, config.api_keys))
    faults = resolve_faults(config.faults)
    if faults:
        wrapped = FaultLayer(wrapped, faults, config.api_keys)
    return wrapped


__all__ = ["create_app"]
