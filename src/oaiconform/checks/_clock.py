"""Whether a `created` timestamp can be the Unix seconds of the answer that carries it.

Judged against when the answer came (`Exchange.answered_at`), never against today: a recorded
or replayed answer is judged as of its recording. When that time is unknown only what can be
no Unix seconds at all (negative, or the size of milliseconds) is a failure.
"""

from __future__ import annotations

_CLOCK_SKEW_S = 24 * 3600  # clocks of server and client disagree by far less than a day
_SECONDS_CEILING = 10**11  # the year 5138: a larger `created` is milliseconds or worse


def implausible_created(created: object, answered_at: float | None) -> str | None:
    """Why an integer `created` cannot be the Unix seconds of the answer, or None."""
    if not isinstance(created, int) or isinstance(created, bool):
        return None  # integer_timestamp judges the type
    if answered_at is None:
        if created < 0 or created >= _SECONDS_CEILING:
            return f"`created` {created} cannot be Unix seconds (milliseconds?)"
        return None
    if abs(created - answered_at) > _CLOCK_SKEW_S:
        return (
            f"`created` {created} is more than a day from when the answer came "
            f"({int(answered_at)}): not the Unix seconds of the answer"
        )
    return None
