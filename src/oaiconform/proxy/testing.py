"""For an application's own test suite: the proxy around its tests, as a context manager or a
pytest fixture, failing on the problems that break clients.

    # conftest.py
    pytest_plugins = ["oaiconform.proxy.testing"]
    # OAICONFORM_PROXY_UPSTREAM=http://127.0.0.1:8000/v1 pytest  -> fixture `oaiconform_proxy`

The fixture is session-wide; when the session ends the reports are written (to
$OAICONFORM_PROXY_REPORT_DIR, default reports/proxy) and a problem of a failing impact class
(breaks-clients by default; $OAICONFORM_PROXY_FAIL_ON=wrong-behaviour adds that class) fails
the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from oaiconform.proxy.server import ValidatingProxy
from oaiconform.report.model import Report
from oaiconform.spec import Spec, load_spec, resolve_spec_source

BREAKS_CLIENTS = "breaks-clients"


class ProxyFindingsError(AssertionError):
    """The traffic through the proxy showed problems of a failing impact class."""


def failing_problems(report: Report, fail_on: frozenset[str]) -> list[str]:
    return [
        f"{p.id} [{p.impact}] {p.detail}"
        for p in report.problems
        if p.impact in fail_on and not p.consequence_of
    ]


def _spec(spec: Spec | None) -> Spec:
    if spec is not None:
        return spec
    return load_spec(resolve_spec_source(None, env_value=os.environ.get("OAICONFORM_SPEC")))


@contextmanager
def validating_proxy(
    upstream: str,
    *,
    spec: Spec | None = None,
    report_dir: Path | None = None,
    har: Path | None = None,
    fail_on: frozenset[str] | None = frozenset({BREAKS_CLIENTS}),
) -> Iterator[ValidatingProxy]:
    """The proxy in front of `upstream` while the block runs; on exit the reports are written
    (with a report directory) and `ProxyFindingsError` is raised on problems of `fail_on`
    (None: never raise; read `proxy.report()`)."""
    proxy = ValidatingProxy(upstream, _spec(spec), report_dir=report_dir, har=har).start()
    try:
        yield proxy
    finally:
        proxy.stop()
    if fail_on:
        problems = failing_problems(proxy.report(), fail_on)
        if problems:
            raise ProxyFindingsError(
                f"{len(problems)} problem(s) in the traffic through the proxy:\n"
                + "\n".join(problems)
            )


@pytest.fixture(scope="session")
def oaiconform_proxy() -> Iterator[ValidatingProxy]:
    """A validating proxy in front of $OAICONFORM_PROXY_UPSTREAM for the whole session."""
    upstream = os.environ.get("OAICONFORM_PROXY_UPSTREAM")
    if not upstream:
        pytest.fail("set OAICONFORM_PROXY_UPSTREAM to the base URL the proxy forwards to")
    fail_on = {BREAKS_CLIENTS, *os.environ.get("OAICONFORM_PROXY_FAIL_ON", "").split(",")} - {""}
    report_dir = Path(os.environ.get("OAICONFORM_PROXY_REPORT_DIR", "reports/proxy"))
    with validating_proxy(upstream, report_dir=report_dir, fail_on=frozenset(fail_on)) as proxy:
        yield proxy
