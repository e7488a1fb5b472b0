"""The one frozen settings object of a run, and how flags and the environment merge into it.

Configuration flows one way: CLI flags (or pytest options) and the environment are read once,
here, into `Settings`; the plugin, fixtures and tests only ever see that object.
"""

from __future__ import annotations

import os
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oaiconform.features import is_known
from oaiconform.profiles import DEFAULT_PROFILE

DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
DEFAULT_COMPLETION_MODEL = "gpt-3.5-turbo-instruct"
DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
DEFAULT_REMOTE_BUDGET = 500
DEFAULT_REMOTE_MAX_DURATION_S = 1800.0  # a run against a remote API ends within 30 minutes
DEFAULT_PROPERTY_EXAMPLES = 5
# compat by default: a gate that fails servers for differences their clients cope with (and the
# real API itself shows) is one people switch off; strict is one flag away.
VERDICTS = ("compat", "strict")
DEFAULT_VERDICT = "compat"
DEFAULT_PROPERTY_NEGATIVE_EXAMPLES = 3
# Requests in flight at once within one process (README, "Performance": measured with
# benchmarks/bench_latency.py). A remote API gets fewer: its rate limits, and its bill.
DEFAULT_LOOPBACK_CONCURRENCY = 8
DEFAULT_REMOTE_CONCURRENCY = 4


class SettingsError(ValueError):
    """A flag or variable with a value that cannot work; shown to the user, exit code 2."""


@dataclass(frozen=True)
class ConfigValues:
    """A configuration file's run values, keyed like the flags' values (config_file.py)."""

    path: Path
    values: Mapping[str, Any]


class Secret:
    """A credential. Its repr and str never show the value, so it cannot leak into a log."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    target_url: str | None = None  # None: start the embedded mock
    api_key_env: str = DEFAULT_API_KEY_ENV
    api_key: Secret | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    completion_model: str = DEFAULT_COMPLETION_MODEL
    moderation_model: str = DEFAULT_MODERATION_MODEL
    profile: str = DEFAULT_PROFILE
    features: tuple[str, ...] = ()  # empty: every feature of the profile
    spec: str | None = None  # --spec
    spec_env: str | None = None  # OAICONFORM_SPEC
    report_dir: Path | None = None
    seed: int = 0
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    budget_requests: int | None = None
    mock_faults: tuple[str, ...] = ()
    overlays: tuple[Path, ...] = ()  # vendor overlays, after the built-in ones
    second_api_key_env: str | None = None  # a second tenant's key, for tenancy.isolation
    second_api_key: Secret | None = field(default=None, repr=False)
    allow_expensive: bool = False  # schema.* may exercise images, audio, fine-tuning, admin...
    deterministic: bool = False  # the target answers the same request and seed the same way
    # Inference requests pin temperature 0 and a seed (pinning.py); off for models that accept
    # only the default temperature (OpenAI's reasoning models: o-series, gpt-5).
    pin_sampling: bool = True
    property_examples: int = DEFAULT_PROPERTY_EXAMPLES  # positive generated requests per operation
    property_negative_examples: int = DEFAULT_PROPERTY_NEGATIVE_EXAMPLES
    workers: int = 1  # parallel test processes (pytest-xdist); 1 runs in this process
    # Independent requests in flight at once within each process (--concurrency; 1: serial).
    concurrency: int = DEFAULT_LOOPBACK_CONCURRENCY
    # Streams of independent tests in flight together too (--concurrent-streams; opt-in).
    concurrent_streams: bool = False
    max_duration_s: float | None = None  # the run's time limit; None: none (loopback default)
    ca_bundle: str | None = None  # PEM file of the CAs trusted for an https target
    insecure: bool = False  # do not verify the https target's certificate
    # Which verdict sets the exit code: compat fails on what breaks clients or behaves wrongly,
    # strict on spec-literal differences too (both are in the report either way).
    verdict: str = DEFAULT_VERDICT
    # A test that failed is run again up to `reruns` times; one that then passes is `flaky`,
    # which fails the run only with `flaky_fails`.
    reruns: int = 0
    flaky_fails: bool = False
    # --last-failed: only the tests that failed or errored in the previous report of the
    # report directory (runner.py fills `only_tests` from it; empty: every selected test).
    last_failed: bool = False
    only_tests: tuple[str, ...] = ()
    # --baseline: known deviations that do not fail the run (report/baselined.py); with
    # baseline_strict, entries that no longer fail do.
    baseline: Path | None = None
    baseline_strict: bool = False
    # The configuration file the values came from (config_file.py) and the keys it set.
    config_file: str | None = None
    config_keys: tuple[str, ...] = ()
    # --via-proxy: the suites' traffic passes through a validating proxy in front of the
    # target, whose own verdicts are compared with the suites' (proxy/agreement.py).
    via_proxy: bool = False

    @property
    def embedded_mock(self) -> bool:
        return self.target_url is None

    def secrets(self) -> tuple[str, ...]:
        """Every credential value of the run, for redaction."""
        values = [k.reveal() for k in (self.api_key, self.second_api_key) if k]
        if self.target_url:
            password = urlsplit(self.target_url).password
            if password:
                values.append(password)
        return tuple(v for v in values if v)


def _float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: expected a number, got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{name}: must be positive, got {value!r}")
    return number


def _int(name: str, value: Any, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {value!r}")
    return number


def _workers(value: Any) -> int:
    if value is None:
        return 1
    if str(value).strip().lower() == "auto":
        return os.cpu_count() or 1
    return _int("--workers", value, minimum=1)


def _is_loopback(target_url: str) -> bool:
    host = urlsplit(target_url).hostname or ""
    return host.startswith("127.") or host in ("localhost", "::1")


def _concurrency(value: Any, target_url: str | None) -> int:
    if value is not None:
        return _int("--concurrency", value, minimum=1)
    if target_url is not None and not _is_loopback(target_url):
        return DEFAULT_REMOTE_CONCURRENCY
    return DEFAULT_LOOPBACK_CONCURRENCY


def _env_flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _ca_bundle(path: Any) -> str | None:
    """The --ca-bundle file, checked now: a bad file is a usage error, not a TLS failure later."""
    if not path:
        return None
    try:
        ssl.create_default_context(cafile=str(path))
    except FileNotFoundError:
        raise SettingsError(f"--ca-bundle: no such file: {path}") from None
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(
            f"--ca-bundle: {path} is not a readable PEM file of certificates ({exc})"
        ) from None
    return str(path)


def _max_duration(value: Any, target_url: str | None) -> float | None:
    if value is not None:
        return _float("--max-duration", value)
    if target_url is not None and not _is_loopback(target_url):
        return DEFAULT_REMOTE_MAX_DURATION_S  # a remote run is never left without an end
    return None


def _second_key(env_name: str | None, environ: Mapping[str, str]) -> Secret | None:
    if not env_name:
        return None
    value = environ.get(env_name)
    if not value:
        raise SettingsError(f"--second-api-key-env: the variable {env_name} is not set")
    return Secret(value)


def tcp_port(value: str) -> int:
    """An argparse type for --port: a port a socket can bind (0: any free one)."""
    import argparse

    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {port}")
    return port


def normalize_target_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"--target: expected a base URL such as http://127.0.0.1:8000/v1, got {url!r}"
        )
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError(f"--target: invalid port in {url!r}") from None
    return url.rstrip("/")


def _features(ids: Any) -> tuple[str, ...]:
    """--feature ids, each known: an unknown one would select nothing, and a run that checked
    nothing must not read as a pass."""
    unknown = [f for f in ids if not is_known(str(f))]
    if unknown:
        raise SettingsError(
            f"--feature: unknown feature id {unknown[0]!r} (`oaiconform profiles` lists them)"
        )
    return tuple(str(f) for f in ids)


def _verdict(value: str) -> str:
    if value not in VERDICTS:
        raise SettingsError(f"--verdict: expected one of {', '.join(VERDICTS)}, got {value!r}")
    return value


def _baseline(path: Any) -> Path | None:
    """The --baseline file, read now: a malformed one is a usage error before anything is sent."""
    if not path:
        return None
    from oaiconform.baseline import BaselineError, load_baseline

    try:
        load_baseline(Path(path))
    except BaselineError as exc:
        raise SettingsError(f"--baseline: {exc}") from None
    return Path(path)


def build_settings(
    values: Mapping[str, Any],
    environ: Mapping[str, str],
    config: ConfigValues | None = None,
) -> Settings:
    """Merge explicit values (flags; None means not given) over the environment, then the
    configuration file's values, then the defaults: flag > environment > file > default."""
    from_file: Mapping[str, Any] = config.values if config else {}

    def given(name: str) -> Any:
        value = values.get(name)
        return from_file.get(name) if value is None else value

    def given_or_env(name: str, variable: str) -> Any:
        return values.get(name) or environ.get(variable) or from_file.get(name)

    target = given_or_env("target", "OPENAI_BASE_URL") or None
    target_url = normalize_target_url(target) if target else None
    api_key_env = given("api_key_env") or DEFAULT_API_KEY_ENV
    key_value = environ.get(api_key_env)
    seed = given("seed")
    budget = given("budget_requests")
    if budget is None and target_url is not None and not _is_loopback(target_url):
        budget = DEFAULT_REMOTE_BUDGET  # a paid API is never hit without a bound
    return Settings(
        target_url=target_url,
        api_key_env=api_key_env,
        api_key=Secret(key_value) if key_value else None,
        model=given("model") or DEFAULT_MODEL,
        embedding_model=given("embedding_model") or DEFAULT_EMBEDDING_MODEL,
        completion_model=given("completion_model") or DEFAULT_COMPLETION_MODEL,
        moderation_model=given("moderation_model") or DEFAULT_MODERATION_MODEL,
        profile=given("profile") or DEFAULT_PROFILE,
        features=_features(given("features") or ()),
        # OAICONFORM_SPEC (spec_env) outranks a file's spec, as every variable outranks it.
        spec=values.get("spec")
        or (None if environ.get("OAICONFORM_SPEC") else from_file.get("spec")),
        spec_env=environ.get("OAICONFORM_SPEC") or None,
        report_dir=Path(given("report_dir")) if given("report_dir") else None,
        seed=_int("--seed", seed) if seed is not None else random.randrange(2**32),
        timeout_s=_float("--timeout", given("timeout") or DEFAULT_TIMEOUT_S),
        max_response_bytes=_int(
            "--max-response-bytes",
            given("max_response_bytes") or DEFAULT_MAX_RESPONSE_BYTES,
            minimum=1,
        ),
        budget_requests=_int("--budget-requests", budget, minimum=1)
        if budget is not None
        else None,
        mock_faults=tuple(given("mock_faults") or ()),
        overlays=tuple(Path(p) for p in given("overlays") or ()),
        second_api_key_env=given("second_api_key_env"),
        second_api_key=_second_key(given("second_api_key_env"), environ),
        allow_expensive=bool(given("allow_expensive")),
        deterministic=bool(given("deterministic")),
        pin_sampling=not given("no_pinning"),
        property_examples=_int(
            "--property-examples",
            given("property_examples")
            if given("property_examples") is not None
            else DEFAULT_PROPERTY_EXAMPLES,
        ),
        property_negative_examples=_int(
            "--property-negative-examples",
            given("property_negative_examples")
            if given("property_negative_examples") is not None
            else DEFAULT_PROPERTY_NEGATIVE_EXAMPLES,
        ),
        workers=_workers(given("workers")),
        concurrency=_concurrency(
            given("concurrency") or environ.get("OAICONFORM_CONCURRENCY") or None, target_url
        ),
        concurrent_streams=bool(given("concurrent_streams"))
        or _env_flag(environ.get("OAICONFORM_CONCURRENT_STREAMS")),
        max_duration_s=_max_duration(given("max_duration"), target_url),
        ca_bundle=_ca_bundle(given("ca_bundle")),
        insecure=bool(given("insecure")),
        verdict=_verdict(given_or_env("verdict", "OAICONFORM_VERDICT") or DEFAULT_VERDICT),
        reruns=_int("--reruns", given("reruns") if given("reruns") is not None else 0),
        flaky_fails=bool(given("flaky_fails")),
        last_failed=bool(given("last_failed")),
        baseline=_baseline(given("baseline")),
        baseline_strict=bool(given("baseline_strict")),
        config_file=str(config.path) if config else None,
        config_keys=tuple(sorted(from_file)) if config else (),
        via_proxy=bool(given("via_proxy")),
    )


_SECRETS = ("api_key", "second_api_key")
_PATHS = ("report_dir", "baseline")
_TUPLES = ("features", "mock_faults", "overlays", "only_tests", "config_keys")


def settings_to_handoff(settings: Settings) -> dict[str, Any]:
    """The settings as plain data, for a parallel worker process (never written anywhere)."""
    data: dict[str, Any] = {}
    for spec in fields(Settings):
        value = getattr(settings, spec.name)
        if isinstance(value, Secret):
            value = value.reveal()
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = [str(v) for v in value]
        data[spec.name] = value
    return data


def settings_from_handoff(data: Mapping[str, Any]) -> Settings:
    """The worker's side of `settings_to_handoff`: the same frozen settings, rebuilt."""
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        value = data[spec.name]
        if spec.name in _SECRETS:
            value = Secret(value) if value is not None else None
        elif spec.name in _PATHS:
            value = Path(value) if value is not None else None
        elif spec.name == "overlays":
            value = tuple(Path(v) for v in value)
        elif spec.name in _TUPLES:
            value = tuple(value)
        values[spec.name] = value
    return Settings(**values)
