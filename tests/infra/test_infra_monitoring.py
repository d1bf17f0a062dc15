"""The stack's one dashboard (cdk-monitoring-constructs): every state machine, function, queue,
table and API of the template is on it, and each service level objective is drawn against its
target, on the metric and dimension the task emits."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.synthesis import REPO_ROOT, Synthesized
from workflows.slo_objectives import OBJECTIVES


def _dashboard_text(synthesized: Synthesized) -> str:
    """The dashboard body with each reference written as the logical id it names."""
    _, dashboard = synthesized.one_of_type("AWS::CloudWatch::Dashboard")
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else _named(part) for part in parts)


def _named(reference: Any) -> str:
    if "Ref" in reference:
        return str(reference["Ref"])
    if "Fn::GetAtt" in reference:
        return str(reference["Fn::GetAtt"][0])
    return json.dumps(reference)


def test_every_workflow_resource_is_on_the_dashboard(synthesized: Synthesized) -> None:
    text = _dashboard_text(synthesized)
    kinds = {
        "AWS::StepFunctions::StateMachine": "state machine",
        "AWS::SQS::Queue": "queue",
        "AWS::DynamoDB::Table": "table",
        "AWS::DynamoDB::GlobalTable": "table",
    }
    missing = [
        f"{kind} {synthesized.path_of(logical_id)}"
        for resource_type, kind in kinds.items()
        for logical_id in synthesized.of_type(resource_type)
        if logical_id not in text
    ]
    # an API's metrics name it by its name (the ApiName dimension), not by reference
    missing += [
        f"API {synthesized.path_of(logical_id)}"
        for logical_id, api in synthesized.of_type("AWS::ApiGateway::RestApi").items()
        if f'"ApiName","{api["Properties"]["Name"]}"' not in text
    ]
    functions = set(synthesized.of_type("AWS::Lambda::Function"))
    missing += [f"function {synthesized.path_of(f)}" for f in functions if f not in text]
    assert missing == []


def test_each_objective_is_drawn_against_its_target_on_the_emitted_metric(synthesized: Synthesized) -> None:
    widgets = json.loads(_dashboard_text(synthesized))["widgets"]
    drawn = {}
    for widget in widgets:
        properties = widget.get("properties", {})
        for metric in properties.get("metrics", []):
            if len(metric) == 5 and metric[0] == "OrderPlatform" and metric[2] == "service":
                annotations = properties.get("annotations", {}).get("horizontal", [])
                drawn[metric[1]] = (metric[3], metric[-1].get("stat"), [a["value"] for a in annotations])
    for objective in OBJECTIVES:
        service, statistic, targets = drawn[objective.metric]
        assert (service, statistic) == (objective.service, objective.statistic), objective.metric
        assert objective.target in targets, objective.metric


RUNBOOK = REPO_ROOT / "RUNBOOK.md"
PARTS = ("**What it means:**", "**See the cause:**", "**Repair:**", "**Escalate:**")


def _runbook_entries() -> dict[str, str]:
    """Each entry's anchor (as GitHub makes it from an alarm-name heading) -> its text."""
    entries = re.split(r"^### ", RUNBOOK.read_text(), flags=re.MULTILINE)[1:]
    return {entry.split("\n", 1)[0].strip().lower(): entry for entry in entries}


def test_every_alarm_names_a_runbook_entry_that_says_what_to_do(synthesized: Synthesized) -> None:
    entries = _runbook_entries()
    named = set()
    topic_id, _ = synthesized.one_of_type("AWS::SNS::Topic")
    paging = synthesized.alarms_paging(topic_id)
    alarms = {
        **synthesized.of_type("AWS::CloudWatch::Alarm"),
        **synthesized.of_type("AWS::CloudWatch::CompositeAlarm"),
    }
    for logical_id, alarm in alarms.items():
        description = alarm["Properties"]["AlarmDescription"]
        found = re.search(r"Runbook: RUNBOOK\.md#([a-z0-9-]+)$", description)
        assert found, (synthesized.path_of(logical_id), description)
        anchor = found.group(1)
        assert anchor in entries, f"{synthesized.path_of(logical_id)}: no runbook entry {anchor}"
        assert all(part in entries[anchor] for part in PARTS), anchor
        # to the ops topic, itself or through its cause's composite
        assert logical_id in paging or alarm["Type"] == "AWS::CloudWatch::CompositeAlarm", anchor
        named.add(anchor)
    # and the runbook holds no entry for an alarm the stack no longer has
    assert set(entries) == named


def test_each_objective_has_its_alarm_on_the_emitted_metric(synthesized: Synthesized) -> None:
    alarms = synthesized.of_type("AWS::CloudWatch::Alarm").values()
    for objective in OBJECTIVES:
        (alarm,) = [a["Properties"] for a in alarms if a["Properties"].get("MetricName") == objective.metric]
        assert alarm["Namespace"] == "OrderPlatform"
        assert {"Name": "service", "Value": objective.service} in alarm["Dimensions"]
        assert alarm["Threshold"] == objective.target
        assert alarm["EvaluationPeriods"] == objective.breaching_periods
