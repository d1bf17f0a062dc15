"""Reading what ``cdk deploy --outputs-file`` wrote: every operator command starts from it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path


def stack_outputs(path: Path, required: Iterable[str] = ()) -> dict[str, str]:
    """The outputs of the one stack in an outputs file; ValueError naming what is missing."""
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or len(document) != 1:
        raise ValueError(f"{path}: expected the outputs of exactly one stack")
    (outputs,) = document.values()
    values = {str(key): str(value) for key, value in outputs.items()}
    missing = [name for name in required if name not in values]
    if missing:
        raise ValueError(f"{path}: missing outputs {', '.join(missing)}")
    return values
