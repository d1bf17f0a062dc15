"""Shared fixtures: a fresh cloud assembly and the app brought up on the embedded runtime.

The workflow tier runs the very assembly `cdk deploy` would deploy; if a source
file is newer than `cdk.out`, it is synthesized again with the pinned CDK CLI
before any test reads it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_runtime.gc_policy import collect_less_often

# No test may reach a real AWS account, whatever the developer's shell holds.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
)
os.environ.pop("AWS_PROFILE", None)

# Each test process runs hundreds of apps: collect garbage as every runtime process does.
collect_less_often()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A parallel worker ends here, once it has reported (its results went to the controller
    at session finish, and pytest's last collection of garbage, which prints any exception a
    finalizer raised, has run): the interpreter's own teardown would free, object by object, a
    heap of hundreds of apps that the process's exit gives back at once. The controller waits
    for every worker to end before it prints its summary, and that teardown kept it waiting
    ~2.7 s of every run. A run without workers ends as usual."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


REPO_ROOT = Path(__file__).resolve().parent.parent
ASSEMBLY_DIR = REPO_ROOT / "cdk.out"
_SOURCES = ("app.py", "cdk.json", "workflows", "lambdas", "asl")


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in _SOURCES:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        files = [f for f in files if "__pycache__" not in f.parts]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


@pytest.fixture(scope="session")
def assembly_dir() -> Path:
    """The assembly, synthesized first if stale; with parallel workers (pytest -n), one worker
    synthesizes while the others wait on the lock and then find it fresh."""
    ASSEMBLY_DIR.mkdir(exist_ok=True)
    with open(REPO_ROOT / ".synth.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _synthesize_if_stale()
    return ASSEMBLY_DIR


def _synthesize_if_stale() -> None:
    manifest = ASSEMBLY_DIR / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        subprocess.run(
            ["npx", "cdk", "synth", "--quiet"],
            cwd=REPO_ROOT,
            check=True,
            env={
                **os.environ,
                "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            },
            stdout=subprocess.DEVNULL,
        )


@pytest.fixture(scope="session")
def sample_order() -> dict[str, Any]:
    order: dict[str, Any] = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    return order


# The longest single tests start first: with one worker per core, the many short tests then fill
# in around them, instead of one worker running a 15-second test alone at the end of the suite.
_LONGEST_FIRST = (
    "tests/workflow/test_local_endpoint.py::test_make_serve_runs_the_readme_session",
    "tests/workflow/test_local_endpoint.py::test_a_user_session_against_the_local_endpoint",
    "tests/workflow/test_order_saga_properties.py",
    "tests/workflow/test_virtual_time.py::test_a_burst_of_orders",
    "tests/workflow/test_transient_faults.py::test_one_transient_fault",
    "tests/workflow/test_burst_under_faults.py",
    "tests/infra/test_infra_foundation.py",
    "tests/infra/test_infra_cfn_lint.py",
    "tests/workflow/test_demo_and_readme.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next(
            (n for n, prefix in enumerate(_LONGEST_FIRST) if item.nodeid.startswith(prefix)),
            len(_LONGEST_FIRST),
        )

    items.sort(key=rank)  # stable: every other test keeps its place
