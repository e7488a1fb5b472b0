"""The official SDK through the proxy behaves exactly as it does directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI

from oaiconform.mock import MockConfig, MockServer
from oaiconform.proxy import ValidatingProxy
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY
from tests.proxy.scenario import CALLS, outcome


@pytest.fixture(scope="module")
def clients(spec: Spec) -> Iterator[tuple[OpenAI, OpenAI, ValidatingProxy]]:
    config = MockConfig(api_keys=(TEST_KEY,), seed=3)
    with (
        MockServer(config, spec) as direct,
        MockServer(config, spec) as behind,
        ValidatingProxy(behind.base_url, spec) as proxy,
    ):
        yield (
            OpenAI(base_url=direct.base_url, api_key=TEST_KEY, max_retries=0),
            OpenAI(base_url=proxy.base_url, api_key=TEST_KEY, max_retries=0),
            proxy,
        )


@pytest.mark.parametrize("call", sorted(CALLS))
def test_the_sdk_gets_the_same_through_the_proxy(
    clients: tuple[OpenAI, OpenAI, ValidatingProxy], call: str
) -> None:
    direct, proxied, _ = clients
    assert outcome(CALLS[call], proxied) == outcome(CALLS[call], direct)


def test_the_correct_mock_shows_no_problem(clients: tuple[OpenAI, OpenAI, ValidatingProxy]) -> None:
    _, proxied, proxy = clients
    for call in CALLS.values():
        outcome(call, proxied)
    report = proxy.report()
    assert [p.id for p in report.problems] == []
    assert report.summary["requests"] >= len(CALLS)
    assert report.tests and all(t.outcome == "passed" for t in report.tests)
    assert proxy.client_problems() == []
