"""The one registry of conformance features.

Profiles, pytest markers, the report and the matrix all read this table, so a feature id is
spelled once. Ids are a stable contract: later versions add entries and never rename them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["must", "should"]


@dataclass(frozen=True)
class Feature:
    id: str
    area: str
    level: Level
    description: str


_CATALOG: tuple[Feature, ...] = (
    Feature("models.list", "models", "must", "GET /models lists the models the target serves"),
    Feature("models.retrieve", "models", "must", "GET /models/{model} returns one model object"),
    Feature("chat.completions", "chat", "must", "POST /chat/completions answers a chat completion"),
    Feature("chat.stream", "chat", "must", "chat completions stream as server-sent events"),
    Feature(
        "chat.stream.usage",
        "chat",
        "should",
        "stream_options.include_usage adds one final usage chunk",
    ),
    Feature("chat.tools", "chat", "must", "tool definitions lead to well-formed tool calls"),
    Feature("chat.tools.stream", "chat", "must", "tool calls stream as indexed deltas"),
    Feature(
        "chat.structured_output",
        "chat",
        "should",
        "response_format json_object / json_schema is honoured",
    ),
    Feature("completions", "completions", "should", "POST /completions (legacy) answers"),
    Feature("completions.stream", "completions", "should", "legacy completions stream"),
    Feature("embeddings", "embeddings", "must", "POST /embeddings returns vectors in order"),
    Feature("moderations", "moderations", "should", "POST /moderations classifies input"),
    Feature("files", "files", "must", "files can be uploaded, listed, retrieved and deleted"),
    Feature("batches", "batches", "should", "batches run an uploaded JSONL file"),
    Feature("responses", "responses", "must", "POST /responses creates a model response"),
    Feature("responses.stream", "responses", "must", "responses stream typed events"),
    Feature(
        "errors.envelope",
        "errors",
        "must",
        "every error has the {error: {message, type, param, code}} envelope",
    ),
    Feature(
        "errors.auth",
        "errors",
        "must",
        "a missing, malformed or unknown key gets 401 with the envelope",
    ),
    Feature("errors.invalid_json", "errors", "must", "malformed request bodies get 400"),
    Feature("errors.validation", "errors", "must", "invalid parameters get 400 naming the param"),
    Feature(
        "errors.unknown_model",
        "errors",
        "must",
        "an unknown model gets 404 with code model_not_found",
    ),
    Feature("headers.request_id", "headers", "should", "x-request-id is present and unique"),
    Feature(
        "tenancy.isolation",
        "tenancy",
        "must",
        "what one key creates is invisible to another key (with --second-api-key-env)",
    ),
    Feature(
        "headers.rate_limit",
        "headers",
        "should",
        "x-ratelimit-* and Retry-After headers are well-formed",
    ),
)

# The parameter family: one feature per request parameter whose effect can be seen without
# judging the model's quality. Passed: the effect holds; not implemented: the target refuses
# the parameter with a 4xx naming it; failed: accepted, and the answer shows it was ignored.
_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("chat", "n", "n gives n choices"),
    ("chat", "stop", "stop (string or list) ends the text before the sequence"),
    ("chat", "max_tokens", "max_tokens cuts the answer (finish_reason length)"),
    ("chat", "max_completion_tokens", "max_completion_tokens cuts the answer"),
    ("chat", "logprobs", "logprobs returns one entry per token, spelling the content"),
    ("chat", "top_logprobs", "top_logprobs lists that many alternatives per token"),
    ("chat", "response_format", "response_format json_object / json_schema shapes the content"),
    ("chat", "tool_choice", "tool_choice none / required / a named function is obeyed"),
    ("chat", "parallel_tool_calls", "parallel_tool_calls false makes at most one call"),
    ("chat", "stream_options", "stream_options.include_usage adds the usage chunk"),
    ("chat", "seed", "the same seed gives the same answer (best effort: advisory)"),
    ("completions", "n", "n gives n choices per prompt"),
    ("completions", "stop", "stop ends the text before the sequence"),
    ("completions", "max_tokens", "max_tokens cuts the completion (finish_reason length)"),
    ("completions", "echo", "echo puts the prompt before the completion"),
    ("embeddings", "dimensions", "dimensions shortens the vectors"),
    ("embeddings", "encoding_format", "base64 is the float vector as little-endian float32"),
    ("responses", "max_output_tokens", "max_output_tokens makes a long answer incomplete"),
    ("responses", "store", "store decides whether the response can be retrieved"),
    ("responses", "previous_response_id", "previous_response_id continues the conversation"),
    ("responses", "instructions", "instructions are part of the input"),
    ("responses", "text_format", "text.format json_schema shapes the output text"),
    ("responses", "parallel_tool_calls", "parallel_tool_calls false makes at most one call"),
)
PARAMETER_FEATURES: tuple[str, ...] = tuple(f"params.{e}.{p}" for e, p, _ in _PARAMETERS)
_CATALOG += tuple(
    Feature(f"params.{endpoint}.{name}", "params", "should", f"{endpoint}: {description}")
    for endpoint, name, description in _PARAMETERS
)

FEATURES: dict[str, Feature] = {f.id: f for f in _CATALOG}

# Families whose members are derived from the spec: one per list resource, one per operation.
_FAMILIES: dict[str, tuple[str, Level, str]] = {
    "pagination": ("pagination", "must", "cursor pagination of {name}"),
    "schema": ("schema", "must", "generated requests to {name} get spec-conformant responses"),
}
_FAMILY_MEMBER = re.compile(r"^(pagination|schema)\.([A-Za-z0-9_-]+)$")


class UnknownFeatureError(KeyError):
    """A feature id that is neither in the catalog nor a member of a family."""

    def __str__(self) -> str:
        return f"unknown feature id {self.args[0]!r} (see `oaiconform profiles`)"


def get_feature(feature_id: str) -> Feature:
    """The feature for an id, including family members such as `schema.createChatCompletion`."""
    if feature_id in FEATURES:
        return FEATURES[feature_id]
    match = _FAMILY_MEMBER.match(feature_id)
    if match is None:
        raise UnknownFeatureError(feature_id)
    area, level, template = _FAMILIES[match.group(1)]
    return Feature(feature_id, area, level, template.format(name=match.group(2)))


def is_known(feature_id: str) -> bool:
    try:
        get_feature(feature_id)
    except UnknownFeatureError:
        return False
    return True
