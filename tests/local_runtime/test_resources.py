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


def _with_platform_services() -> dict[str, Any]:
    """The tiny template with the kinds of resources the platform's stack also declares: a
    generated secret, a versioned bucket that notifies EventBridge, a topic, a bus with its
    archive, and a sender identity."""
    template = copy.deepcopy(TEMPLATE)
    template["Resources"].update(
        {
            "Signing": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Description": "signs notices",
                    "GenerateSecretString": {"ExcludePunctuation": True, "PasswordLength": 64},
                },
            },
            "Payloads": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
                },
            },
            "Alerts": {"Type": "AWS::SNS::Topic"},
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "tiny-bus"}},
            "Archive": {
                "Type": "AWS::Events::Archive",
                "Properties": {
                    "ArchiveName": "tiny-archive",
                    "SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]},
                    "EventPattern": {"source": [{"prefix": "tiny."}]},
                    "RetentionDays": 30,
                },
            },
            "Sender": {
                "Type": "AWS::SES::EmailIdentity",
                "Properties": {"EmailIdentity": "notices@example.com"},
            },
        }
    )
    return template


def test_services_the_platform_uses_are_provisioned_as_the_template_says(tmp_path: Path) -> None:
    assembly = write_assembly(tmp_path / "cdk.out", template=_with_platform_services())
    with LocalApp(assembly) as app:
        assert app.resources is not None
        created = app.resources.resources
        # the secret's value is generated with the template's options
        secret = app.client("secretsmanager").get_secret_value(SecretId=created["Signing"].ref)
        assert len(secret["SecretString"]) == 64 and secret["SecretString"].isalnum()
        # the bucket is in the app's region, versioned, and tells EventBridge about its objects
        s3 = app.client("s3")
        bucket = created["Payloads"].ref
        assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == app.region
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        events = app.client("events")
        events.put_rule(Name="objects", EventPattern=json.dumps({"source": ["aws.s3"]}))
        inbox = app.resource("AWS::SQS::Queue", "Tiny/Inbox/")
        events.put_targets(Rule="objects", Targets=[{"Id": "inbox", "Arn": inbox.arn()}])
        s3.put_object(Bucket=bucket, Key="intake/a.jsonl", Body=b"{}")
        (message,) = app.client("sqs").receive_message(QueueUrl=inbox.ref)["Messages"]
        created_event = json.loads(message["Body"])
        assert created_event["detail-type"] == "Object Created"
        assert created_event["detail"]["object"]["key"] == "intake/a.jsonl"
        # the topic, the bus and its archive, the sender: each as the API describes it
        topics = app.client("sns").list_topics()["Topics"]
        assert {"TopicArn": created["Alerts"].ref} in topics
        assert events.describe_event_bus(Name="tiny-bus")["Arn"] == created["Bus"].attributes["Arn"]
        archive = events.describe_archive(ArchiveName="tiny-archive")
        assert archive["EventSourceArn"] == created["Bus"].attributes["Arn"]
        assert archive["RetentionDays"] == 30
        assert json.loads(archive["EventPattern"]) == {"source": [{"prefix": "tiny."}]}
        identities = app.client("ses").list_identities(IdentityType="EmailAddress")["Identities"]
        assert "notices@example.com" in identities
