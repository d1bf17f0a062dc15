"""The transactional-outbox publisher: stream → pipe → Express workflow → event bus.

Why Express: a publication is short (seconds), high-volume and idempotent, and the pipe
invokes it REQUEST_RESPONSE, so a failed execution fails the pipe batch and DynamoDB
Streams delivers it again (bounded by MaximumRetryAttempts, then the pipe DLQ). A
Standard workflow would only take FIRE_AND_FORGET and lose that feedback. The sweeper
schedule republishes whatever every retry left PENDING.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflows import constants as c
from workflows.lambda_factory import PlatformFunction
from workflows.paging import Page
from workflows.platform_foundation import PlatformFoundation
from workflows.workflow_parts import asl_state_machine, state_machine_pipe, stream_source_statements

# Only new outbox records start a publication: order items, updates (claims, marks) and TTL
# deletions of the same table never reach the workflow.
OUTBOX_INSERT_FILTER: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"recordType": {"S": [c.OUTBOX_RECORD_TYPE]}}},
}


class OutboxPublisher(Construct):
    """Publishes outbox records to the bus exactly as `asl/outbox_publisher.asl.json` says.

    Attributes:
        claim_function, retry_function, mark_function: the workflow's task Lambdas.
        functions: the same three, keyed by their ASL placeholder.
        state_machine: the Express state machine.
        log_group: the state machine's execution log group (level ALL, with execution data).
        pipe: the EventBridge Pipe from the orders table stream to the state machine (L1).
        pipe_role: the pipe's execution role.
        pipe_log_group: the pipe's error log group.
        pipe_dead_letter_queue: where batches land after MaximumRetryAttempts.
        sweeper_rule: the schedule that republishes records left PENDING.
        sweeper_dead_letter_queue: where sweeper invocations land when they cannot start.
        pages: what this workflow pages the on-call engineer for (`workflows.paging`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: PlatformFoundation) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        self._build_functions()
        self.log_group = foundation.log_group(
            self, "StateMachineLogGroup", log_group_name=c.OUTBOX_STATE_MACHINE_LOG_GROUP
        )
        self.state_machine = self._build_state_machine()
        self._build_pipe()
        self._build_sweeper()
        self.pages = self._request_pages()

    # --- task functions -----------------------------------------------------------------

    def _build_functions(self) -> None:
        foundation = self._foundation
        table = foundation.orders_table
        claim = self._task(
            "ClaimFunction",
            handler=c.OUTBOX_CLAIM_HANDLER,
            description="Outbox publisher: claims PENDING outbox records and batches them for PutEvents",
            environment={
                "ORDERS_TABLE_NAME": table.table_name,
                "EVENT_BUS_NAME": foundation.event_bus.event_bus_name,
                "EVENT_SOURCE": c.ORDERS_EVENT_SOURCE,
                "CLAIM_LEASE_SECONDS": str(c.OUTBOX_CLAIM_LEASE_SECONDS),
                "SWEEP_MIN_AGE_SECONDS": str(c.OUTBOX_SWEEP_MIN_AGE_SECONDS),
                "SWEEP_LIMIT": str(c.OUTBOX_SWEEP_LIMIT),
            },
        )
        retry = self._task(
            "FailedEntriesFunction",
            handler=c.OUTBOX_RETRY_HANDLER,
            description="Outbox publisher: keeps the entries PutEvents rejected and computes the backoff",
            environment={
                "MAX_PUBLISH_ATTEMPTS": str(c.OUTBOX_MAX_PUBLISH_ATTEMPTS),
                "RETRY_BASE_DELAY_SECONDS": str(c.OUTBOX_RETRY_BASE_DELAY_SECONDS),
                "RETRY_MAX_DELAY_SECONDS": str(c.OUTBOX_RETRY_MAX_DELAY_SECONDS),
            },
        )
        mark = self._task(
            "MarkFunction",
            handler=c.OUTBOX_MARK_HANDLER,
            description="Outbox publisher: marks published records and releases failed ones",
            environment={
                "ORDERS_TABLE_NAME": table.table_name,
                "PUBLISHED_TTL_DAYS": str(c.OUTBOX_PUBLISHED_TTL_DAYS),
            },
        )

        # Claim: conditional claims (and un-claims) on items, and the sweep's query of the sparse
        # backlog index.
        claim.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ClaimOutboxRecords",
                actions=["dynamodb:UpdateItem"],
                resources=[table.table_arn],
            )
        )
        claim.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SweepPendingOutbox",
                actions=["dynamodb:Query"],
                resources=[f"{table.table_arn}/index/{c.PENDING_OUTBOX_INDEX}"],
            )
        )
        # Mark: conditional updates only (PUBLISHED + TTL, or back to PENDING).
        mark.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="MarkOutboxRecords",
                actions=["dynamodb:UpdateItem"],
                resources=[table.table_arn],
            )
        )
        for handler in (claim, mark):
            handler.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="OrdersTableKeyUse",
                    actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[foundation.key.key_arn],
                )
            )
        # The failed-entries function is pure computation: no data access at all.

        self.claim_function: lambda_.Function = claim.function
        self.retry_function: lambda_.Function = retry.function
        self.mark_function: lambda_.Function = mark.function
        self.functions: dict[str, lambda_.Function] = {
            c.OUTBOX_CLAIM_FUNCTION_PLACEHOLDER: claim.function,
            c.OUTBOX_RETRY_FUNCTION_PLACEHOLDER: retry.function,
            c.OUTBOX_MARK_FUNCTION_PLACEHOLDER: mark.function,
        }

    def _task(
        self, construct_id: str, *, handler: str, description: str, environment: dict[str, str]
    ) -> PlatformFunction:
        """One of the workflow's task functions, all shipped from the `outbox_publisher` package."""
        return PlatformFunction(
            self,
            construct_id,
            package="outbox_publisher",
            handler=handler,
            service_name="outbox-publisher",
            description=description,
            key=self._foundation.key,
            environment=environment,
            memory_size=c.OUTBOX_FUNCTION_MEMORY_MB,
            timeout_seconds=c.OUTBOX_FUNCTION_TIMEOUT_SECONDS,
        )

    # --- state machine ------------------------------------------------------------------

    def _build_state_machine(self) -> sfn.StateMachine:
        return asl_state_machine(
            self,
            asl_name=c.OUTBOX_ASL_NAME,
            state_machine_type=sfn.StateMachineType.EXPRESS,
            tasks=self.functions,
            log_group=self.log_group,
            role_description="Outbox publisher state machine: invokes its three tasks, publishes to the bus",
            invoke_sid="InvokeOutboxTasks",
            extra_statements=[
                iam.PolicyStatement(
                    sid="PublishToOrderPlatformBus",
                    actions=["events:PutEvents"],
                    resources=[self._foundation.event_bus.event_bus_arn],
                )
            ],
        )

    # --- trigger: DynamoDB stream → pipe → state machine ---------------------------------

    def _build_pipe(self) -> None:
        foundation = self._foundation
        stream_arn = foundation.orders_table.table_stream_arn
        if stream_arn is None:  # pragma: no cover - the foundation always enables the stream
            raise ValueError("the orders table has no stream")
        self.pipe_dead_letter_queue: sqs.Queue = foundation.dead_letter_queue(
            self, "PipeDlq", parks="the outbox pipe (metadata of stream batches that failed every retry)"
        )
        self.pipe_log_group: logs.LogGroup = foundation.log_group(
            self, "PipeLogGroup", log_group_name=c.OUTBOX_PIPE_LOG_GROUP
        )
        self.pipe, self.pipe_role = state_machine_pipe(
            self,
            description="Orders table stream (new outbox records) to the outbox publisher",
            role_description="Outbox pipe: reads the orders table stream, starts the publisher synchronously",
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position=c.OUTBOX_PIPE_STARTING_POSITION,
                    batch_size=c.OUTBOX_PIPE_BATCH_SIZE,
                    maximum_batching_window_in_seconds=c.OUTBOX_PIPE_MAX_BATCHING_WINDOW_SECONDS,
                    maximum_retry_attempts=c.OUTBOX_PIPE_MAX_RETRY_ATTEMPTS,
                    on_partial_batch_item_failure=c.OUTBOX_PIPE_PARTIAL_BATCH_FAILURE,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=self.pipe_dead_letter_queue.queue_arn
                    ),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(OUTBOX_INSERT_FILTER))]
                ),
            ),
            source_statements=stream_source_statements(
                stream_arn=stream_arn,
                key_arn=foundation.key.key_arn,
                dead_letter_queue_arn=self.pipe_dead_letter_queue.queue_arn,
            ),
            state_machine=self.state_machine,
            invocation_type=c.OUTBOX_PIPE_INVOCATION_TYPE,
            start_sid="StartPublisherSynchronously",
            log_group=self.pipe_log_group,
            log_group_name=c.OUTBOX_PIPE_LOG_GROUP,
            log_level=c.OUTBOX_PIPE_LOG_LEVEL,
        )

    # --- safety net: the sweeper --------------------------------------------------------

    def _build_sweeper(self) -> None:
        self.sweeper_dead_letter_queue: sqs.Queue = self._foundation.dead_letter_queue(
            self, "SweeperDlq", parks="the sweeper schedule's state machine target"
        )
        self.sweeper_rule = events.Rule(
            self,
            "SweeperSchedule",
            description="Republishes outbox records every pipe delivery left PENDING",
            schedule=events.Schedule.rate(Duration.minutes(c.OUTBOX_SWEEP_RATE_MINUTES)),
        )
        self.sweeper_rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                input=events.RuleTargetInput.from_object(
                    {"sweep": {"olderThanSeconds": c.OUTBOX_SWEEP_MIN_AGE_SECONDS}}
                ),
                dead_letter_queue=self.sweeper_dead_letter_queue,
                retry_attempts=c.OUTBOX_SWEEP_TARGET_MAX_RETRY_ATTEMPTS,
                max_event_age=Duration.minutes(c.OUTBOX_SWEEP_TARGET_MAX_EVENT_AGE_MINUTES),
            )
        )

    # --- pages --------------------------------------------------------------------------

    def _request_pages(self) -> dict[str, Page]:
        """What pages the on-call engineer. Failed executions and a parked stream batch are one
        cause (the publisher keeps failing: the pipe retries, then parks the batch), so one page."""
        pager = self._foundation.pager
        failing = pager.cause(
            self,
            "PublishingFailed",
            description="The outbox publisher is failing: records may stay unpublished until the sweeper",
        )
        return {
            "PipeDlqNotEmpty": pager.when_not_empty(
                self,
                "PipeDlqNotEmptyAlarm",
                queue=self.pipe_dead_letter_queue,
                description="Outbox pipe parked a stream batch after every retry: records may be unpublished",
                cause=failing,
            ),
            "SweeperDlqNotEmpty": pager.when_not_empty(
                self,
                "SweeperDlqNotEmptyAlarm",
                queue=self.sweeper_dead_letter_queue,
                description="The outbox sweeper schedule could not start the publisher",
            ),
            "ExecutionsFailed": pager.when_executions_fail(
                self,
                "ExecutionsFailedAlarm",
                state_machine=self.state_machine,
                description="Outbox publisher executions failed: the pipe retries, then the sweeper",
                cause=failing,
            ),
        }
