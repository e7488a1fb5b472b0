"""Checks of the model objects (`GET /models`, `GET /models/{model}`)."""

from __future__ import annotations

from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check


@check
def model_object_fields(model: Any, *, where: str = "model") -> list[Failure]:
    """`id` a non-empty string, `object` "model", `created` integer seconds, `owned_by` a string."""
    if not isinstance(model, dict):
        return [Failure("model_object", f"{where}: expected an object, got {type(model).__name__}")]
    failures = []
    if not isinstance(model.get("id"), str) or not model["id"]:
        failures.append(
            Failure(
                "model_object", f"{where}: `id` must be a non-empty string, got {model.get('id')!r}"
            )
        )
    if model.get("object") != "model":
        failures.append(
            Failure(
                "model_object", f'{where}: `object` must be "model", got {model.get("object")!r}'
            )
        )
    created = model.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or created < 0:
        failures.append(
            Failure(
                "model_object", f"{where}: `created` must be integer Unix seconds, got {created!r}"
            )
        )
    if not isinstance(model.get("owned_by"), str):
        failures.append(
            Failure(
                "model_object",
                f"{where}: `owned_by` must be a string, got {model.get('owned_by')!r}",
            )
        )
    return failures


@check
def model_list_fields(body: Any) -> list[Failure]:
    """A list envelope (`object` "list") whose `data` items are each a model object."""
    if not isinstance(body, dict):
        return [Failure("model_list", f"expected a JSON object, got {type(body).__name__}")]
    failures = []
    if body.get("object") != "list":
        failures.append(
            Failure("model_list", f'`object` must be "list", got {body.get("object")!r}')
        )
    data = body.get("data")
    if not isinstance(data, list):
        failures.append(Failure("model_list", f"`data` must be an array, got {data!r:.80}"))
        return failures
    for index, model in enumerate(data):
        failures.extend(model_object_fields(model, where=f"data[{index}]"))
    ids = [m.get("id") for m in data if isinstance(m, dict)]
    duplicates = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
    if duplicates:
        failures.append(Failure("model_list", f"model ids listed more than once: {duplicates}"))
    return failures
