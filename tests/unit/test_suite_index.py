"""The suite index (which modules a run collects) agrees with what pytest really collects."""

from __future__ import annotations

import contextlib
import io
import os
from collections import defaultdict
from pathlib import Path

import pytest

from oaiconform._resources import suites_dir
from oaiconform.context import RunContext
from oaiconform.plugin import ContextProvider
from oaiconform.runner import suite_args
from oaiconform.settings import build_settings
from oaiconform.suite_index import read_suite_module, suite_modules_for


def _collected_by_module() -> dict[str, set[str]]:
    """Every shipped suite module's features, as pytest collects them (full profile)."""
    env = {"OAICONFORM_SPEC": os.environ.get("OAICONFORM_SPEC", "")}
    context = RunContext(build_settings({"profile": "full", "seed": "1"}, env))
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(
            [*suite_args(), "--collect-only", "-q"], plugins=[ContextProvider(context)]
        )
    assert code == pytest.ExitCode.OK
    modules: dict[str, set[str]] = defaultdict(set)
    for feature, nodeids in context.collected.items():
        for nodeid in nodeids:
            modules[nodeid.split("::")[0]].add(feature)
    return modules


def test_the_index_reads_every_shipped_suite_module_as_pytest_collects_it() -> None:
    collected = _collected_by_module()
    for path in sorted(suites_dir().glob("test_*.py")):
        module = read_suite_module(path)
        assert module.readable, f"{path.name}: a feature(...) the index cannot read"
        features = collected[path.name]
        literal = {f for f in features if not f.startswith(tuple(module.families))}
        assert literal == set(module.features), path.name
        assert module.declares_any(features) or not features, path.name


def test_a_run_of_some_features_collects_only_their_modules() -> None:
    suites = suites_dir()
    names = {p.name for p in suite_modules_for(suites, ["schema.listModels", "pagination.files"])}
    assert names == {"test_schema.py", "test_pagination.py"}
    assert len(suite_modules_for(suites, ["models.list"])) == 1


def test_a_module_the_index_cannot_read_is_always_collected(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text('@pytest.mark.feature("models.list")\ndef test(): ...\n')
    (tmp_path / "test_b.py").write_text("@pytest.mark.feature(FEATURE_ID)\ndef test(): ...\n")
    (tmp_path / "test_c.py").write_text('@pytest.mark.feature(f"schema.{op}")\ndef test(): ...\n')
    chosen = {p.name for p in suite_modules_for(tmp_path, ["schema.createFile"])}
    assert chosen == {"test_b.py", "test_c.py"}
    assert not read_suite_module(tmp_path / "test_b.py").readable
