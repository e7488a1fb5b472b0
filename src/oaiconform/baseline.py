"""A server's baseline: the problems it is known to have, each with why and its upstream issue.

A baseline never changes a verdict and never hides a problem: the matrix shows a problem that
is in the server's baseline apart from the new ones ("known, recorded"), so a regression stands
out while the known debt stays in view. The suites never read it: nothing in a run knows which
server it talks to.

    - problem: streaming.choice_sequence@events[].choices[].delta.role   # a report problem id
      reason: with n>1, every chunk of choice 1 repeats the role
      upstream: BerriAI/litellm#1234                                      # optional
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BaselineEntry", "BaselineError", "load_baseline", "parse_baseline"]

_UPSTREAM = re.compile(r"^[\w.-]+/[\w.-]+#\d+$")
_FIELDS = {"problem", "reason", "upstream"}


class BaselineError(ValueError):
    """A baseline file that cannot be used; one line for the user."""


@dataclass(frozen=True)
class BaselineEntry:
    problem: str  # a problem id of report.json: "<check id>@<location>" or "<check id>"
    reason: str
    upstream: str = ""  # "owner/repo#N" when the server's tracker has the issue

    @property
    def url(self) -> str:
        if not self.upstream:
            return ""
        repo, number = self.upstream.split("#")
        return f"https://github.com/{repo}/issues/{number}"


def _entry(position: int, raw: Any) -> BaselineEntry:
    label = f"baseline entry #{position}"
    if not isinstance(raw, dict):
        raise BaselineError(f"{label}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise BaselineError(f"{label}: unknown field {unknown[0]!r}")
    for key in ("problem", "reason"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise BaselineError(f"{label}: `{key}` must be a non-empty string")
    upstream = raw.get("upstream") or ""
    if upstream and (not isinstance(upstream, str) or not _UPSTREAM.match(upstream)):
        raise BaselineError(f"{label}: upstream must be owner/repo#N, got {upstream!r}")
    return BaselineEntry(raw["problem"].strip(), raw["reason"].strip(), upstream)


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
    problems = [entry.problem for entry in entries]
    twice = sorted({p for p in problems if problems.count(p) > 1})
    if twice:
        raise BaselineError(f"problem {twice[0]!r} is listed twice")
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
