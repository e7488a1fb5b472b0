"""`oaiconform baseline write REPORT.json`: a baseline (baseline.py) of a report's deviations.

One entry per problem, with its check, features and impact, so the file reads on its own and a
later run can tell an entry that no longer fails (stale) from one whose features did not run;
and one per required feature that fails without a problem (an endpoint the server lacks). Each
reason starts as TODO: a baseline is a list of decisions, and the file says which are not made.
"""

from __future__ import annotations

from typing import Any

import yaml

from oaiconform.baseline import FEATURE_ENTRY_STATUSES

__all__ = ["TODO_REASON", "baseline_yaml"]

TODO_REASON = "TODO: say why this deviation is accepted"


def _problem_entry(problem: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "problem": problem["id"],
        "reason": TODO_REASON,
        "check": problem.get("check", ""),
        "features": list(problem.get("features") or []),
        "impact": problem.get("impact", ""),
    }
    known = problem.get("known_deviation") or {}
    if str(known.get("url", "")).startswith("https://"):
        entry["upstream"] = known["url"]  # a known upstream report of this very deviation
    return entry


def _feature_entries(report: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for feature_id, result in sorted(report.get("features", {}).items()):
        if not result.get("required"):
            continue
        statuses = {result.get("status"), *(result.get("statuses") or {}).values()}
        for status in FEATURE_ENTRY_STATUSES:
            if status in statuses:
                why = str(result.get("reason") or "")[:200]
                entries.append(
                    {
                        "feature": feature_id,
                        "status": status,
                        "reason": f"{TODO_REASON} ({why})" if why else TODO_REASON,
                    }
                )
                break
    return entries


def baseline_yaml(report: dict[str, Any], *, source: str) -> str:
    entries = [_problem_entry(p) for p in report.get("problems", [])]
    entries += _feature_entries(report)
    target_info = report.get("target", {})
    target = (
        "the embedded mock"
        if target_info.get("embedded_mock")
        else target_info.get("base_url") or "the target"
    )
    header = (
        f"# Known deviations of {target}, from {source} ({report.get('started_at', '')}).\n"
        "# `oaiconform run --baseline FILE` fails only on what is not recorded here and lists\n"
        "# entries that no longer fail as stale (--baseline-strict fails on them). Fill in each\n"
        "# reason; `upstream` (owner/repo#N or an address) links the server's issue.\n"
    )
    if not entries:
        return header + "[]\n"
    return header + yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
