"""The mock driven by the official Node SDK (npm `openai`), when node and the package are here.

The package is not a dependency of this project: install it anywhere (`npm install openai
--prefix DIR`) and point `OAICONFORM_NODE_MODULES` at `DIR/node_modules`; without node or the
package the test is skipped, saying which is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from oaiconform.mock import MockServer
from tests.conftest import TEST_KEY

SCENARIO = Path(__file__).parent / "node" / "scenario.mjs"


def _node_modules() -> Path:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Node SDK scenario needs it")
    modules = Path(os.environ.get("OAICONFORM_NODE_MODULES", "node_modules"))
    if not (modules / "openai" / "package.json").is_file():
        pytest.skip(
            f"the npm package openai is not in {modules} (npm install openai --prefix DIR; "
            "OAICONFORM_NODE_MODULES=DIR/node_modules)"
        )
    return modules


def test_the_node_sdk_drives_chat_stream_tools_embeddings_files_and_responses(
    correct_mock: MockServer, tmp_path: Path
) -> None:
    modules = _node_modules()
    # ESM resolves packages from the script's directory upwards, not NODE_PATH: run a copy
    # beside a link to the modules.
    (tmp_path / "node_modules").symlink_to(modules.resolve())
    script = tmp_path / SCENARIO.name
    script.write_text(SCENARIO.read_text())
    done = subprocess.run(
        ["node", str(script), correct_mock.base_url, TEST_KEY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["chat"]["content"] and seen["chat"]["finish"] == "stop"
    assert seen["stream"]["joined"] == seen["stream"]["plain"]
    assert seen["streamHelper"]["content"]
    assert seen["tools"]["name"] == "get_weather" and isinstance(
        seen["tools"]["arguments"]["city"], str
    )
    assert seen["embeddings"] == {"length": 1536, "same": True}
    files = seen["files"]
    assert [i for i in files["asc"] if i in files["ids"]] == files["ids"]
    assert files["content"] == "note 1"
    responses = seen["responses"]
    assert responses["status"] == "completed" and responses["streamed"] == responses["text"]
    assert seen["error"] == {"name": "NotFoundError", "status": 404, "code": "model_not_found"}
