"""Checks of the model objects (`GET /models`, `GET /models/{model}`)."""

from __future__ import annotations

from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks.schema import integer_timestamp, object_value

# Rules the suites judge themselves, on what the run configured.
MODEL_LISTED = register(
    "models.model_listed",
    title="GET /models lists the model the run uses",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a model the target serves is missing from its own listing",
).id
MODEL_RETRIEVED = register(
    "models.model_retrieved",
    title="GET /models/{model} answers the model asked for",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the answer names another model than the one requested",
).id


@check(
    title="A model object has a non-empty `id` and an `owned_by` string",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="applications pick models by `id`; the SDK hands over None for a missing one",
)
def model_object_fields(model: Any, *, where: str = "model") -> list[Failure]:
    """`id` a non-empty string, `object` "model", `created` integer seconds, `owned_by` a string.

    `object` and `created` are judged by their own spec-literal checks (schema.object_value,
    schema.integer_timestamp); `where` is "model" for a retrieved model or "data[3]" in a list.
    """
    at = "" if where == "model" else where
    prefix = f"{at}." if at else ""
    if not isinstance(model, dict):
        return [
            Failure(
                "model_object",
                f"{where}: expected an object, got {type(model).__name__}",
                where=at or "body",
            )
        ]
    failures = []
    if not isinstance(model.get("id"), str) or not model["id"]:
        failures.append(
            Failure(
                "model_object",
                f"{where}: `id` must be a non-empty string, got {model.get('id')!r}",
                where=f"{prefix}id",
            )
        )
    failures += object_value(model, "model", at=at)
    failures += integer_timestamp(model, "created", at=at)
    if not isinstance(model.get("owned_by"), str):
        failures.append(
            Failure(
                "model_object",
                f"{where}: `owned_by` must be a string, got {model.get('owned_by')!r}",
                where=f"{prefix}owned_by",
            )
        )
    return failures


@check(
    title="GET /models lists each model once, in a `data` array of model objects",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDK's page iterates `data`: without the array an application lists nothing",
)
def model_list_fields(body: Any) -> list[Failure]:
    """A list envelope (`object` "list") whose `data` items are each a model object."""
    if not isinstance(body, dict):
        return [
            Failure(
                "model_list", f"expected a JSON object, got {type(body).__name__}", where="body"
            )
        ]
    failures = object_value(body, "list")
    data = body.get("data")
    if not isinstance(data, list):
        failures.append(
            Failure("model_list", f"`data` must be an array, got {data!r:.80}", where="data")
        )
        return failures
    for index, model in enumerate(data):
        failures.extend(model_object_fields(model, where=f"data[{index}]"))
    ids = [m.get("id") for m in data if isinstance(m, dict)]
    duplicates = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
    if duplicates:
        failures.append(
            Failure(
                "model_list", f"model ids listed more than once: {duplicates}", where="data[].id"
            )
        )
    return failures
