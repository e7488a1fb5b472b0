"""Live-API safety for generated bodies: small token limits, one choice, no streaming.

Hypothesis happily generates `max_tokens: 2147483647` or `n: 128`; against a paid API that is a
bill, not a test. Positive bodies are clamped; a negative body that would need clamping is
discarded instead, because clamping could repair the very value it was generated to break.
"""

from __future__ import annotations

from typing import Any

MAX_TOKENS_CAP = 16
TOKEN_FIELDS = frozenset({"max_tokens", "max_completion_tokens", "max_output_tokens"})
COUNT_FIELDS = frozenset({"n", "best_of"})
COUNT_CAP = 1


def _capped(key: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    if key in TOKEN_FIELDS and value > MAX_TOKENS_CAP:
        return MAX_TOKENS_CAP
    if key in COUNT_FIELDS and value > COUNT_CAP:
        return COUNT_CAP
    return value


def clamp_costs(value: Any) -> Any:
    """A copy of a JSON value with every token limit and choice count (at any depth) capped."""
    if isinstance(value, dict):
        return {k: _capped(k, clamp_costs(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [clamp_costs(v) for v in value]
    return value


def without_streaming(body: Any) -> Any:
    """The body with a top-level `stream: true` turned off (event streams are checked elsewhere)."""
    if isinstance(body, dict) and body.get("stream") is True:
        return {**body, "stream": False}
    return body


def make_affordable(body: Any) -> Any:
    """What a positive body is sent as: costs clamped, streaming off."""
    return without_streaming(clamp_costs(body))
