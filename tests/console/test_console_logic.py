"""The console's logic (reading a history, drawing a definition) under Node's own test runner: the
browser tests show it on screen; these pin each rule without a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_the_console_logic_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("no node: the project's Node (cdk, asl-validator) runs these too")
    run = subprocess.run(
        [node, "--test", str(CONSOLE / "tests")], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    passed = re.search(r"^# pass (\d+)$", run.stdout, re.MULTILINE)
    assert "# fail 0" in run.stdout and passed and int(passed.group(1)) >= 4
