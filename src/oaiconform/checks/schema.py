"""Conformance of a response body to the schema the description documents for it."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check
from oaiconform.exchange import Exchange
from oaiconform.spec import Spec


@check
def response_schema_conformance(spec: Spec, operation_id: str, exchange: Exchange) -> list[Failure]:
    """The JSON body validates against the operation's documented schema for its status."""
    if not exchange.is_json:
        return []  # json_object_body reports that; one defect, one failure
    pointer = spec.response_schema_pointer(operation_id, exchange.status, exchange.media_type)
    if pointer is None:
        return [
            Failure(
                "response_schema",
                f"{exchange.describe()}: the description documents no "
                f"{exchange.media_type or 'body'}"
                f" schema for status {exchange.status} of {operation_id}",
            )
        ]
    violations = spec.validate(pointer, exchange.json())
    return [
        Failure("response_schema", f"{exchange.describe()}: {operation_id} response {violation}")
        for violation in violations
    ]
