"""Checks: pure functions from what was exchanged to a list of typed failures.

The suites call them, the validating proxy will call them on live traffic, and the self-tests
call them on mock exchanges. Nothing here does I/O or knows which target it looks at.
"""

from oaiconform.checks._failure import ConformanceError, Failure, expect

__all__ = ["ConformanceError", "Failure", "expect"]
