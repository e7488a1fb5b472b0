"""Schemathesis's response checks, run one by one and reported as our `Failure`s.

Each failure is named after the schemathesis check that found it (`[status_code_conformance]`,
`[response_schema_conformance]`, ...), so a reader can look the rule up. Event streams are not
given to schemathesis (its SSE validation checks the wrapper against the chunk schema and
rejects valid streams); we parse them with `oaiconform.sse` and validate each JSON event against
the documented `text/event-stream` schema ourselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure as SchemathesisFailure
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from oaiconform.checks import Failure
from oaiconform.exchange import Exchange
from oaiconform.property._types import AnyCase
from oaiconform.spec import Spec
from oaiconform.sse import parse_stream

CheckFunction = Callable[..., Any]

RESPONSE_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
)
_EVENT_STREAM = "text/event-stream"
_MAX_MESSAGE = 600


def _one_line(failure: SchemathesisFailure) -> str:
    text = " ".join(f"{failure.title}: {failure.message}".split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def explains_refusal(exchange: Exchange) -> bool:
    """A 400 whose error envelope names the offending `param`.

    Descriptions cannot express cross-field rules (`tool_choice` needs `tools`, `best_of` >= `n`,
    non-empty `input` items), so schema-valid data can be rightly refused; a refusal that names
    the parameter is the target explaining such a rule, not rejecting valid data. Refusals
    without an envelope, with other statuses, or that name nothing stay failures.
    """
    if exchange.status != 400 or not exchange.is_json:
        return False
    body = exchange.json()
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("param"), str) and bool(error["param"])


def run_response_checks(case: AnyCase, response: Response, exchange: Exchange) -> list[Failure]:
    """Every schemathesis response check, each failure named after its check."""
    streamed = exchange.media_type == _EVENT_STREAM
    # A refused request is judged with what the target said about it.
    said = f" (answer: {exchange.body_excerpt(160)})" if exchange.status >= 300 else ""
    failures: list[Failure] = []
    for check in RESPONSE_CHECKS:
        if streamed and check is response_schema_conformance:
            continue
        if check is positive_data_acceptance and explains_refusal(exchange):
            continue
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            failures.extend(
                Failure(check.__name__, f"{exchange.describe()}: {_one_line(f)}{said}")
                for f in group.exceptions
            )
        except SchemathesisFailure as failure:
            failures.append(
                Failure(check.__name__, f"{exchange.describe()}: {_one_line(failure)}{said}")
            )
    return failures


def event_stream_conformance(spec: Spec, operation_id: str, exchange: Exchange) -> list[Failure]:
    """Each event of a streamed answer is JSON valid against the documented event schema."""
    if exchange.media_type != _EVENT_STREAM:
        return []
    pointer = spec.response_schema_pointer(operation_id, exchange.status, _EVENT_STREAM)
    events, _defects = parse_stream([exchange.body])
    failures: list[Failure] = []
    for index, event in enumerate(events):
        if event.data == "[DONE]":
            continue
        try:
            payload = json.loads(event.data)
        except ValueError:
            failures.append(
                Failure(
                    "response_schema_conformance",
                    f"{exchange.describe()}: event {index} is not JSON: {event.data[:120]!r}",
                )
            )
            continue
        if pointer is None:
            continue
        failures.extend(
            Failure(
                "response_schema_conformance",
                f"{exchange.describe()}: {operation_id} event {index} {violation}",
            )
            for violation in spec.validate(pointer, payload)
        )
        if failures:
            break  # the first bad event says it; a stream of them adds nothing
    return failures
