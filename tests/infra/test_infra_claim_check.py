"""The claim check's infrastructure: the payload bucket, the claims table, two Standard workflows,
their triggers, and what each role may do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.synthesis import Synthesized, ref_id, ref_target, statement_actions, statement_resources
from workflows import constants as c

pytestmark = pytest.mark.infra


def _payload_bucket(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.one_under("AWS::S3::Bucket", "ClaimCheck/PayloadBucket")


def test_the_payload_bucket_is_encrypted_versioned_private_logged_and_expiring(
    synthesized: Synthesized,
) -> None:
    bucket_id, bucket = _payload_bucket(synthesized)
    props = bucket["Properties"]
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    # KMS with the platform key, versioned, no public access, access logs to their own bucket
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    log_bucket_id, _ = synthesized.one_under("AWS::S3::Bucket", "ClaimCheck/AccessLogBucket")
    assert ref_target(props["LoggingConfiguration"]["DestinationBucketName"]) == log_bucket_id
    # S3 -> EventBridge natively (no custom-resource Lambda)
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert not synthesized.of_type("Custom::S3BucketNotifications")
    # Payloads expire after the claim TTL, kept ones a day after being tagged, old versions after a day
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpirePayloads"]["ExpirationInDays"] == c.CLAIM_TTL_DAYS
    assert rules["ExpirePayloads"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules["ExpireResolvedPayloads"]["ExpirationInDays"] == c.CLAIM_RESOLVED_EXPIRY_DAYS
    # TLS only
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if ref_id(p["Properties"]["Bucket"]) == bucket_id
    ]
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_claims_expire_by_ttl(synthesized: Synthesized) -> None:
    _, table = synthesized.one_under("AWS::DynamoDB::Table", "ClaimCheck/ClaimsTable")
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_both_workflows_are_standard_and_started_fire_and_forget_one_message_at_a_time(
    synthesized: Synthesized,
) -> None:
    for name in ("Split", "Resolve"):
        machine_id, machine = synthesized.one_under("AWS::StepFunctions::StateMachine", f"ClaimCheck/{name}")
        assert machine["Properties"]["StateMachineType"] == "STANDARD"
        _, pipe = synthesized.one_under("AWS::Pipes::Pipe", f"ClaimCheck/{name}")
        props = pipe["Properties"]
        assert ref_target(props["Target"]) == machine_id
        assert (
            props["TargetParameters"]["StepFunctionStateMachineParameters"]["InvocationType"]
            == "FIRE_AND_FORGET"
        )
        assert props["SourceParameters"]["SqsQueueParameters"]["BatchSize"] == 1
    _, resolve = synthesized.one_under("AWS::StepFunctions::StateMachine", "ClaimCheck/Resolve")
    assert resolve["Properties"]["StateMachineName"] == c.CLAIM_RESOLVE_STATE_MACHINE_NAME


def test_uploads_under_intake_and_issued_claims_are_routed_to_their_queues(synthesized: Synthesized) -> None:
    bucket_id, _ = _payload_bucket(synthesized)
    _, intake = synthesized.one_under("AWS::Events::Rule", "ClaimCheck/IntakeRule")
    pattern = intake["Properties"]["EventPattern"]
    assert "EventBusName" not in intake["Properties"]  # S3 events arrive on the default bus
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": c.CLAIM_INTAKE_PREFIX}]}
    assert ref_id(pattern["detail"]["bucket"]["name"][0]) == bucket_id
    _, issued = synthesized.one_under("AWS::Events::Rule", "ClaimCheck/Resolve/ClaimIssuedRule")
    assert issued["Properties"]["EventPattern"] == {
        "source": [c.CLAIM_CHECK_EVENT_SOURCE],
        "detail-type": [c.CLAIM_CHECK_ISSUED_DETAIL_TYPE],
    }
    for rule in (intake, issued):
        (target,) = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def _granted(synthesized: Synthesized, handler: str) -> dict[str, set[str]]:
    (function,) = [
        f
        for f in synthesized.of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]
    granted: dict[str, set[str]] = {}
    for statement in synthesized.statements(ref_id(function["Properties"]["Role"])):
        for action in statement_actions(statement):
            if action.split(":")[0] in {"s3", "dynamodb"}:
                for resource in statement_resources(statement):
                    granted.setdefault(action, set()).add(json.dumps(resource, sort_keys=True))
    return {action: resources for action, resources in granted.items()}


def test_each_task_gets_only_the_data_access_it_uses(synthesized: Synthesized) -> None:
    def actions(handler: str) -> set[str]:
        return set(_granted(synthesized, f"claim_check.{handler}.lambda_handler"))

    reads = {"s3:GetObject", "s3:GetObjectVersion"}
    claims = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert actions("split_handler") == reads | {"s3:PutObject"} | claims
    assert actions("begin_handler") == claims
    assert actions("verify_handler") == reads
    assert actions("import_handler") == reads | {
        "s3:PutObject",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
    }
    assert actions("fail_handler") == claims
    assert "s3:DeleteObjectVersion" in actions("finish_handler") and "s3:ListBucket" in actions(
        "finish_handler"
    )
    # Only the importer touches the order table, and it touches no other table
    orders_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation/OrdersTable")
    for handler in ("split", "begin", "verify", "import", "finish", "fail"):
        granted = _granted(synthesized, f"claim_check.{handler}_handler.lambda_handler")
        tables = {
            r for action, resources in granted.items() if action.startswith("dynamodb:") for r in resources
        }
        touches_orders = {orders_id in resource for resource in tables}
        assert touches_orders <= {handler == "import"}, handler


def test_the_resolve_may_run_only_its_own_map_children_and_read_only_manifests(
    synthesized: Synthesized,
) -> None:
    _, machine = synthesized.one_under("AWS::StepFunctions::StateMachine", "ClaimCheck/Resolve")
    role_id = ref_id(machine["Properties"]["RoleArn"])
    statements = {s.get("Sid"): s for s in synthesized.statements(role_id)}
    start = json.dumps(statements["RunMapChildren"]["Resource"])
    assert f"stateMachine:{c.CLAIM_RESOLVE_STATE_MACHINE_NAME}" in start and "*" not in start
    assert f"execution:{c.CLAIM_RESOLVE_STATE_MACHINE_NAME}/*" in json.dumps(
        statements["ManageMapChildren"]["Resource"]
    )
    assert statement_actions(statements["ReadManifests"]) == ["s3:GetObject"]
    assert "/manifests/*" in json.dumps(statements["ReadManifests"]["Resource"])


def test_what_happens_to_an_imported_payload_is_chosen_by_context(synthesized: Synthesized) -> None:
    from aws_cdk import App, Stack

    from workflows.claim_check import ClaimCheck
    from workflows.platform_foundation import PlatformFoundation

    (finish,) = [
        f
        for f in synthesized.of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "claim_check.finish_handler.lambda_handler"
    ]
    assert finish["Properties"]["Environment"]["Variables"]["CLAIM_AFTER_SUCCESS"] == c.CLAIM_AFTER_SUCCESS
    stack = Stack(App(), "Probe")
    with pytest.raises(ValueError, match=c.CLAIM_AFTER_SUCCESS_CONTEXT_KEY):
        ClaimCheck(
            stack, "ClaimCheck", foundation=PlatformFoundation(stack, "Foundation"), after_success="archive"
        )
