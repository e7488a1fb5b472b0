"""`oaiconform run --dry-run`: what a run would do, without sending a single request.

It resolves the spec and profile and lets pytest collect the suites, exactly as a run would, but
starts no mock and never builds a Target, so a paid API is not touched.
"""

from __future__ import annotations

import contextlib
import io
from typing import TextIO

import pytest

from oaiconform.context import RunContext
from oaiconform.last_failed import LastFailedError, last_failed
from oaiconform.plugin import ContextProvider
from oaiconform.profiles import ProfileError
from oaiconform.runner import DEFAULT_REPORT_DIR, narrow_to_last_failed, suite_args
from oaiconform.settings import Settings
from oaiconform.spec import SpecError

EXIT_OK, EXIT_USAGE = 0, 2


def dry_run(settings: Settings, *, out: TextIO, err: TextIO) -> int:
    if settings.last_failed:
        try:
            previous = last_failed((settings.report_dir or DEFAULT_REPORT_DIR).resolve())
        except LastFailedError as exc:
            print(f"oaiconform: {exc}", file=err)
            return EXIT_USAGE
        settings = narrow_to_last_failed(settings, previous, out)
    context = RunContext(settings)
    try:
        _ = context.profile_definition
        context.check_faults()
        profile = context.profile
    except (ProfileError, SpecError, ValueError) as exc:  # an unknown fault: ValueError
        print(f"oaiconform: {exc}", file=err)
        return EXIT_USAGE
    args = [*suite_args(settings.features or profile.features), "--collect-only", "-q"]
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = pytest.main(args, plugins=[ContextProvider(context)])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        print(f"oaiconform: the suites could not be collected:\n{captured.getvalue()}", file=err)
        return EXIT_USAGE
    target = settings.target_url or "the embedded mock (started only by a real run)"
    print(f"dry run: profile {profile.name}, target {target}; nothing was sent", file=out)
    tests = not_applicable = 0
    for feature_id in settings.features or profile.features:
        nodeids = context.collected.get(feature_id, [])
        tests += len(nodeids)
        kind = "required" if profile.is_required(feature_id) else "optional"
        skipped = {n: context.not_applicable[n] for n in nodeids if n in context.not_applicable}
        state = f"{len(nodeids)} tests" if nodeids else "not built yet"
        if skipped:
            state += f", {len(skipped)} not applicable to this target"
        print(f"  {feature_id:<40} {kind:<9} {state}", file=out)
        for nodeid, reason in skipped.items():
            print(f"      not applicable: {nodeid.rpartition('::')[2]}: {reason}", file=out)
        not_applicable += len(skipped)
    if settings.budget_requests is not None:
        bound = f"at most {settings.budget_requests} requests (--budget-requests)"
    else:
        bound = "no request budget (loopback target; set --budget-requests to bound it)"
    print(
        f"{tests} tests in {len(settings.features or profile.features)} features, "
        f"{not_applicable} of them not "
        f"applicable to this target; {bound}",
        file=out,
    )
    return EXIT_OK
