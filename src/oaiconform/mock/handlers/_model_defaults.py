"""What the real API answers by model where a request leaves a choice to it.

Read from recorded answers (tests/corpus/real_api/, 2025-2026): the later gpt-5.x models
(5.1 to 5.4) reason with effort "none" unless asked, the others "medium"; gpt-5.2 and later
keep a prompt cache 24 hours, earlier models in memory; gpt-5.4 and later mark an assistant
message's `phase`; gpt-5, gpt-4.5 and gpt-3.5 models answer chat completions with
`system_fingerprint: null`; reasoning models, gpt-4.5 and the search and audio previews answer
choices without a `logprobs` member; gpt-5.6 and later load the tools a client's tool search
or an `additional_tools` item offers as plain functions, earlier models in a namespace; the
audio models split a chat completion's usage by modality (`text_tokens`, `image_tokens`).
Families newer than the description (gpt-5.6...) follow the latest of these rules.
"""

from __future__ import annotations

import re

_EFFORT_NONE = re.compile(r"^gpt-5\.[1-4](\D|$)")
_CACHE_24H = re.compile(r"^gpt-(5\.([2-9]|\d\d)|[6-9])")
_PHASED = re.compile(r"^gpt-(5\.([4-9]|\d\d)|[6-9])")
_NO_FINGERPRINT = re.compile(r"^gpt-([5-9]|4\.5|3\.5)")
_NO_CHOICE_LOGPROBS = re.compile(r"^gpt-4\.5|(search|audio)-preview")
_AUDIO = re.compile(r"(^|-)audio(-|$)")
_NATIVE_TOOL_LOADING = re.compile(r"^gpt-(5\.([6-9]|\d\d)|[6-9])")


def reasoning_effort(model: str) -> str:
    """A reasoning model's default effort."""
    return "none" if _EFFORT_NONE.match(model) else "medium"


def cache_retention(model: str) -> str:
    """The default `prompt_cache_retention` the API echoes."""
    return "24h" if _CACHE_24H.match(model) else "in_memory"


def message_phase(model: str) -> str | None:
    """The `phase` of a final assistant message, for the models that mark it."""
    return "final_answer" if _PHASED.match(model) else None


def has_fingerprint(model: str) -> bool:
    """Whether chat completions of this model carry a `system_fingerprint` string."""
    return not _NO_FINGERPRINT.match(model)


def has_choice_logprobs(model: str, reasoning: bool) -> bool:
    """Whether a chat choice of this model carries a `logprobs` member (null when not asked)."""
    return not reasoning and not _NO_CHOICE_LOGPROBS.search(model)


def loads_tools_natively(model: str) -> bool:
    """Whether the model takes tools loaded mid-conversation (a client-executed tool search's,
    an `additional_tools` item's) as plain functions, not in a namespace (_responses_tools)."""
    return bool(_NATIVE_TOOL_LOADING.match(model))


def splits_usage_by_modality(model: str) -> bool:
    """Whether a chat completion's usage details count text and image tokens apart (audio
    models: gpt-4o-audio-preview, gpt-audio...)."""
    return bool(_AUDIO.search(model))


__all__ = [
    "cache_retention",
    "has_choice_logprobs",
    "has_fingerprint",
    "loads_tools_natively",
    "message_phase",
    "reasoning_effort",
    "splits_usage_by_modality",
]
