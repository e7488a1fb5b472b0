"""Makes `pytest suites/ --target URL` work from a checkout, installed or not."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

if not entry_points(group="pytest11", name="oaiconform.plugin"):
    # Not installed: import the package from src/ and load its plugin by hand.
    sys.path.insert(0, str(Path(__file__).parent / "src"))
    pytest_plugins = ["oaiconform.plugin"]
