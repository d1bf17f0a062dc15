"""Shared infrastructure every workflow builds on: key, bus, orders table, ops topic, queues.

Why one construct: encryption, retention and dead-letter rules are platform decisions.
Workflows ask the foundation for a table, a queue or a log group instead of configuring
their own, so "every queue has a DLQ and is encrypted" holds by construction and is tested
once.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.paging import Pager

_RETENTION: dict[int, logs.RetentionDays] = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    log_group_name: str | None = None,
) -> logs.LogGroup:
    """A log group with the platform's retention, encrypted with the platform key.

    Log groups are destroyed with the stack: they hold diagnostics, not business data, and a
    retained group with a fixed name would block the next deployment.
    """
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=log_group_name,
        retention=_RETENTION[c.LOG_RETENTION_DAYS],
        encryption_key=key,
        removal_policy=RemovalPolicy.DESTROY,
    )


@dataclass(frozen=True)
class DlqBackedQueue:
    """A work queue and the dead-letter queue its poison messages end up in."""

    queue: sqs.Queue
    dead_letter_queue: sqs.Queue


class PlatformFoundation(Construct):
    """Customer-managed key, event bus, orders table, ops-alerts topic; table and queue helpers.

    Attributes:
        key: the customer-managed KMS key (rotation on) that encrypts table, queues, topic, logs.
        event_bus: the custom bus integration events are published to.
        orders_table: the single table holding orders and their outbox records.
        alarm_topic: the SNS topic every page goes to.
        pager: the alarms the workflows ask for (`workflows.paging`); the dashboard builds them.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = self._build_key()
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=c.EVENT_BUS_NAME)
        self.orders_table = self._build_orders_table()
        self.alarm_topic = sns.Topic(
            self,
            "OpsAlerts",
            display_name="Order platform operational alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.pager = Pager()

    def _build_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "Key",
            description="Order platform data key: tables, queues, ops topic and log groups",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        same_account = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        # CloudWatch Logs encrypts the platform's log groups (and only log groups of this account).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )
        # CloudWatch alarms publish to the encrypted ops topic; EventBridge parks failed rule
        # deliveries in encrypted DLQs. Both services need the key, for this account only.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmAndRuleDeliveriesOfThisAccount",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions=same_account,
            )
        )
        return key

    def _build_orders_table(self) -> dynamodb.Table:
        table = self.table(
            self,
            "OrdersTable",
            partition_key=c.ORDERS_TABLE_PARTITION_KEY,
            sort_key=c.ORDERS_TABLE_SORT_KEY,
            # The outbox pipe only needs what was written; NEW_IMAGE keeps stream records small.
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            time_to_live_attribute=c.ORDERS_TABLE_TTL_ATTRIBUTE,
        )
        # Sparse index: only outbox records still waiting to be published carry `pendingShard`,
        # so the sweeper reads exactly the backlog, oldest first.
        table.add_global_secondary_index(
            index_name=c.PENDING_OUTBOX_INDEX,
            partition_key=dynamodb.Attribute(
                name=c.PENDING_OUTBOX_INDEX_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(
                name=c.PENDING_OUTBOX_INDEX_SORT_KEY, type=dynamodb.AttributeType.STRING
            ),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        return table

    def table(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: str = c.TABLE_PARTITION_KEY,
        sort_key: str | None = None,
        stream: dynamodb.StreamViewType | None = None,
        time_to_live_attribute: str | None = None,
    ) -> dynamodb.Table:
        """A platform table: string keys, on demand, point-in-time recovery, the platform key.

        Tables hold business data (orders, stock, the payment ledger, shipments), so they are
        retained when the stack is deleted.
        """

        def string_key(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)

        return dynamodb.Table(
            scope,
            construct_id,
            partition_key=string_key(partition_key),
            sort_key=string_key(sort_key) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=stream,
            time_to_live_attribute=time_to_live_attribute,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def log_group(
        self, scope: Construct, construct_id: str, *, log_group_name: str | None = None
    ) -> logs.LogGroup:
        """A platform log group (retention, encryption with the platform key)."""
        return encrypted_log_group(scope, construct_id, key=self.key, log_group_name=log_group_name)

    def dead_letter_queue(self, scope: Construct, construct_id: str, *, parks: str) -> sqs.Queue:
        """A terminal, encrypted, SSL-only dead-letter queue keeping messages 14 days.

        `parks` says whose failures land here; it becomes the cdk-nag acknowledgement that a
        dead-letter queue has no dead-letter queue of its own.
        """
        queue = self._encrypted_queue(scope, construct_id, retention_days=c.DLQ_RETENTION_DAYS)
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id="AwsSolutions-SQS3",
                    reason=(
                        f"This queue is itself the dead-letter queue of {parks}; it keeps messages for "
                        f"{c.DLQ_RETENTION_DAYS} days and is alarmed on, a further DLQ would only move "
                        "the parked messages again."
                    ),
                )
            ],
        )
        return queue

    def dlq_backed_queue(
        self,
        scope: Construct,
        construct_id: str,
        *,
        visibility_timeout: Duration,
        max_receive_count: int = c.DLQ_MAX_RECEIVE_COUNT,
    ) -> DlqBackedQueue:
        """An encrypted, SSL-only work queue whose poison messages move to a dead-letter queue."""
        dlq = self.dead_letter_queue(scope, f"{construct_id}Dlq", parks=f"the {construct_id} queue")
        queue = self._encrypted_queue(
            scope,
            construct_id,
            retention_days=c.QUEUE_RETENTION_DAYS,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=max_receive_count),
        )
        return DlqBackedQueue(queue=queue, dead_letter_queue=dlq)

    def _encrypted_queue(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int,
        visibility_timeout: Duration | None = None,
        dead_letter_queue: sqs.DeadLetterQueue | None = None,
    ) -> sqs.Queue:
        """Every queue of the platform: the platform key, SSL only, a set retention."""
        return sqs.Queue(
            scope,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            retention_period=Duration.days(retention_days),
            visibility_timeout=visibility_timeout,
            dead_letter_queue=dead_letter_queue,
        )
