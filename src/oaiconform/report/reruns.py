"""Reruns (--reruns) as allure shows them, and the names JUnit and allure give a test.

allure-pytest keeps each attempt that pytest-rerunfailures reran as a result of its own,
without a flaky mark: once the run ends, a flaky test's last allure result gets allure's
`statusDetails.flaky`, from the run's own results. (junit.xml is written from the report,
one testcase per test: report/junit_writer.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path


def junit_name(nodeid: str) -> tuple[str, str]:
    """How pytest's JUnit writer names a test: "dir/test_x.py::test_y[p]" ->
    ("dir.test_x", "test_y[p]")."""
    names = nodeid.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    return ".".join(names[:-1]), names[-1]


def allure_name(nodeid: str) -> tuple[str, str]:
    """(fullName, name) as allure-pytest writes them for a module-level test (the suites have
    no classes): "dir.test_x#test_y", "test_y[p]"."""
    module, name = junit_name(nodeid)
    return f"{module}#{name.partition('[')[0]}", name


def mark_flaky_in_allure(results_dir: Path, notes: dict[str, str]) -> None:
    """Mark the last (passed) allure result of each flaky test (node id -> note) flaky."""
    if not notes or not results_dir.is_dir():
        return
    wanted = {allure_name(nodeid): note for nodeid, note in notes.items()}
    last: dict[tuple[str, str], tuple[int, Path, dict[str, object]]] = {}
    for path in results_dir.glob("*-result.json"):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = (str(result.get("fullName")), str(result.get("name")))
        stop = int(result.get("stop") or 0)
        if key in wanted and (key not in last or stop > last[key][0]):
            last[key] = (stop, path, result)
    for key, (_, path, result) in last.items():
        details = result.get("statusDetails")
        details = dict(details) if isinstance(details, dict) else {}
        details["flaky"] = True
        details.setdefault("message", wanted[key])
        result["statusDetails"] = details
        path.write_text(json.dumps(result), encoding="utf-8")
