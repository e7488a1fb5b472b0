"""Compiling a JSON Schema that came with the traffic (a tool's parameters, a response format).

Checks do no I/O, so a schema is compiled offline: a `$ref` to a URL is never fetched. Such a
schema, like one that is not valid JSON Schema, cannot be used to judge the answer; the check
says so in a failure of its own rather than passing what it could not check, or crashing.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from oaiconform.checks._failure import Failure

UNUSABLE = "unusable_schema"


def offline_validator(schema: Any, *, what: str) -> tuple[Any | None, list[Failure]]:
    """(a jsonschema-rs validator, []), or (None, a failure naming why `what` is unusable)."""
    try:
        return jsonschema_rs.validator_for(schema, offline=True), []
    except ValueError as exc:  # jsonschema_rs.ValidationError is one (an unresolvable $ref too)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, [
            Failure(
                UNUSABLE,
                f"{what} cannot be compiled offline, so the answer was not checked against it "
                f"(checks never fetch a remote $ref): {reason}",
                where="request",
            )
        ]
