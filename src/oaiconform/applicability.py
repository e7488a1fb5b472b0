"""Which tests apply to a target: decided from its stated traits, before anything is sent.

A suite test that needs a property of the target declares it with
`@pytest.mark.requires("deterministic")`. When the target lacks it, the test is *not
applicable*: it is not run, `--dry-run` lists it with the reason, and it does not keep its
feature from passing. That is different from a test that could not run for a reason found at
run time (the budget, a precondition that failed): its feature is then `partial`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from oaiconform.settings import Settings


@dataclass(frozen=True)
class TargetTraits:
    """What is known about the target before the run, from the settings alone."""

    embedded_mock: bool
    deterministic: bool  # same request and seed, same answer
    second_key: bool  # a second tenant's key is available
    paid_objects: bool  # objects that cost tokens (batches, stored completions) may be created
    openai_sdk: bool  # the official SDK is importable, for the client-side probes

    @classmethod
    def of(cls, settings: Settings) -> TargetTraits:
        mock = settings.embedded_mock
        return cls(
            embedded_mock=mock,
            deterministic=mock or settings.deterministic,
            second_key=mock or settings.second_api_key is not None,
            paid_objects=mock or settings.profile == "full",
            openai_sdk=importlib.util.find_spec("openai") is not None,
        )


@dataclass(frozen=True)
class Requirement:
    name: str
    holds: Callable[[TargetTraits], bool]
    reason: str  # why a test needing it does not apply, and how to make it apply


REQUIREMENTS: dict[str, Requirement] = {
    r.name: r
    for r in (
        Requirement(
            "deterministic",
            lambda t: t.deterministic,
            "needs a deterministic target (same request and seed, same answer): pass "
            "--deterministic for a server that is, e.g. at temperature 0 with a seed",
        ),
        Requirement(
            "rate_limit_on_demand",
            lambda t: t.embedded_mock,
            "needs a 429 on demand, which only the embedded mock gives "
            "(provoking a real rate limit would spend the target's quota)",
        ),
        Requirement(
            "second_key",
            lambda t: t.second_key,
            "needs a second tenant's key: pass --second-api-key-env NAME",
        ),
        Requirement(
            "paid_objects",
            lambda t: t.paid_objects,
            "creates objects that cost tokens on a real target (batches, stored completions): "
            "runs on the embedded mock, or with --profile full",
        ),
        Requirement(
            "openai_sdk",
            lambda t: t.openai_sdk,
            "drives the official openai SDK, which is not installed "
            "(pip install 'oaiconform[sdk]')",
        ),
    )
}


class UnknownRequirementError(KeyError):
    def __str__(self) -> str:
        return f"unknown requirement {self.args[0]!r} (known: {', '.join(sorted(REQUIREMENTS))})"


def unmet(requirements: Iterable[str], traits: TargetTraits) -> str | None:
    """Why a test with these requirements does not apply to the target; None when it does."""
    for name in requirements:
        requirement = REQUIREMENTS.get(name)
        if requirement is None:
            raise UnknownRequirementError(name)
        if not requirement.holds(traits):
            return requirement.reason
    return None
