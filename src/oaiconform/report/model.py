"""The report: a typed, versioned document that CI and other tools read.

`schema_version` changes only when a field is renamed or removed; new fields are additive.
Redaction happens once, here, at construction, so no writer can leak a credential.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from oaiconform import __version__
from oaiconform.context import RunContext
from oaiconform.features import get_feature
from oaiconform.profiles import Profile, ProfileError
from oaiconform.redact import Redactor, strip_userinfo

SCHEMA_VERSION = 1
NOT_BUILT = "not built: this version of oaiconform has no test for this feature yet"


@dataclass(frozen=True)
class FeatureFailure:
    test: str
    message: str
    repro: str


@dataclass(frozen=True)
class FeatureResult:
    status: str  # passed | failed | not_implemented | skipped
    tests: int
    level: str  # must | should
    required: bool
    failures: list[FeatureFailure] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class TestEntry:
    id: str
    feature: str
    outcome: str
    duration_s: float
    message: str
    metrics: dict[str, float] | None = None  # e.g. stream timings; additive


@dataclass(frozen=True)
class Report:
    schema_version: int
    tool: dict[str, str]
    spec: dict[str, Any]
    target: dict[str, Any]
    profile: str
    seed: int
    started_at: str
    duration_s: float
    summary: dict[str, int]
    features: dict[str, FeatureResult]
    tests: list[TestEntry]
    budget: dict[str, Any]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def exit_code(self) -> int:
        """1 when a required feature failed or is not implemented, else 0."""
        for result in self.features.values():
            if result.required and result.status in ("failed", "not_implemented"):
                return 1
        return 0


def _feature_status(outcomes: list[str]) -> str:
    if "failed" in outcomes:
        return "failed"
    if "not_implemented" in outcomes:
        return "not_implemented"
    if "passed" in outcomes:
        return "passed"
    return "skipped"


def build_report(context: RunContext) -> Report:
    redactor = Redactor(context.secrets())
    text = redactor.text
    try:
        profile = context.profile if context._spec else context.profile_definition
    except ProfileError:  # the report of a run that could not start still names the profile
        profile = Profile(context.settings.profile, "", (), ())
    by_feature: dict[str, list[Any]] = {}
    for result in context.results.values():
        by_feature.setdefault(result.feature, []).append(result)
    features: dict[str, FeatureResult] = {}
    for feature_id in dict.fromkeys([*profile.features, *by_feature]):
        results = by_feature.get(feature_id, [])
        level = get_feature(feature_id).level
        required = profile.is_required(feature_id)
        if not results:
            reason = (
                NOT_BUILT
                if not context.settings.features or feature_id in context.settings.features
                else "not selected (--feature)"
            )
            features[feature_id] = FeatureResult("skipped", 0, level, required, reason=reason)
            continue
        status = _feature_status([r.outcome for r in results])
        failures = [
            FeatureFailure(r.nodeid, text(r.message), text(r.repro))
            for r in results
            if r.outcome == "failed"
        ]
        reason = next(
            (
                text(r.message)
                for r in results
                if r.outcome != "passed" and status in ("skipped", "not_implemented")
            ),
            "",
        )
        features[feature_id] = FeatureResult(
            status, len(results), level, required, failures, reason
        )
    summary = {"passed": 0, "failed": 0, "not_implemented": 0, "skipped": 0}
    for feature in features.values():
        summary[feature.status] += 1
    # A failed should-level feature is a warning: still "failed", counted here as well.
    summary["warnings"] = sum(
        1 for f in features.values() if f.status == "failed" and f.level == "should"
    )
    budget = context.target.budget if context.target_started else None
    summary["requests"] = budget.used if budget else 0
    source = context._source
    target = dict(context.target_info())
    if target.get("base_url"):
        target["base_url"] = text(strip_userinfo(str(target["base_url"])))
    return Report(
        schema_version=SCHEMA_VERSION,
        tool={"name": "oaiconform", "version": __version__},
        spec={
            "version": context._spec.version if context._spec else None,
            "sha256": source.sha256 if source else None,
            "source": text(source.location) if source else None,
            "pinned": source.pinned if source else None,
            # Corrections applied to the upstream description; vendor overlays name their file.
            "overlays": [
                {
                    "name": o.name,
                    "title": o.title,
                    "source": text(o.source),
                    "nodes_changed": o.nodes_changed,
                }
                for o in (context._spec.overlays if context._spec else [])
            ],
            "nullable_rewritten": context._spec.nullable_rewritten if context._spec else 0,
        },
        target=target,
        profile=profile.name,
        seed=context.settings.seed,
        started_at=context.started_at,
        duration_s=round(context.duration_s, 3),
        summary=summary,
        features=features,
        tests=[
            TestEntry(
                r.nodeid,
                r.feature,
                r.outcome,
                round(r.duration_s, 4),
                text(r.message),
                r.metrics,
            )
            for r in context.results.values()
        ],
        budget={
            "limit": budget.limit if budget else context.settings.budget_requests,
            "used": budget.used if budget else 0,
            "exhausted": budget.exhausted if budget else False,
            "rate_limited_retries": budget.rate_limited_retries if budget else 0,
        },
        error=text(context.error) if context.error else None,
    )
