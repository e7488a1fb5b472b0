"""The parameters a reasoning model refuses, as the API refuses them.

The description says `max_tokens` "is not compatible with o-series models" (they take
`max_completion_tokens`) and `stop` is "not supported with latest reasoning models o3 and
o4-mini"; the API answers those a 400 `unsupported_parameter`, and so `logprobs` on o-series
models. The o-series and the first gpt-5 models (gpt-5, -mini, -nano) take only the default
sampling (`temperature`, `top_p`: 1), else 400 `unsupported_value`. Later gpt-5.x models take
all of these, as the description's own examples show (`gpt-5.4` with `max_tokens`).
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


def check_chat_parameters(body: dict[str, Any], model: ModelInfo) -> None:
    """400 for a chat completion parameter the model does not take."""
    if model.kind != "reasoning":
        return
    if _O_SERIES.match(model.id):
        if body.get("max_tokens") is not None:
            raise _unsupported_parameter("max_tokens", "max_completion_tokens")
        if body.get("logprobs"):
            raise _unsupported_parameter("logprobs")
    if _NO_STOP.match(model.id) and body.get("stop") is not None:
        raise _unsupported_parameter("stop")
    if _DEFAULT_SAMPLING_ONLY.match(model.id):
        _sampling_defaults_only(body)


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
