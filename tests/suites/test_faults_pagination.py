"""Cursor pagination: each fault fails exactly its pagination features, with a named message.

`MATRIX` covers the features of the default profile (the whole profile runs under each fault).
Stored chat completions and response input items are in no profile yet (they run with
`--feature`), so `OUTSIDE_PROFILES` runs just those under each fault, and the correct mock.
"""

from __future__ import annotations

import pytest

from tests.conftest import RunSuites
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_fault_fails_its_features,
    assert_feature_clean,
    assert_feature_fails,
)

MATRIX: Matrix = {
    "has-more-wrong": {
        "pagination.files": "said has_more false, but",
        "pagination.batches": "said has_more false, but",
    },
    "after-ignored": {
        "pagination.files": "walk did not end after 50 pages: has_more stayed true",
        "pagination.batches": "walk did not end after 50 pages: has_more stayed true",
    },
    "short-pages": {
        "pagination.files": "but the page's last item is",
        "pagination.batches": "but the page's last item is",
    },
    "wrong-last-id": {
        "pagination.files": "last_id is",
        "pagination.batches": "last_id is",
    },
    "unstable-order": {
        "pagination.files": "the order is not stable",
        # Three batches made in one second: whether their ids' order breaks the walk (an item
        # listed twice) or only its order (asc not the reverse of desc) depends on the ids
        # the batches got; both are the walk's failures (PROVES names both checks).
        "pagination.batches": "walk",
    },
    "limit-ignored": {
        "pagination.files": "more than limit=",
        "pagination.batches": "the limit was accepted",
    },
    "list-order-ignored": {"pagination.files": "order=asc against reversed order=desc"},
    "list-created-at-ms": {"pagination.files": "order=desc: 'file-"},
    "purpose-filter-ignored": {"pagination.files": "listed items have another purpose"},
}

PROVES: Proofs = {
    "has-more-wrong": {"pagination.has_more_exact"},
    "after-ignored": {
        "pagination.walk_ended",
        "pagination.unknown_cursor",
        "pagination.visits_each_once",
    },
    "short-pages": {"pagination.page_shape"},
    "wrong-last-id": {"pagination.page_shape"},
    "unstable-order": {"pagination.same_sequence", "pagination.visits_each_once"},
    "limit-ignored": {"pagination.page_shape", "pagination.limit_rejected"},
    "list-order-ignored": {"pagination.reversed_sequence"},
    "list-created-at-ms": {"pagination.created_at_ordered"},
    "purpose-filter-ignored": {"pagination.filtered_by"},
}

OUTSIDE = ("pagination.chat_completions", "pagination.responses_input_items")
# The ties `unstable-order` reorders are of `created_at`; neither list here sorts by it.
OUTSIDE_PROFILES: Matrix = {
    "has-more-wrong": dict.fromkeys(OUTSIDE, "said has_more false, but"),
    "after-ignored": dict.fromkeys(OUTSIDE, "walk did not end after 50 pages"),
    "short-pages": dict.fromkeys(OUTSIDE, "but the page's last item is"),
    "wrong-last-id": dict.fromkeys(OUTSIDE, "but the page's last item is"),
    "unstable-order": {},
    "limit-ignored": dict.fromkeys(OUTSIDE, "more than limit="),
}


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_fault_fails_exactly_its_features(run_suites: RunSuites, fault: str) -> None:
    assert_fault_fails_its_features(run_suites, fault, MATRIX[fault], proves=PROVES[fault])


@pytest.mark.parametrize("fault", [None, *sorted(OUTSIDE_PROFILES)])
def test_lists_outside_the_profiles_fail_exactly_under_their_faults(
    run_suites: RunSuites, fault: str | None
) -> None:
    outcome = run_suites(*([fault] if fault else []), features=OUTSIDE)
    report = outcome.report
    assert report is not None
    expected = OUTSIDE_PROFILES[fault] if fault else {}
    for feature in OUTSIDE:
        result = report.features[feature]
        assert result.tests > 0, f"{feature} was not run"
        if feature in expected:
            assert_feature_fails(report, str(fault), feature, expected[feature])
        else:
            assert_feature_clean(report, str(fault), feature)
