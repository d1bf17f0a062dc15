"""The event contracts in the template (issue 24): a schema registry with every committed schema, one
per event and major, and an archive of the platform's own events on its bus."""

from __future__ import annotations

import json

from event_contracts.versions import PUBLISHED, major_of

from operations.event_schemas import committed
from tests.infra.synthesis import Synthesized, ref_target
from workflows import constants as c


def test_the_registry_holds_each_published_events_committed_schema(synthesized: Synthesized) -> None:
    registry_id, registry = synthesized.one_of_type("AWS::EventSchemas::Registry")
    assert registry["Properties"]["RegistryName"] == c.EVENT_SCHEMA_REGISTRY_NAME
    schemas = {
        s["Properties"]["SchemaName"]: s["Properties"]
        for s in synthesized.of_type("AWS::EventSchemas::Schema").values()
    }
    for event_type, version in PUBLISHED.items():
        props = schemas[f"{c.EVENT_BUS_NAME}@{event_type}-v{major_of(version)}"]
        # in the registry's draft 4 dialect, exactly as committed (and so as reviewed)
        assert props["Type"] == "JSONSchemaDraft4"
        assert json.loads(props["Content"]) == committed(event_type, version)
        assert props["RegistryName"] == {"Fn::GetAtt": [registry_id, "RegistryName"]}
    assert len(schemas) == len(PUBLISHED)


def test_the_bus_archives_the_platforms_own_events_for_replay(synthesized: Synthesized) -> None:
    (archive,) = [a["Properties"] for a in synthesized.of_type("AWS::Events::Archive").values()]
    bus_id, _ = synthesized.one_of_type("AWS::Events::EventBus")
    assert ref_target(archive["SourceArn"]) == bus_id
    assert archive["RetentionDays"] == c.EVENT_ARCHIVE_RETENTION_DAYS
    # its own sources only: a replayed AWS event (an execution's status change, an upload) would
    # be a second one
    assert archive["EventPattern"] == {"source": [{"prefix": c.EVENT_ARCHIVE_SOURCE_PREFIX}]}
    outputs = synthesized.template_json["Outputs"]
    assert ref_target(outputs[c.OUTPUT_EVENT_ARCHIVE_ARN]["Value"]) is not None
