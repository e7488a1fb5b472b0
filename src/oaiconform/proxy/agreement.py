"""`run --via-proxy`: do the proxy's verdicts, reached from the traffic alone, agree with the
suites' on the same traffic?

They are compared check by check, on the checks the proxy could judge: those it ran on the
traffic, and those it found failing (a check a suite calls only with knowledge the traffic
lacks, such as two answers compared, is not the proxy's to agree on).
"""

from __future__ import annotations

from dataclasses import dataclass

from oaiconform.proxy.server import ValidatingProxy
from oaiconform.report.model import Report

# Checks that name one defect from two sides: the property suite files schemathesis's rules
# as `property.*`, where the traffic judge names the registry's check for the same answer;
# an event stream where JSON was due fails the JSON body check of a suite and the stream
# check of the judge; fewer choices than `n` asked for fails the parameter suite's count and
# the judge's object check (which holds the answer to the request's n). A check one side
# names is matched when the other names its counterpart.
COUNTERPARTS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("property.status_code_conformance", "schema.response_schema_conformance"),
        ("property.content_type_conformance", "http.json_object_body"),
        ("property.content_type_conformance", "schema.response_schema_conformance"),
        ("http.json_object_body", "streaming.json_not_event_stream"),
        ("params.choice_count", "chat.chat_completion_fields"),
        ("params.choice_count", "completions.text_completion_fields"),
    )
)


def _matched(check: str, other_side: set[str]) -> bool:
    return any(frozenset((check, other)) in COUNTERPARTS for other in other_side)


@dataclass(frozen=True)
class Agreement:
    both: frozenset[str]  # check ids both name in their problems
    run_only: frozenset[str]  # the suites name them, the proxy ran them and did not
    proxy_only: frozenset[str]  # the proxy names them, the suites do not
    # The proxy names them too, only on exchanges where a check both name failed: the same
    # defect seen by one more check (an error body judged by its documented schema as well
    # as by the envelope check), not a verdict the suites contradict.
    also: frozenset[str] = frozenset()

    @property
    def agrees(self) -> bool:
        return not self.run_only and not self.proxy_only


def compare(
    run_checks: set[str], proxy_problems: list[tuple[str, list[str]]], judged_by_proxy: set[str]
) -> Agreement:
    """`run_checks`: the check ids of the suites' problems; `proxy_problems`: (check id,
    exchanges) of the proxy's; `judged_by_proxy`: the checks it ran on the traffic."""
    proxy_ids = {check for check, _ in proxy_problems}
    counterparts = {c for c in proxy_ids if _matched(c, run_checks)}
    run_ids = {c for c in run_checks & (judged_by_proxy | proxy_ids) if not _matched(c, proxy_ids)}
    both = run_ids & proxy_ids
    agreed_on = {test for check, tests in proxy_problems if check in both for test in tests}
    also = {check for check, _ in proxy_problems if check not in run_ids} - {
        check
        for check, tests in proxy_problems
        if check not in run_ids and not set(tests) <= agreed_on
    }
    also |= counterparts
    return Agreement(
        frozenset(both),
        frozenset(run_ids - proxy_ids),
        frozenset(proxy_ids - run_ids - also),
        frozenset(also),
    )


def agreement_line(run: Report, proxy: ValidatingProxy) -> str:
    proxy.ledger.settle(timeout_s=600.0)  # the run is over: judge the whole backlog first
    problems = [(p.check, p.tests) for p in proxy.report().problems]
    found = compare({p.check for p in run.problems}, problems, proxy.applied_checks())
    if found.agrees:
        also = (
            f"; on the same exchanges it also names {', '.join(sorted(found.also))}"
            if found.also
            else ""
        )
        return (
            f"oaiconform: the proxy's verdicts agree with the suites' "
            f"({len(found.both)} failing check(s) named by both{also})"
        )
    parts = []
    if found.run_only:
        parts.append("only the suites name " + ", ".join(sorted(found.run_only)))
    if found.proxy_only:
        parts.append("only the proxy names " + ", ".join(sorted(found.proxy_only)))
    return "oaiconform: the proxy's verdicts differ from the suites': " + "; ".join(parts)
