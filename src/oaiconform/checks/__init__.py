"""Checks: pure functions from what was exchanged to a list of typed failures.

The suites call them, the validating proxy will call them on live traffic, and the self-tests
call them on mock exchanges. Nothing here does I/O or knows which target it looks at. Each
public check is registered (`@check`) under a stable id; see _registry.py.
"""

from oaiconform.checks._failure import ConformanceError, Failure, expect
from oaiconform.checks._registry import (
    REGISTRY,
    CheckInfo,
    check,
    load_all_checks,
    observe_failing_checks,
    registered,
)

__all__ = [
    "REGISTRY",
    "CheckInfo",
    "ConformanceError",
    "Failure",
    "check",
    "expect",
    "load_all_checks",
    "observe_failing_checks",
    "registered",
]
