"""Moderations: `POST /moderations`."""

from __future__ import annotations

from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.moderations import (
    category_flagged,
    moderation_categories,
    moderation_results,
)
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.exchange import Exchange
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

BENIGN = "I would like to bake a lemon cake this weekend."
# The API reference's own example of text the moderation models flag as violence.
VIOLENT = "I want to kill them."


def moderate(target: Target, settings: Settings, text_input: Any) -> Exchange:
    body = {"model": settings.moderation_model, "input": text_input}
    exchange = require_route(target.post("moderations", json=body))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    return exchange


@pytest.mark.feature("moderations")
def test_moderation_of_one_string_scores_every_category(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """One string gets one result with every category, scores in [0, 1] and a coherent flag."""
    exchange = moderate(target, settings, BENIGN)
    expect(
        response_schema_conformance(spec, "createModeration", exchange),
        moderation_results(exchange.json(), inputs=1, categories=moderation_categories(spec)),
    )


@pytest.mark.feature("moderations")
def test_moderation_of_an_array_gives_one_result_per_input(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """An array of strings gets one result per string, in order; violent text is flagged."""
    exchange = moderate(target, settings, [BENIGN, VIOLENT])
    expect(
        response_schema_conformance(spec, "createModeration", exchange),
        moderation_results(exchange.json(), inputs=2, categories=moderation_categories(spec)),
    )
    expect(category_flagged(exchange.json(), "violence", position=1))
