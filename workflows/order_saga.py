"""The order saga: OrderPlaced → queue → pipe → Standard workflow → reserve, pay, ship, confirm.

Why Standard: the saga waits for the payment provider through a callback
(`lambda:invoke.waitForTaskToken`, up to 15 minutes, far beyond Express's 5-minute limit);
its steps move money and stock, so they need Standard's exactly-once step execution rather
than Express's at-least-once; and every order's execution history is kept (90 days) for
audits and support. The price: a pipe can start a Standard workflow only FIRE_AND_FORGET, so
a failed execution never returns its message to the queue. Two things make up for it
(DESIGN.md, decision 9): the first step takes an idempotency lock on the order id, so a
duplicate delivery (which starts a second execution) ends quietly; and a rule on the default
bus parks every FAILED, TIMED_OUT or ABORTED execution's event, whose `detail.input` is the
original message, in the workflow-failures queue.

The queue between the bus and the pipe absorbs bursts and retries starts: the pipe deletes a
message only once StartExecution accepted it, and a message it cannot start moves to the
queue's DLQ after the platform's receive budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.lambda_factory import PlatformFunction
from workflows.paging import Cause, Page
from workflows.platform_foundation import PlatformFoundation
from workflows.workflow_parts import (
    asl_state_machine,
    park_failed_executions,
    queue_source_statements,
    rule_fed_queue,
    state_machine_pipe,
)

# Item-level DynamoDB access. IAM has no TransactWriteItems action: each item of a transaction
# is authorized as the PutItem / UpdateItem it performs, so the transactional tasks (the
# inventory reservation, append_event on the orders table) need exactly these.
# Reads only: the SKU check reads every line's item in one consistent BatchGetItem.
_READ_ITEMS: tuple[str, ...] = ("dynamodb:GetItem", "dynamodb:BatchGetItem")
_WRITE_ITEMS: tuple[str, ...] = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
_UPDATE_ITEMS: tuple[str, ...] = ("dynamodb:GetItem", "dynamodb:UpdateItem")

# What a function does with the platform key: read and write items of CMK-encrypted tables.
_TABLE_KEY_ACTIONS: list[str] = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]

# The environment variable each table's name is handed to a function in.
ORDERS_TABLE_ENV = "ORDERS_TABLE_NAME"
INVENTORY_TABLE_ENV = "INVENTORY_TABLE_NAME"
PAYMENTS_TABLE_ENV = "PAYMENTS_TABLE_NAME"
SHIPMENTS_TABLE_ENV = "SHIPMENTS_TABLE_NAME"

ORDER_PLACED_PATTERN: dict[str, list[str]] = {
    "source": [c.ORDERS_EVENT_SOURCE],
    "detail-type": [c.ORDER_PLACED_DETAIL_TYPE],
}


def https_endpoint(endpoint: str) -> str:
    """The payment provider endpoint if it is an absolute https:// URL; a synth-time error
    otherwise (the function refuses anything else too: ``payments.gateway.validated_endpoint``)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(
            f"context {c.PAYMENT_PROVIDER_CONTEXT_KEY} must be an https:// URL, got {endpoint!r}"
        )
    return endpoint


@dataclass(frozen=True)
class _Task:
    """One task function of the saga: what it runs, which tables it touches and how."""

    placeholder: str
    handler: str
    description: str
    # environment variable of a table -> the item actions this function needs on it
    tables: Mapping[str, tuple[str, ...]]
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def construct_id(self) -> str:
        """`BeginSagaFunctionArn` -> `BeginSagaFunction`: a local runtime finds it by its path."""
        return self.placeholder.removesuffix("Arn")


# The eleven task functions, in the order the saga runs them (forward steps, then compensations).
SAGA_TASKS: tuple[_Task, ...] = (
    _Task(
        c.SAGA_BEGIN_PLACEHOLDER,
        c.SAGA_BEGIN_HANDLER,
        "Order saga: checks OrderPlaced against the order and its outbox, checks the SKUs, takes the"
        " saga's idempotency lock",
        # Reads the order and its OrderPlaced record; the lock and a refusal are conditional puts
        # next to the order; the SKU check only reads stock.
        {ORDERS_TABLE_ENV: _WRITE_ITEMS, INVENTORY_TABLE_ENV: _READ_ITEMS},
        {
            "SAGA_MAX_REDRIVES": str(c.SAGA_MAX_REDRIVES),
            "SAGA_REFUSAL_RETENTION_DAYS": str(c.SAGA_REFUSAL_RETENTION_DAYS),
        },
    ),
    _Task(
        c.SAGA_RESERVE_PLACEHOLDER,
        c.SAGA_RESERVE_HANDLER,
        "Order saga: reserves the stock of every line in one conditional transaction",
        # Reads how many shards a SKU's stock has (and their levels when one cannot serve alone).
        {INVENTORY_TABLE_ENV: (*_WRITE_ITEMS, "dynamodb:BatchGetItem")},
    ),
    _Task(
        c.SAGA_REQUEST_PAYMENT_PLACEHOLDER,
        c.SAGA_REQUEST_PAYMENT_HANDLER,
        "Order saga: asks the payment provider to authorize, keeping the task token for the webhook",
        {PAYMENTS_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_SHIP_PLACEHOLDER,
        c.SAGA_SHIP_HANDLER,
        "Order saga: books the shipment to a supported destination",
        {SHIPMENTS_TABLE_ENV: _WRITE_ITEMS},
        {"SUPPORTED_DESTINATIONS": ",".join(c.SAGA_SUPPORTED_DESTINATIONS)},
    ),
    _Task(
        c.SAGA_CONFIRM_PLACEHOLDER,
        c.SAGA_CONFIRM_HANDLER,
        "Order saga: sets the order CONFIRMED and writes OrderConfirmed to the outbox in one transaction",
        {ORDERS_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_COMPENSATE_PLACEHOLDER,
        c.SAGA_COMPENSATE_HANDLER,
        "Order saga: reads the order before undoing anything; fences the saga so no confirmation can commit",
        # Reads the order, conditionally moves the saga lock next to it.
        {ORDERS_TABLE_ENV: _UPDATE_ITEMS},
    ),
    _Task(
        c.SAGA_CANCEL_SHIPMENT_PLACEHOLDER,
        c.SAGA_CANCEL_SHIPMENT_HANDLER,
        "Order saga compensation: cancels the booked shipment (idempotent)",
        {SHIPMENTS_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_VOID_PAYMENT_PLACEHOLDER,
        c.SAGA_VOID_PAYMENT_HANDLER,
        "Order saga compensation: voids the authorization or withdraws the open request (idempotent)",
        {PAYMENTS_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_RELEASE_PLACEHOLDER,
        c.SAGA_RELEASE_HANDLER,
        "Order saga compensation: returns the reserved stock (idempotent)",
        {INVENTORY_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_CANCEL_ORDER_PLACEHOLDER,
        c.SAGA_CANCEL_ORDER_HANDLER,
        "Order saga: sets the order CANCELLED and writes OrderCancelled to the outbox in one transaction",
        {ORDERS_TABLE_ENV: _WRITE_ITEMS},
    ),
    _Task(
        c.SAGA_PARK_PLACEHOLDER,
        c.SAGA_PARK_HANDLER,
        "Order saga: a compensation failed for good, the order becomes NEEDS_ATTENTION",
        {ORDERS_TABLE_ENV: _WRITE_ITEMS},
    ),
)


class OrderSaga(Construct):
    """Runs `asl/order_saga.asl.json` once per placed order, with its trigger and safety nets.

    Attributes:
        inventory_table, payments_table, shipments_table: the saga's tables (`pk` only);
            the payments table stands for the payment provider's ledger.
        tables: the same three, keyed by their environment variable (INVENTORY_TABLE_NAME...).
        functions: the eleven task Lambdas, keyed by their ASL placeholder.
        webhook_function: the payment webhook Lambda, which answers the AuthorizePayment
            callback (the stack puts it behind `PaymentWebhookApi`).
        webhook_secret: the secret the provider signs its notices with (AWSCURRENT and
            AWSPREVIOUS are both valid: `operations/rotate_webhook_secret.py`).
        payment_notices_table: the notices the webhook took, for as long as a replay could pass
            (Powertools Idempotency records, expiring by TTL).
        state_machine: the Standard state machine.
        log_group: its execution log group (level ALL, with execution data).
        order_placed_rule: the platform-bus rule delivering OrderPlaced to `queue`.
        order_placed_target_dlq: where that rule parks events it could not deliver.
        queue, queue_dlq: the saga's work queue and the DLQ of messages no execution could start.
        pipe: the EventBridge Pipe from `queue` to the state machine (L1), FIRE_AND_FORGET.
        pipe_role: the pipe's hand-reviewed execution role.
        pipe_log_group: the pipe's error log group.
        failure_rule: the default-bus rule on FAILED / TIMED_OUT / ABORTED executions.
        failures_queue: the workflow-failures DLQ it parks whole execution events in.
        failure_target_dlq: where that rule parks events it could not deliver.
        pages: what this workflow pages the on-call engineer for (`workflows.paging`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        foundation: PlatformFoundation,
        payment_provider_endpoint: str = c.PAYMENT_PROVIDER_DEFAULT_ENDPOINT,
    ) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        self._payment_provider_endpoint = https_endpoint(payment_provider_endpoint)
        self._build_tables()
        self._build_functions()
        self.log_group: logs.LogGroup = foundation.log_group(
            self, "StateMachineLogGroup", log_group_name=c.SAGA_STATE_MACHINE_LOG_GROUP
        )
        self.state_machine = self._build_state_machine()
        self._grant_recorded_answers()
        self._build_webhook()
        self._build_trigger()
        self._build_failure_rule()
        self.pages = self._request_pages()

    # --- tables -------------------------------------------------------------------------

    def _build_tables(self) -> None:
        foundation = self._foundation
        self.inventory_table: dynamodb.Table = foundation.table(self, "InventoryTable")
        self.payments_table: dynamodb.Table = foundation.table(self, "PaymentsTable")
        self.shipments_table: dynamodb.Table = foundation.table(self, "ShipmentsTable")
        self.tables: dict[str, dynamodb.Table] = {
            INVENTORY_TABLE_ENV: self.inventory_table,
            PAYMENTS_TABLE_ENV: self.payments_table,
            SHIPMENTS_TABLE_ENV: self.shipments_table,
        }

    # --- task functions -----------------------------------------------------------------

    def _build_functions(self) -> None:
        self.functions: dict[str, lambda_.Function] = {}
        endpoint = {c.PAYMENT_PROVIDER_ENDPOINT_ENV: self._payment_provider_endpoint}
        for task in SAGA_TASKS:
            settings = {
                **task.settings,
                **(endpoint if task.placeholder == c.SAGA_REQUEST_PAYMENT_PLACEHOLDER else {}),
            }
            handler = self._function(
                task.construct_id,
                package=c.SAGA_PACKAGE,
                handler=task.handler,
                service_name=c.SAGA_SERVICE_NAME,
                description=task.description,
                tables=task.tables,
                settings=settings,
                memory_size=c.SAGA_FUNCTION_MEMORY_MB,
                timeout_seconds=c.SAGA_FUNCTION_TIMEOUT_SECONDS,
            )
            self.functions[task.placeholder] = handler.function

    def _function(
        self,
        construct_id: str,
        *,
        package: str,
        handler: str,
        service_name: str,
        description: str,
        tables: Mapping[str, tuple[str, ...]],
        settings: Mapping[str, str],
        memory_size: int,
        timeout_seconds: int,
    ) -> PlatformFunction:
        """A function that gets each table it uses by name and only the item actions it needs."""
        by_env = {ORDERS_TABLE_ENV: self._foundation.orders_table, **self.tables}
        function = PlatformFunction(
            self,
            construct_id,
            package=package,
            handler=handler,
            service_name=service_name,
            description=description,
            key=self._foundation.key,
            environment={
                **{env: by_env[env].table_name for env in tables},
                **settings,
            },
            memory_size=memory_size,
            timeout_seconds=timeout_seconds,
        )
        for env, actions in tables.items():
            table_label = env.removesuffix("_TABLE_NAME").title()
            function.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid=f"{table_label}TableItemAccess",
                    actions=list(actions),
                    resources=[by_env[env].table_arn],
                )
            )
        if tables:
            function.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="PlatformKeyUseForTables",
                    actions=_TABLE_KEY_ACTIONS,
                    resources=[self._foundation.key.key_arn],
                )
            )
        return function

    # --- state machine ------------------------------------------------------------------

    def _build_state_machine(self) -> sfn.StateMachine:
        foundation = self._foundation
        return asl_state_machine(
            self,
            asl_name=c.SAGA_ASL_NAME,
            state_machine_type=sfn.StateMachineType.STANDARD,
            tasks=self.functions,
            extra_substitutions={c.SAGA_ALERT_TOPIC_PLACEHOLDER: foundation.alarm_topic.topic_arn},
            log_group=self.log_group,
            role_description="Order saga state machine: invokes its eleven tasks, alerts the operators",
            invoke_sid="InvokeSagaTasks",
            extra_statements=[
                iam.PolicyStatement(
                    sid="AlertOperators",
                    actions=["sns:Publish"],
                    resources=[foundation.alarm_topic.topic_arn],
                ),
                # The ops topic is encrypted with the platform key: publishing needs a data key.
                iam.PolicyStatement(
                    sid="EncryptAlertsForTheTopic",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[foundation.key.key_arn],
                ),
            ],
        )

    def _grant_recorded_answers(self) -> None:
        """A retried AuthorizePayment delivers an answer already on record to its new token.

        A separate policy rather than the role's default one: the function must not depend on
        the state machine, whose definition names the function (a dependency cycle otherwise).
        """
        request_payment = self.functions[c.SAGA_REQUEST_PAYMENT_PLACEHOLDER]
        role = request_payment.role
        if role is None:  # pragma: no cover - PlatformFunction always creates a role
            raise ValueError("the payment request function has no role")
        iam.Policy(
            self,
            "RequestPaymentAnswersItsTask",
            statements=[
                iam.PolicyStatement(
                    sid="AnswerOwnPaymentCallback",
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                    resources=[self.state_machine.state_machine_arn],
                )
            ],
            roles=[role],
        )

    # --- payment webhook: the callback's other end -----------------------------------------

    def _build_webhook(self) -> None:
        foundation = self._foundation
        self.webhook_secret = secretsmanager.Secret(
            self,
            "PaymentWebhookSecret",
            description="Signs the payment provider's webhook notices (HMAC-SHA256); hand it to the provider",
            encryption_key=foundation.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=c.PAYMENT_WEBHOOK_SECRET_LENGTH, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            self.webhook_secret,
            [
                NagPackSuppression(
                    id="AwsSolutions-SMG4",
                    reason=(
                        "A shared webhook secret cannot rotate on its own: the provider must be given "
                        "the new value. Operators rotate it with operations/rotate_webhook_secret.py "
                        "(README, payment notices), which keeps the previous value valid until the next "
                        "rotation so no notice is lost while the provider switches."
                    ),
                )
            ],
        )
        self.payment_notices_table: dynamodb.Table = foundation.table(
            self, "PaymentNoticesTable", time_to_live_attribute=c.PAYMENT_NOTICES_TTL_ATTRIBUTE
        )
        webhook = self._function(
            "PaymentWebhookFunction",
            package=c.PAYMENT_WEBHOOK_PACKAGE,
            handler=c.PAYMENT_WEBHOOK_HANDLER,
            service_name=c.PAYMENT_WEBHOOK_SERVICE_NAME,
            description="Payment webhook: authenticates a provider notice, records it, answers the callback",
            tables={PAYMENTS_TABLE_ENV: _UPDATE_ITEMS},
            settings={
                "SIGNING_SECRET_ARN": self.webhook_secret.secret_arn,
                "PAYMENT_NOTICES_TABLE_NAME": self.payment_notices_table.table_name,
            },
            memory_size=c.PAYMENT_WEBHOOK_MEMORY_MB,
            timeout_seconds=c.PAYMENT_WEBHOOK_TIMEOUT_SECONDS,
        )
        # Task tokens of this state machine only (what StateMachine.grant_task_response grants).
        webhook.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AnswerSagaPaymentCallbacks",
                actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                resources=[self.state_machine.state_machine_arn],
            )
        )
        # Powertools Idempotency's records of the notices taken: conditional put, get, update, delete.
        webhook.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PaymentNoticeReceipts",
                actions=[
                    "dynamodb:PutItem",
                    "dynamodb:GetItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                resources=[self.payment_notices_table.table_arn],
            )
        )
        # GetSecretValue on this secret, and Decrypt with the platform key through Secrets Manager only.
        self.webhook_secret.grant_read(webhook.role)
        self.webhook_function: lambda_.Function = webhook.function

    # --- trigger: bus rule → queue → pipe → state machine ---------------------------------

    def _build_trigger(self) -> None:
        fed = rule_fed_queue(
            self,
            self._foundation,
            queue_id="OrderPlacedQueue",
            target_dlq_id="OrderPlacedTargetDlq",
            rule_id="OrderPlacedRule",
            description="Every OrderPlaced event on the platform bus starts one order saga",
            event_pattern=events.EventPattern(
                source=ORDER_PLACED_PATTERN["source"],
                detail_type=ORDER_PLACED_PATTERN["detail-type"],
            ),
            event_bus=self._foundation.event_bus,
            visibility_timeout=Duration.seconds(c.SAGA_QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        )
        self.queue: sqs.Queue = fed.queue
        self.queue_dlq: sqs.Queue = fed.dead_letter_queue
        self.order_placed_target_dlq: sqs.Queue = fed.target_dlq
        self.order_placed_rule = fed.rule
        self._build_pipe()

    def _build_pipe(self) -> None:
        foundation = self._foundation
        self.pipe_log_group: logs.LogGroup = foundation.log_group(
            self, "PipeLogGroup", log_group_name=c.SAGA_PIPE_LOG_GROUP
        )
        # No dead-letter config on the pipe: Pipes supports none for SQS sources. A message the
        # pipe cannot start an execution for stays in the queue and, after the receive budget,
        # moves to `queue_dlq`.
        self.pipe, self.pipe_role = state_machine_pipe(
            self,
            description="OrderPlaced queue to the order saga, one execution per order",
            role_description="Order saga pipe: reads the OrderPlaced queue, starts one saga per message",
            source=self.queue.queue_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(
                    batch_size=c.SAGA_PIPE_BATCH_SIZE
                ),
            ),
            source_statements=queue_source_statements(
                self.queue, foundation.key.key_arn, sid="ConsumeOrderPlacedQueue"
            ),
            state_machine=self.state_machine,
            invocation_type=c.SAGA_PIPE_INVOCATION_TYPE,
            start_sid="StartOrderSaga",
            log_group=self.pipe_log_group,
            log_group_name=c.SAGA_PIPE_LOG_GROUP,
            log_level=c.SAGA_PIPE_LOG_LEVEL,
        )

    # --- safety net: failed executions are parked -----------------------------------------

    def _build_failure_rule(self) -> None:
        self.failure_rule, self.failures_queue, self.failure_target_dlq = park_failed_executions(
            self, self._foundation, self.state_machine, workflow="order saga"
        )

    # --- pages --------------------------------------------------------------------------

    def _request_pages(self) -> dict[str, Page]:
        """What pages the on-call engineer: each parking queue that holds a message, and a failed
        execution. A failed execution is also its input in the failures queue: one cause, one page."""
        pager = self._foundation.pager
        failed = pager.cause(
            self,
            "ExecutionFailed",
            description="An order saga execution failed, timed out or was aborted; its input is parked",
        )
        parked: list[tuple[str, sqs.IQueue, str, Cause | None]] = [
            (
                "QueueDlqNotEmpty",
                self.queue_dlq,
                "The order saga pipe could not start an execution for a placed order",
                None,
            ),
            (
                "WorkflowFailuresNotEmpty",
                self.failures_queue,
                "An order saga execution failed, timed out or was aborted; its input is parked",
                failed,
            ),
            (
                "OrderPlacedTargetDlqNotEmpty",
                self.order_placed_target_dlq,
                "The OrderPlaced rule could not deliver an event to the order saga queue",
                None,
            ),
            (
                "WorkflowFailuresTargetDlqNotEmpty",
                self.failure_target_dlq,
                "The workflow-failures rule could not park a failed order saga execution",
                None,
            ),
        ]
        pages = {
            name: pager.when_not_empty(self, f"{name}Alarm", queue=queue, description=text, cause=cause)
            for name, queue, text, cause in parked
        }
        pages["ExecutionsFailed"] = pager.when_executions_fail(
            self,
            "ExecutionsFailedAlarm",
            state_machine=self.state_machine,
            description="Order saga executions failed: their inputs are in the workflow-failures queue",
            cause=failed,
        )
        return pages
