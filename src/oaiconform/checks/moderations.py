"""Checks of moderation results: one per input, every category, scores and flags consistent."""

from __future__ import annotations

from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.spec import Spec


def moderation_categories(spec: Spec) -> tuple[str, ...]:
    """The categories the description's response schema requires (e.g. hate, violence)."""
    schemas = spec.document["components"]["schemas"]
    item = schemas["CreateModerationResponse"]["properties"]["results"]["items"]["properties"]
    categories = item["categories"]
    return tuple(categories.get("required") or categories.get("properties") or ())


@check(
    title=(
        "One moderation result per input, with every category, scores in [0, 1] and a "
        "consistent `flagged`"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason=(
        "a missing or inconsistent verdict contradicts the documented semantics applications act on"
    ),
)
def moderation_results(body: Any, *, inputs: int, categories: tuple[str, ...]) -> list[Failure]:
    """`inputs` results, each with all categories, scores in [0, 1], flagged = any category."""
    if not isinstance(body, dict):
        return [
            Failure(
                "moderations", f"expected a JSON object, got {type(body).__name__}", where="body"
            )
        ]
    results = body.get("results")
    if not isinstance(results, list):
        return [
            Failure(
                "moderations", f"`results` must be an array, got {results!r:.80}", where="results"
            )
        ]
    failures = []
    if len(results) != inputs:
        failures.append(
            Failure(
                "moderations",
                f"expected {inputs} results (one per input), got {len(results)}",
                where="results",
                expected=str(inputs),
                found=str(len(results)),
            )
        )
    for position, result in enumerate(results):
        if not isinstance(result, dict):
            failures.append(
                Failure(
                    "moderations",
                    f"results[{position}] is not an object",
                    where=f"results[{position}]",
                )
            )
            continue
        failures.extend(_result(result, position, categories))
    return failures


def _result(result: dict[str, Any], position: int, categories: tuple[str, ...]) -> list[Failure]:
    where = f"results[{position}]"
    flags = result.get("categories")
    scores = result.get("category_scores")
    if not isinstance(flags, dict) or not isinstance(scores, dict):
        return [
            Failure(
                "moderations",
                f"{where} needs `categories` and `category_scores` objects",
                where=where,
            )
        ]
    failures = []
    for name, table in (("categories", flags), ("category_scores", scores)):
        missing = [c for c in categories if c not in table]
        if missing:
            failures.append(
                Failure(
                    "moderations",
                    f"{where}.{name} is missing {', '.join(missing)}",
                    where=f"{where}.{name}",
                )
            )
    for name, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            failures.append(
                Failure(
                    "moderations",
                    f"{where}.category_scores[{name!r}] must be a number in [0, 1], got {score!r}",
                    where=f"{where}.category_scores.{name}",
                    found=repr(score),
                )
            )
    fired = sorted(name for name, flag in flags.items() if flag is True)
    flagged = result.get("flagged")
    if flagged is not bool(fired):
        reason = f"categories {', '.join(fired)} are true" if fired else "no category is true"
        failures.append(
            Failure(
                "moderations",
                f"{where}.flagged is {flagged!r}, but {reason}",
                where=f"{where}.flagged",
                expected=str(bool(fired)).lower(),
                found=repr(flagged),
            )
        )
    return failures


@check(
    title="Clearly harmful input is flagged in its category",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a moderation that never flags ignores what the endpoint is for",
)
def category_flagged(body: Any, category: str, *, position: int = 0) -> list[Failure]:
    """The result at `position` flags `category` (for input that clearly belongs to it)."""
    try:
        result = body["results"][position]
        flag = result["categories"][category]
    except (KeyError, IndexError, TypeError):
        return [
            Failure(
                "moderations",
                f"results[{position}].categories[{category!r}] is missing",
                where=f"results[{position}].categories.{category}",
            )
        ]
    if flag is True and result.get("flagged") is True:
        return []
    return [
        Failure(
            "moderations",
            f"results[{position}] should flag {category!r} for clearly {category} text, got "
            f"categories[{category!r}] = {flag!r}, flagged = {result.get('flagged')!r}",
            where=f"results[{position}].categories.{category}",
            expected="true",
            found=repr(flag),
        )
    ]
