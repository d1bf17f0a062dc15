"""The functions' dependency layer, built from `requirements.lock` at synth time, without Docker.

What runs on AWS must be what the tests ran: the exact versions the lock pins (Powertools,
pydantic and everything they pull in, boto3 included, rather than whatever boto3 the Lambda
runtime bundles). pip fetches the lock's wheels for the functions' platform (arm64 Linux,
CPython of `.python-runtime`) with `--only-binary=:all:` (no native code is built here) into a
`python/` directory, which is the layer, with the unchecked-hash bytecode of every module
(`workflows/bytecode.py`: Lambda cannot write it, so without it each cold start compiles boto3,
pydantic and Powertools again). The build is cached under `.layer-cache/<hash>`, the hash
covering the pinned lines, the platform, the Python version and the bytecode's form, so a
repeated synth costs one directory hash.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from workflows.bytecode import compile_tree, runtime_python

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = REPO_ROOT / "requirements.lock"
CACHE_ROOT = REPO_ROOT / ".layer-cache"
PLATFORM = "manylinux2014_aarch64"
DEPLOYED_AT = "/opt/python"
"""Where Lambda mounts the layer's `python/` directory: the path its bytecode names."""
BYTECODE_FORM = "unchecked-hash"

LAYER_PACKAGES: tuple[str, ...] = (
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "wrapt",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "typing-extensions",
    "jmespath",
    "boto3",
    "botocore",
    "s3transfer",
    "python-dateutil",
    "six",
    "urllib3",
)
"""What the task code imports at run time, and all that those pull in (checked by a test that
resolves each package's requirements against this list)."""


class LayerBuildError(RuntimeError):
    """pip could not fetch the locked wheels for the functions' platform."""


def normalized(name: str) -> str:
    """PEP 503 name: ``Typing_Extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_pins(lock_text: str) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of the lock."""
    pins: dict[str, str] = {}
    for raw in lock_text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[normalized(name)] = version.split(";", 1)[0].strip()
    return pins


def layer_requirements(lock_text: str, packages: Iterable[str] = LAYER_PACKAGES) -> list[str]:
    """The lock's pinned line of each layer package; LayerBuildError naming any the lock lacks."""
    pins = locked_pins(lock_text)
    missing = [name for name in packages if normalized(name) not in pins]
    if missing:
        raise LayerBuildError(f"requirements.lock pins no version of {', '.join(missing)}")
    return [f"{normalized(name)}=={pins[normalized(name)]}" for name in packages]


def build_layer(lock_file: Path = LOCK_FILE, cache_root: Path = CACHE_ROOT) -> Path:
    """The layer's directory (holding ``python/``), built once per lock, platform and Python."""
    requirements = layer_requirements(lock_file.read_text())
    version = runtime_python()
    key_parts = [PLATFORM, version, BYTECODE_FORM, DEPLOYED_AT, *requirements]
    key = hashlib.sha256("\n".join(key_parts).encode()).hexdigest()[:24]
    built = cache_root / key
    if (built / "python").is_dir():
        return built
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="layer-", dir=cache_root))
    try:
        target = staging / "python"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            version,
            "--target",
            str(target),
            *requirements,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            errors = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("WARNING"))
            raise LayerBuildError(f"pip could not build the dependency layer:\n{errors[-2000:]}")
        for cache in target.rglob("__pycache__"):  # pip's own, checked against timestamps
            shutil.rmtree(cache, ignore_errors=True)
        compile_tree(target, DEPLOYED_AT, parallel=True)
        staging.rename(built)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return built
