"""Settings merge flags over the environment; credentials never show."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from oaiconform.redact import Redactor, redact_files, strip_userinfo
from oaiconform.settings import (
    DEFAULT_REMOTE_BUDGET,
    DEFAULT_REMOTE_MAX_DURATION_S,
    Secret,
    SettingsError,
    build_settings,
)

KEY = "sk-live-0123456789abcdefXYZ"


def test_flags_win_over_the_environment() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OPENAI_API_KEY": KEY}
    settings = build_settings({"target": "http://127.0.0.1:2/v1/", "seed": "7"}, env)
    assert settings.target_url == "http://127.0.0.1:2/v1"
    assert settings.seed == 7
    assert settings.api_key == Secret(KEY)
    assert build_settings({}, env).target_url == "http://127.0.0.1:1/v1"


def test_no_target_means_the_embedded_mock_and_a_printed_random_seed() -> None:
    settings = build_settings({}, {})
    assert settings.embedded_mock
    assert isinstance(settings.seed, int)
    assert settings.budget_requests is None


def test_the_key_comes_from_the_named_variable_and_never_shows() -> None:
    settings = build_settings({"api_key_env": "VENDOR_KEY"}, {"VENDOR_KEY": KEY})
    assert settings.api_key is not None
    assert settings.api_key.reveal() == KEY
    assert KEY not in repr(settings)
    assert KEY not in str(settings.api_key)


def test_remote_targets_get_a_request_budget_by_default() -> None:
    remote = build_settings({"target": "https://api.openai.com/v1"}, {})
    assert remote.budget_requests == DEFAULT_REMOTE_BUDGET
    assert build_settings({"target": "http://127.0.0.1:8000/v1"}, {}).budget_requests is None
    assert (
        build_settings(
            {"target": "https://x.example/v1", "budget_requests": "3"}, {}
        ).budget_requests
        == 3
    )


def test_remote_targets_get_a_run_time_limit_by_default() -> None:
    remote = build_settings({"target": "https://api.openai.com/v1"}, {})
    assert remote.max_duration_s == DEFAULT_REMOTE_MAX_DURATION_S
    assert build_settings({"target": "http://127.0.0.1:8000/v1"}, {}).max_duration_s is None
    assert build_settings({}, {}).max_duration_s is None  # the embedded mock
    local = build_settings({"target": "http://localhost:1/v1", "max_duration": "90"}, {})
    assert local.max_duration_s == 90.0


def test_tls_options_are_kept() -> None:
    settings = build_settings({"insecure": True}, {})
    assert settings.insecure and settings.ca_bundle is None
    assert not build_settings({}, {}).insecure


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"target": "ftp://host/v1"}, "expected a base URL"),
        ({"target": "http://127.0.0.1:99999/v1"}, "invalid port"),
        ({"seed": "abc"}, "--seed: expected an integer"),
        ({"timeout": "-1"}, "--timeout: must be positive"),
        ({"budget_requests": "0"}, "--budget-requests: must be at least 1"),
        ({"max_duration": "0"}, "--max-duration: must be positive"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "--ca-bundle: no such file"),
        ({"ca_bundle": __file__}, "--ca-bundle: .* is not a readable PEM file"),
    ],
)
def test_bad_values_are_named(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build_settings(values, {})


def test_settings_credentials_include_a_url_password() -> None:
    settings = build_settings(
        {"target": "http://user:hunter2pass@127.0.0.1:1/v1"}, {"OPENAI_API_KEY": KEY}
    )
    assert set(settings.secrets()) == {KEY, "hunter2pass"}
    assert settings.report_dir is None
    assert build_settings({"report_dir": "out"}, {}).report_dir == Path("out")


def test_redactor_masks_known_secrets_key_shapes_and_bearer_headers() -> None:
    redact = Redactor([KEY, "hunter2pass"]).text
    assert redact(f"key {KEY} and hunter2pass") == "key *** and ***"
    assert redact("sk-proj-abcdefghijkl leaked") == "*** leaked"
    assert redact("-H 'Authorization: Bearer opaque-token-1'") == "-H 'Authorization: Bearer ***'"
    assert (
        redact("-H 'Authorization: Bearer $OPENAI_API_KEY'")
        == "-H 'Authorization: Bearer $OPENAI_API_KEY'"
    )
    assert Redactor([KEY]).deep({"a": [KEY, 1, {"b": KEY}]}) == {"a": ["***", 1, {"b": "***"}]}


def test_userinfo_is_stripped_from_urls() -> None:
    assert strip_userinfo("http://u:p@127.0.0.1:8/v1") == "http://***@127.0.0.1:8/v1"
    assert strip_userinfo("http://127.0.0.1:8/v1") == "http://127.0.0.1:8/v1"


def test_the_second_key_is_read_from_its_variable_and_redacted() -> None:
    settings = build_settings(
        {"second_api_key_env": "TENANT_B"}, {"TENANT_B": "sk-tenant-b-0123456789"}
    )
    assert settings.second_api_key == Secret("sk-tenant-b-0123456789")
    assert "sk-tenant-b-0123456789" in settings.secrets()
    with pytest.raises(SettingsError, match="the variable TENANT_B is not set"):
        build_settings({"second_api_key_env": "TENANT_B"}, {})


def test_a_parallel_worker_rebuilds_the_same_settings() -> None:
    from oaiconform.settings import settings_from_handoff, settings_to_handoff

    env = {"OPENAI_API_KEY": KEY, "SECOND": "sk-second-0123456789"}
    settings = build_settings(
        {
            "target": "http://127.0.0.1:2/v1",
            "features": ["models.list"],
            "overlays": ["a.yaml"],
            "report_dir": "out",
            "second_api_key_env": "SECOND",
            "workers": "3",
            "seed": "5",
            "max_duration": "120",
            "insecure": True,
        },
        env,
    )
    assert settings.workers == 3
    assert settings_from_handoff(settings_to_handoff(settings)) == settings


def test_workers_auto_is_one_per_cpu_and_zero_is_refused() -> None:
    import os

    assert build_settings({"workers": "auto"}, {}).workers == (os.cpu_count() or 1)
    assert build_settings({}, {}).workers == 1
    with pytest.raises(SettingsError, match="--workers"):
        build_settings({"workers": "0"}, {})


def test_reruns_are_a_count_and_the_rerun_flags_reach_the_workers() -> None:
    from oaiconform.settings import settings_from_handoff, settings_to_handoff

    settings = build_settings({"reruns": "2", "flaky_fails": True, "last_failed": True}, {})
    assert (settings.reruns, settings.flaky_fails, settings.last_failed) == (2, True, True)
    assert build_settings({}, {}).reruns == 0
    narrowed = replace(settings, only_tests=("test_x.py::test_y[a]",))
    assert settings_from_handoff(settings_to_handoff(narrowed)) == narrowed
    for bad in ("-1", "many"):
        with pytest.raises(SettingsError, match="--reruns"):
            build_settings({"reruns": bad}, {})


def test_worker_handoffs_split_the_budget_left_and_give_each_worker_a_tenant() -> None:
    import os

    from oaiconform.context import RunContext

    env = {"OAICONFORM_SPEC": os.environ.get("OAICONFORM_SPEC", "")}
    settings = build_settings({"budget_requests": "11", "workers": "3", "seed": "1"}, env)
    context = RunContext(settings)
    try:
        context.target.budget.take()  # the controller's probe
        handoffs = [context.worker_handoff(i, 3) for i in range(3)]
        assert [h["target"]["budget_limit"] for h in handoffs] == [4, 3, 3]
        keys = {h["target"]["api_key"] for h in handoffs}
        assert len(keys) == 3 and context.mock_key not in keys
        assert keys <= set(context.secrets())  # redacted like every other key
        worker = RunContext.for_worker(handoffs[1])
        try:
            assert worker.target.base_url == context.target.base_url
            assert worker.target.embedded_mock and worker.target.budget.limit == 3
            assert worker.target.request("GET", "/models").status == 200  # its key works
            assert worker.target.budget.deadline is None  # no --max-duration on the mock
        finally:
            worker.close()
    finally:
        context.close()


def test_a_worker_gets_what_is_left_of_the_run_time_limit() -> None:
    import os

    from oaiconform.context import RunContext

    env = {"OAICONFORM_SPEC": os.environ.get("OAICONFORM_SPEC", "")}
    settings = build_settings({"workers": "2", "seed": "1", "max_duration": "60"}, env)
    context = RunContext(settings)
    try:
        left = context.worker_handoff(0, 2)["target"]["seconds_left"]
        assert 0 < left <= 60
        worker = RunContext.for_worker(context.worker_handoff(1, 2))
        try:
            budget = worker.target.budget
            assert budget.max_duration_s == 60.0
            assert 0 < (budget.seconds_left() or 0) <= left
        finally:
            worker.close()
    finally:
        context.close()


def test_redact_files_masks_secrets_in_written_artifacts_and_keeps_other_bytes(
    tmp_path: Path,
) -> None:
    secret = "sk-oaiconform-artifact-0123456789"
    attachment = tmp_path / "a-attachment.bin"
    attachment.write_bytes(b"\xff\xfe binary " + secret.encode() + b" \x00 tail")
    clean = tmp_path / "b-container.json"
    clean.write_text('{"name": "files"}')
    changed = redact_files([attachment, clean, tmp_path / "missing"], Redactor([secret]))
    assert changed == 1
    assert attachment.read_bytes() == b"\xff\xfe binary *** \x00 tail"
    assert clean.read_text() == '{"name": "files"}'
