"""Reruns (--reruns) as JUnit and allure show them: one testcase per test, flaky said so.

pytest's JUnit writer adds an empty, passing-looking testcase for each attempt that
pytest-rerunfailures reran, and allure-pytest keeps each attempt as a result of its own without
a flaky mark. Both are put right once the run ends, from the run's own results: a test that was
rerun keeps its last testcase (with a note of the earlier attempts in `system-out`), and a flaky
test's last allure result gets allure's `statusDetails.flaky`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
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


def fold_reruns_in_junit(path: Path, notes: dict[str, str]) -> None:
    """Keep the last testcase of each rerun test (node id -> note), note appended."""
    if not notes or not path.is_file():
        return
    tree = ElementTree.parse(path)  # noqa: S314 (pytest wrote it during this run)
    wanted = {junit_name(nodeid): note for nodeid, note in notes.items()}
    for suite in tree.getroot().iter("testsuite"):
        cases: dict[tuple[str, str], list[ElementTree.Element]] = {}
        for case in suite.findall("testcase"):
            key = (case.get("classname", ""), case.get("name", ""))
            if key in wanted:
                cases.setdefault(key, []).append(case)
        for key, found in cases.items():
            *earlier, last = found
            for case in earlier:
                suite.remove(case)
            out = last.find("system-out")
            if out is None:
                out = ElementTree.SubElement(last, "system-out")
            out.text = f"oaiconform: {wanted[key]}\n{out.text or ''}".rstrip("\n")
    tree.write(path, encoding="utf-8", xml_declaration=True)


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
