"""The parameters a reasoning model refuses, as the API refuses them.

The description says `max_tokens` "is not compatible with o-series models" (they take
`max_completion_tokens`) and `stop` is "not supported with latest reasoning models o3 and
o4-mini"; the API answers those a 400 `unsupported_parameter`, and so `logprobs` on o-series
models. The o-series and the first gpt-5 models (gpt-5, -mini, -nano) take only the default
sampling (`temperature`, `top_p`: 1), else 400 `unsupported_value`. Later gpt-5.x models take
all of these, as the description's own examples show (`gpt-5.4` with `max_tokens`). Only the
search models take a chat completion's `web_search_options`.
"""

from __future__ import annotations

import re
from typing import Any

from oaiconform.mock.catalog import ModelInfo
from oaiconform.mock.errors import APIError

_SAMPLING_DEFAULTS = (("temperature", 1), ("top_p", 1))
_O_SERIES = re.compile(r"^o\d")
_NO_STOP = re.compile(r"^(o3|o4-mini)(-\d{4}-\d\d-\d\d)?$")
_DEFAULT_SAMPLING_ONLY = re.compile(r"^(o\d|gpt-5(-mini|-nano)?(-\d{4}-\d\d-\d\d)?$)")


def _unsupported_parameter(name: str, instead: str | None = None) -> APIError:
    hint = f" Use '{instead}' instead." if instead else ""
    return APIError(
        400,
        f"Unsupported parameter: '{name}' is not supported with this model.{hint}",
        param=name,
        code="unsupported_parameter",
    )


# The first o1 models take neither system nor developer messages (pydantic-ai's
# test_openai_o1_mini_system_role recordings).
_NO_INSTRUCTION_ROLES = re.compile(r"^o1-(mini|preview)(-\d{4}-\d\d-\d\d)?$")


# Chat completions search the web with the search models only (gpt-4o-search-preview,
# gpt-5-search-api...); any other model refuses `web_search_options` (pydantic-ai's
# test_openai_web_search_tool_model_not_supported recording).
_SEARCH_MODEL = re.compile(r"(^|-)search(-|$)")


def check_chat_parameters(body: dict[str, Any], model: ModelInfo) -> None:
    """400 for a chat completion parameter the model does not take."""
    if body.get("web_search_options") is not None and not _SEARCH_MODEL.search(model.id):
        raise APIError(
            400, "Web search options not supported with this model.", param="web_search_options"
        )
    if model.kind != "reasoning":
        return
    if _NO_INSTRUCTION_ROLES.match(model.id):
        _instruction_roles_refused(body)
    if _O_SERIES.match(model.id):
        if body.get("max_tokens") is not None:
            raise _unsupported_parameter("max_tokens", "max_completion_tokens")
        if body.get("logprobs"):
            raise _unsupported_parameter("logprobs")
    if _NO_STOP.match(model.id) and body.get("stop") is not None:
        raise _unsupported_parameter("stop")
    if _DEFAULT_SAMPLING_ONLY.match(model.id):
        _sampling_defaults_only(body)


def _instruction_roles_refused(body: dict[str, Any]) -> None:
    for index, message in enumerate(body.get("messages") or ()):
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            raise APIError(
                400,
                f"Unsupported value: 'messages[{index}].role' does not support '{role}' with "
                "this model.",
                param=f"messages[{index}].role",
                code="unsupported_value",
            )


def check_responses_parameters(body: dict[str, Any], model: ModelInfo) -> None:
    """400 for a Responses parameter the model does not take (sampling: only the default)."""
    if model.kind == "reasoning" and _DEFAULT_SAMPLING_ONLY.match(model.id):
        for name, _ in _SAMPLING_DEFAULTS:
            if body.get(name) not in (None, 1):
                raise _unsupported_parameter(name)


def _sampling_defaults_only(body: dict[str, Any]) -> None:
    for name, default in _SAMPLING_DEFAULTS:
        value = body.get(name)
        if value is not None and value != default:
            raise APIError(
                400,
                f"Unsupported value: '{name}' does not support {value} with this model. "
                f"Only the default ({default}) value is supported.",
                param=name,
                code="unsupported_value",
            )


# Models that take audio in chat messages (gpt-4o-audio-preview, gpt-audio...).
_AUDIO_INPUT = re.compile(r"audio")
_AUDIO_FILE = re.compile(r"\.(mp3|wav|m4a|ogg|flac|aac|opus)$", re.IGNORECASE)


def check_chat_content(body: dict[str, Any], model: ModelInfo) -> None:
    """400 for an `input_audio` part sent to a model without audio input, as the API answers
    (tests/corpus/real_api/: pydantic-ai's test_multimodal_tool_return_matrix, gpt-5-mini)."""
    if _AUDIO_INPUT.search(model.id):
        return
    for index, message in enumerate(body.get("messages") or ()):
        content = message.get("content") if isinstance(message, dict) else None
        parts = content if isinstance(content, list) else ()
        if any(isinstance(p, dict) and p.get("type") == "input_audio" for p in parts):
            raise APIError(
                400,
                f"Invalid 'messages[{index}]'. Content blocks are expected to be either text or "
                "image_url type.",
                param=f"messages[{index}]",
                code="invalid_value",
            )


def check_responses_files(body: dict[str, Any]) -> None:
    """400 for an audio file given as an `input_file` (by URL or as data), which the
    Responses API does not read, as it answers (the same recordings)."""
    items = body.get("input")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, dict):
            continue
        for member in ("content", "output"):
            parts = item.get(member)
            for k, part in enumerate(parts if isinstance(parts, list) else ()):
                if isinstance(part, dict) and part.get("type") == "input_file":
                    _refuse_audio_file(part, f"input[{index}].{member}[{k}]")


def _refuse_audio_file(part: dict[str, Any], where: str) -> None:
    url = part.get("file_url")
    if isinstance(url, str) and _AUDIO_FILE.search(url.split("?")[0]):
        raise APIError(
            400,
            "The file type you uploaded is not supported. Please try again with a pdf",
            param="input",
            code="unsupported_file",
        )
    data = part.get("file_data")
    if isinstance(data, str) and data.startswith("data:audio/"):
        mime = data[5:].split(";")[0]
        raise APIError(
            400,
            f"Invalid file data: '{where}.file_data'. Expected a base64-encoded data URL with a "
            "valid file MIME type (e.g. 'data:text/plain;base64,SGVsbG8sIFdvcmxkIQ=='), but got "
            f"unsupported MIME type '{mime}'. Please see https://platform.openai.com/docs/"
            "assistants/tools/file-search#supported-files for supported file types.",
            param=f"{where}.file_data",
            code="invalid_value",
        )
