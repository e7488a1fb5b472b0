"""How long an answer is, and which kind of answer a request asks for (magic prompts).

Like the real API's, an answer's length follows the prompt, never `max_tokens` (the model does
not see the limit): a short prompt ("hi", "Say hello.") gets a greeting-sized answer of 3 to 9
tokens, so common small limits (`max_tokens: 10` and up) hold it whole; a longer prompt gets 10
to 24 tokens; a prompt that asks for a long text (a story, an essay, "explain ...") 48 to 96;
one that names a word count ("a 300-word story", "in 50 words") about 4/3 tokens per word. The
length is drawn from the request's generator, so it is deterministic per seed.

A request asks for a special answer with the header `x-oaiconform-answer: KIND` or with
`[oaiconform:KIND]` anywhere in its prompt, KIND one of:

- `long`: 256 to 384 tokens (e.g. to test `max_tokens` cuts and long streams);
- `refusal`: the model refuses (chat: `message.refusal`, content null; Responses: a `refusal`
  content part);
- `tool_call`: a call of the first function tool, as if `tool_choice` were "required";
- `content_filter`: the answer stops half-way; chat: finish_reason `content_filter`;
  Responses: `incomplete` with `incomplete_details.reason` "content_filter";
- `text`: an answer in words though function tools are offered (`tool_choice` "auto"), as a
  model that needs no tool answers;
- `builtin` (Responses): the first built-in tool offered (web search, file search, code
  interpreter, image generation) is used once, then the answer is in words
  (handlers/_responses_builtin.py).

Whether a reasoning model shows that it reasoned (the Responses `reasoning` item before its
answer) is the model's choice too: it does when its effort is not "none"; the header
`x-oaiconform-reasoning: off` (or `on`) decides it for one request (`asked_reasoning`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any, Literal

from oaiconform.mock.text import below, count_tokens, text_of

AnswerKind = Literal[
    "normal", "long", "refusal", "tool_call", "content_filter", "text", "builtin"
]  # fmt: skip
ANSWER_KINDS: tuple[AnswerKind, ...] = (
    "long", "refusal", "tool_call", "content_filter", "text", "builtin"
)  # fmt: skip
ANSWER_HEADER = b"x-oaiconform-answer"
REASONING_HEADER = b"x-oaiconform-reasoning"
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
_MAGIC = re.compile(r"\[oaiconform:(long|refusal|tool_call|content_filter|text|builtin)\]")
_WORD_COUNT = re.compile(r"(\d{1,4})[- ]words?\b", re.IGNORECASE)
_LONG_FORM = re.compile(
    r"\b(story|essay|poem|article|report|explain|describe|summari[sz]e|elaborate|in detail)\b",
    re.IGNORECASE,
)
SHORT_PROMPT_TOKENS = 16  # up to this many tokens in the last user turn: a greeting-sized answer
_MAX_WORD_COUNT_TOKENS = 4096


def asked_kind(headers: Iterable[tuple[bytes, bytes]], prompt: str) -> AnswerKind:
    """The answer kind the header (first) or a magic prompt asks for; "normal" otherwise."""
    for name, value in headers:
        if name == ANSWER_HEADER:
            text = value.decode("latin-1").strip().lower()
            for kind in ANSWER_KINDS:
                if text == kind:
                    return kind
    found = _MAGIC.search(prompt)
    if found is None:
        return "normal"
    for kind in ANSWER_KINDS:
        if found.group(1) == kind:
            return kind
    return "normal"  # pragma: no cover - the pattern names only the kinds


def asked_reasoning(headers: Iterable[tuple[bytes, bytes]]) -> bool | None:
    """True/False when the reasoning header says `on`/`off`; None leaves it to the effort."""
    for name, value in headers:
        if name == REASONING_HEADER:
            text = value.decode("latin-1").strip().lower()
            return True if text == "on" else False if text == "off" else None
    return None


def answer_length(rng: random.Random, prompt: str, kind: AnswerKind) -> int:
    """How many tokens the answer to `prompt` (the last user turn's text) has."""
    if kind == "long":
        return 256 + below(rng, 129)
    words = _WORD_COUNT.search(prompt)
    if words is not None:
        return max(min(int(words.group(1)) * 4 // 3, _MAX_WORD_COUNT_TOKENS), 3)
    if _LONG_FORM.search(prompt):
        return 48 + below(rng, 49)
    if count_tokens(prompt) <= SHORT_PROMPT_TOKENS:
        return 3 + below(rng, 7)
    return 10 + below(rng, 15)


def last_user_text(messages: Any) -> str:
    """The text of the last user turn (chat messages or Responses input items)."""
    if isinstance(messages, str):
        return messages
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


__all__ = [
    "ANSWER_HEADER",
    "ANSWER_KINDS",
    "REASONING_HEADER",
    "REFUSAL_TEXT",
    "AnswerKind",
    "answer_length",
    "asked_kind",
    "asked_reasoning",
    "last_user_text",
    "text_of",
]
