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
_WORD_BITS = len(_WORDS).bit_length()
# The canonical JSON of a seed's parts (request data, never cyclic), with an encoder built
# once: json.dumps with options builds one per call, which cost as much as the rest.
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str, check_circular=False)
PER_MESSAGE_TOKENS = 4
PER_PROMPT_TOKENS = 3


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or a list of (input/output) text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = PER_PROMPT_TOKENS
    for message in messages:
        total += PER_MESSAGE_TOKENS + count_tokens(text_of(message.get("content")))
    return total


def rng_for(*parts: Any) -> random.Random:
    """A random generator seeded by the canonical JSON of `parts` (same request, same text)."""
    digest = hashlib.blake2b(_CANONICAL.encode(parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


_PADDING = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def obfuscation(rng: random.Random, payload_length: int) -> str:
    """The `obfuscation` padding the API adds to stream events so that their sizes do not
    tell their tokens apart (random letters and digits, longer for shorter payloads);
    drawn from `rng`, so a seeded stream keeps its bytes."""
    length = max(2, 16 - payload_length % 16) + below(rng, 4)
    return "".join(_PADDING[below(rng, len(_PADDING))] for _ in range(length))


def below(rng: random.Random, n: int) -> int:
    """`rng.randrange(n)` for n > 0, drawing exactly what it draws (rejection sampling on
    getrandbits, as CPython's `random` does), without its argument checks and two more calls."""
    bits = n.bit_length()
    drawn = rng.getrandbits(bits)
    while drawn >= n:
        drawn = rng.getrandbits(bits)
    return drawn


def generate_tokens(rng: random.Random, count: int) -> list[str]:
    """`count` tokens: words with a leading space after the first, and a final period.

    Every chat completion calls this, so it draws the words itself: exactly the draws
    `rng.choice(_WORDS)` makes (rejection sampling on getrandbits, as in CPython's `random`),
    without its two Python calls per word; the same seed still gives the same text.
    """
    getrandbits, size, bits = rng.getrandbits, len(_WORDS), _WORD_BITS
    tokens: list[str] = []
    for _ in range(count - 1):
        drawn = getrandbits(bits)
        while drawn >= size:
            drawn = getrandbits(bits)
        tokens.append(" " + _WORDS[drawn])
    if tokens:
        tokens[0] = tokens[0][1:].capitalize()
    if count > 0:
        tokens.append(".")
    return tokens


# --- additions for embeddings, completions, tools and logprobs ---

WORDS: tuple[str, ...] = tuple(dict.fromkeys(_WORDS))  # the vocabulary, without repeats
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+\Z")


def split_tokens(text: str) -> list[str]:
    """`text` cut into token pieces that join back to it exactly (whitespace leads a piece)."""
    return _PIECE.findall(text)


def decode_token_ids(ids: list[int]) -> str:
    """A stand-in text for token ids: the mock has no real vocabulary, so ids map to words."""
    return "".join((" " if i else "") + WORDS[token % len(WORDS)] for i, token in enumerate(ids))


def token_logprobs(
    rng: random.Random, tokens: list[str], top: int
) -> list[tuple[str, float, list[tuple[str, float]]]]:
    """Per token: (token, logprob, `top` alternatives best first, the token itself first).

    The sampled token is the most likely one, so its logprob heads its own top list and every
    alternative is strictly less likely; alternatives are distinct from the token.
    """
    out = []
    for token in tokens:
        logprob = -round(rng.uniform(0.0, 1.5), 6)
        alternatives: list[tuple[str, float]] = [(token, logprob)]
        seen = {token}
        below = logprob
        while len(alternatives) < top:
            candidate = (" " if token.startswith(" ") else "") + rng.choice(WORDS)
            if candidate in seen:
                candidate += "s" * len(alternatives)
            seen.add(candidate)
            below = round(below - rng.uniform(0.1, 2.0), 6)
            alternatives.append((candidate, below))
        out.append((token, logprob, alternatives[:top]))
    return out


def cut_tokens(
    tokens: list[str], limit: int | None, stops: list[str]
) -> tuple[list[str], str | None]:
    """Apply a token limit, then stop sequences: (kept tokens, "length"/"stop" if cut, else None).

    A stop sequence ends the text before it, keeping only whole tokens that end before it, so
    streamed tokens still join to exactly the non-streamed text.
    """
    finish: str | None = None
    if isinstance(limit, int) and limit < len(tokens):
        tokens, finish = tokens[:limit], "length"
    for stop in stops:
        cut = "".join(tokens).find(stop)
        if cut >= 0:
            kept, total = [], 0
            for token in tokens:
                if total + len(token) > cut:
                    break
                kept.append(token)
                total += len(token)
            tokens, finish = kept, "stop"
    return tokens, finish


def stop_sequences(stop: Any) -> list[str]:
    """The request's `stop` (a string, a list, or null) as a list of non-empty strings."""
    if isinstance(stop, str):
        return [stop] if stop else []
    return [s for s in stop or [] if isinstance(s, str) and s]
