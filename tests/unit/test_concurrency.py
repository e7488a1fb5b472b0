"""The throttle's AIMD and the Target's requests sent ahead (concurrency.py, target.py)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from oaiconform.concurrency import DECREASE_SPACING_S, Recorded, Speculation, Throttle
from oaiconform.settings import (
    DEFAULT_LOOPBACK_CONCURRENCY,
    DEFAULT_REMOTE_CONCURRENCY,
    SettingsError,
    build_settings,
)
from oaiconform.target import RequestBudget, Target, TargetError


def test_a_429_halves_the_slots_once_per_burst_and_holds_them() -> None:
    throttle = Throttle(8, hold_s=10.0)
    throttle.note(429, now=100.0)
    throttle.note(429, now=100.1)  # the same burst: in flight before the first cut
    assert throttle.limit == 4
    throttle.note(429, now=100.0 + DECREASE_SPACING_S)
    assert (throttle.limit, throttle.min_reached, throttle.rate_limited) == (2, 2, 3)
    for _ in range(20):
        throttle.note(200, now=105.0)  # within the hold: no increase
    assert throttle.limit == 2


def test_after_the_hold_each_window_of_answers_adds_one_slot_up_to_the_configured() -> None:
    throttle = Throttle(4, hold_s=1.0)
    throttle.note(429, now=0.0)
    assert throttle.limit == 2
    for _ in range(2):
        throttle.note(200, now=2.0)
    assert throttle.limit == 3
    for _ in range(30):
        throttle.note(200, now=3.0)
    assert throttle.limit == 4
    assert throttle.info() == {
        "configured": 4,
        "min_reached": 2,
        "rate_limited": 1,
        "sent_ahead": 0,
    }


def test_slots_bound_what_is_in_flight() -> None:
    throttle = Throttle(2)
    peak = [0]
    in_flight = [0]
    lock = threading.Lock()

    def request() -> None:
        with throttle.slot():
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.02)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


def test_a_slot_waiting_past_the_deadline_gives_up() -> None:
    throttle = Throttle(1)

    class Late(Exception):
        pass

    def give_up() -> None:
        raise Late

    with throttle.slot(), pytest.raises(Late), throttle.slot(give_up):
        pass


def test_a_speculation_answers_identical_requests_first_in_first_out() -> None:
    speculation = Speculation(limit=2)
    for key in ("a", "a", "b"):
        with pytest.raises(Recorded):
            speculation.record(key, lambda: None)
    assert [key for key, _ in speculation.calls] == ["a", "a"]  # the limit: "b" is sent later
    from oaiconform.concurrency import Outcome

    speculation.dispatch(lambda sends: [Outcome(value=i) for i, _ in enumerate(sends)])
    first, second = speculation.take("a"), speculation.take("a")
    assert first is not None and second is not None
    assert (first.value, second.value) == (0, 1)
    assert speculation.take("a") is None and speculation.take("b") is None


def test_concurrency_defaults_by_where_the_target_is() -> None:
    assert build_settings({}, {}).concurrency == DEFAULT_LOOPBACK_CONCURRENCY
    remote = build_settings({"target": "https://api.example.com/v1"}, {})
    assert remote.concurrency == DEFAULT_REMOTE_CONCURRENCY
    assert build_settings({}, {"OAICONFORM_CONCURRENCY": "3"}).concurrency == 3
    assert build_settings({"concurrency": "1"}, {"OAICONFORM_CONCURRENCY": "3"}).concurrency == 1
    with pytest.raises(SettingsError, match="--concurrency: must be at least 1"):
        build_settings({"concurrency": "0"}, {})


def _target(concurrency: int) -> Target:
    target = Target(
        "http://127.0.0.1:9/v1",
        api_key=None,
        api_key_env="OPENAI_API_KEY",
        timeout_s=5.0,
        max_response_bytes=1 << 20,
        budget=RequestBudget(None, concurrency=concurrency),
    )

    def answer(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05 if request.url.path.endswith("/slow") else 0.0)  # answered last
        body = json.dumps({"path": request.url.path}).encode()
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    target._client = httpx.Client(transport=httpx.MockTransport(answer))
    return target


def _broken() -> None:
    raise TargetError("refused")


def test_requests_sent_together_are_logged_in_the_order_given_each_with_its_error() -> None:
    target = _target(4)
    outcomes = target.send_together(
        [lambda: target.get("slow"), _broken, lambda: target.get("fast")]
    )
    assert [e.request.url.rsplit("/", 1)[1] for e in target.exchanges] == ["slow", "fast"]
    assert isinstance(outcomes[1].error, TargetError)
    assert target.budget.throttle.sent_ahead == 3


def test_with_concurrency_1_requests_sent_together_stop_at_the_first_error() -> None:
    target = _target(1)
    outcomes = target.send_together([_broken, lambda: target.get("fast")])
    assert len(outcomes) == 1 and target.exchanges == []
    assert target.budget.throttle.sent_ahead == 0


def test_concurrent_streams_are_opt_in() -> None:
    assert build_settings({}, {}).concurrent_streams is False
    assert build_settings({"concurrent_streams": True}, {}).concurrent_streams is True
    environ = {"OAICONFORM_CONCURRENT_STREAMS": "1"}
    assert build_settings({}, environ).concurrent_streams is True


def test_a_request_that_broke_beside_others_is_sent_again_alone() -> None:
    target = _target(4)
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            raise httpx.ReadError("Connection reset by peer")
        body = b'{"ok": true}'
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    target._client = httpx.Client(transport=httpx.MockTransport(answer))
    outcomes = target.send_together([lambda: target.get("one"), lambda: target.get("one")])
    assert [o.error for o in outcomes] == [None, None] and len(calls) == 3
    assert [e.status for e in target.exchanges] == [200, 200]  # the broken one is not logged


def test_a_request_that_timed_out_beside_others_keeps_its_error_once_the_route_is_silent() -> None:
    # Sent together to a hanging target, each request runs into the time limit; by the time
    # one would be sent again alone, the route counts as silent: the timeout stands (failed),
    # as in a serial run, instead of the refusal (`not_run`).
    target = _target(4)
    target.timeout_s = 0.05
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        time.sleep(0.1)  # past the request's deadline: counted against the route
        raise httpx.ReadTimeout("timed out")

    target._client = httpx.Client(transport=httpx.MockTransport(answer))
    sends = [lambda: target.get("one") for _ in range(3)]
    outcomes = target.send_together(sends)
    assert len(calls) == 3  # nothing sent again: the route was silent by then
    assert all(type(o.error) is TargetError for o in outcomes), [o.error for o in outcomes]
    assert [e.status for e in target.exchanges] == [0, 0, 0]  # each one's unanswered request
