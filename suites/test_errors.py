"""Errors and authentication: status codes, the error envelope, and the param they name.

The malformed-body and invalid-parameter probes go to each generation endpoint the target
serves (chat, completions, embeddings, moderations, responses), so an embeddings-only server
is judged on its embeddings route. Endpoints outside a target's scope are not applicable, with
the reason, not failed: their absence is the business of their own feature (`embeddings`,
...). Whether a 404 means "no such endpoint" is judged against the target's own answer to a
route that cannot exist (route_probe).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.errors import (
    bad_request,
    declared_text_refused,
    error_code_is,
    error_envelope,
    error_param_names,
    error_response,
    key_not_echoed,
    model_not_found,
    route_not_found,
    unauthorized,
)
from oaiconform.exchange import Exchange
from oaiconform.plugin import route_decision, served
from oaiconform.settings import Settings
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

UNKNOWN_MODEL = "oaiconform-no-such-model"
SIMULATE_RATE_LIMIT = {"x-oaiconform-simulate": "rate_limit"}  # the embedded mock's 429

# Routes outside the core ones are probed too: a server that guards only some routes fails.
GUARDED_ROUTES = [
    pytest.param("GET", "models", None, id="GET-models"),
    pytest.param("GET", "models/{model}", None, id="GET-models-model"),
    pytest.param("POST", "chat/completions", "chat", id="POST-chat-completions"),
    pytest.param("POST", "completions", "completions", id="POST-completions"),
    pytest.param("POST", "embeddings", "embeddings", id="POST-embeddings"),
    pytest.param("GET", "files", None, id="GET-files"),
]


# The generation endpoints, each probed with malformed bodies and invalid parameters.
ENDPOINTS = {
    "chat": "chat/completions",
    "completions": "completions",
    "embeddings": "embeddings",
    "moderations": "moderations",
    "responses": "responses",
}


def _body(kind: str | None, settings: Settings, model: str | None = None) -> Any:
    if kind == "chat":
        return {
            "model": model or settings.model,
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "hi"}],
        }
    if kind == "completions":
        return {"model": model or settings.completion_model, "prompt": "hi", "max_tokens": 1}
    if kind == "embeddings":
        return {"model": model or settings.embedding_model, "input": "hi"}
    if kind == "moderations":
        return {"model": model or settings.moderation_model, "input": "hi"}
    if kind == "responses":
        return {"model": model or settings.model, "input": "hi", "max_output_tokens": 16}
    return None


def _send(
    target: Target,
    settings: Settings,
    method: str,
    path: str,
    kind: str | None,
    authorization: str | None,
) -> Exchange:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return target.request(
        method,
        path.format(model=settings.model),
        json=_body(kind, settings),
        headers=headers,
        auth=False,
    )


def _skip_if_route_missing(target: Target, method: str, path: str, refused: Exchange) -> None:
    """A 404/405 may mean the target has no such endpoint; a POST of {} tells (400 if it has)."""
    if not route_decision(refused).route_missing:
        return
    served(target.request(method, path, json={} if method == "POST" else None))


def _unauthenticated(
    target: Target, settings: Settings, method: str, path: str, kind: str | None, auth: str | None
) -> Exchange:
    exchange = _send(target, settings, method, path, kind, auth)
    _skip_if_route_missing(target, method, path.format(model=settings.model), exchange)
    return exchange


@pytest.mark.feature("errors.auth")
@pytest.mark.parametrize(("method", "path", "kind"), GUARDED_ROUTES)
def test_auth_a_request_without_authorization_gets_401(
    target: Target, settings: Settings, method: str, path: str, kind: str | None
) -> None:
    """No Authorization header: 401 with the error envelope."""
    expect(unauthorized(_unauthenticated(target, settings, method, path, kind, None)))


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
    exchange = _unauthenticated(target, settings, method, path, kind, f"Bearer {key}")
    expect(unauthorized(exchange))
    expect(error_code_is(exchange, "invalid_api_key"), key_not_echoed(exchange, key))


def _envelope_probe(target: Target, settings: Settings, probe: str) -> Exchange:
    chat = "chat/completions"
    bad_json = {"Content-Type": "application/json"}
    if probe == "unknown-model":
        return served(target.get(f"models/{UNKNOWN_MODEL}"))
    if probe == "unknown-file":
        return served(target.get("files/file-oaiconform-no-such-file"))
    if probe == "chat-invalid-json":
        return served(target.post(chat, content=b'{"model": ', headers=bad_json))
    if probe == "embeddings-invalid-json":
        return served(target.post("embeddings", content=b'{"input": ', headers=bad_json))
    if probe == "chat-invalid-parameter":
        return served(target.post(chat, json={"model": settings.model, "messages": "hi"}))
    return target.get("models", headers=SIMULATE_RATE_LIMIT)  # marked rate_limit_on_demand


@pytest.mark.feature("errors.envelope")
@pytest.mark.parametrize(
    "probe",
    [
        "unknown-model",
        "unknown-file",
        "chat-invalid-json",
        "embeddings-invalid-json",
        "chat-invalid-parameter",
        pytest.param("rate-limited", marks=pytest.mark.requires("rate_limit_on_demand")),
    ],
)
def test_envelope_every_error_is_json_with_the_error_object(
    target: Target, settings: Settings, probe: str
) -> None:
    """Errors on several endpoints are application/json {"error": {message, type, param, code}}.

    401s are checked by the errors.auth tests, which require the same envelope.
    """
    expect(error_response(_envelope_probe(target, settings, probe)))


@pytest.mark.feature("errors.envelope")
@pytest.mark.parametrize(
    ("method", "path", "wrong_method"),
    [
        pytest.param("GET", "oaiconform-no-such-route", False, id="GET-unknown-route"),
        pytest.param("POST", "oaiconform/no/such/route", False, id="POST-unknown-route"),
        pytest.param("DELETE", "models", True, id="DELETE-models"),
        pytest.param("PUT", "embeddings", True, id="PUT-embeddings"),
    ],
)
def test_envelope_unknown_routes_and_wrong_methods_get_404_or_405(
    target: Target, method: str, path: str, wrong_method: bool
) -> None:
    """An unknown route gets 404, a wrong method 404 or 405; both with the envelope."""
    exchange = target.request(method, path, json={} if method in ("POST", "PUT") else None)
    expect(route_not_found(exchange, wrong_method=wrong_method))


@pytest.mark.feature("errors.invalid_json")
@pytest.mark.parametrize("kind", list(ENDPOINTS))
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b'{"model": "m", "messages": [', "application/json", id="truncated"),
        pytest.param(b"", "application/json", id="empty-body"),
        pytest.param(b'[{"role": "user", "content": "hi"}]', "application/json", id="array"),
        pytest.param(b'"hello"', "application/json", id="string"),
        pytest.param(None, "text/plain", id="json-sent-as-text-plain"),
    ],
)
def test_invalid_json_a_malformed_body_gets_400(
    target: Target, settings: Settings, kind: str, content: bytes | None, content_type: str
) -> None:
    """A body that is not a JSON object (or not declared as JSON) gets 400 with the envelope,
    on each generation endpoint the target serves.

    Never a 5xx and never a hang: the client sent it, the client must fix it. A valid body
    sent as text/plain is refused too, as the API does (it only accepts application/json);
    a server that reads it anyway gets an advisory failure only, and 415 passes.
    """
    if content is None:
        content = json.dumps(_body(kind, settings)).encode()
    path = ENDPOINTS[kind]
    exchange = target.post(path, content=content, headers={"Content-Type": content_type})
    if exchange.status in (404, 405):
        _skip_if_route_missing(target, "POST", path, exchange)
    if content_type != "application/json":
        # Reading valid JSON whatever its declared type breaks no client (advisory); 415
        # Unsupported Media Type is as right as the API's 400.
        expect(declared_text_refused(exchange))
        if exchange.status in (400, 415):
            expect(error_envelope(exchange))
            return
        if 200 <= exchange.status < 300:
            return
    expect(bad_request(exchange))


def _chat(settings: Settings, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "hi"}],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.feature("errors.validation")
@pytest.mark.parametrize(
    ("changes", "param", "nullable"),
    [
        pytest.param({"messages": None}, "messages", False, id="missing-messages"),
        pytest.param({"model": None}, "model", True, id="missing-model"),
        pytest.param({"messages": "hi"}, "messages", False, id="messages-a-string"),
        pytest.param({"temperature": 3}, "temperature", False, id="temperature-3"),
        pytest.param({"n": 0}, "n", False, id="n-0"),
        pytest.param({"max_tokens": -1}, "max_tokens", False, id="negative-max-tokens"),
        pytest.param(
            {"messages": [{"role": "robot", "content": "hi"}]},
            "messages[0].role",
            False,
            id="role-robot",
        ),
    ],
)
def test_validation_an_invalid_parameter_gets_400_naming_it(
    target: Target, settings: Settings, changes: dict[str, Any], param: str, nullable: bool
) -> None:
    """An invalid chat parameter gets 400 (not 422, not 5xx) with `param` naming the field.

    What the API puts in `param`, per case: the missing or mistyped field ("messages"), the
    out-of-range one ("temperature", "n", "max_tokens"), and the path of an unknown enum value
    ("messages[0].role"; "messages.[0].role" or the containing "messages" are accepted). For a
    missing model the API sends `param: null` ("you must provide a model parameter"), so null
    or "model" pass there.
    """
    exchange = served(target.post("chat/completions", json=_chat(settings, **changes)))
    expect(bad_request(exchange))
    expect(error_param_names(exchange, param, nullable=nullable))


@pytest.mark.feature("errors.validation")
@pytest.mark.parametrize(
    ("kind", "changes", "param"),
    [
        pytest.param(
            "completions", {"temperature": 3}, "temperature", id="completions-temperature-3"
        ),
        pytest.param("embeddings", {"input": None}, "input", id="embeddings-missing-input"),
        pytest.param("moderations", {"input": None}, "input", id="moderations-missing-input"),
        pytest.param("responses", {"temperature": 3}, "temperature", id="responses-temperature-3"),
    ],
)
def test_validation_other_endpoints_refuse_an_invalid_parameter_with_400(
    target: Target, settings: Settings, kind: str, changes: dict[str, Any], param: str
) -> None:
    """An invalid parameter on each other generation endpoint the target serves: 400 (not 422,
    not 5xx), with `param` naming the field or null (these endpoints' messages say which)."""
    body = {k: v for k, v in {**_body(kind, settings), **changes}.items() if v is not None}
    exchange = target.post(ENDPOINTS[kind], json=body)
    if exchange.status in (404, 405):
        _skip_if_route_missing(target, "POST", ENDPOINTS[kind], exchange)
    expect(bad_request(exchange))
    expect(error_param_names(exchange, param, nullable=True))


@pytest.mark.feature("errors.unknown_model")
@pytest.mark.parametrize("kind", ["chat", "completions", "embeddings"])
def test_unknown_model_gets_404_model_not_found(
    target: Target, settings: Settings, kind: str
) -> None:
    """An unknown model on a generation endpoint: 404 with code "model_not_found"."""
    path = {"chat": "chat/completions"}.get(kind, kind)
    exchange = target.post(path, json=_body(kind, settings, model=UNKNOWN_MODEL))
    _skip_if_route_missing(target, "POST", path, exchange)
    expect(model_not_found(exchange))


@pytest.mark.feature("errors.unknown_model")
def test_unknown_model_retrieve_gets_404_model_not_found(target: Target) -> None:
    """GET /models/{id} of an unknown model: 404 with code "model_not_found"."""
    expect(model_not_found(served(target.get(f"models/{UNKNOWN_MODEL}"))))
