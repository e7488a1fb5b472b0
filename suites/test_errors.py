"""Errors and authentication: status codes and the error envelope."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.errors import error_code_is, key_not_echoed, unauthorized
from oaiconform.settings import Settings
from oaiconform.target import Target

# Routes outside the core ones are probed too: a server that guards only some routes fails.
GUARDED_ROUTES = [
    pytest.param("GET", "models", None, id="GET-models"),
    pytest.param("GET", "models/{model}", None, id="GET-models-model"),
    pytest.param("POST", "chat/completions", "chat", id="POST-chat-completions"),
    pytest.param("POST", "embeddings", "embeddings", id="POST-embeddings"),
    pytest.param("GET", "files", None, id="GET-files"),
]


def _body(kind: str | None, settings: Settings) -> Any:
    if kind == "chat":
        return {
            "model": settings.model,
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "hi"}],
        }
    if kind == "embeddings":
        return {"model": settings.embedding_model, "input": "hi"}
    return None


def _send(
    target: Target,
    settings: Settings,
    method: str,
    path: str,
    kind: str | None,
    authorization: str | None,
) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return target.request(
        method,
        path.format(model=settings.model),
        json=_body(kind, settings),
        headers=headers,
        auth=False,
    )


@pytest.mark.feature("errors.auth")
@pytest.mark.parametrize(("method", "path", "kind"), GUARDED_ROUTES)
def test_auth_a_request_without_authorization_gets_401(
    target: Target, settings: Settings, method: str, path: str, kind: str | None
) -> None:
    """No Authorization header: 401 with the error envelope."""
    expect(unauthorized(_send(target, settings, method, path, kind, None)))


@pytest.mark.feature("errors.auth")
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Bearer", id="bearer-without-token"),
    ],
)
def test_auth_a_malformed_authorization_gets_401(
    target: Target, settings: Settings, authorization: str
) -> None:
    """A non-Bearer scheme or a Bearer without a token: 401 with the error envelope."""
    expect(unauthorized(_send(target, settings, "GET", "models", None, authorization)))


@pytest.mark.feature("errors.auth")
@pytest.mark.parametrize(("method", "path", "kind"), GUARDED_ROUTES)
def test_auth_an_unknown_key_gets_401_invalid_api_key(
    target: Target, settings: Settings, method: str, path: str, kind: str | None
) -> None:
    """An unknown key: 401, code invalid_api_key, and the key is not echoed back in full."""
    key = f"sk-oaiconform-unknown-{secrets.token_hex(12)}"
    exchange = _send(target, settings, method, path, kind, f"Bearer {key}")
    expect(unauthorized(exchange))
    expect(error_code_is(exchange, "invalid_api_key"), key_not_echoed(exchange, key))
