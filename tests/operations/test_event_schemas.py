"""The event schemas: the committed files are the models', valid draft 4, and a change that breaks
a published version is refused unless its major moves."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from event_contracts.versions import PUBLISHED, major_of
from pydantic import Field

from operations import event_schemas
from operations.event_schemas import (
    MODELS,
    SCHEMA_ROOT,
    VersionRefused,
    breaking_changes,
    check_version,
    committed,
    committed_versions,
    generated,
)
from order_store.events import OrderConfirmed, OrderConfirmedData


@pytest.mark.parametrize("event_type", sorted(PUBLISHED))
def test_the_committed_schema_is_the_models(event_type: str) -> None:
    version = PUBLISHED[event_type]
    # a model change without a new committed schema (and so a reviewed schema change) fails here
    assert committed(event_type, version) == generated(event_type, version), (
        f"schemas/events/{event_type}/{version}.json differs from its model:"
        " run `python -m operations.event_schemas --write` (a new version if it is published)"
    )


@pytest.mark.parametrize("event_type", sorted(PUBLISHED))
def test_every_committed_schema_is_draft_4_and_each_minor_keeps_its_major(event_type: str) -> None:
    versions = committed_versions(event_type)
    assert PUBLISHED[event_type] in versions
    for version in versions:
        schema = committed(event_type, version)
        assert schema is not None
        # the dialect EventBridge's registry takes (JSONSchemaDraft4)
        jsonschema.Draft4Validator.check_schema(schema)
    for older, newer in itertools.pairwise(versions):
        if major_of(older) == major_of(newer):
            before, after = committed(event_type, older), committed(event_type, newer)
            assert breaking_changes(before or {}, after or {}) == []


def test_every_published_event_type_has_a_model() -> None:
    assert set(MODELS) == set(PUBLISHED)


# --- the versioning rule ------------------------------------------------------------------------


class _WithOptionalNote(OrderConfirmedData):
    note: str | None = None


class _CarrierRemoved(OrderConfirmedData):
    carrier: str | None = None  # type: ignore[assignment]


class _NewRequiredField(OrderConfirmedData):
    warehouse: str = Field(min_length=1)


class _Retyped(OrderConfirmedData):
    total_amount: str  # type: ignore[assignment]


_PUBLISHED = PUBLISHED["OrderConfirmed"]
_NEXT_MINOR = f"{major_of(_PUBLISHED)}.{int(_PUBLISHED.split('.')[1]) + 1}"
_NEXT_MAJOR = f"{major_of(_PUBLISHED) + 1}.0"


def _confirmed_with(data: type[OrderConfirmedData]) -> dict[str, Any]:
    model = type("OrderConfirmed", (OrderConfirmed,), {"__annotations__": {"data": data}})
    original = MODELS["OrderConfirmed"]
    MODELS["OrderConfirmed"] = model
    try:
        return generated("OrderConfirmed", _NEXT_MINOR)
    finally:
        MODELS["OrderConfirmed"] = original


@pytest.fixture
def schema_root(tmp_path: Path) -> Path:
    root = tmp_path / "schemas" / "events"
    shutil.copytree(SCHEMA_ROOT, root)
    return root


def test_an_added_optional_field_is_a_minor_version(schema_root: Path) -> None:
    schema = _confirmed_with(_WithOptionalNote)
    check_version("OrderConfirmed", _NEXT_MINOR, schema, schema_root)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_CarrierRemoved, "$.data.carrier made optional"),
        (_NewRequiredField, "$.data.warehouse made required"),
        (_Retyped, "$.data.totalAmount type changed"),
    ],
)
def test_a_breaking_change_is_refused_unless_its_major_moves(
    schema_root: Path, data: type[OrderConfirmedData], problem: str
) -> None:
    schema = _confirmed_with(data)
    with pytest.raises(VersionRefused, match=re.escape(f"publish it as {_NEXT_MAJOR}")) as refused:
        check_version("OrderConfirmed", _NEXT_MINOR, schema, schema_root)
    assert problem in str(refused.value)
    # a new major may change anything
    check_version("OrderConfirmed", _NEXT_MAJOR, schema, schema_root)


def test_a_published_version_is_never_rewritten(schema_root: Path) -> None:
    with pytest.raises(
        VersionRefused, match=re.escape("OrderConfirmed 1.0 is published and its model changed")
    ):
        check_version("OrderConfirmed", "1.0", _confirmed_with(_WithOptionalNote), schema_root)


def test_a_field_added_where_a_reader_refuses_unknown_fields_is_breaking() -> None:
    old = {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}}
    new = {**old, "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert breaking_changes(old, new) == ["$.b added where no field may be added"]
    assert (
        breaking_changes({**old, "additionalProperties": True}, {**new, "additionalProperties": True}) == []
    )


def test_the_command_checks_and_writes(schema_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert event_schemas.main([], root=schema_root) == 0
    (schema_root / "OrderPlaced" / f"{PUBLISHED['OrderPlaced']}.json").unlink()
    assert event_schemas.main([], root=schema_root) == 1
    published = PUBLISHED["OrderPlaced"]
    assert (
        f"missing: schemas/events/OrderPlaced/{published}.json (run with --write)" in capsys.readouterr().err
    )
    assert event_schemas.main(["--write"], root=schema_root) == 0
    written = json.loads((schema_root / "OrderPlaced" / f"{published}.json").read_text())
    assert written == generated("OrderPlaced")
