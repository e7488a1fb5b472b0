"""The letter-only violations of a stream event, each reported under its own check."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.checks.schema import (
    ViolationSplit,
    late_required_absent,
    optional_member_null,
    stream_required_nullable_absent,
)


def stream_soft_failures(where: str, number: int, split: ViolationSplit) -> list[Failure]:
    """A required nullable member absent, a member required late absent, an optional member
    sent as null: spec-literal each (see schema.py), for stream event #`number`."""
    at = f"events[{number}]"
    return [
        *stream_required_nullable_absent(where, number, split.nullable),
        *late_required_absent(f"{where}: event #{number}", split.late, at=at),
        *optional_member_null(f"{where}: event #{number}", split.optional_null, at=at),
    ]
