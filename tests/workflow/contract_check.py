"""Every event the platform publishes in a workflow test, held to its committed schema (issue 24).

An autouse fixture (`tests/workflow/conftest.py`) watches each app a workflow test starts and,
when the test ends, validates every entry its bus accepted from the platform (its own sources)
against the schema of the version the event states, with the dialect the registry uses (draft 4).
Events a test puts on the bus itself (a forger's, a hand-made one) are not publications.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from event_contracts.versions import PUBLISHED, UNVERSIONED, VERSION_FIELD

from operations.event_schemas import committed
from workflows.constants import EVENT_ARCHIVE_SOURCE_PREFIX


@functools.cache
def _validator(event_type: str, version: str) -> jsonschema.Draft4Validator | None:
    schema = committed(event_type, version)
    return None if schema is None else jsonschema.Draft4Validator(schema)


def contract_problems(published: list[dict[str, Any]]) -> list[str]:
    """Why each published platform event breaks its contract (empty when every one keeps it)."""
    problems: list[str] = []
    for entry in published:
        source, event_type = entry.get("Source") or "", entry.get("DetailType") or ""
        if not entry["FromPlatform"] or not source.startswith(EVENT_ARCHIVE_SOURCE_PREFIX):
            continue  # a test's own event (a forger's, a hand-made one) is not a publication
        if event_type not in PUBLISHED:
            problems.append(f"{event_type} from {source}: no contract")
            continue
        detail = json.loads(entry["Detail"])
        version = detail.get(VERSION_FIELD, UNVERSIONED) if isinstance(detail, dict) else UNVERSIONED
        validator = _validator(event_type, str(version))
        if validator is None:
            problems.append(f"{event_type} {version}: no committed schema")
            continue
        named = f"{event_type} {version} {entry.get('EventId')}"
        problems += [
            f"{named}: {'/'.join(map(str, error.absolute_path))} {error.message}"
            for error in validator.iter_errors(detail)
        ]
    return problems
