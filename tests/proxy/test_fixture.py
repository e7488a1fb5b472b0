"""The pytest fixture as an application's suite uses it (pytester: a suite inside a test)."""

from __future__ import annotations

import pytest

from oaiconform.mock import MockServer
from tests.conftest import TEST_KEY, StartMock

pytest_plugins = ["pytester"]

APP_TESTS = """
import httpx

pytest_plugins = ["oaiconform.proxy.testing"]


def test_app_streams_a_chat(oaiconform_proxy):
    body = {"model": "gpt-4o-mini", "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}
    answer = httpx.post(oaiconform_proxy.base_url + "/chat/completions", json=body,
                        headers={"authorization": "Bearer KEY"})
    assert answer.status_code == 200
"""


def test_the_fixture_fails_the_session_on_breaking_problems(
    pytester: pytest.Pytester,
    spec_path: str,
    start_mock: StartMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The application's test passes; the stream it got lacks [DONE], which the session's
    teardown reports as an error naming the check (the correct server: test_cli.py)."""
    mock: MockServer = start_mock("stream-no-done")
    monkeypatch.setenv("OAICONFORM_PROXY_UPSTREAM", mock.base_url)
    monkeypatch.setenv("OAICONFORM_PROXY_REPORT_DIR", str(pytester.path / "proxy-report"))
    monkeypatch.setenv("OAICONFORM_SPEC", spec_path)
    pytester.makepyfile(APP_TESTS.replace("KEY", TEST_KEY))
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-n", "0", "-W", "ignore::pytest.PytestAssertRewriteWarning"
    )
    counts = result.parseoutcomes()
    assert (counts.get("passed"), counts.get("errors")) == (1, 1), result.stdout.str()[-2000:]
    result.stdout.fnmatch_lines(["*ProxyFindingsError*", "*streaming.stream_framing*"])
    assert (pytester.path / "proxy-report" / "report.json").exists()
