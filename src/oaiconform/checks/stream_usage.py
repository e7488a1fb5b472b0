"""Checks of usage in streamed chat completions (`stream_options.include_usage`)."""

from __future__ import annotations

from oaiconform.checks._failure import Failure, capped
from oaiconform.checks._registry import Impact, check
from oaiconform.checks.chat import usage_totals
from oaiconform.checks.streaming import data_events, request_body
from oaiconform.exchange import StreamExchange


@check(
    title=(
        "With include_usage, one chunk with choices [] carries the usage; without it no chunk does"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the stream_options parameter was ignored, or usage does not add up",
)
def chat_stream_usage(stream: StreamExchange) -> list[Failure]:
    """include_usage: `usage: null` on every chunk before one with choices [] and the totals.

    Without the option no chunk carries usage, since clients that did not ask do not expect an
    extra chunk without choices.
    """
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    options = request_body(stream).get("stream_options")
    wanted = isinstance(options, dict) and options.get("include_usage") is True
    events = data_events(stream)
    chunks = events.objects
    failures = list(events.failures)
    with_usage = [(n, c) for n, c in chunks if c.get("usage") is not None]
    if not wanted:
        failures += [
            Failure(
                "stream_usage",
                f"{where}: event #{n} carries usage, but the request did not ask for it "
                "(stream_options.include_usage)",
                where=f"events[{n}].usage",
                expected="absent",
            )
            for n, _ in with_usage
        ]
        return capped(failures)
    if not with_usage:
        return [
            *failures,
            Failure(
                "stream_usage",
                f"{where}: stream_options.include_usage was set, but no chunk carries usage; "
                "expected one final chunk with choices [] and the usage",
                where="events[-1].usage",
            ),
        ]
    # The usage chunk is the last one that carries usage. The API may send further chunks
    # after it (without usage), so "last" means last of those with usage, not of the stream.
    usage_number, usage_chunk = with_usage[-1]
    for number, chunk in chunks:
        if number >= usage_number:
            continue
        if "usage" not in chunk:
            failures += usage_null_absent(where, number)
        elif chunk["usage"] is not None:
            failures.append(
                Failure(
                    "stream_usage",
                    f"{where}: event #{number} carries usage, but only one chunk may "
                    f"(event #{usage_number} does too); the others carry usage: null",
                    where=f"events[{number}].usage",
                    expected="null",
                )
            )
    if usage_chunk.get("choices") != []:
        failures.append(
            Failure(
                "stream_usage",
                f"{where}: the usage chunk (event #{usage_number}) must have choices [], "
                f"got {usage_chunk.get('choices')!r:.80}",
                where=f"events[{usage_number}].choices",
                expected="[]",
            )
        )
    failures += usage_totals(
        usage_chunk["usage"],
        where=f"event #{usage_number} usage",
        at=f"events[{usage_number}].usage",
    )
    return capped(failures)


@check(
    title="With include_usage, the chunks before the usage chunk carry usage: null",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs read an absent usage as None, what null says: the meaning is intact",
)
def usage_null_absent(where: str, number: int) -> list[Failure]:
    """Chunk #`number` leaves out `usage` where the description shows `usage: null`."""
    return [
        Failure(
            "stream_usage",
            f"{where}: event #{number} has no `usage` field; with include_usage every chunk "
            "before the usage chunk carries usage: null",
            where=f"events[{number}].usage",
            expected="null",
            found="absent",
        )
    ]
