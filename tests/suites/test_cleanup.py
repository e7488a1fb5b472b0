"""A run leaves nothing deletable behind, and its report counts what it created and left.

A vendor runs the suite in a loop against a server that keeps state: each run must remove what
it created (files, responses, stored chat completions), and say which objects the API gives
no way to remove (a finished batch can only be cancelled while it runs).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.profiles import DEFAULT_PROFILE, load_profile
from oaiconform.report import Report
from oaiconform.runner import run
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY, run_against

# Operations whose examples and path objects create files, batches, responses and stored
# chat completions: generated bodies as well as the hand-written recipes.
SCHEMA_FEATURES = (
    "schema.createFile",
    "schema.retrieveFile",
    "schema.createBatch",
    "schema.cancelBatch",
    "schema.createResponse",
    "schema.getResponse",
    "schema.createChatCompletion",
    "schema.getChatCompletion",
)
DELETABLE = ("file", "response", "chat.completion")


def assert_nothing_deletable_left(server: MockServer, report: Report) -> None:
    """The mock (fresh for the run, so all it holds is the run's) keeps no file, response or
    stored completion; each batch it keeps is counted in the report as left, with a reason."""
    store = server.state.store
    for kind in DELETABLE:
        left = [o.body.get("filename") or o.id for o in store.list(TEST_KEY, kind)]
        assert left == [], f"the run left {len(left)} {kind} objects: {left[:5]}"
    cleanup = report.cleanup
    kept = {o.id for o in store.list(TEST_KEY, "batch")}
    left_batches = {o["id"] for o in cleanup["left_reasons"] if o["kind"] == "batch"}
    assert kept == left_batches
    for batch in store.list(TEST_KEY, "batch"):  # tagged, so `oaiconform clean` finds them
        assert (batch.body.get("metadata") or {}).get("oaiconform_run") == cleanup["run_id"]
    assert all(o["kind"] == "batch" and o["reason"] for o in cleanup["left_reasons"])
    assert cleanup["created"] == cleanup["removed"] + cleanup["left"]
    assert cleanup["run_id"].startswith("oaiconform-")


@pytest.mark.parametrize("with_schema", [False, True], ids=["core-features", "schema"])
def test_a_core_run_leaves_nothing_deletable(
    spec: Spec, spec_path: str, tmp_path: Path, with_schema: bool
) -> None:
    features = SCHEMA_FEATURES if with_schema else load_profile(DEFAULT_PROFILE).features
    with MockServer(MockConfig(api_keys=(TEST_KEY,), seed=99), spec) as server:
        report = run_against(server, spec_path, tmp_path, features, seed=99)
        assert_nothing_deletable_left(server, report)
    assert report.cleanup["created"] > 0
    tagged = {f: r.status for f, r in report.features.items() if f in features}
    assert set(tagged.values()) <= {"passed", "not_applicable"}, report.verdict


def test_the_report_shows_what_was_left(spec: Spec, spec_path: str, tmp_path: Path) -> None:
    """report.json, report.html and the summary line name the objects left."""
    out = io.StringIO()
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        report = run_against(server, spec_path, tmp_path, ("batches",), seed=99, out=out)
    assert "2 created objects left on the target (batch: 2; report.json: cleanup)" in (
        out.getvalue()
    )  # one batch per test: the API cannot delete them
    assert "completed: the API cannot delete a batch" in report.cleanup["left_reasons"][0]["reason"]
    assert report.cleanup["left"] == 2
    html = (tmp_path / "report.html").read_text()
    assert "objects left" in html and report.cleanup["left_reasons"][0]["id"] in html
    assert '"cleanup"' in (tmp_path / "report.json").read_text()


def test_an_interrupted_run_still_removes_what_it_created(
    spec: Spec, spec_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of a walk over the run's files: the fixtures' teardown still runs,
    the files go, and the partial report counts them."""
    from oaiconform.checks import pagination

    def interrupt(*args: object, **kwargs: object) -> list[object]:
        raise KeyboardInterrupt

    check = pagination.visits_each_once
    monkeypatch.setattr(getattr(check, "__wrapped__", check), "__code__", interrupt.__code__)
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        report = run_against(
            server, spec_path, tmp_path / "r", ("files", "pagination.files"), seed=99
        )
        assert report.interrupted
        assert report.cleanup["created"] > 0
        assert_nothing_deletable_left(server, report)


def test_the_embedded_mock_keeping_batches_is_not_news(spec_path: str, tmp_path: Path) -> None:
    """The embedded mock goes away with the run: the summary does not warn about what it keeps,
    and report.json still counts it."""
    out = io.StringIO()
    settings = Settings(spec=spec_path, report_dir=tmp_path, seed=99, features=("batches",))
    outcome = run(settings, out=out, err=io.StringIO())
    assert outcome.report is not None and outcome.report.cleanup["left"] == 2
    assert "created objects left" not in out.getvalue()
