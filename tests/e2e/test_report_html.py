"""report.html of a real run against a mock with faults: what a browser renders, and no key.

The page is loaded in headless Chromium (Debian's `chromium`, driven by the `playwright`
package of the dev extras; never a downloaded browser). Where either is missing the browser
test is skipped and says which; the key and baseline tests need no browser.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.report import Report, render_html
from oaiconform.report.html_style import STATUS_COLORS
from oaiconform.runner import run
from oaiconform.settings import Secret, Settings
from oaiconform.spec import Spec

# Not key-shaped on purpose: only the report's redaction of the run's own secrets can hide it.
KEY = "oaiconform-html-key-7Hq2ZxP9wL4mN8vR"
FAULTS = ("flat-errors", "usage-total-wrong")
FEATURES = ("chat.completions", "chat.stream", "errors.envelope", "embeddings", "models.list")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class HtmlRun:
    report: Report
    directory: Path


@pytest.fixture(scope="module")
def html_run(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> HtmlRun:
    """One run with the key given to it, against a mock with two faults (a remote target)."""
    directory = tmp_path_factory.mktemp("html-report")
    with MockServer(MockConfig(api_keys=(KEY,), faults=FAULTS), spec) as server:
        settings = Settings(
            target_url=server.base_url,
            api_key=Secret(KEY),
            spec=spec.source.location,
            report_dir=directory,
            seed=1234,
            features=FEATURES,
            timeout_s=10.0,
        )
        outcome = run(settings, out=io.StringIO(), err=io.StringIO())
    assert outcome.report is not None and outcome.exit_code == 1
    return HtmlRun(outcome.report, directory)


def test_the_key_given_to_the_run_is_in_no_byte_of_report_html(html_run: HtmlRun) -> None:
    raw = (html_run.directory / "report.html").read_bytes()
    assert KEY.encode() not in raw
    assert KEY.encode() not in (html_run.directory / "report.json").read_bytes()
    # It was sent and recorded: the exchanges shown carry the request headers, masked.
    assert b"authorization: ***" in raw
    assert b"$OPENAI_API_KEY" in raw  # the curl repro names the variable, never the value


@contextmanager
def _set(instance: object, name: str, value: object) -> Iterator[None]:
    """Set an attribute on a frozen report object for one rendering, then put it back (as the
    field `run --baseline` fills, or as absent where this version has no such field)."""
    missing = object()
    before = getattr(instance, name, missing)
    object.__setattr__(instance, name, value)
    try:
        yield
    finally:
        if before is missing:
            object.__delattr__(instance, name)
        else:
            object.__setattr__(instance, name, before)


def test_baselined_problems_and_stale_entries_are_shown_apart(html_run: HtmlRun) -> None:
    """report.baseline and problem.baseline (written by --baseline runs) are read when present
    and ignored when absent or empty: a report without them renders no baseline marker."""
    report = html_run.report
    assert "known (baseline)" not in render_html(report)
    assert "Stale baseline entries" not in render_html(report)
    known = report.problems[0]
    entry = {"reason": "tracked upstream", "upstream": "o/r#1", "url": ""}
    stale_id = "headers.request_id@header:x-request-id"
    stale = {"entry": stale_id, "reason": "fixed in 1.2", "upstream": "", "url": ""}
    baseline = {"file": "known.yaml", "known": [known.id], "new": [], "stale": [stale]}
    with _set(known, "baseline", entry), _set(report, "baseline", baseline):
        html = render_html(report)
    assert html.count("known (baseline)") == 1
    assert html.index("Known problems (baseline, 1)") > html.index("Problems (")
    assert "In the baseline: tracked upstream · o/r#1" in html
    assert f"<li><code>{stale_id}</code>: fixed in 1.2</li>" in html
    assert "Stale baseline entries (1)" in html
    assert "Baseline <code>known.yaml</code>: 1 known problem(s), 0 new, 1 stale." in html


def _chromium() -> tuple[Any, str]:
    """playwright's sync API and the browser to drive, or a skip saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]'): no browser test")
    path = os.environ.get("OAICONFORM_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return sync_playwright, path


def _rgb(hex_color: str) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_report_html_renders_in_chromium(html_run: HtmlRun, tmp_path: Path) -> None:
    sync_playwright, chromium = _chromium()
    page_url = (html_run.directory / "report.html").as_uri()
    problems = html_run.report.problems
    failed = [f for f, r in html_run.report.features.items() if r.status == "failed"]
    assert problems and failed
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_url)
            # The verdicts come first, with the exit code.
            compat = page.locator('tr.verdict[data-verdict="compat"]')
            assert "failed" in compat.inner_text() and "exit code 1" in compat.inner_text()
            # One entry per root problem, each with its impact, check id and features.
            entries = page.locator(".problem")
            assert entries.count() == len([p for p in problems if not p.consequence_of])
            first = entries.first.inner_text()
            assert problems[0].id in first and problems[0].features[0] in first
            assert page.evaluate(
                "() => document.querySelector('.problem').getBoundingClientRect().top"
                " < document.querySelector('#feature-grid').getBoundingClientRect().top"
            )
            # The grid: every feature a cell, coloured by its status.
            cells = page.locator("#feature-grid .cell")
            assert cells.count() == len(html_run.report.features)
            cell = page.locator(f'.cell[data-feature="{failed[0]}"]')
            colour = cell.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == _rgb(STATUS_COLORS["failed"])
            passed = page.locator('.cell[data-status="passed"]').first
            colour = passed.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == _rgb(STATUS_COLORS["passed"])
            # A cell opens its tests.
            panel = page.locator(f"#{cell.get_attribute('data-panel')}")
            assert not panel.is_visible()
            cell.click()
            assert panel.is_visible() and cell.get_attribute("aria-expanded") == "true"
            assert "test_" in panel.locator("table").inner_text()
            # The charts, drawn inline with bars.
            assert page.locator("#chart-areas rect.seg").count() >= len({*FEATURES})
            assert page.locator("#chart-latency rect.hist").count() > 0
            assert page.locator("#chart-first-event rect.hist").count() > 0
            assert page.locator("#chart-gaps rect.hist").count() > 0
            # The repro's copy button copies (clipboard or selection) and says so.
            button = page.locator(".problem button[data-copy]").first
            button.click()
            page.wait_for_function(
                "b => b.textContent !== 'copy curl'", arg=button.element_handle()
            )
            assert button.inner_text() == "copied"
        finally:
            browser.close()
    assert errors == [], errors
    assert requests and all(url.startswith("file://") for url in requests), requests
