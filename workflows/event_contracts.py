"""The platform's event contracts on AWS (issue 24): a schema registry holding every published
event's schema, and the bus's archive that replays reach back into.

Why the schemas are read from `schemas/events/` rather than generated here: the committed files
are what was reviewed (`operations.event_schemas` generates them and refuses a change that breaks
a published version), so the stack registers exactly those. One registry schema per event and
major (`order-platform@OrderPlaced-v1`), holding that major's latest minor: the registry keeps
each content it was given as a version of its own, and two majors published side by side are
two schemas a consumer can read.

The archive keeps the platform's own events (sources `EVENT_ARCHIVE_SOURCE_PREFIX`*) for
`EVENT_ARCHIVE_RETENTION_DAYS`, encrypted with an AWS-owned key: the events carry ids and
business facts, never personal data (`order_store.events`).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from workflows import constants as c

REPO_ROOT = Path(__file__).resolve().parent.parent


def latest_per_major(schema_dir: Path) -> dict[tuple[str, int], Path]:
    """(event type, major) -> the file of that major's latest minor."""
    latest: dict[tuple[str, int], tuple[tuple[int, int], Path]] = {}
    for path in sorted(schema_dir.glob("*/*.json")):
        major, minor = (int(n) for n in path.stem.split("."))
        key = (path.parent.name, major)
        if key not in latest or latest[key][0] < (major, minor):
            latest[key] = ((major, minor), path)
    return {key: path for key, (_, path) in sorted(latest.items())}


class EventContracts(Construct):
    """The schema registry with every event's schema, and the bus's archive.

    Attributes:
        registry: the EventBridge schema registry.
        schemas: (event type, major) -> its registry schema.
        archive: the platform bus's archive.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        event_bus: events.IEventBus,
        schema_dir: Path = REPO_ROOT / c.EVENT_SCHEMAS_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        self.registry = eventschemas.CfnRegistry(
            self,
            "Registry",
            registry_name=c.EVENT_SCHEMA_REGISTRY_NAME,
            description="The order platform's published events, one schema per event and major version",
        )
        self.schemas: dict[tuple[str, int], eventschemas.CfnSchema] = {}
        for (event_type, major), path in latest_per_major(schema_dir).items():
            content = json.loads(path.read_text())
            schema = eventschemas.CfnSchema(
                self,
                f"{event_type}V{major}",
                registry_name=self.registry.attr_registry_name,
                schema_name=f"{c.EVENT_BUS_NAME}@{event_type}-v{major}",
                type="JSONSchemaDraft4",
                content=json.dumps(content, separators=(",", ":"), sort_keys=True),
                description=f"{event_type} {path.stem} (the detail of the bus event)",
            )
            self.schemas[(event_type, major)] = schema
        self.archive = events.Archive(
            self,
            "Archive",
            source_event_bus=event_bus,
            archive_name=c.EVENT_ARCHIVE_NAME,
            description="The platform's own events, for replay to a consumer that missed them",
            event_pattern=events.EventPattern(source=events.Match.prefix(c.EVENT_ARCHIVE_SOURCE_PREFIX)),
            retention=Duration.days(c.EVENT_ARCHIVE_RETENTION_DAYS),
        )
