"""A function's code asset: its packages from `lambdas/`, with their bytecode, nothing else.

A function ships its own package, the workflow packages it declares in
`LAMBDA_PACKAGE_DEPENDENCIES` and the shared packages; never its neighbours' code, tests or
local caches (code it never runs, and the local runtime imports from these same directories).
The selection is copied into `.function-code-cache/<package>-<hash>/` and compiled there
(`workflows/bytecode.py`: Lambda cannot write bytecode, so a function without it compiles its
modules at every cold start). The hash covers every selected file and the Python version, so a
repeated synth costs one read of the sources, and each package keeps only its newest build.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workflows import constants as c
from workflows.bytecode import compile_tree, runtime_python

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCE_ROOT = REPO_ROOT / c.LAMBDA_SOURCE_DIR
CACHE_ROOT = REPO_ROOT / ".function-code-cache"
DEPLOYED_AT = "/var/task"
"""Where Lambda unpacks a function's code: the path its bytecode names."""


def asset_packages(package: str) -> tuple[str, ...]:
    """The top-level packages a function of `package` ships, in order, without repeats.

    Its own package, the workflow packages it declares in `LAMBDA_PACKAGE_DEPENDENCIES`, and
    the shared packages every function ships.
    """
    declared = c.LAMBDA_PACKAGE_DEPENDENCIES.get(package, ())
    return tuple(dict.fromkeys((package, *declared, *c.LAMBDA_SHARED_PACKAGES)))


def _shipped(relative: Path) -> bool:
    """Source that runs: no caches, no tests, no hidden files."""
    parts = relative.parts
    return not any(p in {"__pycache__", "tests"} or p.startswith(".") for p in parts) and (
        relative.suffix != ".pyc"
    )


def selected_files(package: str, source_root: Path = LAMBDA_SOURCE_ROOT) -> Iterator[Path]:
    """Every file a function of `package` ships, relative to `source_root`, in a stable order."""
    for name in asset_packages(package):
        top = source_root / name
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(source_root)
            if path.is_file() and _shipped(relative):
                yield relative


def stage_function_code(
    package: str, source_root: Path = LAMBDA_SOURCE_ROOT, cache_root: Path = CACHE_ROOT
) -> Path:
    """The directory to deploy as the code of a function of `package` (built once per content)."""
    files = list(selected_files(package, source_root))
    digest = hashlib.sha256(f"{runtime_python()}\n{DEPLOYED_AT}\n".encode())
    for relative in files:
        digest.update(f"{relative.as_posix()}\n".encode())
        digest.update(hashlib.sha256((source_root / relative).read_bytes()).digest())
    built = cache_root / f"{package}-{digest.hexdigest()[:24]}"
    if built.is_dir():
        return built
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{package}-", dir=cache_root))
    try:
        for relative in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source_root / relative, staging / relative)
        compile_tree(staging, DEPLOYED_AT)
        try:
            staging.rename(built)
        except OSError:
            if not built.is_dir():  # another synth built the same content meanwhile: keep its copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for older in cache_root.glob(f"{package}-*"):
        if older != built:
            shutil.rmtree(older, ignore_errors=True)
    return built
