"""The synthesized stack as the infrastructure tests read it (shared by conftest and tests)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Synthesized:
    """The synthesized stack as the tests need it: the cloud assembly `cdk synth` wrote (what `cdk
    deploy` deploys), its template, and what synthesis recorded about the stack."""

    stack_name: str
    artifact: dict[str, Any]
    """The stack's entry in the assembly's manifest (its environment, its files)."""
    annotations: dict[str, list[dict[str, Any]]]
    """What synthesis recorded per construct path (cdk-nag's findings are errors and warnings)."""
    template_json: dict[str, Any]
    template_path: Path
    assembly_dir: Path

    @functools.cached_property
    def template(self) -> Any:
        """The template as CDK's assertions read it (`aws_cdk.assertions.Template`)."""
        from aws_cdk.assertions import Template

        return Template.from_json(self.template_json)

    def annotated(self, kind: str, pattern: str) -> list[tuple[str, Any]]:
        """(construct path, data) of every annotation of a kind ("error", "warning") whose text
        matches a regular expression."""
        return [
            (path, entry["data"])
            for path, entries in self.annotations.items()
            for entry in entries
            if entry["type"] == f"aws:cdk:{kind}" and re.search(pattern, str(entry["data"]))
        ]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template_json["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def one_of_type(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        matches = self.of_type(resource_type)
        assert len(matches) == 1, f"expected one {resource_type}, found {sorted(matches)}"
        return next(iter(matches.items()))

    def path_of(self, logical_id: str) -> str:
        """The construct path CDK recorded for a resource (`OrderPlatformStack/OrderSaga/...`)."""
        return str(self.resources[logical_id].get("Metadata", {}).get("aws:cdk:path", ""))

    def under(self, resource_type: str, construct_path: str) -> dict[str, dict[str, Any]]:
        """Resources of a type inside a construct, e.g. `under("AWS::Lambda::Function", "OrderSaga")`."""
        prefix = f"{self.stack_name}/{construct_path}/"
        return {
            lid: r for lid, r in self.of_type(resource_type).items() if self.path_of(lid).startswith(prefix)
        }

    def one_under(self, resource_type: str, construct_path: str) -> tuple[str, dict[str, Any]]:
        matches = self.under(resource_type, construct_path)
        assert len(matches) == 1, f"expected one {resource_type} in {construct_path}, found {sorted(matches)}"
        return next(iter(matches.items()))

    def alarms_paging(self, topic_id: str) -> dict[str, dict[str, Any]]:
        """Alarm logical id -> properties, for every metric alarm that reaches the ops topic: by its
        own action, or as one of the alarms of a composite alarm that notifies it."""
        paging = {}
        alarms = self.of_type("AWS::CloudWatch::Alarm")
        composites = self.of_type("AWS::CloudWatch::CompositeAlarm").values()
        notifying = [c["Properties"] for c in composites if _notifies(c["Properties"], topic_id)]
        for logical_id, alarm in alarms.items():
            props = alarm["Properties"]
            if _notifies(props, topic_id) or any(logical_id in composite_members(c) for c in notifying):
                paging[logical_id] = props
        return paging

    def statements(self, role_logical_id: str) -> list[dict[str, Any]]:
        """Every statement of every IAM policy attached to a role."""
        found: list[dict[str, Any]] = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            roles = [ref_target(r) for r in policy["Properties"].get("Roles", [])]
            if role_logical_id in roles:
                found += policy["Properties"]["PolicyDocument"]["Statement"]
        return found

    def granted(self, role_logical_id: str) -> dict[str, set[str | None]]:
        """action -> logical ids of the resources a role may use it on (None: not a reference)."""
        grants: dict[str, set[str | None]] = {}
        for statement in self.statements(role_logical_id):
            assert statement["Effect"] == "Allow", statement
            for action in statement_actions(statement):
                targets = {ref_target(r) for r in statement_resources(statement)}
                grants.setdefault(action, set()).update(targets)
        return grants


def _notifies(alarm: dict[str, Any], topic_id: str) -> bool:
    return bool(alarm.get("ActionsEnabled", True)) and [
        ref_target(a) for a in alarm.get("AlarmActions", [])
    ] == [topic_id]


def composite_members(composite: dict[str, Any]) -> set[str]:
    """The logical ids of the alarms a composite alarm's rule names."""
    rule = composite["AlarmRule"]
    parts = rule["Fn::Join"][1] if isinstance(rule, dict) else [rule]
    return {part["Fn::GetAtt"][0] for part in parts if isinstance(part, dict) and "Fn::GetAtt" in part}


def alarm_metric(alarm: dict[str, Any]) -> dict[str, Any]:
    """What a metric alarm watches, whether written with a metric (MetricName, Statistic...) or as
    a one-metric query (Metrics[0].MetricStat, as cdk-monitoring-constructs writes it):
    {"MetricName", "Namespace", "Dimensions", "Stat", "Period"}."""
    if "MetricName" in alarm:
        return {
            "MetricName": alarm["MetricName"],
            "Namespace": alarm["Namespace"],
            "Dimensions": alarm.get("Dimensions", []),
            "Stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
            "Period": alarm["Period"],
        }
    (query,) = [m for m in alarm["Metrics"] if m.get("ReturnData", True)]
    stat = query["MetricStat"]
    return {
        **stat["Metric"],
        "Dimensions": stat["Metric"].get("Dimensions", []),
        "Stat": stat["Stat"],
        "Period": stat["Period"],
    }


def ref_target(value: Any) -> str | None:
    """Logical id a `Ref` / `Fn::GetAtt` points at, or None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def ref_id(value: Any) -> str:
    """Like `ref_target`, for values that must be a reference."""
    target = ref_target(value)
    assert target is not None, value
    return target


def statement_actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def statement_resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]
