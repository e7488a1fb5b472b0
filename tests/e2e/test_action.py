"""The composite GitHub Action (action.yml), run in a local simulation of its steps.

Each `run:` step is executed by bash as the runner would: the step's `env:` with the
`${{ inputs.* }}`, `${{ github.action_path }}` and `${{ steps.*.outputs.* }}` expressions
resolved, and $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY as files. Steps that `uses:` another action
(setup-python, upload-artifact) are checked for what they are given, not run; the install step
is not run either (the tool under test is installed already), only checked to install the
action's own checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import StartMock

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-action-secret-0123456789"
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _action() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return document


def _resolve(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        scope, _, name = match.group(1).partition(".")
        if scope == "inputs":
            return inputs[name]
        if scope == "github" and name == "action_path":
            return str(ROOT)
        if scope == "steps":
            step, _, key = name.partition(".outputs.")
            return outputs.get(step, {}).get(key, "")
        raise AssertionError(f"the simulation does not know ${{{{ {match.group(1)} }}}}")

    return _EXPRESSION.sub(value, text)


def simulate(given: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Run the action's steps; what the summary, the outputs and each step ended with."""
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs.update(given)
    summary, output = workdir / "summary.md", workdir / "output.txt"
    summary.write_text("")
    outputs: dict[str, dict[str, str]] = {}
    uses: dict[str, dict[str, str]] = {}
    codes: dict[str, int] = {}
    bindir = Path(sys.executable).parent
    for step in action["runs"]["steps"]:
        if "uses" in step:
            uses[step["id"]] = {
                k: _resolve(str(v), inputs, outputs) for k, v in step["with"].items()
            }
            continue
        assert "${{" not in step["run"], f"step {step['id']}: an expression in the script text"
        if step["id"] == "install":
            assert 'pip install --quiet "$ACTION_PATH"' in step["run"]
            continue
        output.write_text("")
        env = {k: _resolve(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "-c", step["run"]],
            env={
                **os.environ,
                "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "vendor/server",
                "GITHUB_RUN_ID": "42",
                **env,
            },
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        codes[step["id"]] = done.returncode
        outputs[step["id"]] = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        (workdir / f"{step['id']}.log").write_text(done.stdout + done.stderr)
    return {"summary": summary.read_text(), "outputs": outputs, "uses": uses, "codes": codes}


def test_the_action_runs_the_tool_writes_the_summary_and_fails_the_step(
    tmp_path: Path, start_mock: StartMock
) -> None:
    mock = start_mock("flat-errors", api_keys=(SECRET,))
    result = simulate(
        {
            "target": mock.base_url,
            "api-key": SECRET,
            "profile": "chat",
            "args": "--feature errors.envelope --feature models.list --seed 5",
        },
        tmp_path,
    )
    assert result["outputs"]["run"]["exit-code"] == "1"
    assert result["codes"] == {"run": 0, "gate": 1}  # the summary is written, then the gate
    summary = result["summary"]
    assert summary.startswith("## oaiconform: ❌ FAIL (compat, exit code 1)")
    assert "errors.error_envelope@error" in summary
    assert "[the run's artifacts](https://github.com/vendor/server/actions/runs/42)" in summary
    assert result["uses"]["upload"]["path"] == "oaiconform-reports"
    assert (tmp_path / "oaiconform-reports" / "report.json").is_file()
    assert f"::add-mask::{SECRET}" in (tmp_path / "run.log").read_text()  # the runner masks it
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "run.log"]
    assert [p for p in written if SECRET.encode() in p.read_bytes()] == []


def test_a_baseline_given_to_the_action_lets_known_deviations_pass(
    tmp_path: Path, start_mock: StartMock
) -> None:
    mock = start_mock("flat-errors", api_keys=(SECRET,))
    (tmp_path / "known.yaml").write_text(
        "- problem: errors.error_envelope@error\n  reason: the gateway flattens errors\n"
    )
    result = simulate(
        {
            "target": mock.base_url,
            "api-key": SECRET,
            "baseline": "known.yaml",
            "args": "--feature errors.envelope --seed 5",
        },
        tmp_path,
    )
    assert result["codes"] == {"run": 0, "gate": 0}
    assert "known (baseline): the gateway flattens errors" in result["summary"]
