"""What CI reads: junit.xml valid for CI viewers, allure labels and attachments, the Markdown
summary; and a key given to the run in no byte of any of them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import xmlschema

from tests.conftest import StartMock
from tests.e2e.test_cli import assert_no_traceback, oaiconform

SECRET = "sk-ci-reports-secret-0123456789"
JUNIT_XSD = Path(__file__).resolve().parents[1] / "unit" / "junit.xsd"


def test_junit_allure_and_markdown_say_what_failed_and_never_the_key(
    tmp_path: Path, start_mock: StartMock
) -> None:
    mock = start_mock("flat-errors", "echo-key", api_keys=(SECRET,))
    out = tmp_path / "r"
    (tmp_path / "known.yaml").write_text(
        "- problem: errors.error_envelope@error\n  reason: known flat errors\n"
    )
    args = ["run", "--target", mock.base_url, "--report-dir", str(out), "--seed", "4"]
    for feature in ("errors.envelope", "models.list", "chat.completions"):
        args += ["--feature", feature]
    result = oaiconform(*args, env={"OPENAI_API_KEY": SECRET}, cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text())

    # JUnit: valid, one testcase per test, properties, the failure with its repro.
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(out / "junit.xml"))
    root = ElementTree.parse(out / "junit.xml").getroot()  # noqa: S314 (our own file)
    cases = list(root.iter("testcase"))
    assert len(cases) == len(report["tests"])
    failed = [c for c in cases if c.find("failure") is not None]
    assert failed and int(root.get("failures", "0")) == len(failed)
    properties = {p.get("name"): p.get("value") for p in failed[0].iter("property")}
    assert properties["feature"] in ("errors.envelope", "chat.completions")
    assert properties["level"] == "must" and properties["required"] == "true"
    assert properties["impact"] == "breaks-clients" and "check" in properties
    failure = failed[0].find("failure")
    assert failure is not None and "reproduce:\ncurl" in (failure.text or "")
    assert failure.get("type") == "breaks-clients"

    # allure: epic = area, feature = feature id, story = check, severity, the exchange attached.
    results = [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]
    broken = [r for r in results if r["status"] == "failed"]
    assert broken
    labels = {(label["name"], label["value"]) for label in broken[0]["labels"]}
    assert ("severity", "critical") in labels
    assert {"epic", "feature", "story"} <= {name for name, _ in labels}
    feature = next(value for name, value in labels if name == "feature")
    assert ("epic", feature.partition(".")[0]) in labels
    assert [a["name"] for a in broken[0]["attachments"]] == [
        "request",
        "response",
        "curl (reproduce)",
    ]
    attached = (out / "allure-results" / broken[0]["attachments"][1]["source"]).read_text()
    assert attached.startswith("HTTP ")

    # The Markdown summary, and the same run with a baseline: the known problem marked.
    summary = oaiconform("report", "markdown", str(out), "--artifacts", "reports")
    assert summary.returncode == 0, summary.stderr
    assert "❌ FAIL (compat, exit code 1)" in summary.stdout
    assert "[junit.xml](reports/junit.xml)" in summary.stdout
    known = oaiconform(
        *args,
        "--baseline",
        str(tmp_path / "known.yaml"),
        "--report-dir",
        str(tmp_path / "k"),
        env={"OPENAI_API_KEY": SECRET},
        cwd=tmp_path,
    )
    marked = oaiconform("report", "markdown", str(tmp_path / "k"))
    assert "known (baseline): known flat errors" in marked.stdout
    junit = (tmp_path / "k" / "junit.xml").read_text()
    assert "known deviation (baseline)" in junit

    everything = [result.stdout, result.stderr, summary.stdout, known.stdout, marked.stdout]
    everything += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert not [text for text in everything if SECRET in text]


def test_report_markdown_and_allure_say_what_is_missing_in_one_line(tmp_path: Path) -> None:
    missing = oaiconform("report", "markdown", str(tmp_path))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    (tmp_path / "allure-results").mkdir()
    allure = oaiconform("report", "allure", str(tmp_path), env={"PATH": "/nonexistent"})
    assert allure.returncode == 2
    assert "npm install -g allure-commandline" in allure.stderr
    assert_no_traceback(allure)
