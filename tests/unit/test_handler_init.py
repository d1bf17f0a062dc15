"""A handler module's import (a Lambda's init) builds the handler and nothing that needs AWS.

Why: a cold start is init plus the first call, and `make bench` measures it whole (README,
"Cold start"): a handler imports its models and adapters at the top, where a reader expects
them. What must stay out of init is what depends on the invocation's world: reading the
function's settings (tests and the local runtime give them per invocation) and creating AWS
clients (one per service, created at first use, so tests can replace a factory before it is
ever called). An import that does either fails here, in a fresh interpreter with no settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = REPO_ROOT / "lambdas"
HANDLER_MODULES = sorted(
    ".".join(path.relative_to(LAMBDAS).with_suffix("").parts)
    for path in LAMBDAS.glob("*/*handler*.py")
    if "tests" not in path.parts
)

_PROBE = """
import json, sys
import botocore.client

created = []
original = botocore.client.BaseClient.__init__

def noting(client, *args, **kwargs):
    if type(client).__name__ != "XRay":  # the Tracer's own sampling client (Powertools, at init)
        created.append(type(client).__name__)
    original(client, *args, **kwargs)

botocore.client.BaseClient.__init__ = noting
report = {}
for module in sys.argv[1:]:
    __import__(module)
    report[module] = {"clients": list(created)}
    created.clear()
print(json.dumps(report))
"""


def test_every_handler_imports_without_settings_and_creates_no_client() -> None:
    # When each handler module is imported in turn, in a fresh interpreter with no function
    # settings at all (no table names, no endpoints), as Lambda's init would without them
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *HANDLER_MODULES],
        cwd=LAMBDAS,
        capture_output=True,
        text=True,
        check=False,
        env={"AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])

    # Then each one imported, and none created an AWS client on the way
    assert list(report) == HANDLER_MODULES
    assert {module: entry["clients"] for module, entry in report.items() if entry["clients"]} == {}
