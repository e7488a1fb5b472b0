"""The error and header checks on hand-built exchanges: the conforming shape passes, each
defect is named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oaiconform.checks.errors import (
    bad_request,
    client_error,
    error_param_names,
    error_response,
    model_not_found,
    normalize_param,
    route_not_found,
)
from oaiconform.checks.headers import (
    is_duration,
    rate_limit_headers,
    request_id_present,
    request_ids_unique,
    retry_after,
)
from oaiconform.exchange import Exchange, RecordedRequest


def envelope(param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {"message": "bad", "type": "invalid_request_error", "param": param, "code": code}
    }


def exchange(
    status: int,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    payload = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
    return Exchange(
        RecordedRequest("POST", "http://127.0.0.1/v1/chat/completions"),
        status,
        (("content-type", content_type), *headers),
        payload,
    )


def messages(failures: list[Any]) -> str:
    return " | ".join(f.message for f in failures)


def test_error_response_requires_an_error_status_and_the_envelope() -> None:
    assert error_response(exchange(404, envelope())) == []
    assert error_response(exchange(500, envelope())) == []
    assert "expected an error status for this request, got 200" in messages(
        error_response(exchange(200, {"ok": True}))
    )
    assert "found a FastAPI-style" in messages(error_response(exchange(400, {"detail": "x"})))


def test_route_not_found_accepts_405_only_for_a_wrong_method() -> None:
    assert route_not_found(exchange(404, envelope())) == []
    assert route_not_found(exchange(405, envelope()), wrong_method=True) == []
    assert "expected 404 for a route the API does not have, got 405" in messages(
        route_not_found(exchange(405, envelope()))
    )
    html = exchange(404, raw=b"<h1>Not Found</h1>", content_type="text/html")
    assert "error served as text/html" in messages(route_not_found(html))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (422, "got 422 (the framework's validation status; the API answers 400)"),
        (500, "got a server error 500"),
        (200, "got 200: the request was accepted"),
        (404, "expected 400 with the error envelope, got 404"),
    ],
)
def test_bad_request_names_the_status_it_found(status: int, expected: str) -> None:
    assert expected in messages(bad_request(exchange(status, envelope())))


def test_bad_request_accepts_400_with_the_envelope_only() -> None:
    assert bad_request(exchange(400, envelope())) == []
    plain = exchange(400, raw=b"bad", content_type="text/plain")
    assert "error served as text/plain" in messages(bad_request(plain))


def test_client_error_accepts_any_4xx_and_refuses_5xx_and_success() -> None:
    assert client_error(exchange(400, envelope())) == []
    assert client_error(exchange(422, envelope())) == []
    assert "got a server error (500)" in messages(client_error(exchange(500, envelope())))
    assert "got a success (200)" in messages(client_error(exchange(200, {})))


@pytest.mark.parametrize(
    ("param", "normal"),
    [
        ("messages[0].role", "messages[0].role"),
        ("messages.[0].role", "messages[0].role"),
        ("messages.0.role", "messages[0].role"),
        ("messages/0/role", "messages[0].role"),
        ("temperature", "temperature"),
    ],
)
def test_normalize_param_spells_one_path_one_way(param: str, normal: str) -> None:
    assert normalize_param(param) == normal


@pytest.mark.parametrize(
    "found", ["messages[0].role", "messages.[0].role", "messages.0.role", "messages"]
)
def test_error_param_accepts_the_path_its_spellings_and_its_field(found: str) -> None:
    assert error_param_names(exchange(400, envelope(param=found)), "messages[0].role") == []


@pytest.mark.parametrize("found", [None, "model", "messages[1].role", "mess"])
def test_error_param_refuses_null_and_other_fields(found: str | None) -> None:
    failure = messages(error_param_names(exchange(400, envelope(param=found)), "messages[0].role"))
    assert f"expected error.param to name 'messages[0].role', got {found!r}" in failure


def test_error_param_accepts_null_where_the_api_sends_null() -> None:
    assert error_param_names(exchange(400, envelope()), "model", nullable=True) == []
    assert error_param_names(exchange(400, envelope(param="model")), "model", nullable=True) == []


def test_model_not_found_requires_404_and_the_code() -> None:
    assert model_not_found(exchange(404, envelope("model", "model_not_found"))) == []
    assert "expected 404 for an unknown model, got 400" in messages(
        model_not_found(exchange(400, envelope("model", "model_not_found")))
    )
    assert "expected error.code 'model_not_found', got None" in messages(
        model_not_found(exchange(404, envelope("model")))
    )


def test_request_id_present_and_unique() -> None:
    first = exchange(200, {}, headers=(("x-request-id", "req_1"),))
    second = exchange(200, {}, headers=(("x-request-id", "req_2"),))
    repeated = exchange(400, envelope(), headers=(("x-request-id", "req_1"),))
    assert request_id_present(first) == []
    assert "has no x-request-id header" in messages(request_id_present(exchange(200, {})))
    assert request_ids_unique([first, second]) == []
    assert "x-request-id 'req_1' was already sent" in messages(
        request_ids_unique([first, second, repeated])
    )


@pytest.mark.parametrize("value", ["6m0s", "1s", "30ms", "1h2m3.5s", "0s", "500us", "2.5s"])
def test_durations_in_the_api_format_parse(value: str) -> None:
    assert is_duration(value)


@pytest.mark.parametrize("value", ["6 minutes", "", "10", "1m 2s", "-1s", "s", "1d"])
def test_other_durations_do_not(value: str) -> None:
    assert not is_duration(value)


def test_rate_limit_headers_pass_well_formed_and_absent_headers() -> None:
    headers = (
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-reset-requests", "6m0s"),
        ("x-ratelimit-reset-tokens", "30ms"),
    )
    assert rate_limit_headers(exchange(200, {}, headers=headers)) == []
    assert rate_limit_headers(exchange(200, {})) == []


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        (
            "x-ratelimit-reset-requests",
            "6 minutes",
            "x-ratelimit-reset-requests is '6 minutes', expected a duration",
        ),
        (
            "x-ratelimit-limit-tokens",
            "1e6",
            "x-ratelimit-limit-tokens is '1e6', expected a non-negative integer",
        ),
        (
            "x-ratelimit-remaining-requests",
            "-1",
            "x-ratelimit-remaining-requests is '-1', expected a non-negative integer",
        ),
        (
            "x-ratelimit-remaining-requests",
            "20000",
            "x-ratelimit-remaining-requests 20000 exceeds x-ratelimit-limit-requests 10000",
        ),
    ],
)
def test_rate_limit_headers_name_each_defect(header: str, value: str, expected: str) -> None:
    headers = (("x-ratelimit-limit-requests", "10000"), (header, value))
    assert expected in messages(rate_limit_headers(exchange(200, {}, headers=headers)))


@pytest.mark.parametrize(
    "headers",
    [
        (("retry-after", "1"),),
        (("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"),),
        (("retry-after-ms", "1500"),),
        (("retry-after", "2"), ("retry-after-ms", "1500.5")),
    ],
)
def test_retry_after_accepts_seconds_dates_and_milliseconds(
    headers: tuple[tuple[str, str], ...],
) -> None:
    assert retry_after(exchange(429, envelope(), headers=headers)) == []


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, (), "the 429 has neither Retry-After nor retry-after-ms"),
        (429, (("retry-after", "soon"),), "Retry-After is 'soon', expected seconds or an HTTP"),
        (429, (("retry-after-ms", "1s"),), "retry-after-ms is '1s', expected a number"),
        (200, (("retry-after", "1"),), "expected status 429, got 200"),
    ],
)
def test_retry_after_names_each_defect(
    status: int, headers: tuple[tuple[str, str], ...], expected: str
) -> None:
    assert expected in messages(retry_after(exchange(status, envelope(), headers=headers)))
