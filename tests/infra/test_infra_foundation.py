"""The foundation's queue helpers: the rules every future workflow's queues inherit.

Why a separate tiny stack: the outbox publisher only uses terminal DLQs, but the saga and
claim-check workflows will use DLQ-backed work queues; the helper's contract is pinned here.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk.assertions import Match, Template

from workflows import constants as c
from workflows.platform_foundation import PlatformFoundation

pytestmark = pytest.mark.infra


def test_dlq_backed_queue_is_encrypted_ssl_only_and_redrives_to_a_14_day_dlq() -> None:
    # Given a foundation in a throwaway stack
    stack = Stack(App(), "FoundationProbe")
    foundation = PlatformFoundation(stack, "Foundation")

    # When a construct asks it for a work queue
    pair = foundation.dlq_backed_queue(stack, "Work", visibility_timeout=Duration.seconds(90))
    template = Template.from_stack(stack)
    dlq_id = stack.get_logical_id(pair.dead_letter_queue.node.default_child)  # type: ignore[arg-type]
    key_id = stack.get_logical_id(foundation.key.node.default_child)  # type: ignore[arg-type]

    # Then the work queue redrives to its DLQ after the platform's receive budget ...
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "VisibilityTimeout": 90,
            "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                "maxReceiveCount": c.DLQ_MAX_RECEIVE_COUNT,
            },
        },
    )
    # ... the DLQ keeps messages 14 days, encrypted with the platform key
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "MessageRetentionPeriod": 14 * 24 * 3600,
            "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            "RedrivePolicy": Match.absent(),
        },
    )
    # ... and both queues refuse requests that do not use TLS
    policies = template.find_resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for policy in policies.values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_platform_table_is_on_demand_recoverable_encrypted_and_retained() -> None:
    # Given a foundation in a throwaway stack
    stack = Stack(App(), "FoundationProbe")
    foundation = PlatformFoundation(stack, "Foundation")

    # When a construct asks it for a table with the defaults
    table = foundation.table(stack, "Ledger")
    template = Template.from_stack(stack)
    table_id = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
    key_id = stack.get_logical_id(foundation.key.node.default_child)  # type: ignore[arg-type]

    # Then it is keyed by a string pk only, billed on demand, recoverable, on the platform key ...
    resource = template.to_json()["Resources"][table_id]
    assert resource["Properties"] == {
        "AttributeDefinitions": [{"AttributeName": c.TABLE_PARTITION_KEY, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": c.TABLE_PARTITION_KEY, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        },
    }
    # ... and retained with the stack: tables hold business data
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
