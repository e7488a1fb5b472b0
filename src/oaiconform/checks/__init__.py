"""Checks: pure functions from what was exchanged to a list of typed failures.

The suites call them, the validating proxy will call them on live traffic, and the self-tests
call them on mock exchanges. Nothing here does I/O or knows which target it looks at. Each
public check is registered (`@check`) under a stable id; see _registry.py.
"""

from oaiconform.checks._failure import (
    ConformanceError,
    Failure,
    collect_deferred,
    expect,
    is_soft,
    normalize_where,
)
from oaiconform.checks._registry import (
    REGISTRY,
    CheckInfo,
    Impact,
    check,
    impact_of,
    info_of,
    load_all_checks,
    observe_failing_checks,
    register,
    registered,
)

__all__ = [
    "REGISTRY",
    "CheckInfo",
    "ConformanceError",
    "Failure",
    "Impact",
    "check",
    "collect_deferred",
    "expect",
    "impact_of",
    "info_of",
    "is_soft",
    "load_all_checks",
    "normalize_where",
    "observe_failing_checks",
    "register",
    "registered",
]
