"""Deterministic text and the documented token-count approximation.

Tokens are approximated as words and single punctuation marks (regex `\\w+|[^\\w\\s]`); each
message adds 4 tokens of framing and every prompt 3, roughly as OpenAI's chat format does.
Generated text is made of whole tokens, so completion_tokens is exact for the mock's own output
and streamed deltas (one token each) concatenate to exactly the non-streamed content.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "conformance",
    "tests",
    "check",
    "every",
    "field",
    "of",
    "each",
    "response",
    "and",
    "stream",
    "so",
    "that",
    "clients",
    "can",
    "rely",
    "on",
    "servers",
    "behaving",
    "exactly",
    "as",
    "the",
    "specification",
    "says",
    "they",
    "should",
    "in",
    "all",
    "cases",
    "including",
    "errors",
    "pagination",
    "and",
    "tools",
]
PER_MESSAGE_TOKENS = 4
PER_PROMPT_TOKENS = 3


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = PER_PROMPT_TOKENS
    for message in messages:
        total += PER_MESSAGE_TOKENS + count_tokens(_content_text(message.get("content")))
    return total


def rng_for(*parts: Any) -> random.Random:
    """A random generator seeded by the canonical JSON of `parts` (same request, same text)."""
    digest = hashlib.blake2b(
        json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=8
    ).digest()
    return random.Random(int.from_bytes(digest, "big"))


def generate_tokens(rng: random.Random, count: int) -> list[str]:
    """`count` tokens: words with a leading space after the first, and a final period."""
    words = [rng.choice(_WORDS) for _ in range(max(count - 1, 0))]
    tokens = [w if i == 0 else f" {w}" for i, w in enumerate(words)]
    if tokens:
        tokens[0] = tokens[0].capitalize()
    if count > 0:
        tokens.append(".")
    return tokens
