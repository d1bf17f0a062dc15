"""Template assertions: the properties the design depends on, read from the synthesized stack.

Why assert on the template and not on constructs: the template is what CloudFormation
deploys and what the local runtime provisions; a construct default that changes under us
shows up here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.synthesis import (
    Synthesized,
    alarm_metric,
    composite_members,
    ref_id,
    ref_target,
    statement_actions,
    statement_resources,
)
from tests.table_schemas import ORDERS_TABLE_SCHEMA, ORDERS_TABLE_TTL_ATTRIBUTE, PK_TABLE_SCHEMA
from workflows import constants as c
from workflows.outbox_publisher import OUTBOX_INSERT_FILTER
from workflows.slo_objectives import OBJECTIVES

pytestmark = pytest.mark.infra


# --- state machine ---------------------------------------------------------------------


def test_outbox_state_machine_is_express_with_full_logging_and_tracing(synthesized: Synthesized) -> None:
    # Given the synthesized stack
    # When we look at the outbox publisher state machine
    # Then it is EXPRESS, logs ALL with execution data, and traces with X-Ray
    synthesized.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "EXPRESS",
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": Match.any_value()}}],
            },
            "TracingConfiguration": {"Enabled": True},
        },
    )


def test_every_state_machine_logs_all_and_traces(synthesized: Synthesized) -> None:
    # Given every state machine of the stack
    machines = synthesized.of_type("AWS::StepFunctions::StateMachine")
    assert machines
    for logical_id, machine in machines.items():
        props = machine["Properties"]
        # Then each one logs ALL and traces with X-Ray; execution data is logged except where the
        # state carries personal data (the account notification: names and email addresses)
        assert props["LoggingConfiguration"]["Level"] == "ALL", logical_id
        carries_personal_data = synthesized.path_of(logical_id).startswith(
            f"{c.STACK_NAME}/AccountNotification/"
        )
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is not carries_personal_data, logical_id
        assert props["TracingConfiguration"] == {"Enabled": True}, logical_id


def test_outbox_state_machine_role_invokes_exactly_its_three_tasks_and_publishes_to_the_bus(
    synthesized: Synthesized,
) -> None:
    # Given the outbox state machine and its role
    _, machine = synthesized.one_under("AWS::StepFunctions::StateMachine", "OutboxPublisher")
    role_id = ref_target(machine["Properties"]["RoleArn"])
    assert role_id
    statements = synthesized.statements(role_id)
    substituted = {ref_target(v) for v in machine["Properties"]["DefinitionSubstitutions"].values()}

    # When we collect what it may invoke and where it may publish
    invoke = [s for s in statements if "lambda:InvokeFunction" in statement_actions(s)]
    put_events = [s for s in statements if "events:PutEvents" in statement_actions(s)]

    # Then it invokes exactly the substituted functions (no version wildcard) ...
    assert len(invoke) == 1
    assert {ref_target(r) for r in statement_resources(invoke[0])} == substituted
    # ... and publishes only to the platform bus
    bus_id, _ = synthesized.one_of_type("AWS::Events::EventBus")
    assert len(put_events) == 1
    assert [ref_target(r) for r in statement_resources(put_events[0])] == [bus_id]


# --- pipe ---------------------------------------------------------------------------------


def test_outbox_pipe_reads_new_outbox_records_from_the_table_stream(synthesized: Synthesized) -> None:
    # Given the pipe and the orders table
    _, pipe = synthesized.one_under("AWS::Pipes::Pipe", "OutboxPublisher")
    table_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation")
    props = pipe["Properties"]

    # Then its source is the table's stream with bounded retries, bisection and a DLQ
    assert props["Source"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    stream = props["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["StartingPosition"] == "LATEST"
    assert stream["BatchSize"] == 10
    assert stream["MaximumBatchingWindowInSeconds"] == 1
    assert stream["MaximumRetryAttempts"] == 3
    assert stream["OnPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    dlq_id = ref_id(stream["DeadLetterConfig"]["Arn"])
    assert synthesized.resources[dlq_id]["Type"] == "AWS::SQS::Queue"

    # And one filter lets through only INSERTs of outbox records
    filters = props["SourceParameters"]["FilterCriteria"]["Filters"]
    assert len(filters) == 1
    assert json.loads(filters[0]["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"recordType": {"S": ["OUTBOX"]}}},
    }
    assert json.loads(filters[0]["Pattern"]) == OUTBOX_INSERT_FILTER


def test_outbox_pipe_starts_the_express_workflow_synchronously_and_logs_errors(
    synthesized: Synthesized,
) -> None:
    # Given the pipe and the state machine
    _, pipe = synthesized.one_under("AWS::Pipes::Pipe", "OutboxPublisher")
    machine_id, _ = synthesized.one_under("AWS::StepFunctions::StateMachine", "OutboxPublisher")
    props = pipe["Properties"]

    # Then it targets the state machine REQUEST_RESPONSE, so failures come back to the pipe
    assert ref_target(props["Target"]) == machine_id
    assert props["TargetParameters"] == {
        "StepFunctionStateMachineParameters": {"InvocationType": "REQUEST_RESPONSE"}
    }
    # And pipes are only triggers: no enrichment
    assert "Enrichment" not in props
    # And it logs errors with execution data to CloudWatch Logs
    assert props["LogConfiguration"]["Level"] == "ERROR"
    assert props["LogConfiguration"]["IncludeExecutionData"] == ["ALL"]
    assert "CloudwatchLogsLogDestination" in props["LogConfiguration"]


def test_outbox_pipe_role_is_least_privilege(synthesized: Synthesized) -> None:
    # Given the outbox pipe's role (no cdk-nag rule reviews pipes, so this test does)
    _, pipe = synthesized.one_under("AWS::Pipes::Pipe", "OutboxPublisher")
    role_id = ref_target(pipe["Properties"]["RoleArn"])
    assert role_id
    role = synthesized.resources[role_id]
    table_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation")
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    machine_id, _ = synthesized.one_under("AWS::StepFunctions::StateMachine", "OutboxPublisher")
    dlq_id = ref_target(
        pipe["Properties"]["SourceParameters"]["DynamoDBStreamParameters"]["DeadLetterConfig"]["Arn"]
    )

    # Then only EventBridge Pipes of this account may assume it
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(trust) == 1
    assert trust[0]["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert "aws:SourceAccount" in trust[0]["Condition"]["StringEquals"]
    assert "ManagedPolicyArns" not in role["Properties"]

    # And every permission names one resource of this stack, and nothing more is granted
    granted: dict[str, set[str | None]] = {}
    for statement in synthesized.statements(role_id):
        assert statement["Effect"] == "Allow"
        assert "*" not in statement_resources(statement), statement
        for action in statement_actions(statement):
            granted.setdefault(action, set()).update(ref_target(r) for r in statement_resources(statement))
    stream_actions = ["DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"]
    expected = {
        **{f"dynamodb:{a}": {table_id} for a in stream_actions},
        "kms:Decrypt": {key_id},
        "kms:GenerateDataKey": {key_id},
        "sqs:SendMessage": {dlq_id},
        "states:StartSyncExecution": {machine_id},
        "logs:CreateLogStream": {_pipe_log_group_id(synthesized)},
        "logs:PutLogEvents": {_pipe_log_group_id(synthesized)},
    }
    assert granted == expected


def _pipe_log_group_id(synthesized: Synthesized) -> str:
    for logical_id, group in synthesized.of_type("AWS::Logs::LogGroup").items():
        if group["Properties"].get("LogGroupName") == c.OUTBOX_PIPE_LOG_GROUP:
            return logical_id
    raise AssertionError("no pipe log group")


# --- orders table -------------------------------------------------------------------------


def test_orders_table_keys_stream_ttl_index_and_recovery(synthesized: Synthesized) -> None:
    # Given the synthesized stack
    # Then the single table has pk/sk, on-demand billing, PITR, a NEW_IMAGE stream, the TTL
    # attribute, the sparse PendingOutbox index and customer-managed encryption
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    synthesized.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "Properties": {
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": Match.array_with(
                    [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                        {"AttributeName": "pendingShard", "AttributeType": "S"},
                        {"AttributeName": "createdAt", "AttributeType": "S"},
                    ]
                ),
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "PendingOutbox",
                        "KeySchema": [
                            {"AttributeName": "pendingShard", "KeyType": "HASH"},
                            {"AttributeName": "createdAt", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "SSESpecification": {
                    "SSEEnabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                },
            },
        },
    )


def test_platform_key_rotates(synthesized: Synthesized) -> None:
    # Then the customer-managed key rotates
    synthesized.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


# --- queues, topic, alarms ----------------------------------------------------------------


def _execution_status_parking_queues(synthesized: Synthesized) -> set[str]:
    """Queues that rules on Step Functions execution status changes park failed executions in."""
    parking = set()
    for rule in synthesized.of_type("AWS::Events::Rule").values():
        pattern = rule["Properties"].get("EventPattern", {})
        if pattern.get("detail-type") == [c.EXECUTION_STATUS_CHANGE_DETAIL_TYPE]:
            parking |= {ref_id(target["Arn"]) for target in rule["Properties"]["Targets"]}
    return parking


def test_every_queue_that_is_not_a_dlq_has_a_redrive_policy(synthesized: Synthesized) -> None:
    # Given every queue, and every place a queue is named as a dead-letter target
    queues = synthesized.of_type("AWS::SQS::Queue")
    text = json.dumps(synthesized.resources)
    dlq_ids = set()
    for logical_id in queues:
        used_as_dlq = [
            f'"deadLetterTargetArn": {{"Fn::GetAtt": ["{logical_id}", "Arn"]}}',
            f'"DeadLetterConfig": {{"Arn": {{"Fn::GetAtt": ["{logical_id}", "Arn"]}}}}',
        ]
        if any(marker in text for marker in used_as_dlq):
            dlq_ids.add(logical_id)
    parking_ids = _execution_status_parking_queues(synthesized)
    # Then each queue is either a dead-letter queue (of a queue, a pipe or a rule target), or the
    # queue failed executions are parked in (the DLQ of a FIRE_AND_FORGET workflow) ...
    # ... or has a RedrivePolicy of its own
    for logical_id, queue in queues.items():
        if logical_id in dlq_ids | parking_ids:
            assert "RedrivePolicy" not in queue["Properties"], f"{logical_id} is a DLQ with a DLQ"
            continue
        assert "RedrivePolicy" in queue["Properties"], f"{logical_id} is neither a DLQ nor has one"
    # And the outbox publisher's two DLQs and the saga's four were recognised as such
    assert len(dlq_ids) >= 5
    assert len(parking_ids) == 3  # the saga's, the claim check's split and resolve


def test_every_queue_is_encrypted_with_the_platform_key_and_dlqs_keep_14_days(
    synthesized: Synthesized,
) -> None:
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    for logical_id, queue in synthesized.of_type("AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, logical_id
        if "RedrivePolicy" not in props:
            assert props["MessageRetentionPeriod"] == 14 * 24 * 3600, logical_id


def test_every_queue_and_the_topic_deny_insecure_transport(synthesized: Synthesized) -> None:
    # Given every queue policy and topic policy
    def denies_insecure_transport(document: dict[str, Any]) -> bool:
        return any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in document["Statement"]
        )

    policies = {
        ref_target(q): p["Properties"]["PolicyDocument"]
        for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        for q in p["Properties"]["Queues"]
    }
    for logical_id in synthesized.of_type("AWS::SQS::Queue"):
        assert denies_insecure_transport(policies[logical_id]), logical_id
    topic_policies = synthesized.of_type("AWS::SNS::TopicPolicy")
    assert topic_policies
    for policy in topic_policies.values():
        assert denies_insecure_transport(policy["Properties"]["PolicyDocument"])


SLO_METRICS = {objective.metric for objective in OBJECTIVES}


def test_alarms_watch_every_dlq_and_every_workflow_and_page_ops(synthesized: Synthesized) -> None:
    # Given the alarms and the ops topic
    topic_id, _ = synthesized.one_of_type("AWS::SNS::Topic")
    alarms = synthesized.of_type("AWS::CloudWatch::Alarm")
    # Then every alarm pages the ops topic, itself or through the composite alarm of its cause
    paging = synthesized.alarms_paging(topic_id)
    assert set(paging) == set(alarms)
    watched: dict[str, set[str]] = {}
    refusals = None
    for logical_id, props in paging.items():
        assert props["ComparisonOperator"] == "GreaterThanThreshold", logical_id
        metric = alarm_metric(props)
        if metric["MetricName"] in SLO_METRICS:
            continue  # the objectives' own alarms: tests/infra/test_infra_monitoring.py
        # and a quiet metric is healthy
        assert props["TreatMissingData"] == "notBreaching", logical_id
        # and one period over the threshold pages
        assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (1, 1), logical_id
        if metric["Namespace"] == c.METRICS_NAMESPACE:
            refusals = (props, metric)
            continue
        # And every other alarm fires on the first occurrence
        assert props["Threshold"] == 0, logical_id
        ((dimension,),) = [metric["Dimensions"]]
        watched.setdefault(metric["MetricName"], set()).add(ref_id(dimension["Value"]))
    # And every queue messages are parked in (no redrive of its own) is watched for messages ...
    terminal_queues = {
        logical_id
        for logical_id, queue in synthesized.of_type("AWS::SQS::Queue").items()
        if "RedrivePolicy" not in queue["Properties"]
    }
    assert watched.pop("ApproximateNumberOfMessagesVisible") == terminal_queues
    # ... and every state machine for failed executions ...
    assert watched == {"ExecutionsFailed": set(synthesized.of_type("AWS::StepFunctions::StateMachine"))}
    assert len(terminal_queues) == 15
    # ... and the payment webhook for a spike of refused notices (its function's own metric)
    assert refusals is not None
    props, metric = refusals
    assert (metric["MetricName"], metric["Stat"], metric["Period"]) == (
        c.PAYMENT_WEBHOOK_REFUSAL_METRIC,
        "Sum",
        300,
    )
    assert metric["Dimensions"] == [{"Name": "service", "Value": c.PAYMENT_WEBHOOK_SERVICE_NAME}]
    assert props["Threshold"] == c.PAYMENT_WEBHOOK_REFUSAL_ALARM_THRESHOLD


def test_one_cause_pages_once(synthesized: Synthesized) -> None:
    # Given the composite alarms and the ops topic
    topic_id, _ = synthesized.one_of_type("AWS::SNS::Topic")
    alarms = synthesized.of_type("AWS::CloudWatch::Alarm")
    composites = synthesized.of_type("AWS::CloudWatch::CompositeAlarm")
    # Then each workflow's failed executions and the queue its failures are parked in page as one:
    # the composite notifies ops, the two alarms it joins do not
    joined: dict[str, set[str]] = {}
    for composite in composites.values():
        props = composite["Properties"]
        assert [ref_target(a) for a in props["AlarmActions"]] == [topic_id]
        members = composite_members(props)
        assert "OR" in json.dumps(props["AlarmRule"]) and len(members) == 2
        for member in members:
            assert "AlarmActions" not in alarms[member]["Properties"], member
        joined[props["AlarmName"]] = {alarm_metric(alarms[m]["Properties"])["MetricName"] for m in members}
    assert len(joined) == len(synthesized.of_type("AWS::StepFunctions::StateMachine"))
    assert all(
        metrics == {"ExecutionsFailed", "ApproximateNumberOfMessagesVisible"} for metrics in joined.values()
    ), joined


def test_sweeper_runs_every_five_minutes_with_retry_and_dlq(synthesized: Synthesized) -> None:
    # Given the scheduled rule
    machine_id, _ = synthesized.one_under("AWS::StepFunctions::StateMachine", "OutboxPublisher")
    _, rule = synthesized.one_under("AWS::Events::Rule", "OutboxPublisher")
    props = rule["Properties"]
    # Then it runs on the default bus every 5 minutes ...
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert "EventBusName" not in props
    # ... and targets the state machine with the sweep input, a retry policy and a DLQ
    (target,) = props["Targets"]
    assert ref_target(target["Arn"]) == machine_id
    assert json.loads(target["Input"]) == {"sweep": {"olderThanSeconds": 120}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert synthesized.resources[ref_id(target["DeadLetterConfig"]["Arn"])]["Type"] == "AWS::SQS::Queue"


# --- API ----------------------------------------------------------------------------------


def test_api_methods_require_an_identity_and_are_validated(synthesized: Synthesized) -> None:
    # Given every API method
    methods = synthesized.of_type("AWS::ApiGateway::Method")
    assert {m["Properties"]["HttpMethod"] for m in methods.values()} == {"POST", "GET"}
    operator_routes = f"{c.STACK_NAME}/OrdersApi/Api/Default/{c.ORDERS_OPERATOR_PATH}/"
    for logical_id, method in methods.items():
        props = method["Properties"]
        path = synthesized.path_of(logical_id)
        # Then each one has a request validator and a Lambda proxy integration ...
        assert "RequestValidatorId" in props, logical_id
        assert props["Integration"]["Type"] == "AWS_PROXY", logical_id
        # ... and proves its caller: the webhook's notices are signed by the provider, the
        # operators sign with SigV4, and customers bring a user pool token
        if path.startswith(f"{c.STACK_NAME}/PaymentWebhookApi/"):
            expected = "NONE"
        elif path.startswith(operator_routes):
            expected = "AWS_IAM"
        else:
            expected = "COGNITO_USER_POOLS"
        assert props["AuthorizationType"] == expected, (logical_id, path)


@pytest.mark.parametrize(
    ("rate", "burst"),
    [
        (c.ORDERS_API_THROTTLE_RATE_LIMIT, c.ORDERS_API_THROTTLE_BURST_LIMIT),
        (c.PAYMENT_WEBHOOK_THROTTLE_RATE_LIMIT, c.PAYMENT_WEBHOOK_THROTTLE_BURST_LIMIT),
    ],
    ids=["orders-api", "payment-webhook"],
)
def test_api_stage_logs_traces_and_throttles(synthesized: Synthesized, rate: int, burst: int) -> None:
    # Each API's stage: its own throttling (a flood of forged notices cannot eat the orders' rate)
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": [
                Match.object_like(
                    {
                        "HttpMethod": "*",
                        "ResourcePath": "/*",
                        "LoggingLevel": "INFO",
                        "DataTraceEnabled": False,
                        "ThrottlingRateLimit": rate,
                        "ThrottlingBurstLimit": burst,
                    }
                )
            ],
        },
    )


def test_orders_function_writes_only_items_of_the_orders_table(synthesized: Synthesized) -> None:
    # Given the orders Lambda and its role
    table_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation")
    functions = synthesized.of_type("AWS::Lambda::Function")
    (orders_fn,) = [f for f in functions.values() if f["Properties"]["Handler"] == c.ORDERS_API_HANDLER]
    role_id = ref_target(orders_fn["Properties"]["Role"])
    assert role_id
    dynamodb_actions = {
        action
        for statement in synthesized.statements(role_id)
        for action in statement_actions(statement)
        if action.startswith("dynamodb:")
    }
    # Then it can write and read single items (the transaction's parts) and nothing else
    assert dynamodb_actions == {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert orders_fn["Properties"]["Environment"]["Variables"]["ORDERS_TABLE_NAME"] == {"Ref": table_id}
    assert orders_fn["Properties"]["Environment"]["Variables"]["EVENT_SOURCE"] == "order-platform.orders"


# --- Lambda defaults ----------------------------------------------------------------------

EXPECTED_HANDLERS = {
    "orders_api.handler.lambda_handler",
    "outbox_publisher.claim_handler.lambda_handler",
    "outbox_publisher.failed_entries_handler.lambda_handler",
    "outbox_publisher.mark_handler.lambda_handler",
    "order_saga.begin_handler.lambda_handler",
    "order_saga.reserve_handler.lambda_handler",
    "order_saga.request_payment_handler.lambda_handler",
    "order_saga.ship_handler.lambda_handler",
    "order_saga.confirm_handler.lambda_handler",
    "order_saga.compensate_handler.lambda_handler",
    "order_saga.compensation_handlers.cancel_shipment",
    "order_saga.compensation_handlers.void_payment",
    "order_saga.compensation_handlers.release_inventory",
    "order_saga.cancel_order_handler.lambda_handler",
    "order_saga.park_handler.lambda_handler",
    "payment_webhook.handler.lambda_handler",
    "account_notification.diff_handler.lambda_handler",
    "account_notification.compose_handler.lambda_handler",
    "account_notification.send_handler.lambda_handler",
    "claim_check.split_handler.lambda_handler",
    "claim_check.begin_handler.lambda_handler",
    "claim_check.verify_handler.lambda_handler",
    "claim_check.import_handler.lambda_handler",
    "claim_check.finish_handler.lambda_handler",
    "claim_check.fail_handler.lambda_handler",
}


def test_every_function_uses_the_platform_defaults(synthesized: Synthesized) -> None:
    # Given every Lambda function
    functions = synthesized.of_type("AWS::Lambda::Function")
    assert {f["Properties"]["Handler"] for f in functions.values()} == EXPECTED_HANDLERS
    log_groups = synthesized.of_type("AWS::Logs::LogGroup")
    layer_id, _ = synthesized.one_of_type("AWS::Lambda::LayerVersion")
    for logical_id, function in functions.items():
        props = function["Properties"]
        # Then runtime, architecture, tracing and Powertools settings are the shared ones
        assert props["Runtime"] == "python3.13", logical_id
        assert props["Architectures"] == ["arm64"], logical_id
        assert props["TracingConfig"] == {"Mode": "Active"}, logical_id
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "OrderPlatform", logical_id
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO", logical_id
        # And no function scans installed distributions for pydantic plugins at its first validation
        assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__", logical_id
        assert env["POWERTOOLS_SERVICE_NAME"], logical_id
        # And every function uses the stack's one dependency layer
        (layer,) = props["Layers"]
        assert layer == {"Ref": layer_id}, logical_id
        # And each function logs to its own explicit log group with retention
        group_id = ref_target(props["LoggingConfig"]["LogGroup"])
        assert group_id in log_groups, logical_id
        assert log_groups[group_id]["Properties"]["RetentionInDays"] == c.LOG_RETENTION_DAYS


def test_outbox_functions_get_only_the_data_access_they_use(synthesized: Synthesized) -> None:
    # Given the three outbox functions and their roles
    table_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation")
    granted: dict[str, dict[str, list[Any]]] = {}
    for function in synthesized.of_type("AWS::Lambda::Function").values():
        role_id = ref_id(function["Properties"]["Role"])
        actions: dict[str, list[Any]] = {}
        for statement in synthesized.statements(role_id):
            for action in statement_actions(statement):
                if action.startswith("dynamodb:"):
                    actions.setdefault(action, []).extend(statement_resources(statement))
        granted[function["Properties"]["Handler"]] = actions
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    index_arn = {"Fn::Join": ["", [table_arn, "/index/PendingOutbox"]]}
    # Then claim updates items and queries only the backlog index, mark only updates items,
    # and the failed-entries function touches no data at all
    assert granted[c.OUTBOX_CLAIM_HANDLER] == {
        "dynamodb:UpdateItem": [table_arn],
        "dynamodb:Query": [index_arn],
    }
    assert granted[c.OUTBOX_MARK_HANDLER] == {"dynamodb:UpdateItem": [table_arn]}
    assert granted[c.OUTBOX_RETRY_HANDLER] == {}


def test_outbox_functions_get_their_configuration(synthesized: Synthesized) -> None:
    # Given the three outbox functions
    bus_id, _ = synthesized.one_of_type("AWS::Events::EventBus")
    table_id, _ = synthesized.one_under("AWS::DynamoDB::Table", "Foundation")
    env_by_handler = {
        f["Properties"]["Handler"]: f["Properties"]["Environment"]["Variables"]
        for f in synthesized.of_type("AWS::Lambda::Function").values()
    }
    # Then each gets exactly the settings its task needs
    claim = env_by_handler[c.OUTBOX_CLAIM_HANDLER]
    assert claim["ORDERS_TABLE_NAME"] == {"Ref": table_id}
    assert claim["EVENT_BUS_NAME"] == {"Ref": bus_id}
    assert claim["EVENT_SOURCE"] == "order-platform.orders"
    assert (claim["CLAIM_LEASE_SECONDS"], claim["SWEEP_MIN_AGE_SECONDS"], claim["SWEEP_LIMIT"]) == (
        "60",
        "120",
        "100",
    )
    retry = env_by_handler[c.OUTBOX_RETRY_HANDLER]
    assert (
        retry["MAX_PUBLISH_ATTEMPTS"],
        retry["RETRY_BASE_DELAY_SECONDS"],
        retry["RETRY_MAX_DELAY_SECONDS"],
    ) == (
        "4",
        "1",
        "8",
    )
    mark = env_by_handler[c.OUTBOX_MARK_HANDLER]
    assert mark["ORDERS_TABLE_NAME"] == {"Ref": table_id}
    assert mark["PUBLISHED_TTL_DAYS"] == "7"


def test_wildcard_resources_appear_only_where_aws_allows_nothing_else(synthesized: Synthesized) -> None:
    # Given every IAM policy statement of the stack with Resource "*"
    allowed = {
        # X-Ray has no resource-level permissions.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        # CloudWatch Logs vended delivery (Step Functions logging) has none either.
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
    for logical_id, policy in synthesized.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "*" in statement_resources(statement):
                # Then every action in such a statement is one that supports no resource scoping
                assert set(statement_actions(statement)) <= allowed, (logical_id, statement)
            # And no action is a wildcard
            assert not any(a.endswith("*") for a in statement_actions(statement)), (logical_id, statement)


def test_roles_carry_no_managed_policies_except_api_gateway_account_role(synthesized: Synthesized) -> None:
    for logical_id, role in synthesized.of_type("AWS::IAM::Role").items():
        managed = role["Properties"].get("ManagedPolicyArns", [])
        if not managed:
            continue
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "apigateway.amazonaws.com"
        }, logical_id


# --- outputs ------------------------------------------------------------------------------


def test_stack_outputs_have_stable_logical_ids(synthesized: Synthesized) -> None:
    # Then exactly the documented outputs exist, under their own names
    outputs = synthesized.template_json["Outputs"]
    assert set(outputs) == {
        "OrdersApiUrl",
        "PaymentWebhookUrl",
        "PaymentWebhookSecretArn",
        "EventBusName",
        "EventArchiveArn",
        "EventSchemaRegistryName",
        "OrdersTableName",
        "OutboxPublisherStateMachineArn",
        "OrderSagaStateMachineArn",
        "OrderSagaQueueUrl",
        "WorkflowFailuresQueueUrl",
        "InventoryTableName",
        "PaymentsTableName",
        "ShipmentsTableName",
        "OpsAlertTopicArn",
        "AccountsTableName",
        "NoticesTableName",
        "UserPoolId",
        "CustomerClientId",
        "OperatorRoleArn",
        "AccountChangeNotificationStateMachineArn",
        "PayloadBucketName",
        "ClaimsTableName",
        "ClaimIntakeQueueUrl",
        "ClaimCheckSplitStateMachineArn",
        "ClaimCheckResolveStateMachineArn",
        "ClaimWorkflowFailuresQueueUrl",
    }
    machine_id, _ = synthesized.one_under("AWS::StepFunctions::StateMachine", "OutboxPublisher")
    assert outputs["OutboxPublisherStateMachineArn"]["Value"] == {"Ref": machine_id}
    # And each saga output names the resource its name says
    saga = {
        path: synthesized.one_under(resource_type, f"OrderSaga/{path}")[0]
        for resource_type, path in [
            ("AWS::StepFunctions::StateMachine", "StateMachine"),
            ("AWS::SQS::Queue", "OrderPlacedQueue"),
            ("AWS::SQS::Queue", "WorkflowFailuresQueue"),
            ("AWS::DynamoDB::Table", "InventoryTable"),
            ("AWS::DynamoDB::Table", "PaymentsTable"),
            ("AWS::DynamoDB::Table", "ShipmentsTable"),
        ]
    }
    assert outputs["OrderSagaStateMachineArn"]["Value"] == {"Ref": saga["StateMachine"]}
    assert outputs["OrderSagaQueueUrl"]["Value"] == {"Ref": saga["OrderPlacedQueue"]}
    assert outputs["WorkflowFailuresQueueUrl"]["Value"] == {"Ref": saga["WorkflowFailuresQueue"]}
    assert outputs["InventoryTableName"]["Value"] == {"Ref": saga["InventoryTable"]}
    assert outputs["PaymentsTableName"]["Value"] == {"Ref": saga["PaymentsTable"]}
    assert outputs["ShipmentsTableName"]["Value"] == {"Ref": saga["ShipmentsTable"]}


def test_event_bus_has_the_platform_name(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties("AWS::Events::EventBus", {"Name": "order-platform"})


def test_stack_is_environment_agnostic(synthesized: Synthesized) -> None:
    # Given the synthesized stack
    # Then it was synthesized without an account or region (no lookups, no STS)
    assert synthesized.artifact["environment"] == "aws://unknown-account/unknown-region"


def test_one_python_everywhere(synthesized: Synthesized) -> None:
    """The template's Lambda runtime, the project's Python, the interpreter running these tests
    (the venv's, which the local runtime's sandboxes run) are one version."""
    import sys
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    version = (root / ".python-runtime").read_text().strip()
    runtimes = {f["Properties"]["Runtime"] for f in synthesized.of_type("AWS::Lambda::Function").values()}
    assert runtimes == {f"python{version}"}
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version
    requires = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={version},<3.{int(version.split('.')[1]) + 1}"


def test_the_dependency_layer_ships_exactly_the_locked_versions(synthesized: Synthesized) -> None:
    """What runs on AWS is what the tests ran: every package in the layer is the lock's version,
    built for the functions' platform (arm64 Linux, the project's CPython)."""
    from pathlib import Path

    from workflows.dependency_layer import LAYER_PACKAGES, locked_pins, normalized

    _, layer = synthesized.one_of_type("AWS::Lambda::LayerVersion")
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    asset_hash = layer["Properties"]["Content"]["S3Key"].removesuffix(".zip")
    asset = synthesized.assembly_dir / f"asset.{asset_hash}"
    shipped: dict[str, str] = {}
    for metadata in (asset / "python").glob("*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1)
            for line in metadata.read_text().splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        shipped[normalized(fields["Name"])] = fields["Version"]
    pins = locked_pins((Path(__file__).resolve().parents[2] / "requirements.lock").read_text())
    assert shipped == {normalized(name): pins[normalized(name)] for name in LAYER_PACKAGES}
    # And every module has the bytecode Lambda will load (it cannot write its own)
    from tests.infra.test_infra_assets import bytecode_faults

    assert bytecode_faults(asset / "python", "/opt/python") == []
    wheels = list((asset / "python").rglob("*.so"))
    assert wheels and all(
        "aarch64" in w.name or "cpython-313" in w.name for w in wheels if "pydantic_core" in str(w)
    )


def test_the_layer_lists_everything_its_packages_require() -> None:
    """Each layer package's run-time requirements (for this platform, without extras) are in the
    layer too: pip installs the list with --no-deps, so a missing one would fail on AWS only."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    from workflows.dependency_layer import LAYER_PACKAGES, normalized

    listed = {normalized(name) for name in LAYER_PACKAGES}
    for name in LAYER_PACKAGES:
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            assert normalized(requirement.name) in listed, (name, text)


def _schema(props: dict[str, Any]) -> dict[str, Any]:
    """A template table's schema in CreateTable's shape (attribute definitions in any order)."""
    schema: dict[str, Any] = {
        "AttributeDefinitions": sorted(props["AttributeDefinitions"], key=lambda d: d["AttributeName"]),
        "KeySchema": props["KeySchema"],
    }
    if "GlobalSecondaryIndexes" in props:
        schema["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        schema["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return schema


def test_the_integration_tests_tables_are_the_deployed_ones(synthesized: Synthesized) -> None:
    # Given the schemas the integration tests create their moto tables from
    def normalised(schema: dict[str, Any]) -> dict[str, Any]:
        return {
            **schema,
            "AttributeDefinitions": sorted(schema["AttributeDefinitions"], key=lambda d: d["AttributeName"]),
        }

    tables = {
        synthesized.path_of(logical_id): table["Properties"]
        for logical_id, table in synthesized.of_type("AWS::DynamoDB::Table").items()
    }
    orders = next(props for path, props in tables.items() if "/Foundation/OrdersTable/" in path)
    # Then the order table's keys, index, stream and TTL are exactly the template's
    assert _schema(orders) == normalised(ORDERS_TABLE_SCHEMA)
    assert orders["TimeToLiveSpecification"] == {"AttributeName": ORDERS_TABLE_TTL_ATTRIBUTE, "Enabled": True}
    # And each saga table is the pk-only schema
    for name in ("InventoryTable", "PaymentsTable", "ShipmentsTable"):
        props = next(props for path, props in tables.items() if f"/OrderSaga/{name}/" in path)
        assert _schema(props) == normalised(PK_TABLE_SCHEMA), name
