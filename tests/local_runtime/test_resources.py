"""Resources the template declares exist on the local app with CloudFormation's attributes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from local_runtime import LocalApp
from tests.local_runtime.conftest import TEMPLATE, write_assembly


def test_user_pools_are_provisioned_with_their_attributes(tiny_app: LocalApp) -> None:
    pool = tiny_app.resource("AWS::Cognito::UserPool", "Tiny/Users/")
    described = tiny_app.client("cognito-idp").describe_user_pool(UserPoolId=pool.ref)["UserPool"]
    assert described["Arn"] == pool.arn()
    assert described["UsernameAttributes"] == ["email"]


def test_queues_get_their_redrive_policy_pointing_at_the_local_dlq(tiny_app: LocalApp) -> None:
    attributes = tiny_app.client("sqs").get_queue_attributes(
        QueueUrl=tiny_app.queue_url("Tiny/Inbox/"), AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == tiny_app.resource("AWS::SQS::Queue", "Tiny/Dlq/").arn()
    assert int(redrive["maxReceiveCount"]) == 3
    assert attributes["VisibilityTimeout"] == "30"


def test_state_machines_get_their_definition_with_substitutions_resolved(tiny_app: LocalApp) -> None:
    described = tiny_app.client("stepfunctions").describe_state_machine(
        stateMachineArn=tiny_app.state_machine_arn("Tiny/BatchMachine/")
    )
    definition = json.loads(described["definition"])
    assert definition["States"]["Check"]["Parameters"]["FunctionName"] == (
        tiny_app.resource("AWS::Lambda::Function", "Tiny/Reject/").arn()
    )
    assert described["type"] == "EXPRESS"
    assert "${" not in described["definition"]


def test_types_the_runtime_does_not_run_still_resolve_and_are_listed(tiny_app: LocalApp) -> None:
    role = tiny_app.resource("AWS::IAM::Role", "Role")
    assert role.arn() == f"arn:aws:iam::{tiny_app.account}:role/{role.ref}"
    assert tiny_app.resources is not None
    assert "Role (AWS::IAM::Role)" in tiny_app.resources.not_emulated


def _with_conditions(stage: str) -> dict[str, Any]:
    template = copy.deepcopy(TEMPLATE)
    template["Parameters"] = {"Stage": {"Type": "String", "Default": stage}}
    template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    template["Resources"]["Audit"] = {
        "Type": "AWS::SQS::Queue",
        "Condition": "IsProd",
        "Properties": {"QueueName": "tiny-audit"},
        "Metadata": {"aws:cdk:path": "Tiny/Audit/Resource"},
    }
    template["Resources"]["Inbox"]["Properties"]["VisibilityTimeout"] = {"Fn::If": ["IsProd", 60, 30]}
    template.setdefault("Outputs", {})["AuditQueueUrl"] = {"Condition": "IsProd", "Value": {"Ref": "Audit"}}
    return template


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_template_conditions_decide_what_is_created(tmp_path: Path, stage: str) -> None:
    assembly = write_assembly(tmp_path / "cdk.out", template=_with_conditions(stage))
    with LocalApp(assembly) as app:
        queues = app.client("sqs").list_queues().get("QueueUrls", [])
        attributes = app.client("sqs").get_queue_attributes(
            QueueUrl=app.queue_url("Tiny/Inbox/"), AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        assert app.resources is not None
        if stage == "prod":
            assert any(url.endswith("/tiny-audit") for url in queues)
            assert app.output("AuditQueueUrl").endswith("/tiny-audit")
            assert attributes["VisibilityTimeout"] == "60"
        else:
            assert not any(url.endswith("/tiny-audit") for url in queues)
            assert "AuditQueueUrl" not in app.resources.outputs
            assert attributes["VisibilityTimeout"] == "30"
