"""Spec-driven property testing: schemathesis's generation and checks over our Target.

Collection stays ours (one pytest item per operation, from the loaded spec); this package turns
one operation id into generated requests sent through the Target and judged by schemathesis's
response checks, reported as our `Failure`s. See `runner.OperationRun` for the flow.
"""

from __future__ import annotations

from collections.abc import Callable

from oaiconform.pinning import pinned
from oaiconform.property.groups import expensive_group, may_run
from oaiconform.property.runner import (
    OperationRun,
    PropertyOptions,
    PropertySkip,
    RouteMissing,
)
from oaiconform.property.session import property_schema
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target


def options_from(settings: Settings) -> PropertyOptions:
    return PropertyOptions(
        # Generated inference bodies are pinned as the suites' are (a body's own draw kept),
        # so that a sampling server judged twice gets the same verdict.
        pins={
            "createChatCompletion": pinned(settings, {}),
            "createCompletion": pinned(settings, {}),
            "createResponse": pinned(settings, {}, seed=False),
        },
        positive_examples=settings.property_examples,
        negative_examples=settings.property_negative_examples,
        seed=settings.seed,
        models={
            "createChatCompletion": settings.model,
            "createResponse": settings.model,
            "createEmbedding": settings.embedding_model,
            "createCompletion": settings.completion_model,
            "createModeration": settings.moderation_model,
        },
    )


def exercise_operation(
    target: Target,
    spec: Spec,
    settings: Settings,
    operation_id: str,
    record: Callable[[str, float], None] | None = None,
) -> None:
    """Generated requests to the operation get spec-conformant answers.

    Raises ConformanceError (the target broke a rule), RouteMissing (no such endpoint),
    PropertySkip (left out, or schemathesis could not generate), or a Target exception.
    `record` receives what the operation cost (examples, requests, 429 retries), also when
    it fails, for the report's per-test metrics.
    """
    operation = spec.operation(operation_id)
    reason = may_run(
        operation.path,
        allow_expensive=settings.allow_expensive,
        profile=settings.profile,
        embedded_mock=target.embedded_mock,
    )
    if reason is not None:
        raise PropertySkip(f"{operation_id}: {reason}")
    run = OperationRun(target, property_schema(spec), operation_id, options_from(settings))
    try:
        run.run()
    finally:
        for name, value in run.stats().items():
            if record is not None:
                record(name, value)
        for name, value in run.objects.metrics().items():  # path objects pinned or not
            if record is not None:
                record(name, value)


__all__ = [
    "OperationRun",
    "PropertyOptions",
    "PropertySkip",
    "RouteMissing",
    "exercise_operation",
    "expensive_group",
    "options_from",
    "property_schema",
]
