"""What the README shows runs: the demo exits 0, and its Python example works as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from demo.platform import main as demo_main

pytestmark = pytest.mark.workflow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_demo_succeeds_on_the_embedded_runtime(
    assembly_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = demo_main(["--assembly", str(assembly_dir)])
    output = capsys.readouterr().out
    assert exit_code == 0, output
    assert "Demo OK" in output
    assert output.count("bus:     OrderPlaced, OrderConfirmed") == 2
    assert output.count("bus:     OrderPlaced, OrderCancelled") == 1
    # and it ends with the service level figures of its own run, every one emitted and met
    figures = output.split("== Service level figures of this run")[1]
    for metric in ("OutboxLag", "OutboxOldestPendingAge", "SagaCompletionTime", "OrdersParked"):
        assert metric in figures
    assert "ClaimResolveTime" in figures and "NotificationDelay" in figures
    assert "not emitted" not in figures and "MISSED" not in figures


def test_the_readme_python_example_runs(assembly_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README must show how to drive the app from Python"
    monkeypatch.chdir(assembly_dir.parent)
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})


def test_the_readme_snippets_import_from_any_directory(tmp_path: Path) -> None:
    # Saved outside the checkout and run with the venv's Python, a README snippet finds the
    # runtime, the demo's parties and the task packages (the venv holds the project, editable)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # Found, not executed (moto's import alone takes seconds): what a snippet's imports resolve to
    modules = ["local_runtime", "demo.payment_provider", "order_store.models", "workflows.constants"]
    imports = f"import importlib.util as u; assert all(u.find_spec(m) for m in {modules!r})"
    done = subprocess.run(
        [sys.executable, "-c", imports], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
