"""Load state machine definitions from `asl/`, the single source of truth.

Why text and not a parsed dict: the deployed `DefinitionString` must be byte-for-byte the
file the tests and the local runtime execute, so the file is passed through untouched and
`${Placeholders}` are left to CloudFormation's `DefinitionSubstitutions`.
"""

from __future__ import annotations

import re
from pathlib import Path

ASL_DIR = Path(__file__).resolve().parent.parent / "asl"

# `${Name}` tokens that CloudFormation substitutes; JSONPath never produces this shape.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}")


def asl_path(name: str) -> Path:
    """Path of `asl/<name>.asl.json`; raises if the workflow has no definition file."""
    path = ASL_DIR / f"{name}.asl.json"
    if not path.is_file():
        raise FileNotFoundError(f"no state machine definition at {path}")
    return path


def load_definition(name: str) -> str:
    """The definition text exactly as stored in `asl/<name>.asl.json`."""
    return asl_path(name).read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    """Names of the `${Name}` placeholders a definition expects to be substituted."""
    return set(_PLACEHOLDER.findall(text))
