"""Tests marked `independent`: the first request of each is sent ahead, together.

A module of tests that each send their own requests, independent of one another (the error
and auth probes, the parametrised stream variants), is a run of pytest items that pytest runs
one by one. Before the first of such a run (consecutive items of one module, marked, not
decided `not_applicable`), each test function is called once with the Target recording
(`Target.note_ahead`): it stops at its first request, which is noted; the noted requests are
sent at once, up to --concurrency. Then pytest runs the tests as always, and each test's first
request is answered from what was sent for the identical request, so its checks and verdict
are the serial run's. Only tests whose arguments are their parameters and the session's
`target`, `settings` and `spec` are noted; the run ends at the first item outside it. Parallel
workers (--workers) do not send ahead: the items of a module may be shared between them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from oaiconform.context import RunContext

MARKER = "independent"
_SESSION_ARGUMENTS = ("target", "settings", "spec")


class AheadOfTests:
    """The plugin's part: which items the answers sent ahead are for."""

    def __init__(self) -> None:
        self._group: set[str] = set()
        self.sent = 0

    def before(self, item: pytest.Item, context: RunContext) -> None:
        if item.nodeid in self._group:
            return
        if self._group and context.target_started:
            context.target.forget_ahead()
        self._group = set()
        if (
            item.get_closest_marker(MARKER) is None
            or hasattr(item.config, "workerinput")
            or not context.target_started
            or context.target.concurrency <= 1
        ):
            return
        group = _run_of(item, context)
        if len(group) < 2:
            return
        calls = [call for call in (_recording_call(i, context) for i in group) if call]
        self._group = {i.nodeid for i in group}
        self.sent += context.target.note_ahead(calls)

    def finish(self, context: RunContext) -> None:
        if self._group and context.target_started:
            context.target.forget_ahead()
        self._group = set()


def _run_of(item: pytest.Item, context: RunContext) -> list[pytest.Item]:
    """The marked items of this module from `item` on, up to the first unmarked one."""
    items = item.session.items
    start = items.index(item)
    run: list[pytest.Item] = []
    for candidate in items[start:]:
        if candidate.path != item.path or candidate.get_closest_marker(MARKER) is None:
            break
        if candidate.nodeid not in context.not_applicable:
            run.append(candidate)
    return run


def _recording_call(item: pytest.Item, context: RunContext) -> Callable[[], object] | None:
    function = getattr(item, "obj", None)
    if function is None:
        return None
    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    session = {"target": context.target, "settings": context.settings, "spec": context.spec}
    arguments = {}
    for name in inspect.signature(function).parameters:
        if name in params:
            arguments[name] = params[name]
        elif name in _SESSION_ARGUMENTS:
            arguments[name] = session[name]
        else:
            return None  # another fixture: this test is not noted ahead
    return lambda: function(**arguments)
