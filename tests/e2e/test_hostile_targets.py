"""Hostile targets on the wire: every behaviour ends in a one-line TargetError within its bound.

The Target-level tests send one request to one misbehaving path (timeouts are sub-second);
a few whole runs show that a run against such a target ends within its bound, writes its
reports and exits 1 (3 when the target is unreachable from the start), without a traceback.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.exchange import BodyNotJSONError
from oaiconform.plugin import judge_exception
from oaiconform.runner import RunOutcome, run
from oaiconform.settings import Secret, Settings
from oaiconform.target import (
    SILENT_ROUTE_LIMIT,
    RequestBudget,
    RunDeadlineError,
    Target,
    TargetError,
    TargetUnreachableError,
    route_of,
)
from tests.e2e.hostile import MODELS, HostileServer, answer, answer_then_die

KEY = "sk-hostile-selftest-0123456789abcdef"
TIMEOUT_S = 0.5
# Thread start-up, connect and teardown on two cores shared with other jobs. Without the
# limits under test these requests take 20 s (a drip) or forever: the bounds still tell.
SLACK_S = 1.5


def make_target(
    base_url: str, *, timeout_s: float = TIMEOUT_S, max_bytes: int = 1 << 16, **kwargs: object
) -> Target:
    budget = kwargs.pop("budget", RequestBudget(None))
    return Target(
        base_url,
        api_key=Secret(KEY),
        api_key_env="OPENAI_API_KEY",
        timeout_s=timeout_s,
        max_response_bytes=max_bytes,
        budget=budget,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def _named(cases: list[tuple[str, str]]) -> list[Any]:
    """(path, expected) cases, named by their path: the message expected is no name."""
    return [pytest.param(path, expected, id=path) for path, expected in cases]


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer(default="hang") as server:
        yield server


def _fails(target: Target, path: str, *, method: str = "GET") -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(TargetError) as caught:
        target.request(method, path)
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert "\n" not in message
    return message, elapsed


# --- time: a request never takes more than --timeout in total ---------------------------------


HUNG = "no response data within 0.5 s (the target hangs), the limit per request (--timeout)"
SLOW = "did not complete within 0.5 s, the limit per request (--timeout): "


@pytest.mark.parametrize(
    ("path", "said"),
    _named(
        [
            ("hang", HUNG),
            ("head-only", SLOW),
            ("drip-head", SLOW),
            ("drip-body", SLOW),
            ("sse-forever", SLOW),
        ]
    ),
)
def test_a_request_ends_within_its_total_time_limit(
    hostile: HostileServer, path: str, said: str
) -> None:
    target = make_target(hostile.base_url)
    message, elapsed = _fails(target, path)
    assert said in message
    assert elapsed < TIMEOUT_S + SLACK_S
    unanswered = target.exchanges[-1]  # the failure's repro is this request
    assert unanswered.status == 0 and unanswered.request.url.endswith(f"/{path}")
    assert f"/v1/{path}" in target.curl(unanswered)


def test_an_endless_stream_ends_at_the_total_cap(hostile: HostileServer) -> None:
    target = make_target(hostile.base_url)
    started = time.monotonic()
    stream = target.stream("POST", "sse-forever", json={"stream": True}, idle_timeout_s=0.3)
    assert time.monotonic() - started < TIMEOUT_S + SLACK_S
    assert stream.interrupted is not None and "did not end within 0.5 s" in stream.interrupted
    assert stream.events  # what arrived is kept for the checks


@pytest.mark.parametrize(
    ("path", "said"),
    _named(
        [
            ("hang", r"no response data within 0\.2 s \(the target hangs\)"),  # the idle timeout
            ("drip-head", r"did not complete within 0\.5 s, the stream's total cap of 0\.3 s"),
        ]
    ),
)
def test_a_stream_whose_head_never_completes_is_a_target_error(
    hostile: HostileServer, path: str, said: str
) -> None:
    target = make_target(hostile.base_url)
    started = time.monotonic()
    with pytest.raises(TargetError, match=said):
        target.stream("POST", path, json={"stream": True}, total_timeout_s=0.3, idle_timeout_s=0.2)
    assert time.monotonic() - started < 0.5 + SLACK_S


# --- size: the byte cap holds on the wire and decoded -----------------------------------------


def test_a_body_larger_than_the_cap_is_a_target_error(hostile: HostileServer) -> None:
    message, elapsed = _fails(make_target(hostile.base_url), "huge")
    assert "exceeded the byte cap of 65536 bytes (--max-response-bytes)" in message
    assert elapsed < SLACK_S


def test_a_gzip_bomb_is_capped_decoded(hostile: HostileServer) -> None:
    from tests.e2e.hostile import gzip_bomb_body

    assert len(gzip_bomb_body()) < 100_000  # built before the clock starts
    message, elapsed = _fails(make_target(hostile.base_url), "gzip-bomb")
    assert "byte cap of 65536 bytes decoded" in message
    assert elapsed < SLACK_S


def test_a_gzip_answer_is_decoded() -> None:
    import gzip

    routes = {"gz": answer(gzip.compress(MODELS), Content_Encoding="gzip")}
    with HostileServer(routes) as server:
        exchange = make_target(server.base_url).get("gz")
    assert exchange.json()["data"][0]["id"] == "gpt-4o-mini"


def test_an_encoding_not_asked_for_is_a_target_error() -> None:
    with HostileServer({"br": answer(b"\x0b\x02", Content_Encoding="br")}) as server:
        message, _ = _fails(make_target(server.base_url), "br")
    assert "Content-Encoding 'br', which was not asked for" in message


# --- broken framing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "said"),
    _named(
        [
            ("length-long", "peer closed connection without sending complete message body"),
            ("reset-body", "the connection broke while the response was read"),
            ("close", "Server disconnected without sending a response"),
        ]
    ),
)
def test_broken_framing_is_a_target_error(hostile: HostileServer, path: str, said: str) -> None:
    message, elapsed = _fails(make_target(hostile.base_url), path)
    assert said in message
    assert elapsed < SLACK_S


def test_a_short_content_length_cuts_the_body_and_the_checks_say_so(
    hostile: HostileServer,
) -> None:
    exchange = make_target(hostile.base_url).get("length-short")
    assert exchange.body == MODELS[:10]
    (failure,) = json_object_body(exchange)
    assert "body is not JSON (" in failure.message


def test_a_reset_mid_stream_interrupts_it(hostile: HostileServer) -> None:
    stream = make_target(hostile.base_url).stream("POST", "reset-stream", json={"stream": True})
    assert stream.interrupted is not None
    assert stream.interrupted.startswith("the connection failed after event #2")


def test_an_http_1_0_close_delimited_body_is_legal(hostile: HostileServer) -> None:
    exchange = make_target(hostile.base_url).get("http10")
    assert exchange.status == 200 and exchange.json()["object"] == "list"
    assert json_object_body(exchange) == []


# --- bodies no parser should be trusted with -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    _named(
        [
            ("bad-utf8", "invalid UTF-8 at byte"),
            ("nul", "Invalid control character"),
            ("deep", "nested too deeply to parse"),
            ("big-int", "Exceeds the limit"),
            ("big-float", "number out of range: 1e999999"),
            ("duplicate-keys", "duplicate key 'object'"),
        ]
    ),
)
def test_hostile_json_is_not_json_with_a_reason(
    hostile: HostileServer, path: str, reason: str
) -> None:
    exchange = make_target(hostile.base_url).get(path)
    assert not exchange.is_json
    assert reason in (exchange.json_error or "")
    (failure,) = json_object_body(exchange)
    assert f"body is not JSON ({exchange.json_error})" in failure.message
    with pytest.raises(BodyNotJSONError) as caught:
        exchange.json()  # a suite that reads the body anyway: the target's fault
    assert judge_exception(caught.value) == "failed"
    assert "\n" not in str(caught.value)


def test_a_proxy_error_page_is_reported_as_such(hostile: HostileServer) -> None:
    exchange = make_target(hostile.base_url).get("nginx-502")
    (status,) = status_code_is(exchange, 200)
    assert "got 502 with '<html>" in status.message
    assert any(
        "expected application/json, got text/html" in f.message for f in json_object_body(exchange)
    )


# --- redirects --------------------------------------------------------------------------------


def test_a_redirect_is_reported_and_the_key_never_leaves() -> None:
    with HostileServer(default="models") as elsewhere:
        away = f"http://127.0.0.1:{elsewhere.port}/steal"
        redirects = {"away": answer(b"", "302 Found", Location=away)}
        with HostileServer(redirects) as server:
            message, _ = _fails(make_target(server.base_url), "away")
    assert f"a redirect to {away}, not followed" in message
    assert elsewhere.seen == []


def test_a_redirect_loop_is_reported_once() -> None:
    with HostileServer() as server:
        here = f"{server.base_url}/loop"
        server.routes["loop"] = answer(b"", "301 Moved Permanently", Location=here)
        message, elapsed = _fails(make_target(server.base_url), "loop")
        assert len(server.seen) == 1
    assert f"-> 301: a redirect to {here}" in message
    assert elapsed < SLACK_S


# --- TLS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    subprocess.run(
        [
            *command.split(),
            *("-keyout", str(key), "-out", str(cert)),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HostileServer]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with HostileServer({"models": "models"}, default="models", tls=context) as server:
        yield server


def test_a_self_signed_certificate_names_the_two_ways_out(tls_server: HostileServer) -> None:
    target = make_target(tls_server.base_url)
    with pytest.raises(TargetUnreachableError) as caught:
        target.probe()
    assert "--ca-bundle FILE" in str(caught.value) and "--insecure" in str(caught.value)
    message, _ = _fails(target, "models")  # during a run: failed, not unreachable
    assert "TLS certificate not trusted" in message and "--ca-bundle FILE" in message


def test_ca_bundle_and_insecure_make_tls_work(
    tls_server: HostileServer, certificate: tuple[Path, Path]
) -> None:
    trusted = make_target(tls_server.base_url, ca_bundle=str(certificate[0]))
    assert trusted.get("models").json()["object"] == "list"
    insecure = make_target(tls_server.base_url, insecure=True)
    assert insecure.get("models").status == 200


# --- a target that dies, and the run's deadline -----------------------------------------------


def test_a_target_that_died_is_unreachable_and_not_judged() -> None:
    server = HostileServer({"models": "models"}).start()
    target = make_target(server.base_url)
    assert target.get("models").status == 200
    server.stop()
    with pytest.raises(TargetUnreachableError, match="the target became unreachable") as caught:
        target.get("models")
    assert judge_exception(caught.value) == "not_run"


def test_the_run_deadline_cuts_a_request_and_refuses_the_next(hostile: HostileServer) -> None:
    budget = RequestBudget(None, max_duration_s=0.3)
    target = make_target(hostile.base_url, timeout_s=5.0, budget=budget)
    started = time.monotonic()
    with pytest.raises(RunDeadlineError, match=r"0\.3 s \(--max-duration\)") as caught:
        target.get("hang")
    assert time.monotonic() - started < 0.3 + SLACK_S
    assert judge_exception(caught.value) == "not_run"
    with pytest.raises(RunDeadlineError):
        target.get("models")
    assert budget.deadline_hit and budget.used == 1


# --- whole runs -------------------------------------------------------------------------------

FEATURES = ("models.list", "chat.completions", "chat.stream")


def _run(
    spec_path: str, tmp_path: Path, base_url: str, **overrides: object
) -> tuple[RunOutcome, dict[str, object], float, str]:
    values: dict[str, object] = {
        "target_url": base_url,
        "api_key": Secret(KEY),
        "spec": spec_path,
        "report_dir": tmp_path / "report",
        "seed": 7,
        "features": FEATURES,
        "timeout_s": TIMEOUT_S,
    }
    settings = Settings(**{**values, **overrides})  # type: ignore[arg-type]
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    outcome = run(settings, out=out, err=err)
    elapsed = time.monotonic() - started
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert not [t for t in report["tests"] if t["outcome"] == "error"]
    return outcome, report, elapsed, text


def _feature(report: dict[str, object], feature: str) -> dict[str, object]:
    features = report["features"]
    assert isinstance(features, dict)
    found = features[feature]
    assert isinstance(found, dict)
    return found


# Each run: the suites' set-up (3 s idle, up to 10 s on busy shared cores), then per test (10
# at most) one request's limit: --timeout, or for a stream its total cap plus its idle
# timeout (2 x --timeout). Without the limits, the drip run alone would take over 2 minutes.
RUN_BOUND_S = 10.0 + 10 * (2 * TIMEOUT_S + 0.2)
HANG_WORDS = ("the target hangs", "the target sends too slowly", "did not end within 0.5 s")


@pytest.mark.parametrize("chat", ["hang", "drip-head", "sse-forever"])
def test_a_run_against_a_target_that_never_answers_chat_ends(
    spec_path: str, tmp_path: Path, chat: str
) -> None:
    with HostileServer({"models": "models"}, default=chat) as server:
        outcome, report, elapsed, _ = _run(spec_path, tmp_path, server.base_url)
    assert outcome.exit_code == 1
    assert elapsed < RUN_BOUND_S
    chat_completions = _feature(report, "chat.completions")
    assert chat_completions["status"] == "failed"
    failures = chat_completions["failures"]
    assert isinstance(failures, list) and failures
    assert any(words in failures[0]["message"] for words in HANG_WORDS)
    # The streams share the route: failed where they met the hang, or not run once the route
    # stopped answering (3 timeouts in a row), never passed.
    stream = _feature(report, "chat.stream")
    assert stream["status"] in ("failed", "partial")
    if stream["status"] == "partial":
        assert "stopped answering POST chat in time" in str(stream["reason"])


def test_a_run_against_a_target_that_dies_half_way(spec_path: str, tmp_path: Path) -> None:
    holder: list[HostileServer] = []
    # It answers the probe and the first two chat requests (with a model list), then dies.
    server = HostileServer(default=answer_then_die(lambda: holder[0], after=3))
    holder.append(server.start())
    try:
        outcome, report, elapsed, _ = _run(spec_path, tmp_path, server.base_url)
    finally:
        server.stop()
    assert outcome.exit_code == 1
    assert elapsed < RUN_BOUND_S
    assert _feature(report, "chat.completions")["status"] == "failed"  # while it answered
    for feature in ("chat.stream", "models.list"):
        found = _feature(report, feature)
        assert found["status"] == "partial"
        assert "the target became unreachable" in str(found["reason"])
    tests = report["tests"]
    assert isinstance(tests, list)
    failed = [t["message"] for t in tests if t["outcome"] == "failed"]
    assert failed and not [m for m in failed if "unreachable" in m]


def test_a_run_against_a_self_signed_target(
    spec_path: str, tmp_path: Path, tls_server: HostileServer
) -> None:
    outcome, report, elapsed, text = _run(spec_path, tmp_path, tls_server.base_url)
    assert outcome.exit_code == 3
    assert "--ca-bundle FILE" in text and "--insecure" in text
    assert elapsed < 10.0  # the TLS handshake or refused connect, the report: no request waits
    outcome, report, elapsed, _ = _run(spec_path, tmp_path, tls_server.base_url, insecure=True)
    assert outcome.exit_code == 1  # it answers every path with a model list
    assert report["target"]["insecure"] is True  # type: ignore[index]
    assert report["target"]["ca_bundle"] is None  # type: ignore[index]


def test_a_run_against_nothing_is_unreachable(spec_path: str, tmp_path: Path) -> None:
    server = HostileServer().start()
    server.stop()  # the port is free again: nothing listens there
    outcome, _, elapsed, text = _run(spec_path, tmp_path, server.base_url)
    assert outcome.exit_code == 3 and "is unreachable" in text
    assert elapsed < 10.0  # the TLS handshake or refused connect, the report: no request waits


def test_a_run_ends_at_its_time_limit(spec_path: str, tmp_path: Path) -> None:
    with HostileServer({"models": "models"}, default="hang") as server:
        outcome, report, elapsed, _ = _run(
            spec_path, tmp_path, server.base_url, timeout_s=5.0, max_duration_s=4.0
        )
    assert outcome.exit_code == 1
    assert elapsed < 4.0 + 6.0  # without --max-duration: 8 requests of 5 s or more
    budget = report["budget"]
    assert budget == {**budget, "max_duration_s": 4.0, "deadline_hit": True}  # type: ignore[dict-item]
    assert _feature(report, "chat.stream")["status"] == "partial"
    assert "--max-duration" in str(_feature(report, "chat.stream")["reason"])


def test_the_command_line_names_the_tls_options_and_takes_them(
    tls_server: HostileServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    from tests.e2e.test_cli import assert_no_traceback, oaiconform

    common = [
        *("run", "--target", tls_server.base_url, "--feature", "chat.completions"),
        *("--timeout", "0.5", "--report-dir", str(tmp_path)),
    ]
    refused = oaiconform(*common)
    assert refused.returncode == 3, refused.stderr
    assert "--ca-bundle FILE" in refused.stderr and "--insecure" in refused.stderr
    assert_no_traceback(refused)
    trusted = oaiconform(*common, "--ca-bundle", str(certificate[0]), "--max-duration", "60")
    assert trusted.returncode == 1, trusted.stdout + trusted.stderr  # a model list is no chat
    assert_no_traceback(trusted)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["target"]["ca_bundle"] == str(certificate[0])
    assert report["budget"]["max_duration_s"] == 60.0


def test_a_route_that_keeps_timing_out_is_not_asked_again() -> None:
    """After SILENT_ROUTE_LIMIT answers in a row cut by the time limit, a route's requests are
    refused unsent (TargetUnreachableError: the tests are not_run); other routes still work."""
    with HostileServer({"models": "models"}, default="hang") as server:
        target = make_target(server.base_url, timeout_s=0.3)
        for _ in range(SILENT_ROUTE_LIMIT):
            with pytest.raises(TargetError, match="the target hangs"):
                target.post("chat/completions", json={})
        sent = len(server.seen)
        with pytest.raises(TargetUnreachableError, match="stopped answering POST chat in time"):
            target.post("chat/completions", json={})
        assert len(server.seen) == sent  # refused without being sent
        assert target.get("models").status == 200


def test_an_answer_in_time_resets_the_routes_count() -> None:
    target = make_target("http://127.0.0.1:9/v1")
    for timed_out in (True, True, False, True, True):
        target.note_timing("POST chat", timed_out=timed_out)
    target._refuse_silent_route("POST chat", "POST", "chat/completions")  # 2 in a row: asked
    target.note_timing("POST chat", timed_out=True)
    with pytest.raises(TargetUnreachableError):
        target._refuse_silent_route("POST chat", "POST", "chat/completions")
    assert route_of("get", "files/file-1/content?x=1") == "GET files"
