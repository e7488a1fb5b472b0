"""junit.xml, written from the report: what CI test viewers (GitLab, Jenkins, GitHub's JUnit
reporters) show.

One testsuite per feature, one testcase per test, with the feature, its level, whether the
profile requires it, and each failure's impact and check id as properties; a failure carries its
message and the redacted curl repro. The outcome is the one under the verdict that sets the exit
code, so the viewer and the gate agree: a failure that verdict does not count (an advisory one,
or spec-literal under compat) is a passing testcase with a `warning` property, and a failure a
`--baseline` records is a skipped one ("known deviation"), as pytest shows an xfail. Written
from the report rather than by pytest, so every run, parallel or rerun or cut short, gives one
testcase per test, and every text in it was redacted once, in the report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from oaiconform.checks import normalize_where
from oaiconform.report.model import Report, TestEntry, outcome_under
from oaiconform.report.problems import VERDICT_FAILS_ON, is_count_line
from oaiconform.report.reruns import junit_name

__all__ = ["render_junit", "write_junit"]

_MESSAGE_CHARS = 1000  # the attribute viewers show on one line; the element has it all


def _problem_id(failure: dict[str, str]) -> str:
    check = failure.get("check_id") or f"unclassified.{failure.get('rule') or 'rule'}"
    where = normalize_where(failure.get("where", ""))
    return f"{check}@{where}" if where else check


def _properties(parent: ElementTree.Element, pairs: list[tuple[str, str]]) -> None:
    if pairs:
        properties = ElementTree.SubElement(parent, "properties")
        for name, value in pairs:
            ElementTree.SubElement(properties, "property", name=name, value=value)


def _testcase(suite: ElementTree.Element, test: TestEntry, report: Report, repro: str) -> str:
    """Add the test's testcase; returns its outcome as the viewer counts it."""
    classname, name = junit_name(test.id)
    case = ElementTree.SubElement(
        suite, "testcase", classname=classname, name=name, time=f"{test.duration_s:.3f}"
    )
    feature = report.features.get(test.feature)
    verdict = report.verdict_mode
    counted = VERDICT_FAILS_ON[verdict]
    typed = [f for f in test.failures if f.get("check_id") or f.get("impact")]
    pairs = [("feature", test.feature)]
    if feature is not None:
        pairs += [("level", feature.level), ("required", str(feature.required).lower())]
    pairs += [("impact", i) for i in dict.fromkeys(f.get("impact", "") for f in typed) if i]
    pairs += [("check", c) for c in dict.fromkeys(f.get("check_id", "") for f in typed) if c]
    known = set(report.baseline.get("known") or ())
    outcome = outcome_under(test.outcome, test.failures, verdict, report.flaky_fails)
    failing = [f for f in typed if f.get("impact") in counted and not is_count_line(f)]
    failing = failing or test.failures
    if outcome == "failed" and known and all(_problem_id(f) in known for f in failing):
        outcome = "known"
        pairs.append(("baseline", "known"))
    if test.outcome in ("failed", "flaky") and outcome == "passed":
        pairs.append(("warning", f"failures not counted by the {verdict} verdict"))
    if test.outcome == "flaky":
        pairs.append(("flaky", "true"))
    _properties(case, pairs)
    message = test.message[:_MESSAGE_CHARS]
    required = feature is not None and feature.required
    if outcome == "failed" or (test.outcome == "not_implemented" and required):
        impact = failing[0].get("impact", "") if failing else ""
        kind = test.outcome if test.outcome == "not_implemented" else impact
        element = ElementTree.SubElement(case, "failure", message=message, type=kind or "failed")
        element.text = test.message + (f"\n\nreproduce:\n{repro}" if repro else "")
        return "failures"
    if outcome == "error":
        element = ElementTree.SubElement(case, "error", message=message, type="oaiconform-error")
        element.text = test.traceback or test.message
        return "errors"
    if outcome == "known":
        ElementTree.SubElement(case, "skipped", message=f"known deviation (baseline): {message}")
        return "skipped"
    if test.outcome in ("not_implemented", "not_applicable", "not_run"):
        why = test.outcome.replace("_", " ")
        ElementTree.SubElement(case, "skipped", message=f"{why}: {message}")
        return "skipped"
    if test.outcome in ("failed", "flaky"):  # passed in this verdict: the failures as a note
        ElementTree.SubElement(case, "system-out").text = f"oaiconform: {test.message}"
    return "passed"


def render_junit(report: Report) -> bytes:
    repro_of = {
        failure.test: failure.repro
        for result in report.features.values()
        for failure in (*result.failures, *result.flaky)
    }
    root = ElementTree.Element("testsuites", name="oaiconform")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    by_feature: dict[str, list[TestEntry]] = {}
    for test in report.tests:
        by_feature.setdefault(test.feature, []).append(test)
    for feature_id, tests in by_feature.items():
        suite = ElementTree.SubElement(root, "testsuite", name=feature_id)
        result = report.features.get(feature_id)
        _properties(
            suite,
            [
                ("feature", feature_id),
                ("status", result.status if result else ""),
                ("target", str(report.target.get("base_url") or "embedded mock")),
                ("seed", str(report.seed)),
                ("verdict", report.verdict_mode),
            ],
        )
        counts = dict.fromkeys(("failures", "errors", "skipped", "passed"), 0)
        for test in tests:
            counts[_testcase(suite, test, report, repro_of.get(test.id, ""))] += 1
        time = sum(t.duration_s for t in tests)
        seconds += time
        suite.set("tests", str(len(tests)))
        for kind in ("failures", "errors", "skipped"):
            suite.set(kind, str(counts[kind]))
            totals[kind] += counts[kind]
        suite.set("time", f"{time:.3f}")
        suite.set("timestamp", report.started_at.removesuffix("+00:00"))
        totals["tests"] += len(tests)
    for kind, count in totals.items():
        root.set(kind, str(count))
    root.set("time", f"{seconds:.3f}")
    ElementTree.indent(root)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def write_junit(report: Report, directory: Path) -> Path:
    path = directory / "junit.xml"
    path.write_bytes(render_junit(report))
    return path
