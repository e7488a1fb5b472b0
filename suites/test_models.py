"""Models: `GET /models` and `GET /models/{model}`."""

from __future__ import annotations

import pytest

from oaiconform.checks import Failure, expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.models import (
    MODEL_LISTED,
    MODEL_RETRIEVED,
    model_list_fields,
    model_object_fields,
)
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent


@pytest.mark.feature("models.list")
def test_models_list_returns_a_list_of_model_objects(target: Target, spec: Spec) -> None:
    """GET /models answers 200 with {"object": "list", "data": [model, ...]} as specified."""
    exchange = require_route(target.get("models"))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(
        response_schema_conformance(spec, "listModels", exchange),
        model_list_fields(exchange.json()),
    )


@pytest.mark.feature("models.list")
def test_models_list_includes_the_configured_model(target: Target, settings: Settings) -> None:
    """The chat model the run uses is one of the listed models."""
    exchange = require_route(target.get("models"))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    data = exchange.json().get("data")
    ids = [m.get("id") for m in data if isinstance(m, dict)] if isinstance(data, list) else []
    if settings.model not in ids:
        expect(
            [
                Failure(
                    "model_listed",
                    f"the configured model {settings.model!r} is not in "
                    f"GET /models (listed: {ids[:10]})",
                    where="data[].id",
                    expected=settings.model,
                    check_id=MODEL_LISTED,
                )
            ]
        )


@pytest.mark.feature("models.retrieve")
def test_models_retrieve_returns_the_model_object(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """GET /models/{model} answers 200 with the model object whose id is the one asked for."""
    exchange = require_route(target.get(f"models/{settings.model}"))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    body = exchange.json()
    expect(response_schema_conformance(spec, "retrieveModel", exchange), model_object_fields(body))
    if body.get("id") != settings.model:
        expect(
            [
                Failure(
                    "model_object",
                    f"asked for {settings.model!r}, got id {body.get('id')!r}",
                    where="id",
                    expected=settings.model,
                    found=repr(body.get("id")),
                    check_id=MODEL_RETRIEVED,
                )
            ]
        )
