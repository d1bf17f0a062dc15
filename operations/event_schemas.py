"""The events' JSON Schemas: generated from their models, committed, and held to the versioning rule.

`python -m operations.event_schemas` checks; `python -m operations.event_schemas --write`
writes the schema of every event's published version (`event_contracts.versions.PUBLISHED`)
to `schemas/events/<EventType>/<version>.json`.

A committed version is never rewritten: a model that changes needs a new version. Writing it is
refused (a message and exit 1) when the version does not fit the change:
- a minor version may only add optional fields (at any depth) to the previous version of its
  major: a consumer of that major reads the new events unchanged;
- anything else (a field removed, retyped, made required; a constraint changed) needs a new
  major. The previous major's schema stays committed, and is published beside it for
  `SIDE_BY_SIDE_DAYS`.

Why the compatibility rule is written here rather than taken from a schema-diff tool: the rule
is the project's own contract (only added optional fields are minor), narrower than what
general JSON Schema diff tools call compatible (they accept widened types, looser constraints);
over the few keywords the models generate it is a short recursive comparison.

The schemas are JSON Schema draft 4, the dialect EventBridge's schema registry takes
(`JSONSchemaDraft4`): pydantic's 2020-12 output is rewritten (`$defs` to `definitions`, numeric
`exclusiveMinimum`/`exclusiveMaximum` to draft 4's boolean form, `const` to a one-value `enum`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from event_contracts.versions import DOWNGRADES, PUBLISHED, PUBLISHED_BESIDE, major_of
from pydantic import BaseModel

from claim_check.models import CLAIM_CHECK_ISSUED, ClaimCheckIssued
from order_store.events import ORDER_EVENTS

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_ROOT = REPO_ROOT / "schemas" / "events"
DRAFT4 = "http://json-schema.org/draft-04/schema#"
SCHEMA_ID_BASE = "https://order-platform.example/schemas/events"

MODELS: dict[str, type[BaseModel]] = {**ORDER_EVENTS, CLAIM_CHECK_ISSUED: ClaimCheckIssued}
"""Every event the platform publishes, by detail-type, with its contract's model."""


class VersionRefused(Exception):
    """A schema change the event's version does not allow (a committed version rewritten, a
    breaking change under the same major, a version that goes backwards)."""


def schema_path(event_type: str, version: str, root: Path = SCHEMA_ROOT) -> Path:
    return root / event_type / f"{version}.json"


def generated(event_type: str, version: str | None = None) -> dict[str, Any]:
    """The draft 4 JSON Schema of an event's model, as its published version."""
    model = MODELS[event_type]
    schema = model.model_json_schema(mode="serialization", ref_template="#/definitions/{model}")
    draft4 = _draft4(schema)
    published = version or PUBLISHED[event_type]
    return {"$schema": DRAFT4, "$id": f"{SCHEMA_ID_BASE}/{event_type}/{published}.json", **draft4}


def committed(event_type: str, version: str, root: Path = SCHEMA_ROOT) -> dict[str, Any] | None:
    path = schema_path(event_type, version, root)
    return json.loads(path.read_text()) if path.is_file() else None


def committed_versions(event_type: str, root: Path = SCHEMA_ROOT) -> list[str]:
    """The versions of an event committed, oldest first."""
    folder = root / event_type
    versions = [p.stem for p in folder.glob("*.json")] if folder.is_dir() else []
    return sorted(versions, key=lambda v: tuple(int(n) for n in v.split(".")))


def check_version(event_type: str, version: str, schema: dict[str, Any], root: Path = SCHEMA_ROOT) -> None:
    """VersionRefused unless ``schema`` may be published as ``version`` beside what is committed."""
    existing = committed(event_type, version, root)
    if existing is not None:
        if existing != schema:
            raise VersionRefused(
                f"{event_type} {version} is published and its model changed: give the change a new"
                " version (minor for an added optional field, major for anything else)"
            )
        return
    older = [v for v in committed_versions(event_type, root) if _key(v) < _key(version)]
    newer = [v for v in committed_versions(event_type, root) if _key(v) > _key(version)]
    if newer:
        raise VersionRefused(f"{event_type} {version} is older than the committed {newer[-1]}")
    same_major = [v for v in older if major_of(v) == major_of(version)]
    if same_major:
        previous = committed(event_type, same_major[-1], root)
        assert previous is not None
        problems = breaking_changes(previous, schema)
        if problems:
            raise VersionRefused(
                f"{event_type} {version} breaks {same_major[-1]} ({'; '.join(problems[:5])}):"
                f" publish it as {major_of(version) + 1}.0"
            )


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` a reader of ``old`` could not take: empty when ``new`` only adds optional
    fields (at any depth). Titles, descriptions, examples and ids are not the contract."""
    return _compare(_resolved(old, old), _resolved(new, new), "$")


_ANNOTATIONS = frozenset({"title", "description", "examples", "$id", "$schema", "default"})
_COMBINERS = frozenset({"anyOf", "oneOf", "allOf"})


def _compare(old: Any, new: Any, at: str) -> list[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [f"{at} changed"]
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_props.items():
        if name not in new_props:
            problems.append(f"{at}.{name} removed")
        else:
            problems += _compare(schema, new_props[name], f"{at}.{name}")
    if old.get("additionalProperties") is False:
        # a reader of the old version refuses any field it does not know
        problems += [
            f"{at}.{name} added where no field may be added"
            for name in sorted(set(new_props) - set(old_props))
        ]
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    problems += [f"{at}.{name} made required" for name in sorted(new_required - old_required)]
    problems += [f"{at}.{name} made optional" for name in sorted(old_required - new_required)]
    for keyword in sorted((set(old) | set(new)) - _ANNOTATIONS - {"properties", "required"}):
        if keyword == "items" and isinstance(old.get(keyword), dict):
            problems += _compare(old[keyword], new.get(keyword), f"{at}[]")
        elif keyword in {"anyOf", "oneOf", "allOf"} and len(old.get(keyword, [])) == len(
            new.get(keyword, [])
        ):
            for n, (a, b) in enumerate(zip(old[keyword], new[keyword], strict=True)):
                problems += _compare(a, b, f"{at}.{keyword}[{n}]")
        elif _plain(old.get(keyword)) != _plain(new.get(keyword)):
            problems.append(f"{at} {keyword} changed")
    return problems


def _plain(value: Any) -> Any:
    """A keyword's value without annotations (for keywords compared whole)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in _ANNOTATIONS}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _resolved(node: Any, root: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by what it names (the models are not recursive)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolved(target, root)
        return {k: _resolved(v, root) for k, v in node.items() if k != "definitions"}
    if isinstance(node, list):
        return [_resolved(v, root) for v in node]
    return node


def _draft4(node: Any) -> Any:
    """pydantic's JSON Schema (2020-12) in draft 4's spelling, for the keywords it generates."""
    if isinstance(node, list):
        return [_draft4(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            out["definitions"] = {name: _draft4(v) for name, v in value.items()}
        elif key == "const":
            out["enum"] = [value]
        elif key in {"exclusiveMinimum", "exclusiveMaximum"} and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        else:
            out[key] = _draft4(value)
    return out


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _dumped(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None, root: Path = SCHEMA_ROOT) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.event_schemas", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--write", action="store_true", help="write the schemas of the published versions")
    args = parser.parse_args(argv)
    failures = 0
    for event_type, version in PUBLISHED.items():
        schema = generated(event_type, version)
        path = schema_path(event_type, version, root)
        try:
            check_version(event_type, version, schema, root)
        except VersionRefused as refused:
            print(f"refused: {refused}", file=sys.stderr)
            failures += 1
            continue
        if committed(event_type, version, root) is None:
            if not args.write:
                print(f"missing: {path.relative_to(root.parent.parent)} (run with --write)", file=sys.stderr)
                failures += 1
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_dumped(schema))
            print(f"wrote {path.relative_to(root.parent.parent)}")
        else:
            print(f"ok {event_type} {version}")
    for problem in side_by_side_problems(root):
        print(f"refused: {problem}", file=sys.stderr)
        failures += 1
    return 1 if failures else 0


def side_by_side_problems(root: Path = SCHEMA_ROOT) -> list[str]:
    """What keeps a superseded major from being published beside its successor: its schema not
    committed (consumers of it must have one), no downgrade to make it, or a major that is not
    older than the one published."""
    problems = []
    for event_type, superseded in PUBLISHED_BESIDE.items():
        for older in superseded:
            if committed(event_type, older.version, root) is None:
                problems.append(
                    f"{event_type} {older.version} is published side by side but has no committed schema"
                )
            if (event_type, older.version) not in DOWNGRADES:
                problems.append(f"{event_type} {older.version} is published side by side without a downgrade")
            if major_of(older.version) >= major_of(PUBLISHED[event_type]):
                problems.append(
                    f"{event_type} {older.version} is published side by side but is not an older major"
                    f" than {PUBLISHED[event_type]}"
                )
    return problems


if __name__ == "__main__":
    sys.exit(main())
