"""The order saga as deployed: Standard workflow, its trigger, its safety nets, its permissions.

Why these assertions: a pipe can start a Standard workflow only FIRE_AND_FORGET, so the saga's
correctness on AWS rests on wiring the template must show — one order per execution, whole
events delivered, failed executions parked, and every function limited to the tables its step
touches (the money and stock steps above all).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from order_saga.settings import DEFAULT_MAX_REDRIVES
from tests.infra.synthesis import (
    REPO_ROOT,
    Synthesized,
    alarm_metric,
    ref_id,
    ref_target,
    statement_actions,
    statement_resources,
)
from workflows import constants as c
from workflows.order_saga import ORDER_PLACED_PATTERN, https_endpoint

pytestmark = pytest.mark.infra

SAGA = "OrderSaga"

# placeholder -> handler: the ASL's tasks and the code each one runs
SAGA_HANDLERS = {
    "BeginSagaFunctionArn": "order_saga.begin_handler.lambda_handler",
    "ReserveInventoryFunctionArn": "order_saga.reserve_handler.lambda_handler",
    "RequestPaymentFunctionArn": "order_saga.request_payment_handler.lambda_handler",
    "ArrangeShipmentFunctionArn": "order_saga.ship_handler.lambda_handler",
    "ConfirmOrderFunctionArn": "order_saga.confirm_handler.lambda_handler",
    "CompensateFunctionArn": "order_saga.compensate_handler.lambda_handler",
    "CancelShipmentFunctionArn": "order_saga.compensation_handlers.cancel_shipment",
    "VoidPaymentFunctionArn": "order_saga.compensation_handlers.void_payment",
    "ReleaseInventoryFunctionArn": "order_saga.compensation_handlers.release_inventory",
    "CancelOrderFunctionArn": "order_saga.cancel_order_handler.lambda_handler",
    "ParkOrderFunctionArn": "order_saga.park_handler.lambda_handler",
}
WEBHOOK_HANDLER = "payment_webhook.handler.lambda_handler"

# The SKU check reads all lines at once (BatchGetItem); reads never write.
READ = {"dynamodb:GetItem", "dynamodb:BatchGetItem"}
WRITE = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
UPDATE = {"dynamodb:GetItem", "dynamodb:UpdateItem"}
# A reservation reads how many shards each SKU's stock has (and, when short, their levels) at once.
RESERVE = WRITE | {"dynamodb:BatchGetItem"}
# Powertools Idempotency's records: a conditional put, a get, the completion, a failed one's delete.
RECEIPTS = {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}

# handler -> table -> item actions: each function touches only the tables its step uses.
# (IAM has no TransactWriteItems action: transactions are authorized per Put/UpdateItem.)
EXPECTED_TABLE_ACCESS: dict[str, dict[str, set[str]]] = {
    "order_saga.begin_handler.lambda_handler": {"Orders": WRITE, "Inventory": READ},
    "order_saga.reserve_handler.lambda_handler": {"Inventory": RESERVE},
    "order_saga.request_payment_handler.lambda_handler": {"Payments": WRITE},
    "order_saga.ship_handler.lambda_handler": {"Shipments": WRITE},
    "order_saga.confirm_handler.lambda_handler": {"Orders": WRITE},
    "order_saga.compensate_handler.lambda_handler": {"Orders": UPDATE},
    "order_saga.compensation_handlers.cancel_shipment": {"Shipments": WRITE},
    "order_saga.compensation_handlers.void_payment": {"Payments": WRITE},
    "order_saga.compensation_handlers.release_inventory": {"Inventory": WRITE},
    "order_saga.cancel_order_handler.lambda_handler": {"Orders": WRITE},
    "order_saga.park_handler.lambda_handler": {"Orders": WRITE},
    WEBHOOK_HANDLER: {"Payments": UPDATE, "PaymentNotices": RECEIPTS},
}
TABLE_ENV = {
    "Orders": "ORDERS_TABLE_NAME",
    "Inventory": "INVENTORY_TABLE_NAME",
    "Payments": "PAYMENTS_TABLE_NAME",
    "Shipments": "SHIPMENTS_TABLE_NAME",
    "PaymentNotices": "PAYMENT_NOTICES_TABLE_NAME",
}
TABLE_KEY_ACTIONS = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}


def _saga_machine(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.one_under("AWS::StepFunctions::StateMachine", f"{SAGA}/StateMachine")


def _table_ids(synthesized: Synthesized) -> dict[str, str]:
    return {
        "Orders": synthesized.one_under("AWS::DynamoDB::Table", "Foundation/OrdersTable")[0],
        **{
            name: synthesized.one_under("AWS::DynamoDB::Table", f"{SAGA}/{name}Table")[0]
            for name in ("Inventory", "Payments", "Shipments", "PaymentNotices")
        },
    }


def _functions_by_handler(synthesized: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        function["Properties"]["Handler"]: (logical_id, function)
        for logical_id, function in synthesized.under("AWS::Lambda::Function", SAGA).items()
    }


def _without_wildcards(grants: dict[str, set[str | None]]) -> dict[str, set[str | None]]:
    """A role's grants minus the logs/X-Ray statements CDK adds (checked by the wildcard test)."""
    return {
        action: targets
        for action, targets in grants.items()
        if not action.startswith("xray:") and not action.startswith("logs:")
    }


# --- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["InventoryTable", "PaymentsTable", "ShipmentsTable"])
def test_saga_tables_are_platform_tables_keyed_by_pk(synthesized: Synthesized, name: str) -> None:
    # Given one of the saga's tables and the platform key
    logical_id, table = synthesized.one_under("AWS::DynamoDB::Table", f"{SAGA}/{name}")
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    props = table["Properties"]
    # Then it is keyed by a string pk only, on demand, recoverable, encrypted with the platform key
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}], logical_id
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    # And it holds business data: it survives the stack, and nothing streams from it
    assert table["DeletionPolicy"] == "Retain"
    assert "StreamSpecification" not in props


# --- state machine --------------------------------------------------------------------------


def test_saga_is_standard_with_full_logging_and_tracing(synthesized: Synthesized) -> None:
    # Given the saga's state machine
    _, machine = _saga_machine(synthesized)
    props = machine["Properties"]
    # Then it is STANDARD (callbacks up to 15 minutes, exactly-once steps, execution history) ...
    assert props["StateMachineType"] == "STANDARD"
    # ... logs ALL with execution data to its own log group, and traces with X-Ray
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    ((destination,),) = [props["LoggingConfiguration"]["Destinations"]]
    group_id = ref_id(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
    group = synthesized.resources[group_id]["Properties"]
    assert group["LogGroupName"] == c.SAGA_STATE_MACHINE_LOG_GROUP
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_saga_substitutions_are_its_eleven_functions_and_the_ops_topic(synthesized: Synthesized) -> None:
    # Given the saga's substitutions and the functions of the saga construct
    _, machine = _saga_machine(synthesized)
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    functions = synthesized.of_type("AWS::Lambda::Function")
    topic_id, _ = synthesized.one_of_type("AWS::SNS::Topic")
    # Then each function placeholder is the function running that step's handler ...
    assert set(substitutions) == {*SAGA_HANDLERS, "AlertTopicArn"}
    for placeholder, handler in SAGA_HANDLERS.items():
        function_id = ref_id(substitutions[placeholder])
        assert functions[function_id]["Properties"]["Handler"] == handler, placeholder
        # ... found under the construct path named after the placeholder (the local runtime's key)
        construct_id = placeholder.removesuffix("Arn")
        assert synthesized.path_of(function_id).startswith(
            f"{c.STACK_NAME}/{SAGA}/{construct_id}/Function"
        ), placeholder
    # And the alert topic is the ops topic every alarm notifies
    assert substitutions["AlertTopicArn"] == {"Ref": topic_id}


def test_saga_role_invokes_exactly_its_eleven_tasks_and_publishes_only_alerts(
    synthesized: Synthesized,
) -> None:
    # Given the saga's role
    _, machine = _saga_machine(synthesized)
    role_id = ref_id(machine["Properties"]["RoleArn"])
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    functions = {ref_id(substitutions[p]) for p in SAGA_HANDLERS}
    topic_id, _ = synthesized.one_of_type("AWS::SNS::Topic")
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    # Then it invokes exactly the eleven task functions (unqualified: no version wildcard),
    # publishes only to the ops topic, and uses the key only to encrypt for that topic
    assert _without_wildcards(synthesized.granted(role_id)) == {
        "lambda:InvokeFunction": functions,
        "sns:Publish": {topic_id},
        "kms:Decrypt": {key_id},
        "kms:GenerateDataKey": {key_id},
    }
    assert len(functions) == 11


# --- trigger: OrderPlaced → queue → pipe -------------------------------------------------------


def test_order_placed_rule_delivers_whole_events_to_the_saga_queue(synthesized: Synthesized) -> None:
    # Given the OrderPlaced rule, the platform bus and the saga's queue
    _, rule = synthesized.one_under("AWS::Events::Rule", f"{SAGA}/OrderPlacedRule")
    bus_id, _ = synthesized.one_of_type("AWS::Events::EventBus")
    queue_id, _ = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/OrderPlacedQueue")
    props = rule["Properties"]
    # Then it matches OrderPlaced from the orders service on the platform bus
    assert ref_target(props["EventBusName"]) == bus_id
    assert props["EventPattern"] == {
        "source": ["order-platform.orders"],
        "detail-type": ["OrderPlaced"],
    }
    assert props["EventPattern"] == ORDER_PLACED_PATTERN
    # And delivers the whole event (no input rewriting) to the queue, with retries and a DLQ
    (target,) = props["Targets"]
    assert ref_id(target["Arn"]) == queue_id
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": c.SAGA_RULE_TARGET_MAX_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": c.SAGA_RULE_TARGET_MAX_EVENT_AGE_HOURS * 3600,
    }
    dlq_id = ref_id(target["DeadLetterConfig"]["Arn"])
    assert synthesized.path_of(dlq_id).startswith(f"{c.STACK_NAME}/{SAGA}/OrderPlacedTargetDlq/")


def test_saga_queue_is_encrypted_redrives_and_lets_eventbridge_send(synthesized: Synthesized) -> None:
    # Given the saga's queue, its DLQ, its policy and the platform key
    queue_id, queue = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/OrderPlacedQueue")
    dlq_id, _ = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/OrderPlacedQueueDlq")
    key_id, key = synthesized.one_of_type("AWS::KMS::Key")
    props = queue["Properties"]
    # Then it is encrypted with the platform key and redrives to its DLQ after the receive budget
    assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert props["VisibilityTimeout"] == c.SAGA_QUEUE_VISIBILITY_TIMEOUT_SECONDS
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": c.DLQ_MAX_RECEIVE_COUNT,
    }
    # And EventBridge of this account may send to it ...
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if [ref_target(q) for q in p["Properties"]["Queues"]] == [queue_id]
    ]
    (send,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and "sqs:SendMessage" in statement_actions(s)
    ]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert "aws:SourceAccount" in send["Condition"]["StringEquals"]
    # ... and the key lets EventBridge encrypt what it sends
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        "events.amazonaws.com" in json.dumps(s["Principal"])
        and {"kms:GenerateDataKey", "kms:Decrypt"} <= set(statement_actions(s))
        for s in key_statements
    )


def test_saga_pipe_starts_one_execution_per_message_fire_and_forget(synthesized: Synthesized) -> None:
    # Given the saga's pipe, queue and state machine
    _, pipe = synthesized.one_under("AWS::Pipes::Pipe", SAGA)
    queue_id, _ = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/OrderPlacedQueue")
    machine_id, _ = _saga_machine(synthesized)
    props = pipe["Properties"]
    # Then it reads the queue one message at a time (one saga per order) ...
    assert ref_id(props["Source"]) == queue_id
    assert props["SourceParameters"] == {"SqsQueueParameters": {"BatchSize": 1}}
    # ... and starts the Standard workflow FIRE_AND_FORGET (the only mode Standard accepts)
    assert ref_id(props["Target"]) == machine_id
    assert props["TargetParameters"] == {
        "StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"}
    }
    # And it is only a trigger: no enrichment, and it logs errors with execution data
    assert "Enrichment" not in props
    assert props["DesiredState"] == "RUNNING"
    assert props["LogConfiguration"]["Level"] == "ERROR"
    assert props["LogConfiguration"]["IncludeExecutionData"] == ["ALL"]
    assert c.SAGA_PIPE_LOG_GROUP in json.dumps(props["LogConfiguration"]["CloudwatchLogsLogDestination"])


def test_saga_pipe_role_is_least_privilege(synthesized: Synthesized) -> None:
    # Given the saga pipe's role (no cdk-nag rule reviews pipes, so this test does)
    _, pipe = synthesized.one_under("AWS::Pipes::Pipe", SAGA)
    role_id = ref_id(pipe["Properties"]["RoleArn"])
    role = synthesized.resources[role_id]
    queue_id, _ = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/OrderPlacedQueue")
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    machine_id, _ = _saga_machine(synthesized)
    log_group_id, _ = synthesized.one_under("AWS::Logs::LogGroup", f"{SAGA}/PipeLogGroup")

    # Then only EventBridge Pipes of this account may assume it
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    assert "ManagedPolicyArns" not in role["Properties"]
    # And every permission names one resource of this stack, and nothing more is granted
    for statement in synthesized.statements(role_id):
        assert "*" not in statement_resources(statement), statement
    assert synthesized.granted(role_id) == {
        "sqs:ReceiveMessage": {queue_id},
        "sqs:DeleteMessage": {queue_id},
        "sqs:GetQueueAttributes": {queue_id},
        "kms:Decrypt": {key_id},
        "states:StartExecution": {machine_id},
        "logs:CreateLogStream": {log_group_id},
        "logs:PutLogEvents": {log_group_id},
    }


# --- safety net: failed executions are parked ----------------------------------------------------


def test_failed_executions_are_parked_whole_in_the_workflow_failures_queue(
    synthesized: Synthesized,
) -> None:
    # Given the execution-status rule, the saga and the workflow-failures queue
    _, rule = synthesized.one_under("AWS::Events::Rule", f"{SAGA}/WorkflowFailuresRule")
    machine_id, _ = _saga_machine(synthesized)
    failures_id, failures = synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/WorkflowFailuresQueue")
    props = rule["Properties"]
    # Then it listens on the default bus (where Step Functions reports status changes) ...
    assert "EventBusName" not in props
    # ... for this saga's executions that failed, timed out or were aborted
    assert props["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": ["FAILED", "TIMED_OUT", "ABORTED"],
            "stateMachineArn": [{"Ref": machine_id}],
        },
    }
    # And it parks the whole event (detail.input is the original message), with retries and a DLQ
    (target,) = props["Targets"]
    assert ref_id(target["Arn"]) == failures_id
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == c.SAGA_RULE_TARGET_MAX_RETRY_ATTEMPTS
    target_dlq = ref_id(target["DeadLetterConfig"]["Arn"])
    assert synthesized.path_of(target_dlq).startswith(f"{c.STACK_NAME}/{SAGA}/WorkflowFailuresTargetDlq/")
    # And the parking queue is a terminal, encrypted queue that keeps events 14 days
    assert "RedrivePolicy" not in failures["Properties"]
    assert failures["Properties"]["MessageRetentionPeriod"] == c.DLQ_RETENTION_DAYS * 24 * 3600
    assert synthesized.template_json["Outputs"]["WorkflowFailuresQueueUrl"]["Value"] == {"Ref": failures_id}


def test_saga_alarms_watch_its_dlqs_its_parked_failures_and_failed_executions(
    synthesized: Synthesized,
) -> None:
    # Given the saga's alarms
    alarms = [
        alarm_metric(a["Properties"])
        for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"].startswith(f"{c.SERVICE_NAME}-{SAGA}")
    ]
    watched = {(a["MetricName"], ref_id(a["Dimensions"][0]["Value"])) for a in alarms}
    # Then each of its four parking queues and its failed executions raise an alarm
    queues = {
        synthesized.one_under("AWS::SQS::Queue", f"{SAGA}/{name}")[0]
        for name in (
            "OrderPlacedQueueDlq",
            "WorkflowFailuresQueue",
            "OrderPlacedTargetDlq",
            "WorkflowFailuresTargetDlq",
        )
    }
    machine_id, _ = _saga_machine(synthesized)
    assert watched == {
        *{("ApproximateNumberOfMessagesVisible", q) for q in queues},
        ("ExecutionsFailed", machine_id),
    }


# --- functions and their permissions --------------------------------------------------------------


def test_each_saga_function_touches_only_its_tables(synthesized: Synthesized) -> None:
    # Given the saga's functions (webhook included), their roles and the tables
    tables = _table_ids(synthesized)
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    functions = _functions_by_handler(synthesized)
    assert set(functions) == set(EXPECTED_TABLE_ACCESS)
    for handler, (logical_id, function) in functions.items():
        role_id = ref_id(function["Properties"]["Role"])
        grants = _without_wildcards(synthesized.granted(role_id))
        grants.pop("states:SendTaskSuccess", None)
        grants.pop("states:SendTaskFailure", None)
        grants.pop("states:SendTaskHeartbeat", None)
        for action in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"):
            grants.pop(action, None)  # the webhook's signing secret: its own test
        # Then its item actions are exactly those of its step, on its tables only ...
        expected: dict[str, set[str | None]] = {}
        for table, actions in EXPECTED_TABLE_ACCESS[handler].items():
            for action in actions:
                expected.setdefault(action, set()).add(tables[table])
        # ... and it may use the platform key for those tables, and nothing else
        expected.update({action: {key_id} for action in TABLE_KEY_ACTIONS})
        assert grants == expected, (logical_id, handler)
        # And it is told the name of every table it touches, and of no other
        env = function["Properties"]["Environment"]["Variables"]
        told = {name for name, variable in TABLE_ENV.items() if variable in env}
        assert told == set(EXPECTED_TABLE_ACCESS[handler]), (logical_id, handler)
        for name in told:
            assert env[TABLE_ENV[name]] == {"Ref": tables[name]}, (logical_id, name)


def test_only_the_webhook_and_the_payment_request_answer_task_tokens_of_the_saga_alone(
    synthesized: Synthesized,
) -> None:
    # Given every saga function's grants on Step Functions
    machine_id, _ = _saga_machine(synthesized)
    answers = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
    granted = {
        handler: {
            action: resources
            for action, resources in _without_wildcards(
                synthesized.granted(ref_id(function["Properties"]["Role"]))
            ).items()
            if action in answers
        }
        for handler, (_, function) in _functions_by_handler(synthesized).items()
    }
    # Then the webhook answers (and heartbeats) the saga's tokens; a retried payment request may
    # deliver an answer already on record to its own new token; no other function answers any
    assert granted.pop(WEBHOOK_HANDLER) == {action: {machine_id} for action in answers}
    assert granted.pop(SAGA_HANDLERS["RequestPaymentFunctionArn"]) == {
        "states:SendTaskSuccess": {machine_id},
        "states:SendTaskFailure": {machine_id},
    }
    assert all(not actions for actions in granted.values()), granted


def test_saga_functions_get_their_business_settings(synthesized: Synthesized) -> None:
    # Given the saga's functions
    functions = _functions_by_handler(synthesized)
    env = {handler: f["Properties"]["Environment"]["Variables"] for handler, (_, f) in functions.items()}
    # Then BeginSaga's loop guard is the one the task code defaults to
    assert env[SAGA_HANDLERS["BeginSagaFunctionArn"]]["SAGA_MAX_REDRIVES"] == str(DEFAULT_MAX_REDRIVES)
    # Then the payment request sends to the provider endpoint of cdk.json's context, shipping
    # knows the destinations served
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    assert (
        env[SAGA_HANDLERS["RequestPaymentFunctionArn"]][c.PAYMENT_PROVIDER_ENDPOINT_ENV]
        == context[c.PAYMENT_PROVIDER_CONTEXT_KEY]
    )
    # And only that function knows it (the rest of the saga never calls the provider)
    holders = [handler for handler, variables in env.items() if c.PAYMENT_PROVIDER_ENDPOINT_ENV in variables]
    assert holders == [SAGA_HANDLERS["RequestPaymentFunctionArn"]]
    assert (
        env[SAGA_HANDLERS["ArrangeShipmentFunctionArn"]]["SUPPORTED_DESTINATIONS"]
        == "GB,IE,FR,DE,NL,BE,LU,ES,PT,IT,AT,DK,SE,FI"
    )
    # And every function reports as its own service
    for handler, variables in env.items():
        expected = "payment-webhook" if handler == WEBHOOK_HANDLER else "order-saga"
        assert variables["POWERTOOLS_SERVICE_NAME"] == expected, handler


# --- payment webhook ------------------------------------------------------------------------------


def test_webhook_route_is_an_open_lambda_proxy_on_an_api_of_its_own(synthesized: Synthesized) -> None:
    # Given the webhook function, the two APIs and their methods
    webhook_id, _ = _functions_by_handler(synthesized)[WEBHOOK_HANDLER]
    webhook_api, _ = synthesized.one_under("AWS::ApiGateway::RestApi", "PaymentWebhookApi")
    orders_api, _ = synthesized.one_under("AWS::ApiGateway::RestApi", "OrdersApi")
    (method_id,) = [
        lid
        for lid in synthesized.of_type("AWS::ApiGateway::Method")
        if synthesized.path_of(lid).endswith("/payments/webhook/POST/Resource")
    ]
    props = synthesized.resources[method_id]["Properties"]
    # Then POST /payments/webhook is on the webhook's own API, reachable without AWS credentials
    # (the provider has none: its notices are signed) ...
    assert ref_target(props["RestApiId"]) == webhook_api
    assert props["HttpMethod"] == "POST"
    assert props["AuthorizationType"] == "NONE"
    # ... validates the body and proxies to the webhook function
    assert "RequestValidatorId" in props
    assert "application/json" in props["RequestModels"]
    assert props["Integration"]["Type"] == "AWS_PROXY"
    assert {"Fn::GetAtt": [webhook_id, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]
    # And the AWS_IAM orders API has no payments route any more
    orders_paths = [
        resource["Properties"]["PathPart"]
        for resource in synthesized.of_type("AWS::ApiGateway::Resource").values()
        if ref_target(resource["Properties"]["RestApiId"]) == orders_api
    ]
    assert "payments" not in orders_paths


def test_webhook_role_answers_only_the_saga_callbacks(synthesized: Synthesized) -> None:
    # Given the webhook's role, the saga, the payments table and the signing secret
    _, webhook = _functions_by_handler(synthesized)[WEBHOOK_HANDLER]
    role_id = ref_id(webhook["Properties"]["Role"])
    machine_id, _ = _saga_machine(synthesized)
    secret_id, _ = synthesized.one_of_type("AWS::SecretsManager::Secret")
    grants = synthesized.granted(role_id)
    # Then the only Step Functions actions it has are the task responses, on the saga only
    states_actions = {a: t for a, t in grants.items() if a.startswith("states:")}
    assert states_actions == {
        "states:SendTaskSuccess": {machine_id},
        "states:SendTaskFailure": {machine_id},
        "states:SendTaskHeartbeat": {machine_id},
    }
    # And it reads the signing secret, and no other
    assert {a: t for a, t in grants.items() if a.startswith("secretsmanager:")} == {
        "secretsmanager:GetSecretValue": {secret_id},
        "secretsmanager:DescribeSecret": {secret_id},
    }
    # And it asks for no other service's actions than its tables, key, secret, logs and traces
    services = {action.split(":", 1)[0] for action in grants}
    assert services == {"states", "dynamodb", "kms", "logs", "xray", "secretsmanager"}
    variables = webhook["Properties"]["Environment"]["Variables"]
    assert variables["PAYMENTS_TABLE_NAME"] == {"Ref": _table_ids(synthesized)["Payments"]}
    assert variables["SIGNING_SECRET_ARN"] == {"Ref": secret_id}


def test_the_signing_secret_is_generated_and_encrypted_by_the_platform_key(synthesized: Synthesized) -> None:
    key_id, _ = synthesized.one_of_type("AWS::KMS::Key")
    _, secret = synthesized.one_of_type("AWS::SecretsManager::Secret")
    props = secret["Properties"]
    assert ref_target(props["KmsKeyId"]) == key_id
    assert props["GenerateSecretString"]["PasswordLength"] == c.PAYMENT_WEBHOOK_SECRET_LENGTH
    assert secret["DeletionPolicy"] == "Retain"


def test_the_notice_receipts_expire_by_ttl(synthesized: Synthesized) -> None:
    _, table = synthesized.one_under("AWS::DynamoDB::Table", f"{SAGA}/PaymentNoticesTable")
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": c.PAYMENT_NOTICES_TTL_ATTRIBUTE,
        "Enabled": True,
    }


@pytest.mark.parametrize("endpoint", ["http://psp.test/authorize", "psp.test", "https:///x", ""])
def test_a_provider_endpoint_that_is_not_https_fails_the_synth(endpoint: str) -> None:
    with pytest.raises(ValueError, match=c.PAYMENT_PROVIDER_CONTEXT_KEY):
        https_endpoint(endpoint)
