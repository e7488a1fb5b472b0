"""Telling "the target has no such endpoint" apart from a failure of an endpoint it has.

A 404 means two different things: no such route (the feature is not implemented) or no such
object (the route exists and judged an id, a model, a file). Servers word both in their own
ways: one answers every unknown route with `404 {"error": {"code": "not_found"}}`, another
with FastAPI's `{"detail": "Not Found"}`, another with OpenAI's "Invalid URL (GET /v1/...)".
So the decision is made by evidence: `route_probe` asks the target once for a route that
cannot exist and learns its `MissShape`; a 404 that has that shape is a missing route, one
that does not is about an object. Without a learned shape, `route_missing` guesses from the
body alone, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from oaiconform.exchange import Exchange

_RESOURCE_CODES = frozenset({"model_not_found", "not_found"})
_METHODS = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]*>")
_MESSAGE_CHARS = 200


def route_missing(exchange: Exchange) -> bool:
    """A 404/405 on a valid request, not about a named resource (e.g. an unknown model).

    The guess from the body alone, used when the target's own answer to an unknown route is
    not known (see `decide_route`)."""
    if exchange.status not in (404, 405):
        return False
    if exchange.status == 404 and exchange.is_json:
        body = exchange.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") in _RESOURCE_CODES:
            return False
    return True


def _looks_like_unknown_route(exchange: Exchange) -> bool:
    """On a path with an id, a 404 envelope is about that id unless it reads "Invalid URL":
    a generated id rarely exists, and OpenAI answers an unknown file with `code: null`."""
    if exchange.status == 405:
        return True
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return True
    return str(error.get("message", "")).startswith("Invalid URL")


def guess_route_missing(exchange: Exchange, *, path_has_ids: bool) -> bool:
    """The guess from the body alone (no learned MissShape)."""
    return route_missing(exchange) and (not path_has_ids or _looks_like_unknown_route(exchange))


@dataclass(frozen=True)
class MissShape:
    """How a target answers a route it does not have: what two 404s must share to be one kind."""

    status: int
    media_type: str
    body: str  # "envelope", "json:<sorted keys>", "html", "text" or "empty"
    code: str | None  # error.code of an envelope
    message: str  # the message or text, with the request's path and method and digits folded

    def describe(self) -> str:
        code = f" code {self.code!r}" if self.code is not None else ""
        media = self.media_type or "no content type"
        return f"{self.status} {media} {self.body}{code} {self.message!r}"


def message_of(exchange: Exchange) -> tuple[str, str, str | None]:
    """(body kind, message, code) of an answer: the envelope's `error.message`, a flat body's
    `detail`/`message`/`error`/`msg`, or the text of a page."""
    if not exchange.body.strip():
        return "empty", "", None
    if exchange.is_json:
        body: Any = exchange.json()
        if not isinstance(body, dict):
            return f"json:{type(body).__name__}", "", None
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            return "envelope", str(error.get("message") or ""), None if code is None else str(code)
        for key in ("detail", "message", "error", "msg"):
            if isinstance(body.get(key), str):
                return f"json:{','.join(sorted(body))}", str(body[key]), None
        return f"json:{','.join(sorted(body))}", "", None
    text = exchange.body[:2000].decode("utf-8", errors="replace")
    if "html" in exchange.media_type or text.lstrip().startswith("<"):
        return "html", _TAGS.sub(" ", text), None
    return "text", text, None


def _fold(message: str, url: str) -> str:
    """The message with what differs between two requests to unknown routes taken out."""
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    # The longest suffix of the path first: "/v1/files/x/y", then "files/x/y", ..., then "y".
    for start in range(len(segments)):
        suffix = re.escape("/".join(segments[start:]))
        message = re.sub(rf"(?<![\w-])/?{suffix}(?![\w-])", "{path}", message)
    message = _METHODS.sub("{method}", message)
    message = _DIGITS.sub("#", message)
    return _SPACES.sub(" ", message).strip().lower()[:_MESSAGE_CHARS]


def miss_shape(exchange: Exchange) -> MissShape:
    kind, message, code = message_of(exchange)
    return MissShape(
        exchange.status, exchange.media_type, kind, code, _fold(message, exchange.request.url)
    )


@dataclass(frozen=True)
class RouteDecision:
    """Whether an answer says the route is missing, and the evidence for it."""

    missing: Literal["route", "object", "no"]
    reason: str

    @property
    def route_missing(self) -> bool:
        return self.missing == "route"


def decide_route(
    exchange: Exchange, learned: MissShape | None, *, path_has_ids: bool = False
) -> RouteDecision:
    """Route or object missing, judged against the target's answer to an unknown route
    (`learned`); with nothing learned, by the body alone (`guess_route_missing`)."""
    if exchange.status == 405:
        return RouteDecision("route", "405: the target does not allow this method on this path")
    if exchange.status != 404:
        return RouteDecision("no", f"{exchange.status}: the route answered")
    if learned is None:
        guessed = guess_route_missing(exchange, path_has_ids=path_has_ids)
        return RouteDecision(
            "route" if guessed else "object",
            "404 read from its body alone (the target's answer to an unknown route is not known)",
        )
    shape = miss_shape(exchange)
    if shape == learned:
        return RouteDecision(
            "route", f"the 404 is the target's answer to an unknown route ({learned.describe()})"
        )
    return RouteDecision(
        "object",
        f"the 404 ({shape.describe()}) differs from the target's answer to an unknown route "
        f"({learned.describe()}): it is about an object of a route that exists",
    )
