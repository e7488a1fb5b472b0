"""Schemathesis's response checks, run one by one and reported as our `Failure`s.

Each failure is named after the schemathesis check that found it (`[status_code_conformance]`,
...), so a reader can look the rule up, and carries its registered id (`property.<check>`,
below) with its impact class. The response schema is judged by our own checks
(`schema.response_schema_conformance` and `schema.required_nullable_absent`, over the same
overlaid description), so a defect of a body is one problem whether the property suite or a
feature suite found it. Event streams are not
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
    status_code_conformance,
)

from oaiconform.checks import Failure, Impact, is_soft, register
from oaiconform.checks._soft import stream_soft_failures
from oaiconform.checks.errors import error_envelope
from oaiconform.checks.schema import (
    response_schema_conformance as schema_conformance,
)
from oaiconform.checks.schema import (
    split_violations,
    violation_where,
)
from oaiconform.exchange import Exchange
from oaiconform.property._types import AnyCase
from oaiconform.property.requirements import (
    broken_rule,
    names_a_parameter,
    names_unresolved_reference,
)
from oaiconform.spec import Spec
from oaiconform.sse import parse_stream

CheckFunction = Callable[..., Any]

RESPONSE_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
)
# Each schemathesis check as a registered rule: its id, title and impact class.
_RULES = {
    "not_a_server_error": register(
        "property.not_a_server_error",
        title="No generated request gets a 5xx",
        impact=Impact.BREAKS_CLIENTS,
        reason="the SDKs retry a 5xx and then raise: the request never gets an answer",
    ),
    "status_code_conformance": register(
        "property.status_code_conformance",
        title="Each status is one the description documents for the operation",
        impact=Impact.SPEC_LITERAL,
        reason="an undocumented status: the SDKs map statuses by class, not by the description",
    ),
    "content_type_conformance": register(
        "property.content_type_conformance",
        title="Each Content-Type is one the description documents for the answer",
        impact=Impact.BREAKS_CLIENTS,
        reason="openai-node returns the text of a body not served as JSON, not the object",
    ),
    "response_headers_conformance": register(
        "property.response_headers_conformance",
        title="The headers the description documents for the answer are present and valid",
        impact=Impact.SPEC_LITERAL,
        reason="the SDKs read none of the documented response headers",
    ),
    "response_schema_conformance": register(
        "property.response_schema_conformance",
        title="Each streamed event validates against the documented event schema",
        impact=Impact.WRONG_BEHAVIOUR,
        reason="an event contradicts the documented shape; the SDKs parse events leniently",
    ),
    "positive_data_acceptance": register(
        "property.positive_data_acceptance",
        title="A request valid by the description is accepted",
        impact=Impact.WRONG_BEHAVIOUR,
        reason="a documented request is refused: the target contradicts the description",
    ),
    "negative_data_rejection": register(
        "property.negative_data_rejection",
        title="A request invalid by the description is refused with a 4xx",
        impact=Impact.WRONG_BEHAVIOUR,
        reason="invalid input is silently accepted instead of refused",
    ),
}
IGNORED_AUTH = register(
    "property.ignored_auth",
    title="A request accepted with credentials is refused without them (401)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="authentication is not enforced on the operation",
).id
_WHERE = {
    "not_a_server_error": "status",
    "status_code_conformance": "status",
    "content_type_conformance": "header:content-type",
    "response_headers_conformance": "headers",
    "positive_data_acceptance": "status",
    "negative_data_rejection": "status",
}
# Operations whose answer body the SDKs discard (openai-python's responses.delete() returns
# None): the pinned description documents none, overlay 013 the API's JSON, and an empty
# answer without a Content-Type is as good.
BODY_DISCARDED = frozenset({"deleteResponse", "beta_deleteResponse"})
_EVENT_STREAM = "text/event-stream"
REQUIRED_NULLABLE = "schema.required_nullable_absent"
_MAX_MESSAGE = 600


def _one_line(failure: SchemathesisFailure) -> str:
    text = " ".join(f"{failure.title}: {failure.message}".split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def explains_refusal(exchange: Exchange) -> bool:  # see also requirements.py
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


def _where(name: str, failure: SchemathesisFailure) -> str:
    """A stable location: the status, the content type, or the header a failure names."""
    missing = getattr(failure, "missing_headers", None)
    if isinstance(missing, list | tuple) and len(missing) == 1:
        return f"header:{str(missing[0]).lower()}"
    return _WHERE.get(name, "body")


def _failure(name: str, failure: SchemathesisFailure, exchange: Exchange, said: str) -> Failure:
    return Failure(
        name,
        f"{exchange.describe()}: {_one_line(failure)}{said}",
        where=_where(name, failure),
        check_id=_RULES[name].id,
    )


def run_response_checks(
    case: AnyCase,
    response: Response,
    exchange: Exchange,
    *,
    spec: Spec,
    operation_id: str,
) -> list[Failure]:
    """Every schemathesis response check, each failure named after its check; the body's
    schema is judged by our schema checks against the same description (`spec`)."""
    streamed = exchange.media_type == _EVENT_STREAM
    # A refused request is judged with what the target said about it.
    said = f" (answer: {exchange.body_excerpt(160)})" if exchange.status >= 300 else ""
    # An error answer without the envelope is one defect, the envelope's: the same problem as
    # in the behavioural suites, not a schema violation plus a refusal that explains nothing.
    envelope = error_envelope(exchange) if exchange.status >= 400 else []
    unreadable = any(not is_soft(f) for f in envelope)
    failures: list[Failure] = list(envelope)
    explained = (
        explains_refusal(exchange)
        or names_unresolved_reference(case.body, exchange, case.query) is not None
        or names_a_parameter(case.body, exchange, case.query) is not None
        or broken_rule(operation_id, case.body) is not None
    )
    # A documented download of bytes (file content) may come as any media type: the SDKs hand
    # the client the bytes whatever the Content-Type (`application/jsonl` for a .jsonl file).
    any_bytes = (
        spec.response_schema_pointer(operation_id, exchange.status, "application/octet-stream")
        is not None
    ) or (operation_id in BODY_DISCARDED and not exchange.body.strip())
    for check in RESPONSE_CHECKS:
        if check is positive_data_acceptance and (explained or unreadable):
            continue
        if check is content_type_conformance and any_bytes:
            continue
        name = check.__name__
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            failures.extend(_failure(name, f, exchange, said) for f in group.exceptions)
        except SchemathesisFailure as failure:
            failures.append(_failure(name, failure, exchange, said))
    documented = spec.response_schema_pointer(operation_id, exchange.status, exchange.media_type)
    # status_code_conformance names the undocumented statuses; the envelope, unreadable errors
    if not streamed and documented is not None and not unreadable:
        judged = schema_conformance(spec, operation_id, exchange)
        if envelope:
            # The envelope check already named each absent `error` member (param, code):
            # one fact, one problem.
            judged = [f for f in judged if not _said_by_envelope(f, envelope)]
        failures += judged
    return failures


def _said_by_envelope(failure: Failure, envelope: list[Failure]) -> bool:
    return failure.check_id == REQUIRED_NULLABLE and any(
        f.location == failure.location for f in envelope
    )


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
                    where=f"events[{index}].data",
                    check_id=_RULES["response_schema_conformance"].id,
                )
            )
            continue
        if pointer is None:
            continue
        split = split_violations(spec, pointer, payload)
        failures.extend(
            Failure(
                "response_schema_conformance",
                f"{exchange.describe()}: {operation_id} event {index} {violation}",
                where=violation_where(violation, f"events[{index}]"),
                check_id=_RULES["response_schema_conformance"].id,
            )
            for violation in split.hard
        )
        failures += stream_soft_failures(f"{exchange.describe()}: {operation_id}", index, split)
        if failures:
            break  # the first bad event says it; a stream of them adds nothing
    return failures
