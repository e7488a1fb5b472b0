"""What a run shares between the CLI, the pytest plugin and the fixtures.

Built once from Settings; holds the lazily loaded spec, the embedded mock (if any), the Target
and the per-test results the report is made from. The CLI prepares it before pytest starts
(so errors become exit codes 2 and 3); a plain `pytest suites/` run prepares it on first use.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oaiconform import route_probe
from oaiconform.baseline import BaselineEntry, load_baseline
from oaiconform.cleanup import ObjectLedger, activate, make_run_id
from oaiconform.profiles import Profile, load_profile
from oaiconform.settings import Secret, Settings, settings_from_handoff, settings_to_handoff
from oaiconform.spec import Spec, SpecSource, load_spec, resolve_spec_source
from oaiconform.target import RequestBudget, Target

if TYPE_CHECKING:  # the mock is imported only by runs that start it
    from oaiconform.mock import MockServer
    from oaiconform.proxy.server import ValidatingProxy


@dataclass
class TestResult:
    nodeid: str
    feature: str
    # passed | failed | flaky | error | not_implemented | not_applicable | not_run
    outcome: str = "not_run"
    duration_s: float = 0.0
    message: str = ""
    repro: str = ""
    metrics: dict[str, float] | None = None  # e.g. stream timings (first event, gaps)
    traceback: str = ""  # outcome error: where the tool itself broke (redacted)
    # outcome failed: the typed failures (Failure fields as plain data, redacted), and what
    # the official SDK did with the test's recorded answers (sdk_replay.SdkReplay as data)
    failures: list[dict[str, str]] = field(default_factory=list)
    sdk: list[dict[str, str]] = field(default_factory=list)
    # --reruns: the attempts that failed before the last one; a test that failed and then
    # passed is `flaky` (its failures and message are the failed attempt's).
    failed_attempts: int = 0
    # outcome failed: the last exchange as text (exchange.exchange_record), for report.html
    exchange: dict[str, str] = field(default_factory=dict)


@dataclass
class RunContext:
    settings: Settings
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    started_monotonic: float = field(default_factory=time.monotonic)
    results: dict[str, TestResult] = field(default_factory=dict)
    collected: dict[str, list[str]] = field(default_factory=dict)  # feature -> test node ids
    not_applicable: dict[str, str] = field(default_factory=dict)  # test node id -> why not
    error: str | None = None  # a run-level error the report must carry (e.g. unreachable)
    interrupted: bool = False  # Ctrl-C: tests collected but not run are reported as such
    managed_by_cli: bool = False  # the CLI writes the report and closes the context itself
    _profile_definition: Profile | None = None
    _profile: Profile | None = None
    _source: SpecSource | None = None
    _spec: Spec | None = None
    _target: Target | None = None
    _mock: MockServer | None = None
    proxy: ValidatingProxy | None = None  # --via-proxy: in front of the target, this process's
    _mock_key: Secret | None = None
    _mock_second_key: Secret | None = None
    _worker_keys: tuple[Secret, ...] = ()  # the embedded mock's tenant per parallel worker
    _worker_count: int = 0  # workers xdist announced before the target started
    _attached: dict[str, Any] | None = None  # a worker's share of the controller's target
    _baseline: tuple[BaselineEntry, ...] | None = None
    # What the run created on the target (see cleanup.py); its id tags every such object.
    objects: ObjectLedger = field(init=False)

    def __post_init__(self) -> None:
        self.objects = ObjectLedger(make_run_id(self.settings.seed, self.started_at))
        activate(self.objects)

    @property
    def baseline(self) -> tuple[BaselineEntry, ...] | None:
        """The --baseline entries (checked when the settings were built), None without one."""
        if self.settings.baseline is None:
            return None
        if self._baseline is None:
            self._baseline = load_baseline(self.settings.baseline)
        return self._baseline

    @property
    def run_id(self) -> str:
        return self.objects.run_id

    @classmethod
    def for_worker(cls, handoff: dict[str, Any]) -> RunContext:
        """A parallel worker's context: the controller's settings and target, never a mock."""
        context = cls(settings_from_handoff(handoff["settings"]), managed_by_cli=True)
        context._attached = handoff["target"]
        context.objects.run_id = handoff.get("run_id") or context.run_id  # one id for the run
        return context

    def worker_handoff(self, index: int, count: int) -> dict[str, Any]:
        """What worker `index` of `count` needs: settings, target, key and budget share.

        On the embedded mock each worker is its own tenant (its own key), so suites that walk
        a collection never see another worker's objects; a remote target is shared as it is.
        The request budget left is split between the workers, so the run's cap still holds.
        """
        if not self.target_started:  # plain `pytest suites/ -n N`: the mock starts here
            self._worker_count = count
        target = self.target
        budget = target.budget
        share: int | None = None
        if budget.limit is not None:
            left = max(0, budget.limit - budget.used)
            share = left // count + (1 if index < left % count else 0)
        if self._mock is not None:
            key = self._worker_keys[index] if index < len(self._worker_keys) else self._mock_key
            base_url: str | None = self._mock.base_url
        else:
            key, base_url = self.settings.api_key, self.settings.target_url
        second = self._mock_second_key
        return {
            "settings": settings_to_handoff(self.settings),
            "run_id": self.run_id,
            "target": {
                "base_url": base_url,
                "api_key": key.reveal() if key else None,
                "second_api_key": second.reveal() if second else None,
                "embedded_mock": target.embedded_mock,
                "budget_limit": share,
                "seconds_left": budget.seconds_left(),
            },
        }

    @property
    def profile_definition(self) -> Profile:
        """The profile as written (no spec needed): enough to report a run that never started."""
        if self._profile_definition is None:
            self._profile_definition = load_profile(self.settings.profile)
        return self._profile_definition

    @property
    def profile(self) -> Profile:
        """The profile with its operation tags resolved against the loaded description."""
        if self._profile is None:
            tags = {
                op_id: tuple(op.raw.get("tags") or ()) for op_id, op in self.spec.operations.items()
            }
            self._profile = self.profile_definition.resolve(tags)
        return self._profile

    @property
    def spec_source(self) -> SpecSource:
        if self._source is None:
            self._source = resolve_spec_source(self.settings.spec, env_value=self.settings.spec_env)
        return self._source

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            self._spec = load_spec(self.spec_source, self.settings.overlays)
        return self._spec

    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = self._start_target()
            route_probe.activate(self._target)
        return self._target

    @property
    def target_started(self) -> bool:
        return self._target is not None

    @property
    def mock_key(self) -> str | None:
        return self._mock_key.reveal() if self._mock_key else None

    @property
    def second_api_key(self) -> Secret | None:
        """The second tenant's key: the configured one, or the embedded mock's second key."""
        return self.settings.second_api_key or self._mock_second_key

    def secrets(self) -> tuple[str, ...]:
        keys = (self._mock_key, self._mock_second_key, *self._worker_keys)
        return self.settings.secrets() + tuple(k.reveal() for k in keys if k)

    def _start_target(self) -> Target:
        settings = self.settings
        api_key = settings.api_key
        base_url = settings.target_url
        budget_limit = settings.budget_requests
        seconds_left = (
            None
            if settings.max_duration_s is None
            else settings.max_duration_s - self.duration_s  # the run started before the target
        )
        embedded_mock = settings.embedded_mock
        attached = self._attached
        if attached is not None:
            base_url, budget_limit = attached["base_url"], attached["budget_limit"]
            seconds_left = attached.get("seconds_left")
            embedded_mock = attached["embedded_mock"]
            api_key = Secret(attached["api_key"]) if attached["api_key"] else None
            if embedded_mock:
                self._mock_key = api_key
                second = attached["second_api_key"]
                self._mock_second_key = Secret(second) if second else None
        elif base_url is None:
            from oaiconform.mock import MockConfig, MockServer

            # A per-run key: a real OPENAI_API_KEY in the environment never goes to the mock.
            self._mock_key = Secret(f"sk-mock-{secrets.token_hex(12)}")
            self._mock_second_key = Secret(f"sk-mock-second-{secrets.token_hex(12)}")
            workers = max(settings.workers, self._worker_count)
            if workers > 1:
                self._worker_keys = tuple(
                    Secret(f"sk-mock-worker{i}-{secrets.token_hex(12)}") for i in range(workers)
                )
            api_key = self._mock_key
            models = (
                settings.model,
                settings.embedding_model,
                settings.completion_model,
                settings.moderation_model,
            )
            config = MockConfig(
                api_keys=tuple(
                    k.reveal() for k in (self._mock_key, self._mock_second_key, *self._worker_keys)
                ),
                models=tuple(dict.fromkeys((*MockConfig().models, *models))),
                seed=settings.seed,
                faults=settings.mock_faults,
            )
            self._mock = MockServer(config, self.spec).start()
            base_url = self._mock.base_url
        if settings.via_proxy and attached is None:
            from oaiconform.proxy.server import ValidatingProxy

            report_dir = (settings.report_dir or Path("reports")).resolve() / "proxy"
            self.proxy = ValidatingProxy(base_url, self.spec, report_dir=report_dir).start()
            base_url = self.proxy.base_url
        second = self.second_api_key
        return Target(
            base_url,
            api_key=api_key,
            api_key_env=settings.api_key_env,
            named_keys={second.reveal(): settings.second_api_key_env or "SECOND_API_KEY"}
            if second
            else None,
            timeout_s=settings.timeout_s,
            max_response_bytes=settings.max_response_bytes,
            budget=RequestBudget(
                budget_limit, settings.max_duration_s, seconds_left, settings.concurrency
            ),
            embedded_mock=embedded_mock,
            deterministic=embedded_mock or settings.deterministic,
            ca_bundle=settings.ca_bundle,
            insecure=settings.insecure,
            # The embedded mock never cuts a stream for another request: its streams may fly.
            concurrent_streams=settings.concurrent_streams or embedded_mock,
        )

    def close(self) -> None:
        if self._target is not None:
            self._target.close()
        if self.proxy is not None:  # before the mock: it writes its reports as it stops
            self.proxy.stop()
            self.proxy = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def check_faults(self) -> None:
        """Refuse unknown fault names before anything starts (UnknownFaultError, a ValueError).

        The mock is imported only here and when it starts: a run against a remote target
        never pays for importing it.
        """
        if self.settings.mock_faults:
            from oaiconform.mock import resolve_faults

            resolve_faults(self.settings.mock_faults)

    @property
    def duration_s(self) -> float:
        return time.monotonic() - self.started_monotonic

    def target_info(self) -> dict[str, Any]:
        tls = {"insecure": self.settings.insecure, "ca_bundle": self.settings.ca_bundle}
        if self._target is not None:
            return {
                "base_url": self._target.display_url,
                "embedded_mock": self._target.embedded_mock,
                **tls,
                # How the target answered routes that cannot exist: the evidence by which a
                # 404 was read as "no such endpoint" or "no such object" (this process's).
                "route_miss": route_probe.route_misses(self._target).evidence(),
            }
        return {
            "base_url": self.settings.target_url,
            "embedded_mock": self.settings.embedded_mock,
            **tls,
        }
