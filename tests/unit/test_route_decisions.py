"""A 404 is "no such route" when it is the target's own answer to a route that cannot exist."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks.routes import decide_route, miss_shape
from oaiconform.exchange import Exchange, RecordedRequest

BASE = "http://127.0.0.1:9/v1/"


def answer(
    method: str, path: str, status: int, body: Any, content_type: str = "application/json"
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(
        RecordedRequest(method, BASE + path), status, (("content-type", content_type),), raw
    )


def envelope(message: str, code: str | None = None, param: str | None = None) -> Any:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def test_a_gateway_whose_unknown_routes_say_not_found_has_no_completions() -> None:
    """Every unknown route: 404 code not_found. The body alone reads that as "no such
    object"; against the probe it is the route-miss answer, and an unknown model is not."""
    probe = answer("POST", "oaiconform-no-such-route", 404, envelope("Not Found", "not_found"))
    learned = miss_shape(probe)
    completions = answer("POST", "completions", 404, envelope("Not Found", "not_found"))
    assert decide_route(completions, None).missing == "object"  # the old guess
    decision = decide_route(completions, learned)
    assert decision.route_missing
    assert "code 'not_found'" in decision.reason
    model = envelope("The model `x` does not exist", "model_not_found", "model")
    assert decide_route(answer("POST", "chat/completions", 404, model), learned).missing == (
        "object"
    )


def test_a_fastapi_server_whose_unknown_objects_say_detail_has_those_routes() -> None:
    """{"detail": "Not Found"} is the route miss; {"detail": "File ... not found"} is about an
    object of a route that exists, though it has no envelope either."""
    learned = miss_shape(answer("GET", "oaiconform-no-such-route", 404, {"detail": "Not Found"}))
    file_miss = answer("GET", "files/file-1", 404, {"detail": "File file-1 not found"})
    assert decide_route(file_miss, None, path_has_ids=True).route_missing  # the old guess
    decision = decide_route(file_miss, learned, path_has_ids=True)
    assert decision.missing == "object"
    assert "differs from the target's answer to an unknown route" in decision.reason
    absent = answer("GET", "vector_stores/vs_1", 404, {"detail": "Not Found"})
    assert decide_route(absent, learned, path_has_ids=True).route_missing


def test_messages_that_name_the_path_or_method_compare_without_them() -> None:
    learned = miss_shape(
        answer(
            "GET",
            "oaiconform-no-such-route",
            404,
            envelope("Invalid URL (GET /v1/oaiconform-no-such-route)"),
        )
    )
    other = answer("POST", "audio/speech", 404, envelope("Invalid URL (POST /v1/audio/speech)"))
    assert decide_route(other, learned).route_missing
    named = answer(
        "GET", "files/file-abc", 404, envelope("No such File object: file-abc", param="id")
    )
    assert decide_route(named, learned).missing == "object"
    # A short path segment is not folded out of the words of a message.
    assert miss_shape(answer("GET", "x/y", 404, {"detail": "yes, x marks it"})).message == (
        "yes, x marks it"
    )


def test_html_pages_methods_and_answers() -> None:
    page = b"<html><body><h1>404 Not Found</h1><p>/v1/nope</p></body></html>"
    learned = miss_shape(answer("GET", "nope", 404, page, "text/html"))
    assert learned.body == "html"
    other = b"<html><body><h1>404 Not Found</h1><p>/v1/models/m/x</p></body></html>"
    assert decide_route(answer("GET", "models/m/x", 404, other, "text/html"), learned).route_missing
    assert decide_route(answer("DELETE", "models", 405, b"", "text/plain"), learned).route_missing
    assert decide_route(answer("GET", "models", 200, {"data": []}), learned).missing == "no"
