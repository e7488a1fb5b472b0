"""The pytest plugin: options, the run context, fixtures, feature selection, result collection.

Registered as the `pytest11` entry point `oaiconform.plugin`. It stays inert for test sessions
that collect no feature-marked test (e.g. the project's own self-tests).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, NoReturn

import allure
import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from oaiconform import interrupt
from oaiconform.ahead import MARKER as INDEPENDENT
from oaiconform.ahead import AheadOfTests
from oaiconform.applicability import (
    REQUIREMENTS,
    TargetTraits,
    UnknownRequirementError,
    unmet,
)
from oaiconform.checks import ConformanceError, Failure, collect_deferred, impact_of
from oaiconform.checks._failure import capped
from oaiconform.checks.http import JSON_OBJECT_BODY, TARGET_ERROR
from oaiconform.checks.routes import RouteDecision, decide_route
from oaiconform.cleanup import ObjectLedger, activate
from oaiconform.context import RunContext, TestResult
from oaiconform.exchange import BodyNotJSONError, Exchange, exchange_record, stream_metrics
from oaiconform.features import is_known
from oaiconform.profiles import ProfileError
from oaiconform.redact import Redactor, redact_files
from oaiconform.route_probe import active_route_misses
from oaiconform.sdk_replay import replay_exchanges, sdk_version
from oaiconform.settings import Secret, Settings, SettingsError, build_settings
from oaiconform.spec import Spec, SpecError
from oaiconform.target import BudgetExhaustedError, Target, TargetError, TargetUnreachableError

CONTEXT_KEY = pytest.StashKey[RunContext]()
AHEAD_KEY = pytest.StashKey[AheadOfTests]()
HANDOFF_KEY = "oaiconform"  # in xdist's workerinput (controller -> worker) and workeroutput
_OPTIONS = (
    "target",
    "api_key_env",
    "model",
    "embedding_model",
    "completion_model",
    "moderation_model",
    "profile",
    "features",
    "spec",
    "report_dir",
    "seed",
    "timeout",
    "budget_requests",
    "mock_faults",
    "overlays",
    "allow_expensive",
    "deterministic",
    "no_pinning",
    "property_examples",
    "property_negative_examples",
    "second_api_key_env",
    "max_duration",
    "ca_bundle",
    "insecure",
    "verdict",
    "concurrency",
    "concurrent_streams",
)


class FeatureNotImplemented(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The target has no such endpoint (a route-level 404/405 on a valid request)."""


class NotApplicable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The test is meaningless or impossible on this kind of target (see applicability.py)."""


def not_implemented(reason: str) -> NoReturn:
    raise FeatureNotImplemented(reason, allow_module_level=False)


def not_applicable(reason: str) -> NoReturn:
    """The target itself showed that this probe cannot apply (it lacks the endpoint the probe
    needs; that endpoint's own feature reports it not implemented). Keep it for that case:
    what can be known before the run is declared with `@pytest.mark.requires`."""
    raise NotApplicable(reason, allow_module_level=False)


def route_decision(exchange: Exchange) -> RouteDecision:
    """Whether a 404/405 means the target has no such endpoint, judged against the run
    target's own answer to an unknown route (route_probe), with the evidence."""
    misses = active_route_misses()
    return misses.decide(exchange) if misses is not None else decide_route(exchange, None)


def _no_such_endpoint(exchange: Exchange) -> str | None:
    decision = route_decision(exchange)
    if not decision.route_missing:
        return None
    return f"{exchange.describe()}: the target has no such endpoint ({decision.reason})"


def require_route(exchange: Exchange) -> Exchange:
    """Mark the feature not implemented when the target has no such endpoint."""
    reason = _no_such_endpoint(exchange)
    if reason is not None:
        not_implemented(reason)
    return exchange


def served(exchange: Exchange) -> Exchange:
    """For a probe on another feature's endpoint (the errors suites): the test does not apply
    when the target has no such endpoint; that feature reports it not implemented."""
    reason = _no_such_endpoint(exchange)
    if reason is not None:
        not_applicable(reason)
    return exchange


class ContextProvider:
    """Handed to pytest.main by the CLI, so the plugin uses the CLI's prepared context."""

    def __init__(self, context: RunContext) -> None:
        self.context = context

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.context.managed_by_cli = True
        config.stash[CONTEXT_KEY] = self.context
        _keep_hypothesis_out_of_cwd()  # before collection: suites may build strategies then


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oaiconform", "OpenAI API conformance (oaiconform)")
    group.addoption(
        "--target",
        help="base URL of the target, e.g. http://127.0.0.1:8000/v1 "
        "(default: $OPENAI_BASE_URL, else the embedded mock)",
    )
    group.addoption("--api-key-env", help="name of the variable holding the key (OPENAI_API_KEY)")
    group.addoption("--model", help="chat model to use")
    group.addoption("--embedding-model", help="embedding model to use")
    group.addoption("--completion-model", help="legacy completions model to use")
    group.addoption("--moderation-model", help="moderation model to use")
    group.addoption("--profile", help="profile to run (default: core)")
    group.addoption("--feature", dest="features", action="append", help="run only this feature")
    group.addoption("--spec", help="path or URL of the OpenAPI description")
    group.addoption("--report-dir", help="write report.json and report.html here")
    group.addoption("--seed", help="seed for generation and the mock")
    group.addoption("--request-timeout", dest="timeout", help="seconds per request (30)")
    group.addoption("--budget-requests", help="hard cap on requests sent to the target")
    group.addoption("--max-duration", help="time limit of the whole run, in seconds")
    group.addoption("--ca-bundle", help="PEM file of the CAs to trust for an https target")
    group.addoption(
        "--insecure",
        action="store_true",
        default=None,
        help="do not verify the https target's certificate",
    )
    group.addoption(
        "--overlay", dest="overlays", action="append", help="a vendor OpenAPI Overlay file"
    )
    group.addoption("--second-api-key-env", help="variable holding a second tenant's key")
    group.addoption(
        "--mock-fault",
        dest="mock_faults",
        action="append",
        help="switch on a fault in the embedded mock (see `oaiconform mock --list-faults`)",
    )
    group.addoption(
        "--allow-expensive",
        action="store_true",
        default=None,
        help="let schema.* features exercise costly or destructive operations",
    )
    group.addoption(
        "--deterministic",
        action="store_true",
        default=None,
        help="the target answers the same request and seed the same way",
    )
    group.addoption(
        "--no-pinning",
        action="store_true",
        default=None,
        help="do not pin temperature 0 and a seed on inference requests",
    )
    group.addoption(
        "--verdict",
        choices=("compat", "strict"),
        help="the verdict that sets the exit code (compat)",
    )
    group.addoption("--property-examples", help="generated valid requests per operation (5)")
    group.addoption(
        "--concurrency", help="independent requests in flight at once (8 loopback, 4 remote)"
    )
    group.addoption(
        "--concurrent-streams",
        action="store_true",
        default=None,
        help="send independent tests' streams ahead together too (off: some servers cut them)",
    )
    group.addoption(
        "--property-negative-examples", help="generated invalid requests per operation (3)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "feature(id): the conformance feature a suite test checks")
    config.addinivalue_line(
        "markers",
        f"{INDEPENDENT}: the module's tests are independent; their first requests may be sent "
        "ahead together (oaiconform.ahead)",
    )
    config.addinivalue_line(
        "markers", "requires(*traits): target traits the test needs (oaiconform.applicability)"
    )
    if CONTEXT_KEY not in config.stash:
        handoff = getattr(config, "workerinput", {}).get(HANDOFF_KEY)
        if handoff is not None:
            config.stash[CONTEXT_KEY] = RunContext.for_worker(handoff)
        else:
            values = {name: config.getoption(name) for name in _OPTIONS}
            try:
                settings = build_settings(values, os.environ)
            except SettingsError as exc:
                raise pytest.UsageError(str(exc)) from None
            config.stash[CONTEXT_KEY] = RunContext(settings)
    activate(config.stash[CONTEXT_KEY].objects)  # the suites record what they create into it
    config.pluginmanager.register(ResultCollector(config.stash[CONTEXT_KEY]), "oaiconform-results")


def _context(config: pytest.Config) -> RunContext:
    return config.stash[CONTEXT_KEY]


def _feature_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("feature")
    return str(marker.args[0]) if marker and marker.args else None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    suite_items = [item for item in items if _feature_of(item)]
    if not suite_items:
        return
    _keep_hypothesis_out_of_cwd()
    context = _context(config)
    try:
        profile = context.profile
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    for item in suite_items:
        feature = _feature_of(item)
        if feature is None or not is_known(feature):
            raise pytest.UsageError(f"{item.nodeid}: unknown feature {feature!r}")
    wanted = set(context.settings.features) or set(profile.features)
    only = set(context.settings.only_tests)  # --last-failed
    keep = [
        i
        for i in items
        if _feature_of(i) is None or (_feature_of(i) in wanted and (not only or i.nodeid in only))
    ]
    traits = TargetTraits.of(context.settings)
    for item in keep:
        context.collected.setdefault(str(_feature_of(item)), []).append(item.nodeid)
        reason = _why_not_applicable(item, context, traits)
        if reason is not None:
            context.not_applicable[item.nodeid] = reason
    deselected = [i for i in items if i not in keep]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def _why_not_applicable(item: pytest.Item, context: RunContext, traits: TargetTraits) -> str | None:
    """Decided before the run, from what the settings say about the target."""
    names = [str(n) for marker in item.iter_markers("requires") for n in marker.args]
    try:
        reason = unmet(names, traits)
    except UnknownRequirementError as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
    if reason is not None:
        return reason
    callspec = getattr(item, "callspec", None)
    operation_id = callspec.params.get("operation_id") if callspec is not None else None
    if isinstance(operation_id, str):  # schema.*: expensive operations only when allowed
        from oaiconform.property.groups import may_run  # only runs with schema.* import it

        settings = context.settings
        return may_run(
            context.spec.operation(operation_id).path,
            allow_expensive=settings.allow_expensive,
            profile=settings.profile,
            embedded_mock=traits.embedded_mock,
        )
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that does not apply to the target ends here, before any fixture sends a request."""
    if _feature_of(item) is None:
        return
    feature = str(_feature_of(item))
    allure.dynamic.epic(feature.partition(".")[0])  # type: ignore[no-untyped-call]
    allure.dynamic.feature(feature)  # type: ignore[no-untyped-call]
    context = _context(item.config)
    ahead = item.config.stash.setdefault(AHEAD_KEY, AheadOfTests())
    ahead.before(item, context)
    reason = _context(item.config).not_applicable.get(item.nodeid)
    if reason is not None:
        raise NotApplicable(reason, allow_module_level=False)


def _keep_hypothesis_out_of_cwd() -> None:
    """Hypothesis caches data in ./.hypothesis even without a database; a conformance run
    must leave the user's directory as it found it, so it caches in the temp directory."""
    # Hypothesis falls back to this variable whenever its home is reset to None, so a suite
    # that borrows the home for a while cannot send it back to the working directory.
    home = os.environ.setdefault(
        "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "oaiconform-hypothesis")
    )
    set_hypothesis_home_dir(home)


@pytest.fixture(scope="session")
def oaiconform_context(request: pytest.FixtureRequest) -> RunContext:
    return _context(request.config)


@pytest.fixture(scope="session")
def settings(oaiconform_context: RunContext) -> Settings:
    return oaiconform_context.settings


@pytest.fixture(scope="session")
def spec(oaiconform_context: RunContext) -> Spec:
    try:
        return oaiconform_context.spec
    except SpecError as exc:
        pytest.exit(f"oaiconform: {exc}", returncode=2)


@pytest.fixture(scope="session")
def run_objects(oaiconform_context: RunContext) -> ObjectLedger:
    """The run's ledger of created objects; its `run_id` names and tags them (cleanup.py)."""
    return oaiconform_context.objects


@pytest.fixture(scope="session")
def _session_target(oaiconform_context: RunContext, spec: Spec) -> Target:
    return oaiconform_context.target


@pytest.fixture(scope="session")
def second_api_key(oaiconform_context: RunContext, _session_target: Target) -> Secret:
    """A second tenant's key (tests that need it are marked `requires("second_key")`)."""
    key = oaiconform_context.second_api_key
    if key is None:
        not_applicable(REQUIREMENTS["second_key"].reason)
    return key


@pytest.fixture
def target(_session_target: Target) -> Target:
    """The target under test; its exchanges are recorded per test for the report's repro."""
    _session_target.exchanges.clear()
    _session_target.streams.clear()
    return _session_target


def _redact_exception(exc: BaseException, context: RunContext) -> None:
    """Redact the exception in place, before pytest, JUnit and allure render it."""
    redact = Redactor(context.secrets()).text
    exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
    if isinstance(exc, ConformanceError):
        exc.failures = tuple(
            replace(f, message=redact(f.message), found=redact(f.found)) for f in exc.failures
        )
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            _redact_exception(inner, context)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[Any, Any, None]:
    """Redact a fixture's exception as it leaves the fixture: innermost (trylast), so before
    allure's wrapper writes it into its container file and before pytest renders it."""
    outcome = yield
    excinfo = outcome.excinfo
    if excinfo is not None and CONTEXT_KEY in request.config.stash:
        _redact_exception(excinfo[1], _context(request.config))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Failures clients cope with (spec-literal, advisory) do not stop a suite test: `expect`
    keeps them, and they are raised here, once the test has made every other check."""
    if _feature_of(item) is None:
        return (yield)
    with collect_deferred() as deferred:
        result = yield
    if deferred:
        raise ConformanceError(capped(deferred))
    return result


def failures_of_exception(exc: BaseException) -> list[Failure]:
    """The typed failures behind a `failed` outcome: a check's, or the target's own error."""
    if isinstance(exc, ConformanceError):
        return list(exc.failures)
    if isinstance(exc, BodyNotJSONError):
        return [Failure("json_body", str(exc), where="body", check_id=JSON_OBJECT_BODY)]
    if isinstance(exc, TargetError):
        return [Failure("target_error", str(exc), check_id=TARGET_ERROR)]
    if isinstance(exc, BaseExceptionGroup):
        return [f for inner in exc.exceptions for f in failures_of_exception(inner)]
    return []


# allure's severity of a failed test: its worst failure's impact class.
_SEVERITY = {
    "breaks-clients": allure.severity_level.CRITICAL,
    "wrong-behaviour": allure.severity_level.NORMAL,
    "spec-literal": allure.severity_level.MINOR,
    "advisory": allure.severity_level.TRIVIAL,
}


def _label_failures(report: pytest.TestReport, failures: list[dict[str, str]]) -> None:
    """The check ids and impact classes of a failed test, for the terminal (in the failure
    text) and allure (story = check, severity = worst impact, a label and tags), so both can
    be filtered and grouped as the problems are."""
    pairs = dict.fromkeys((f["check_id"] or f["rule"], f["impact"]) for f in failures)
    for check_id, impact in pairs:
        allure.dynamic.label("oaiconform_check", check_id)  # type: ignore[no-untyped-call]
        allure.dynamic.story(check_id)  # type: ignore[no-untyped-call]
        allure.dynamic.tag(impact)  # type: ignore[no-untyped-call]
    severities = [_SEVERITY[impact] for _, impact in pairs if impact in _SEVERITY]
    if severities:
        worst = min(severities, key=list(_SEVERITY.values()).index)
        allure.dynamic.severity(worst)  # type: ignore[no-untyped-call]
    # xunit2 has no per-test properties: the failure text JUnit carries names them instead.
    if failures:
        report.longrepr = "\n".join(
            f"[{f['check_id'] or f['rule']} | {f['impact']}] {f['message']}" for f in failures
        )


_TRACEBACK_CHARS = 8000
DID_NOT_FINISH = "did not finish: the run ended while it ran (interrupted)"
_TARGET_FAULTS = (ConformanceError, TargetError, BodyNotJSONError)


def judge_exception(exc: BaseException) -> str:
    """Whose fault an exception that ended a test phase is, as a test outcome.

    `failed` is the target's (a check's ConformanceError, a TargetError, a body a suite needed
    as JSON that is not); skips are `not_applicable`, `not_implemented` or `not_run` (the
    budget or the run's time limit, a target that became unreachable during the run, a
    precondition, a probe that could not be made); anything else is a bug of this tool:
    `error`, never the target's.
    """
    if isinstance(exc, NotApplicable):
        return "not_applicable"
    if isinstance(exc, FeatureNotImplemented):
        return "not_implemented"
    if isinstance(exc, BudgetExhaustedError | pytest.skip.Exception):
        return "not_run"
    if isinstance(exc, TargetUnreachableError):  # it died during the run: nothing to judge
        return "not_run"
    if isinstance(exc, _TARGET_FAULTS):
        return "failed"
    if isinstance(exc, BaseExceptionGroup):  # hypothesis: several distinct failures, or flaky
        leaves = {judge_exception(e) for e in exc.exceptions}
        if not leaves or "error" in leaves:
            return "error"  # one bug of ours among them makes the whole verdict ours
        return "failed" if "failed" in leaves else "not_run" if "not_run" in leaves else "error"
    return "error"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[Any, Any, None]:
    """Judge one phase of a suite test where it ran; the result travels on the report.

    The outcome, message, repro and metrics are attached to the TestReport as plain data, so
    that they reach the process that writes the report the same way whether the test ran
    here or in a parallel worker (pytest-xdist ships reports, with their attributes, back).
    """
    if call.excinfo is not None and _feature_of(item) is not None:
        _redact_exception(call.excinfo.value, _context(item.config))
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    feature = _feature_of(item)
    if feature is None:
        return
    context = _context(item.config)
    update: dict[str, Any] = {
        "feature": feature,
        "duration_s": report.duration,
        "outcome": None,
        "message": "",
        "repro": "",
        "metrics": {},
        "traceback": "",
    }
    if report.when == "call":
        if context.target_started and context.target.streams:
            update["metrics"].update(stream_metrics(context.target.streams))
        update["metrics"].update(
            (name, float(value))
            for name, value in item.user_properties
            if isinstance(value, int | float) and not isinstance(value, bool)
        )
    report.oaiconform_result = update  # type: ignore[attr-defined]
    excinfo = call.excinfo
    if excinfo is None:
        if report.when == "call":  # only a call that ended makes a test pass
            update["outcome"] = "passed"
        return
    exc = excinfo.value
    outcome = judge_exception(exc)
    update["outcome"] = outcome
    if outcome in ("not_applicable", "not_implemented", "not_run"):
        update["message"] = str(getattr(exc, "msg", None) or exc)
        # The skip reason is what JUnit and the terminal show: say which kind of skip it is.
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            f"Skipped: {outcome.replace('_', ' ')}: {update['message']}",
        )
    elif outcome == "failed":
        report.longrepr = str(exc)  # the failures are the message; a traceback adds nothing
        update["message"] = str(exc)
        update["failures"] = [
            {**asdict(f), "impact": impact_of(f).value} for f in failures_of_exception(exc)
        ]
        _label_failures(report, update["failures"])
        if report.when != "call":
            update["message"] = f"in {report.when}: {exc}"
    else:  # error: the tool's own fault, reported with its traceback as a bug to file
        redact = Redactor(context.secrets()).text
        where = "" if report.when == "call" else f" (in {report.when})"
        update["message"] = redact(f"oaiconform error{where}: {excinfo.typename}: {exc}")
        update["traceback"] = redact(report.longreprtext)[-_TRACEBACK_CHARS:]
    if update["outcome"] == "failed" and context.target_started and context.target.exchanges:
        update["repro"] = context.target.curl(context.target.exchanges[-1])
        update["exchange"] = exchange_record(context.target.exchanges[-1])
        update["sdk"] = _replayed_through_sdk(context)
        _attach_exchange(context, update["exchange"], update["repro"])


def _attach_exchange(context: RunContext, record: dict[str, str], curl: str) -> None:
    """The failing test's last exchange in allure, redacted: request, response, curl."""
    redact = Redactor(context.secrets()).text
    texts = {
        "request": f"{record['request']}\n{record['request_headers']}\n\n{record['request_body']}",
        "response": f"HTTP {record['status']}\n{record['response_headers']}\n\n"
        f"{record['response_body']}",
        "curl (reproduce)": curl,
    }
    for name, text in texts.items():
        allure.attach(redact(text), name=name, attachment_type=allure.attachment_type.TEXT)


def _replayed_through_sdk(context: RunContext) -> list[dict[str, str]]:
    """What the official SDK does with the answers a failed test recorded (see sdk_replay);
    nothing without the SDK. A bug of the replay must not cost the test its verdict: it is
    recorded as such, never as the SDK's behaviour."""
    if sdk_version() is None:
        return []
    try:
        replays = replay_exchanges(context.target.exchanges, context.target.streams)
    except Exception as exc:
        return [{"outcome": "not_replayed", "detail": f"replay failed: {type(exc).__name__}"}]
    redact = Redactor(context.secrets()).text
    return [{k: redact(str(v)) for k, v in asdict(replay).items()} for replay in replays]


class ResultCollector:
    """Folds each phase's judgement into the run's results, in the process that reports.

    Registered once per session. In a parallel run it lives in the controller, which also
    hands each worker its share of the target and adds the workers' request counts back.
    """

    def __init__(self, context: RunContext) -> None:
        self.context = context

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        update = getattr(report, "oaiconform_result", None)
        if not isinstance(update, dict):
            return
        nodeid = report.nodeid
        result = self.context.results.get(nodeid)
        if result is None:  # passed only once its call phase has passed (see makereport)
            result = TestResult(nodeid, update["feature"], "not_run", message=DID_NOT_FINISH)
            self.context.results[nodeid] = result
        result.duration_s += float(update["duration_s"])
        if update["metrics"]:
            result.metrics = {**(result.metrics or {}), **update["metrics"]}
        # pytest-rerunfailures (--reruns) reports an attempt it will run again as "rerun"
        if str(report.outcome) == "rerun" and update["outcome"] == "failed":
            result.failed_attempts += 1
            if result.failed_attempts == 1:  # the first failure is the evidence of a flake
                result.failures, result.repro = update.get("failures") or [], update["repro"]
                result.sdk, result.message = update.get("sdk") or [], update["message"]
                result.exchange = update.get("exchange") or {}
            result.outcome = "failed"
            return
        if update["outcome"] == "passed" and result.failed_attempts:
            result.outcome, result.message = "flaky", self._flaky_message(result)
        elif update["outcome"]:
            result.outcome, result.message = update["outcome"], update["message"]
            if result.failed_attempts and update["outcome"] == "failed":
                attempts = result.failed_attempts + 1
                result.message = f"failed in each of {attempts} attempts; the last: " + str(
                    update["message"]
                )
        if update["repro"]:
            result.repro = update["repro"]
        if update.get("traceback"):
            result.traceback = update["traceback"]
        if update.get("failures"):
            result.failures = update["failures"]
        if update.get("sdk"):
            result.sdk = update["sdk"]
        if update.get("exchange"):
            result.exchange = update["exchange"]

    @staticmethod
    def _flaky_message(result: TestResult) -> str:
        """What a flaky test's first failed attempt met, and that a later one passed."""
        attempts = result.failed_attempts
        return (
            f"flaky: failed {attempts} time{'s' if attempts > 1 else ''}, then passed on "
            f"attempt {attempts + 1}; the failure: {result.message}"
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist, controller side: what worker `gwN` needs to test the same target."""
        index = int(str(node.workerinput["workerid"]).removeprefix("gw"))
        node.workerinput[HANDOFF_KEY] = self.context.worker_handoff(
            index, int(node.workerinput["workercount"])
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist, controller side: count the worker's requests in the run's budget, and the
        objects it created and removed in the run's ledger."""
        traffic = dict(getattr(node, "workeroutput", {}).get(HANDOFF_KEY) or {})
        objects = traffic.pop("objects", None)
        if isinstance(objects, dict):
            self.context.objects.absorb(objects)
        if traffic and self.context.target_started:
            self.context.target.budget.absorb(**traffic)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """The session saw the interrupt: the teardowns that follow (the run's cleanup) may send
    requests again (see interrupt.py)."""
    interrupt.acknowledge()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    context = session.config.stash.get(CONTEXT_KEY, None)
    ahead = session.config.stash.get(AHEAD_KEY, None)
    if ahead is not None and context is not None:
        ahead.finish(context)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a parallel worker: its controller writes the report
        if context is not None and context.target_started:
            budget = context.target.budget
            workeroutput[HANDOFF_KEY] = {
                "used": budget.used,
                "exhausted": budget.exhausted,
                "rate_limited_retries": budget.rate_limited_retries,
                "objects": context.objects.handoff(),
                "deadline_hit": budget.deadline_hit,
                "concurrency": budget.concurrency_info(),
                "latencies_s": budget.latencies_s,
            }
        return
    if context is None or not context.results or context.managed_by_cli:
        return
    report_dir = context.settings.report_dir
    if report_dir is not None:
        from oaiconform.report import build_report, write_reports

        write_reports(build_report(context), report_dir)


def _sweep_artifacts(config: pytest.Config, context: RunContext) -> None:
    """What allure's writer made (and pytest's JUnit writer, when a user's own pytest run asks
    for it), redacted once more as the run ends: they render exceptions, captured output and
    attachments we never see (see redact_files). `oaiconform run` writes its junit.xml from the
    report (report/junit_writer.py)."""
    paths: list[Path] = []
    junit = getattr(config.option, "xmlpath", None)
    allure_dir = getattr(config.option, "allure_report_dir", None)
    rerun = {n: r.message for n, r in context.results.items() if r.failed_attempts}
    if rerun and allure_dir:
        from oaiconform.report.reruns import mark_flaky_in_allure

        flaky = {n: m for n, m in rerun.items() if context.results[n].outcome == "flaky"}
        mark_flaky_in_allure(Path(allure_dir), flaky)
    if junit:
        paths.append(Path(junit))
    if allure_dir and Path(allure_dir).is_dir():
        paths += [p for p in Path(allure_dir).iterdir() if p.is_file()]
    redact_files(paths, Redactor(context.secrets()))


def pytest_unconfigure(config: pytest.Config) -> None:
    context = config.stash.get(CONTEXT_KEY, None)
    if context is not None and context.results and not hasattr(config, "workerinput"):
        _sweep_artifacts(config, context)  # the controller's: workers' files are all written
    if context is not None and not context.managed_by_cli:
        context.close()  # the CLI closes its own context, after it has written the report
