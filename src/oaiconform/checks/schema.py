"""Conformance of a response body to the schema the description documents for it.

A violation is one of two problems. A `required` property that is absent while its schema
accepts null (`message.refusal`, `logprobs`) is `required_nullable_absent`: the SDKs read the
absent field as None, exactly what null would have told them, so the meaning is intact and
only the letter of the description is broken. Every other violation (a missing field that has
a value, a wrong type, a value outside an enum, an undocumented status) contradicts the shape
the description promises: `response_schema_conformance`.

`object_value` and `integer_timestamp` are the spec-literal parts of the resource checks
(models, chat, files, ...): the SDKs ignore `object`, and pass a `created` of another JSON
type through unparsed, so a wrong value there changes the bytes, not what clients do.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.exchange import Exchange
from oaiconform.spec import SchemaViolation, Spec


def field_path(parts: tuple[str | int, ...]) -> str:
    """("choices", 0, "message") -> "choices[0].message"; () -> "body"."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def violation_where(violation: SchemaViolation, prefix: str = "") -> str:
    """Where a violation is: its instance path, plus the property a `required` one misses."""
    parts = violation.parts + ((violation.property,) if violation.property else ())
    path = field_path(parts) if parts or not prefix else ""
    if not prefix:
        return path
    return f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"


def _set(instance: Any, parts: tuple[str | int, ...], name: str) -> Any:
    """A copy of `instance` with `name: null` added to the object at `parts`, or None."""
    patched = copy.deepcopy(instance)
    target = patched
    for part in parts:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(target, dict):
        return None
    target[name] = None
    return patched


# Members the pinned description requires that were added to an object after servers (and the
# API itself) had answered it without them: an answer that lacks one follows the description's
# older contract. Its absence is reported apart (spec-literal), never as a broken shape.
LATE_REQUIRED: dict[str, str] = {
    "cache_write_tokens": (
        "usage.input_tokens_details.cache_write_tokens became required in mid-2026; the API's "
        "answers before then, and servers following the older description, do not send it"
    ),
}


class ViolationSplit(NamedTuple):
    hard: list[SchemaViolation]  # the shape the description promises is broken
    nullable: list[SchemaViolation]  # a required nullable member is absent (the letter only)
    late: list[SchemaViolation]  # a member required only since LATE_REQUIRED says is absent
    optional_null: list[SchemaViolation]  # an optional member is sent as null (the letter only)


def _get(instance: Any, parts: tuple[str | int, ...]) -> tuple[bool, Any]:
    target = instance
    for part in parts:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, target


def _without(instance: Any, parts: tuple[str | int, ...]) -> Any:
    """A copy of `instance` without the member at `parts` (a key of an object), or None."""
    patched = copy.deepcopy(instance)
    found, parent = _get(patched, parts[:-1])
    if not found or not isinstance(parent, dict) or parts[-1] not in parent:
        return None
    del parent[parts[-1]]
    return patched


def _caused_by_patch(violation: SchemaViolation, member: tuple[str | int, ...]) -> bool:
    """Whether a violation new after patching `member` comes from the patch: at or under the
    member, or at its object for a reason other than another member being absent (validation
    stops at a few violations, so patching one surfaces the next missing one of the same
    object; and elsewhere, the same field absent from a sixth choice)."""
    if violation.parts[: len(member)] == member:
        return True
    if violation.parts != member[:-1]:
        return False
    return violation.kind != "Required" or violation.property == member[-1]


# A patch is judged on all violations, not the few a report shows: with many violations in
# one object, the one a patch causes may lie beyond the first five.
_PATCH_LIMIT = 200


def _letter_only(
    spec: Spec,
    pointer: str,
    before: list[SchemaViolation],
    patched: Any,
    member: tuple[str | int, ...],
) -> bool:
    """The patch of `member` causes no violation the instance did not have (`before`: all of
    its violations, up to _PATCH_LIMIT)."""
    if patched is None:
        return False
    new = set(spec.validate(pointer, patched, limit=_PATCH_LIMIT)) - set(before)
    return not any(_caused_by_patch(v, member) for v in new)


def split_violations(spec: Spec, pointer: str, instance: Any) -> ViolationSplit:
    """The violations, split by what they break. A `required` property is only absent in
    the letter when adding it as null causes no new violation; an optional member sent as
    null is only there in the letter when leaving it out causes none (the SDKs type optional
    members as Optional: null reads as absent)."""
    violations = spec.validate(pointer, instance)
    split = ViolationSplit([], [], [], [])
    every: list[SchemaViolation] = []  # all of them, read once a patch needs them

    def before() -> list[SchemaViolation]:
        if not every:
            every.extend(spec.validate(pointer, instance, limit=_PATCH_LIMIT))
        return every

    for violation in violations:
        parts = violation.parts
        if violation.kind == "Required" and violation.property in LATE_REQUIRED:
            split.late.append(violation)
        elif violation.kind == "Required" and violation.property:
            patched = _set(instance, parts, violation.property)
            if _letter_only(spec, pointer, before(), patched, (*parts, violation.property)):
                split.nullable.append(violation)
            else:
                split.hard.append(violation)
        elif parts and isinstance(parts[-1], str) and _get(instance, parts) == (True, None):
            patched = _without(instance, parts)
            if _letter_only(spec, pointer, before(), patched, parts):
                split.optional_null.append(violation)
            else:
                split.hard.append(violation)
        else:
            split.hard.append(violation)
    return split


def _json_media(media_type: str | None) -> bool:
    return media_type is not None and (
        media_type == "application/json" or media_type.endswith("+json")
    )


def _pointer(spec: Spec, operation_id: str, exchange: Exchange) -> str | None:
    return spec.response_schema_pointer(operation_id, exchange.status, exchange.media_type)


@check(
    title="Each response body validates against the schema the description documents for it",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a missing field, wrong type or undocumented value contradicts the documented shape; "
    "the SDKs parse leniently, so they do not always raise",
)
def response_schema_conformance(spec: Spec, operation_id: str, exchange: Exchange) -> list[Failure]:
    """The JSON body validates against the operation's documented schema for its status.

    A required nullable property that is absent is its own problem (`required_nullable_absent`),
    returned here too, so a caller's one call judges the whole body.
    """
    if not exchange.is_json:
        return []  # json_object_body reports that; one defect, one failure
    pointer = _pointer(spec, operation_id, exchange)
    if pointer is None:
        return [
            Failure(
                "response_schema_conformance",
                f"{exchange.describe()}: the description documents no "
                f"{exchange.media_type or 'body'}"
                f" schema for status {exchange.status} of {operation_id}",
                where="status",
                found=str(exchange.status),
            )
        ]
    if not _json_media(exchange.media_type):
        return []  # a documented binary or text body that happens to parse: not JSON to judge
    split = split_violations(spec, pointer, exchange.json())
    failures = [
        Failure(
            "response_schema_conformance",
            f"{exchange.describe()}: {operation_id} response {violation}",
            where=violation_where(violation),
        )
        for violation in split.hard
    ]
    prefix = f"{exchange.describe()}: {operation_id} response"
    failures += late_required_absent(prefix, split.late)
    failures += optional_member_null(prefix, split.optional_null)
    return failures + required_nullable_absent(spec, operation_id, exchange)


@check(
    title="Required properties are present, as null when they have no value",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs read an absent nullable field as None, what null says: the meaning is intact",
)
def required_nullable_absent(spec: Spec, operation_id: str, exchange: Exchange) -> list[Failure]:
    """A property the schema requires and lets be null is sent (as null), not left out."""
    if not exchange.is_json:
        return []
    pointer = _pointer(spec, operation_id, exchange)
    if pointer is None or not _json_media(exchange.media_type):
        return []  # response_schema_conformance reports the undocumented status
    nullable = split_violations(spec, pointer, exchange.json()).nullable
    return [
        Failure(
            "required_nullable",
            f"{exchange.describe()}: {operation_id} response {violation}; send it as null",
            where=violation_where(violation),
            expected="null",
            found="absent",
        )
        for violation in nullable
    ]


@check(
    title="`object` names the kind of object the description documents",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs neither read nor check `object`: another value changes no client's result",
)
def object_value(body: Any, expected: str, *, at: str = "") -> list[Failure]:
    """`object` is the documented constant ("model", "list", "chat.completion", ...)."""
    found = body.get("object") if isinstance(body, dict) else None
    if found == expected:
        return []
    where = f"{at}.object" if at else "object"
    return [
        Failure(
            "object_value",
            f'{at + ": " if at else ""}`object` must be "{expected}", got {found!r:.60}',
            where=where,
            expected=expected,
            found=repr(found)[:60],
        )
    ]


@check(
    title="Timestamps such as `created` are integer Unix seconds",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs pass another JSON type through unparsed; the instant it states is intact",
)
def integer_timestamp(body: Any, name: str = "created", *, at: str = "") -> list[Failure]:
    """The timestamp field is a JSON integer (not a string, a float or absent)."""
    value = body.get(name) if isinstance(body, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return []
    where = f"{at}.{name}" if at else name
    return [
        Failure(
            "timestamp",
            f"{at + ': ' if at else ''}`{name}` must be integer Unix seconds, got {value!r:.60}",
            where=where,
            expected="integer",
            found=type(value).__name__,
        )
    ]


STREAM_REQUIRED_NULLABLE = "schema.stream_required_nullable_absent"


@check(
    title="Required properties of stream events are present, as null when they have no value",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs read an absent nullable field as None, what null says: the meaning is intact",
)
def stream_required_nullable_absent(
    where: str, number: int, violations: list[SchemaViolation]
) -> list[Failure]:
    """The required-nullable-absent violations of stream event #`number`, as failures."""
    return [
        Failure(
            "required_nullable",
            f"{where}: event #{number} {violation}; send it as null",
            where=violation_where(violation, f"events[{number}]"),
            expected="null",
            found="absent",
        )
        for violation in violations
    ]


@check(
    title="Members the description made required late are present",
    impact=Impact.SPEC_LITERAL,
    reason="an answer without one follows the description's older contract, as the API's own "
    "answers did; clients written against it do not read the member",
)
def late_required_absent(
    prefix: str, violations: list[SchemaViolation], *, at: str = ""
) -> list[Failure]:
    """The absent members of LATE_REQUIRED, as failures: `prefix` says which answer or event,
    `at` is the location prefix of a stream event."""
    return [
        Failure(
            "late_required",
            f"{prefix} {violation}; {LATE_REQUIRED.get(violation.property or '', '')}",
            where=violation_where(violation, at),
            expected="present",
            found="absent",
        )
        for violation in violations
    ]


@check(
    title="An optional member without a value is left out, not sent as null",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs type optional members as Optional: null reads as absent, the meaning is "
    "intact",
)
def optional_member_null(
    prefix: str, violations: list[SchemaViolation], *, at: str = ""
) -> list[Failure]:
    """Optional members sent as null where the schema does not allow null, as failures."""
    return [
        Failure(
            "optional_null",
            f"{prefix} {violation}; leave it out instead of sending null",
            where=violation_where(violation, at),
            expected="absent",
            found="null",
        )
        for violation in violations
    ]
