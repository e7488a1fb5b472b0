"""Deterministic inference requests: the pins the suites add, and what they leave alone."""

from __future__ import annotations

from oaiconform.mock.faults.inference import is_pinned
from oaiconform.pinning import pinned, request_seed
from oaiconform.settings import Settings, build_settings


def test_a_request_is_pinned_to_temperature_0_and_the_runs_seed() -> None:
    body = pinned(Settings(seed=1234), {"model": "m"})
    assert body == {"model": "m", "temperature": 0, "seed": request_seed(1234)}
    assert is_pinned(body)
    assert request_seed(1234) == request_seed(1234) != request_seed(1235)
    assert all(0 <= request_seed(s) < 2**31 for s in (0, 1, 2**32 - 1))


def test_what_the_request_sets_itself_is_kept() -> None:
    """A test about temperature or seed (a generated variant) keeps its own values."""
    body = pinned(Settings(seed=1), {"temperature": 1.5, "seed": 7})
    assert body == {"temperature": 1.5, "seed": 7}
    assert not is_pinned(body)


def test_responses_get_no_seed() -> None:
    """The Responses request schema has no `seed`: only the temperature is pinned."""
    assert pinned(Settings(seed=1), {"input": "hi"}, seed=False) == {
        "input": "hi",
        "temperature": 0,
    }


def test_only_temperature_0_with_an_integer_seed_is_pinned() -> None:
    assert not is_pinned({"temperature": 0})
    assert not is_pinned({"seed": 3})
    assert not is_pinned({"temperature": False, "seed": 3})
    assert not is_pinned({"temperature": 0, "seed": True})
    assert is_pinned({"temperature": 0.0, "seed": 0})


def test_no_pinning_leaves_every_request_as_the_test_wrote_it() -> None:
    """OpenAI's reasoning models (o-series, gpt-5) refuse any temperature but the default:
    `--no-pinning` sends the bodies unpinned."""
    settings = build_settings({"no_pinning": True, "seed": 1}, {})
    assert not settings.pin_sampling
    assert pinned(settings, {"model": "m"}) == {"model": "m"}
    assert build_settings({"seed": 1}, {}).pin_sampling
