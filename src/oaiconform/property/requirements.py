"""What a generated request must also satisfy to mean something, beyond its schema.

The description cannot say that a Responses request needs `model` unless a stored `prompt`
supplies one, or that `tool_choice` means nothing without `tools`. A generated request that
breaks such a rule is rightly refused by a correct server, so counting the refusal as "valid
data rejected" blames the server for our request. Each rule is written once here, with its
reason, and used twice: generation repairs positive bodies to meet it (`meet`), and judgement
accepts a refusal of a body that still breaks it (`broken_rule`).

A request that names an object by id (`input_file_id`, `previous_response_id`, ...) with a
generated value names nothing the target has; a refusal that says so (a 400 or 404 whose
error names that parameter or its value) is the right answer, not a rejection of valid data
(`names_unresolved_reference`). Likewise a 400 whose message names a parameter of the request
("'limit' must be an integer between 1 and 100", "Invalid endpoint '/v1/videos'") explains a
rule the description leaves out, as a 400 whose `param` names it does (`names_a_parameter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from oaiconform.checks.routes import message_of
from oaiconform.exchange import Exchange

Body = dict[str, Any]


@dataclass(frozen=True)
class CrossFieldRule:
    operations: frozenset[str]
    reason: str
    holds: Callable[[Body], bool]
    repair: Callable[[Body, str | None], Body]  # (body, the run's model for the operation)


def _with_model(body: Body, model: str | None) -> Body:
    return {**body, "model": model} if model else body


def _without(*names: str) -> Callable[[Body, str | None], Body]:
    return lambda body, _model: {k: v for k, v in body.items() if k not in names}


RULES = (
    CrossFieldRule(
        frozenset({"createResponse", "beta_createResponse"}),
        "a Response needs `model` unless a stored `prompt` supplies it: the description makes "
        "both optional, the API refuses a request with neither",
        lambda body: "model" in body or "prompt" in body,
        _with_model,
    ),
    CrossFieldRule(
        frozenset({"createChatCompletion", "createResponse", "beta_createResponse"}),
        "`tool_choice` and `parallel_tool_calls` choose among `tools`: without tools the API "
        "refuses them",
        lambda body: (
            bool(body.get("tools"))
            or ("tool_choice" not in body and "parallel_tool_calls" not in body)
        ),
        _without("tool_choice", "parallel_tool_calls"),
    ),
    CrossFieldRule(
        frozenset({"createChatCompletion"}),
        "`top_logprobs` needs `logprobs: true`",
        lambda body: "top_logprobs" not in body or body.get("logprobs") is True,
        _without("top_logprobs"),
    ),
)


def meet(operation_id: str | None, body: Any, model: str | None) -> Any:
    """A positive body repaired to meet every rule of its operation."""
    if not isinstance(body, dict):
        return body
    for rule in RULES:
        if operation_id in rule.operations and not rule.holds(body):
            body = rule.repair(body, model)
    return body


def broken_rule(operation_id: str, body: Any) -> CrossFieldRule | None:
    """The first rule of the operation the body breaks (a refusal of it is right), or None."""
    if not isinstance(body, dict):
        return None
    return next(
        (r for r in RULES if operation_id in r.operations and not r.holds(body)),
        None,
    )


_REFERENCE = re.compile(r"(^|_)ids?$")
# Pagination cursors name an object too (the last one of the previous page).
_CURSORS = frozenset({"after", "before"})


def _references(body: Any) -> dict[str, Any]:
    """The members of a body (top level, and one level into objects) that name objects by id."""
    found: dict[str, Any] = {}
    if not isinstance(body, dict):
        return found
    for key, value in body.items():
        if _REFERENCE.search(key) and isinstance(value, str | list):
            found[key] = value
        elif isinstance(value, dict):
            found.update({k: v for k, v in value.items() if _REFERENCE.search(k)})
    return found


def names_unresolved_reference(
    body: Any, exchange: Exchange, query: Mapping[str, Any] | None = None
) -> str | None:
    """The reference (in the body, or a cursor or id in the query) a 400/404 refusal names
    (by parameter, name or value), or None."""
    if exchange.status not in (400, 404) or not exchange.is_json:
        return None
    references = _references(body)
    references.update(
        (k, v)
        for k, v in (query or {}).items()
        if (k in _CURSORS or _REFERENCE.search(k)) and isinstance(v, str | list)
    )
    answer = exchange.json()
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return None
    param = str(error.get("param") or "")
    message = str(error.get("message") or "").lower()
    for key, value in references.items():
        spoken = key.replace("_", " ")
        names = {key, spoken, spoken.removesuffix(" id").removesuffix(" ids")}
        values = {v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)}
        if param.split(".")[0].split("[")[0] == key or any(n in message for n in names):
            return key
        if any(len(v) >= 3 and v.lower() in message for v in values):
            return key
    return None


def names_a_parameter(
    body: Any, exchange: Exchange, query: Mapping[str, Any] | None = None
) -> str | None:
    """The parameter of the request a 400's message names (as a word), or None."""
    if exchange.status != 400:
        return None
    message = message_of(exchange)[1].lower()
    names = [*(body if isinstance(body, dict) else {}), *(query or {})]
    for name in names:
        spoken = str(name).lower()
        if re.search(rf"(?<![\w.]){re.escape(spoken)}(?![\w])", message) or (
            "_" in spoken and spoken.replace("_", " ") in message
        ):
            return str(name)
    return None
