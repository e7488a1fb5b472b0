"""The proxy's findings in the report contract: report.json, report.html, junit.xml, HAR.

Each judged exchange is a test (`proxy::00012 POST /v1/chat/completions`) of the feature
`schema.<operationId>` it exercised; its failures become problems exactly as a run's do
(`report.problems.build_problems`). The request's own findings (the client's) are kept apart,
under `client` in report.json and in their own section of the HTML page; exchanges that match
no operation are listed under `proxy.unmatched`, never failed.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from oaiconform import __version__
from oaiconform.features import get_feature
from oaiconform.known_deviations import match_known_deviation
from oaiconform.proxy.har import har_document
from oaiconform.proxy.ledger import Ledger, Record
from oaiconform.redact import Redactor, strip_userinfo
from oaiconform.report.html_writer import render_html
from oaiconform.report.json_writer import write_atomically
from oaiconform.report.model import (
    FEATURE_STATUSES,
    SCHEMA_VERSION,
    STRICTEST,
    FeatureFailure,
    FeatureResult,
    Report,
    TestEntry,
    outcome_under,
)
from oaiconform.report.problems import VERDICT_FAILS_ON, FailedTest, build_problems, root_problems

PROFILE = "proxy"


def _outcome(record: Record) -> str:
    return "failed" if record.failures else "passed"


def _feature_of(record: Record) -> str:
    return f"schema.{record.operation}"


def _status(outcomes: list[str]) -> str:
    return "failed" if "failed" in outcomes else "passed"


def _message(failures: list[dict[str, str]]) -> str:
    if not failures:
        return ""
    first = failures[0]
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return f"[{first.get('check_id') or first.get('rule')}] {first.get('message', '')}{more}"


def _tests(records: list[Record], which: str) -> list[TestEntry]:
    entries = []
    for record in records:
        failures = record.failures if which == "server" else record.client
        entries.append(
            TestEntry(
                record.name,
                _feature_of(record),
                "failed" if failures else "passed",
                record.duration_s,
                _message(failures),
                {"streamed": 1.0} if record.streamed else None,
                "",
                failures,
            )
        )
    return entries


def _features(records: list[Record], tests: list[TestEntry]) -> dict[str, FeatureResult]:
    by_feature: dict[str, list[tuple[Record, TestEntry]]] = {}
    for record, test in zip(records, tests, strict=True):
        by_feature.setdefault(test.feature, []).append((record, test))
    features = {}
    for feature_id, members in sorted(by_feature.items()):
        statuses = {
            verdict: _status([outcome_under(t.outcome, t.failures, verdict) for _, t in members])
            for verdict in VERDICT_FAILS_ON
        }
        features[feature_id] = FeatureResult(
            statuses[STRICTEST],
            len(members),
            get_feature(feature_id).level,
            False,
            [FeatureFailure(t.id, t.message, r.repro) for r, t in members if t.outcome == "failed"],
            statuses=statuses,
        )
    return features


def _problems_of(records: list[Record], tests: list[TestEntry], text: Any) -> list[Any]:
    failed = [
        FailedTest(t.id, t.feature, t.message, r.repro, t.failures, [])
        for r, t in zip(records, tests, strict=True)
        if t.outcome == "failed"
    ]
    return build_problems(failed, sdk_installed=True, text=text, known=match_known_deviation)


def build_proxy_report(ledger: Ledger, upstream: str) -> tuple[Report, dict[str, Any]]:
    """The report of the traffic so far, and what only the proxy has (client findings,
    unmatched exchanges, counts), both redacted."""
    redactor = ledger.redactor()
    text = redactor.text
    records = sorted(ledger.snapshot(), key=lambda r: r.number)
    # By number, not by `in` on lists: a Record compares field by field (O(n^2) took 9 s of
    # a 2,000-exchange report).
    judged_numbers = {r.number for r in records if r.operation is not None and not r.not_judged}
    judged_numbers |= {r.number for r in records if r.failures}  # upstream failures
    judged = [r for r in records if r.number in judged_numbers]
    unjudged = [r for r in records if r.number not in judged_numbers]
    tests = _tests(judged, "server")
    features = _features(judged, tests)
    problems = _problems_of(judged, tests, text)
    summary = dict.fromkeys(FEATURE_STATUSES, 0)
    for feature in features.values():
        summary[feature.status] += 1
    summary["requests"] = len(records)
    budget: dict[str, Any] = {"limit": None, "used": len(records), "exhausted": False}
    errors = list(ledger.judge_errors)
    verdicts = {}
    for verdict in VERDICT_FAILS_ON:
        roots = root_problems(problems)
        failing = sum(1 for p in roots if p.impact in VERDICT_FAILS_ON[verdict])
        verdicts[verdict] = {
            "passed": failing == 0,
            "exit_code": 1 if failing else 0,
            "features": {
                s: sum(1 for f in features.values() if f.statuses.get(verdict) == s)
                for s in FEATURE_STATUSES
            },
            "problems": failing,
        }
    compat_failing = sum(
        1 for p in root_problems(problems) if p.impact in VERDICT_FAILS_ON["compat"]
    )
    reasons = (
        [f"{compat_failing} problem(s) of the upstream fail the compat verdict"]
        if compat_failing
        else []
    )
    report = Report(
        schema_version=SCHEMA_VERSION,
        tool={"name": "oaiconform", "version": __version__},
        spec={
            "version": ledger.spec.version,
            "sha256": ledger.spec.source.sha256,
            "source": text(ledger.spec.source.location),
        },
        target={"base_url": text(strip_userinfo(upstream)), "via": "proxy"},
        profile=PROFILE,
        seed=0,
        started_at=ledger.started_at,
        duration_s=round(time.monotonic() - ledger.started, 3),
        summary=summary,
        features=features,
        tests=tests,
        budget=budget,
        error=text("; ".join(errors)) if errors else None,
        verdict={"mode": "compat", "exit_code": 1 if compat_failing else 0, "reasons": reasons},
        problems=problems,
        verdicts=verdicts,
    )
    client_records = [r for r in records if r.client]
    client_tests = _tests(client_records, "client")
    client_problems = _problems_of(client_records, client_tests, text)
    extra = {
        "proxy": {
            "upstream": text(strip_userinfo(upstream)),
            "exchanges": len(records) + ledger.dropped,
            "judged": len(judged),
            "streams": sum(1 for r in judged if r.streamed),
            "not_judged": [
                {"exchange": r.name, "status": r.status, "reason": r.not_judged}
                for r in unjudged
                if (r.operation is not None or r.backlog_skipped) and not r.client_aborted
            ],
            # The client hung up mid-answer: the upstream request was closed, nothing judged.
            "client_aborted": [
                {"exchange": r.name, "status": r.status} for r in records if r.client_aborted
            ],
            "unmatched": [
                {"exchange": r.name, "status": r.status, "repro": text(r.repro)}
                for r in unjudged
                if r.operation is None and not r.backlog_skipped
            ],
            "records_dropped": ledger.dropped,
            # Finished while the judging backlog was full: forwarded, listed as not judged.
            "backlog_skipped": ledger.backlog_skipped,
            # Finished but not judged when the report was written (a backlog on a busy
            # machine): in the next report, not silently dropped.
            "pending": ledger.pending,
            "checks_applied": sorted({c for r in records for c in r.applied}),
            # Answers to requests that break the description, whose request-reading checks'
            # failures were set aside (the client's finding explains them).
            "set_aside": [
                {"exchange": r.name, "checks": r.set_aside} for r in records if r.set_aside
            ],
            "judge_errors": [text(e) for e in errors],
        },
        "client": {
            "problems": [asdict(p) for p in client_problems],
            "exchanges_with_findings": len(client_records),
        },
    }
    clean: dict[str, Any] = redactor.deep(extra)
    return report, clean


def report_document(report: Report, extra: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    document: dict[str, Any] = redactor.deep({**report.to_dict(), **extra})
    return document


def _client_html(extra: dict[str, Any]) -> str:
    client = extra["client"]["problems"]
    proxy = extra["proxy"]
    rows = "".join(
        f"<li><b>{escape(p['check'])}</b> at <code>{escape(p['where'])}</code>: "
        f"{escape(p['detail'])} ({len(p['tests'])} exchange(s))<pre>"
        f"{escape(p['example'].get('repro', ''))}</pre></li>"
        for p in client
    )
    unmatched = "".join(
        f"<li><code>{escape(u['exchange'])}</code> -> {u['status']}</li>"
        for u in proxy["unmatched"]
    )
    return (
        f"<h2>Client findings</h2><p>Requests the application sent that break the description "
        f"({len(client)} problem(s)); the upstream is not judged by these.</p><ul>{rows}</ul>"
        f"<h2>Traffic</h2><p>{proxy['exchanges']} exchanges, {proxy['judged']} judged "
        f"({proxy['streams']} streams), {len(proxy['not_judged'])} over the check cap, "
        f"{len(proxy['client_aborted'])} aborted by the client, "
        f"{len(proxy['unmatched'])} matching no operation (listed, not judged).</p>"
        f"<ul>{unmatched}</ul>"
    )


def _junit(report: Report, extra: dict[str, Any]) -> str:
    suite = ElementTree.Element(
        "testsuite",
        name="oaiconform-proxy",
        tests=str(len(report.tests)),
        failures=str(sum(1 for t in report.tests if t.outcome == "failed")),
    )
    for test in report.tests:
        case = ElementTree.SubElement(
            suite, "testcase", classname=test.feature, name=test.id, time=f"{test.duration_s:.6f}"
        )
        if test.outcome == "failed":
            failure = ElementTree.SubElement(case, "failure", message=test.message[:500])
            failure.text = "\n".join(
                f"[{f.get('check_id')} | {f.get('impact')}] {f.get('message')}"
                for f in test.failures
            )
    for problem in extra["client"]["problems"]:
        case = ElementTree.SubElement(
            suite, "testcase", classname="client", name=f"client::{problem['id']}"
        )
        failure = ElementTree.SubElement(case, "failure", message=problem["detail"][:500])
        failure.text = problem["example"].get("repro", "")
    root = ElementTree.Element("testsuites")
    root.append(suite)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(
    ledger: Ledger, upstream: str, directory: Path, har: Path | None, settle_s: float = 30.0
) -> Report:
    """report.json, report.html, junit.xml (and the HAR file when asked), all redacted."""
    ledger.settle(settle_s)
    report, extra = build_proxy_report(ledger, upstream)
    redactor = ledger.redactor()
    document = report_document(report, extra, redactor)
    write_atomically(directory / "report.json", json.dumps(document, indent=2) + "\n")
    page = render_html(report).replace("</body>", _client_html(extra) + "</body>", 1)
    write_atomically(directory / "report.html", redactor.text(page))
    write_atomically(directory / "junit.xml", redactor.text(_junit(report, extra)))
    if har is not None:
        entries = [r.har for r in sorted(ledger.snapshot(), key=lambda r: r.number)]
        write_atomically(har, json.dumps(har_document(entries, redactor), indent=1) + "\n")
    return report
