"""A handler module's import (a Lambda's init) loads Powertools and the shell, not the domain.

Why: pydantic and the models built on it are most of a handler's import time (about 45 ms of
the 70 ms a handler added to `import boto3`). The issue's budget is 1.5x `import boto3`, so a
handler imports its models, schemas and adapters inside the invocation (README, "Cold start");
`make bench` measures both figures. This test keeps the structure: one eager import of a model
module in any handler brings pydantic back into every cold start of that function.
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
    for path in LAMBDAS.glob("*/*handler.py")
    if "tests" not in path.parts
)

_PROBE = """
import json, sys
loaded = {}
for module in sys.argv[1:]:
    __import__(module)
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
    loaded[module] = heavy[:3]
print(json.dumps(loaded))
"""


def test_no_handler_imports_pydantic_at_init() -> None:
    # When each handler module is imported in turn, in a fresh interpreter, as Lambda's init does
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *HANDLER_MODULES],
        cwd=LAMBDAS,
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""},
    )
    loaded = json.loads(run.stdout.strip().splitlines()[-1])

    # Then none of them brought pydantic in (the first that does is named)
    assert list(loaded) == HANDLER_MODULES
    offenders = [module for module, heavy in loaded.items() if heavy]
    assert not offenders, f"{offenders[0]} imports {loaded[offenders[0]]} at init"
