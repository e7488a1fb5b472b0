"""A run with requests in flight at once reaches the serial run's verdicts, with and without
faults: per-feature statuses (compat and strict) and the failing tests are identical.

The features chosen take every concurrent path: property examples drawn first and sent together
(`schema.*`, and under a fault its failure shrunk by the serial search again), hypothesis
examples sent ahead (the generated stream and validation tests), independent tests whose first
requests (streams too, on the embedded mock) are sent ahead (the error, auth, params and stream
variant modules), an operation's objects removed while the probe without credentials is sent
(or that probe sent with the examples; `accept-any-key` answers it), and the deletes after a
file walk sent together.
"""

from __future__ import annotations

import pytest

from oaiconform.report import Report
from tests.conftest import RunSuites

FEATURES = (
    "schema.createEmbedding",
    "schema.retrieveFile",
    "chat.stream",
    "errors.validation",
    "errors.auth",
    "params.chat.stop",
)
# Under faults, without the stream tests: hypothesis shrinking their failures twice costs
# seconds and proves nothing the property failure's shrinking does not. The file walks, whose
# deletes go out together, judged under a fault that shortens pages.
FAULT_FEATURES = (
    "schema.createEmbedding",
    "schema.retrieveFile",
    "errors.validation",
    "errors.auth",
    "pagination.files",
)


def _verdicts(report: Report) -> tuple[dict[str, object], list[str]]:
    statuses: dict[str, object] = {name: r.statuses for name, r in report.features.items()}
    failing = sorted(t.id for t in report.tests if t.outcome in ("failed", "error"))
    return statuses, failing


@pytest.mark.parametrize(
    ("faults", "features"),
    [((), FEATURES), (("created-as-string", "accept-any-key", "short-pages"), FAULT_FEATURES)],
    ids=["correct", "faults"],
)
def test_a_concurrent_run_judges_as_the_serial_run(
    run_suites: RunSuites, faults: tuple[str, ...], features: tuple[str, ...]
) -> None:
    serial = run_suites(*faults, features=features, concurrency=1).report
    concurrent = run_suites(*faults, features=features, concurrency=8).report
    assert serial is not None and concurrent is not None
    assert _verdicts(concurrent) == _verdicts(serial)
    info = concurrent.budget["concurrency"]
    assert info["configured"] == 8
    assert info["sent_ahead"] > 20  # the concurrent paths were taken, not a serial run again
    assert serial.budget["concurrency"]["sent_ahead"] == 0
    if faults:  # the faults were seen, by both runs: a property failure and the auth probes
        failing = _verdicts(serial)[1]
        assert any("createEmbedding" in t for t in failing)
        assert any("test_auth_" in t for t in failing)
        assert any("test_pagination" in t for t in failing)
        assert any("retrieveFile" in t for t in failing)  # the probe without credentials
