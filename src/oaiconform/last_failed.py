"""`run --last-failed`: the tests that failed in the previous report of the report directory.

Read before the run from the report.json the previous run wrote there (the run that follows
overwrites it, so a second `--last-failed` reruns what failed in the first rerun, as pytest's
`--lf` does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# What "failed" means here: the target's failures and the tool's own errors. A flaky test
# passed in the end; a test that was not run was never judged (rerun the whole run for it).
RERUN_OUTCOMES = ("failed", "error")


class LastFailedError(ValueError):
    """There is no previous report to take the failures from, or it cannot be read."""


@dataclass(frozen=True)
class LastFailed:
    feature_of: dict[str, str]  # test node id (as report.json names it) -> its feature
    previous_started_at: str
    not_rerun: int = 0  # the other tests of those features: they did not fail, so do not run

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(self.feature_of)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.feature_of.values()))

    def describe(self) -> str:
        text = (
            f"--last-failed: {len(self.tests)} test(s) of {len(self.features)} feature(s) "
            f"that failed in the run of {self.previous_started_at}"
        )
        if self.not_rerun:
            # Said, because these features' statuses now stand on the rerun tests alone.
            text += (
                f"; their other {self.not_rerun} test(s) did not fail then and are not run "
                "again (a full run judges the features whole)"
            )
        return text


def last_failed(report_dir: Path) -> LastFailed:
    """The failed tests of `report_dir/report.json`; LastFailedError when there is none."""
    path = report_dir / "report.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LastFailedError(
            f"--last-failed: no previous report at {path} (run once without it first)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LastFailedError(f"--last-failed: {path} cannot be read: {exc}") from None
    tests = document.get("tests") if isinstance(document, dict) else None
    if not isinstance(tests, list):
        raise LastFailedError(f"--last-failed: {path} is not an oaiconform report (no tests)")
    failed = [
        t
        for t in tests
        if isinstance(t, dict)
        and t.get("outcome") in RERUN_OUTCOMES
        and isinstance(t.get("id"), str)
        and isinstance(t.get("feature"), str)
    ]
    features = {t["feature"] for t in failed}
    others = [
        t for t in tests if isinstance(t, dict) and t.get("feature") in features and t not in failed
    ]
    return LastFailed(
        feature_of={t["id"]: t["feature"] for t in failed},
        previous_started_at=str(document.get("started_at") or "unknown time"),
        not_rerun=len(others),
    )
