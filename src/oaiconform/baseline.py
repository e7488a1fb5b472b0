"""A server's baseline: the deviations it is known to have, each with why and its upstream issue.

Two readers. The vendor matrix shows a problem that is in the server's baseline apart from the
new ones ("known, recorded"); `oaiconform run --baseline FILE` (the s3-tests `fails_on_*` and
WPT expectations idea, report/baselined.py) exits 1 only for what the baseline does not record,
and reports entries that no longer fail as stale. A baseline never hides a problem: every
output still lists it, marked known. The suites never read it.

    - problem: streaming.choice_sequence@events[].choices[].delta.role   # a report problem id
      reason: with n>1, every chunk of choice 1 repeats the role
      upstream: BerriAI/litellm#1234        # optional: owner/repo#N or an https:// address
      check: streaming.choice_sequence      # optional, informative (written by `baseline write`)
      features: [streaming.chat]            # optional: where it shows; decides staleness
      impact: breaks-clients                # optional, informative
    - feature: files.upload                 # a required feature that fails without a problem
      status: not_implemented               # (absent endpoint, tests not run): its status
      reason: the server has no files API
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BaselineEntry", "BaselineError", "load_baseline", "parse_baseline"]

_UPSTREAM = re.compile(r"^([\w.-]+/[\w.-]+#\d+|https?://\S+)$")
_FIELDS = {"problem", "feature", "status", "reason", "upstream", "check", "features", "impact"}
# The statuses a feature entry can record: the ones that fail a required feature without a
# problem of their own (a failed feature has problems: it is recorded by them).
FEATURE_ENTRY_STATUSES = ("not_implemented", "partial")


class BaselineError(ValueError):
    """A baseline file that cannot be used; one line for the user."""


@dataclass(frozen=True)
class BaselineEntry:
    problem: str  # a problem id of report.json: "<check id>@<location>" or "<check id>"
    reason: str
    upstream: str = ""  # "owner/repo#N" when the server's tracker has the issue, or a URL
    check: str = ""
    features: tuple[str, ...] = ()  # where the problem showed when it was recorded
    impact: str = ""
    # A feature entry (problem ""): a required feature known to end with this status.
    feature: str = ""
    status: str = ""

    @property
    def key(self) -> str:
        """What the entry names: its problem id, or "feature:<id>" for a feature entry."""
        return self.problem or f"feature:{self.feature}"

    @property
    def url(self) -> str:
        if not self.upstream or "://" in self.upstream:
            return self.upstream
        repo, number = self.upstream.split("#")
        return f"https://github.com/{repo}/issues/{number}"


def _entry(position: int, raw: Any) -> BaselineEntry:
    label = f"baseline entry #{position}"
    if not isinstance(raw, dict):
        raise BaselineError(f"{label}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise BaselineError(f"{label}: unknown field {unknown[0]!r}")
    if ("problem" in raw) == ("feature" in raw):
        raise BaselineError(f"{label}: give either `problem` or `feature` (with `status`)")
    required = ("problem", "reason") if "problem" in raw else ("feature", "status", "reason")
    for key in required:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise BaselineError(f"{label}: `{key}` must be a non-empty string")
    status = str(raw.get("status") or "").strip()
    if "feature" in raw and status not in FEATURE_ENTRY_STATUSES:
        raise BaselineError(
            f"{label}: `status` must be one of {', '.join(FEATURE_ENTRY_STATUSES)} "
            f"(a failed feature is recorded by its problems), got {status!r}"
        )
    upstream = raw.get("upstream") or ""
    if upstream and (not isinstance(upstream, str) or not _UPSTREAM.match(upstream)):
        raise BaselineError(
            f"{label}: upstream must be owner/repo#N or an http(s) address, got {upstream!r}"
        )
    features = raw.get("features") or []
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise BaselineError(f"{label}: `features` must be a list of feature ids")
    for key in ("check", "impact"):
        if key in raw and not isinstance(raw[key], str):
            raise BaselineError(f"{label}: `{key}` must be a string")
    return BaselineEntry(
        problem=str(raw.get("problem") or "").strip(),
        reason=raw["reason"].strip(),
        upstream=upstream,
        check=str(raw.get("check") or ""),
        features=tuple(features),
        impact=str(raw.get("impact") or ""),
        feature=str(raw.get("feature") or "").strip(),
        status=status,
    )


def parse_baseline(text: str) -> tuple[BaselineEntry, ...]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BaselineError("not valid YAML") from None
    if document is None:
        return ()
    if not isinstance(document, list):
        raise BaselineError(f"expected a list of entries, got {type(document).__name__}")
    entries = tuple(_entry(n, raw) for n, raw in enumerate(document, start=1))
    keys = [entry.key for entry in entries]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise BaselineError(f"{twice[0]!r} is listed twice")
    return entries


def load_baseline(path: Path) -> tuple[BaselineEntry, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return parse_baseline(text)
    except BaselineError as exc:
        raise BaselineError(f"{path}: {exc}") from None
