"""Bytecode shipped inside the assets, because a Lambda function cannot write its own.

`/var/task` and `/opt` are read-only on Lambda, so a module without usable bytecode is compiled
from source at every cold start (measured here: boto3 from the dependency layer imports in
0.44 s without bytecode and 0.19 s with it). Bytecode checked against its source's timestamp
does not help: CDK zips every asset file with one fixed timestamp, so on AWS no timestamp
matches and Python compiles again. Unchecked-hash bytecode is used as it is; the asset is
immutable once deployed, and a changed source is a new asset with its own bytecode.

The code objects name the deployed path (``/var/task/...``, ``/opt/python/...``) rather than
the build directory, so the same source compiles to the same bytes on every machine (when a
module is loaded from its source directory, Python names the real path in tracebacks anyway).
"""

from __future__ import annotations

import compileall
import py_compile
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class BytecodeError(RuntimeError):
    """The asset's bytecode could not be built for the functions' Python."""


def runtime_python() -> str:
    """The functions' Python version (`.python-runtime`, e.g. ``3.13``)."""
    return (REPO_ROOT / ".python-runtime").read_text().strip()


def compile_tree(root: Path, deployed_at: str, *, parallel: bool = False) -> None:
    """Compile every module under `root` in place, as unchecked-hash bytecode for `deployed_at`.

    Bytecode is version specific: it is built only by the runtime's own Python (the one `make`
    puts in `.venv`), never by another that would ship bytecode the runtime ignores. `parallel`
    compiles on every core (worth it for the layer's thousands of modules, not for a function's).
    """
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != runtime_python():
        raise BytecodeError(
            f"the functions run Python {runtime_python()} but this synth runs {running}: "
            "synthesize with the project's .venv (`make synth`)"
        )
    compiled = compileall.compile_dir(
        root,
        ddir=deployed_at,
        quiet=2,
        workers=0 if parallel else 1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not compiled:
        raise BytecodeError(f"some modules under {root} do not compile")
