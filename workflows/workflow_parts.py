"""The two pieces every workflow construct builds the same way: its state machine and its pipe.

A state machine is always the ASL file with checked substitutions, a role that may invoke
exactly the workflow's task functions (plus what the caller adds), logging level ALL with
execution data, and X-Ray. A pipe is always a trigger (source → optional filter → start the
state machine) with a hand-reviewed role and an error log. Building both here keeps those
rules in one place; the resources keep the ids the workflows gave them before
("StateMachineRole", "StateMachine", "PipeRole", "Pipe"), so logical ids are stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.asl import load_definition, placeholders
from workflows.platform_foundation import PlatformFoundation

_START_ACTION = {"REQUEST_RESPONSE": "states:StartSyncExecution", "FIRE_AND_FORGET": "states:StartExecution"}


def asl_state_machine(
    scope: Construct,
    *,
    asl_name: str,
    state_machine_type: sfn.StateMachineType,
    tasks: Mapping[str, lambda_.IFunction],
    log_group: logs.ILogGroup,
    role_description: str,
    invoke_sid: str,
    extra_substitutions: Mapping[str, str] | None = None,
    extra_statements: Sequence[iam.PolicyStatement] = (),
    include_execution_data: bool = True,
    state_machine_name: str | None = None,
) -> sfn.StateMachine:
    """`asl/<asl_name>.asl.json`, deployed verbatim; every `${Placeholder}` must be substituted.

    `tasks` maps placeholders to the functions the definition invokes: the role may invoke
    exactly those (unqualified ARNs: the ASL invokes $LATEST, so no ':*' wildcard).
    `include_execution_data=False` keeps inputs and outputs out of the execution log (level ALL
    still logs every state transition and error name): for workflows whose state carries
    personal data.
    """
    definition = load_definition(asl_name)
    substitutions = {name: function.function_arn for name, function in tasks.items()}
    substitutions.update(extra_substitutions or {})
    expected = placeholders(definition)
    if expected != set(substitutions):
        raise ValueError(
            f"asl/{asl_name}.asl.json placeholders {sorted(expected)} do not match "
            f"the substitutions {sorted(substitutions)}"
        )
    role = iam.Role(
        scope,
        "StateMachineRole",
        assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        description=role_description,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=invoke_sid,
            actions=["lambda:InvokeFunction"],
            resources=[function.function_arn for function in tasks.values()],
        )
    )
    for statement in extra_statements:
        role.add_to_principal_policy(statement)
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=state_machine_name,
        state_machine_type=state_machine_type,
        definition_body=sfn.DefinitionBody.from_string(definition),
        definition_substitutions=substitutions,
        role=role,
        logs=sfn.LogOptions(
            destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=include_execution_data
        ),
        tracing_enabled=True,
    )
    NagSuppressions.add_resource_suppressions(
        role,
        [
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason=(
                    "Added by CDK for logging level ALL and X-Ray: the CloudWatch Logs vended-delivery "
                    "actions (logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and "
                    "xray:PutTraceSegments / GetSamplingRules support no resource-level permissions, "
                    "so they need Resource '*'. Task invocation and every other statement name their "
                    "resources."
                ),
                applies_to=["Resource::*"],
            )
        ],
        apply_to_children=True,
    )
    return state_machine


def stream_source_statements(
    *, stream_arn: str, key_arn: str, dead_letter_queue_arn: str
) -> list[iam.PolicyStatement]:
    """What a pipe reading an encrypted DynamoDB stream, with an encrypted DLQ, needs: read the
    stream (these actions name the stream only), decrypt it with the platform key and encrypt
    what it parks, and send to its own dead-letter queue."""
    return [
        iam.PolicyStatement(
            sid="ReadTableStream",
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            resources=[stream_arn],
        ),
        iam.PolicyStatement(
            sid="DecryptStreamAndEncryptDlq",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[key_arn],
        ),
        iam.PolicyStatement(
            sid="ParkFailedBatches",
            actions=["sqs:SendMessage"],
            resources=[dead_letter_queue_arn],
        ),
    ]


def state_machine_pipe(
    scope: Construct,
    *,
    description: str,
    role_description: str,
    source: str,
    source_parameters: pipes.CfnPipe.PipeSourceParametersProperty,
    source_statements: Sequence[iam.PolicyStatement],
    state_machine: sfn.IStateMachine,
    invocation_type: str,
    start_sid: str,
    log_group: logs.ILogGroup,
    log_group_name: str,
    log_level: str,
    include_execution_data: bool = True,
) -> tuple[pipes.CfnPipe, iam.Role]:
    """A pipe that only triggers: it reads `source` and starts the state machine.

    No cdk-nag rule covers pipes, so the role is reviewed here: the caller's source statements
    name their resources, starting is allowed on this state machine only, and the role can be
    assumed by Pipes for this account only.
    """
    role = iam.Role(
        scope,
        "PipeRole",
        assumed_by=iam.ServicePrincipal(
            "pipes.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        ),
        description=role_description,
    )
    for statement in source_statements:
        role.add_to_principal_policy(statement)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=start_sid,
            actions=[_START_ACTION[invocation_type]],
            resources=[state_machine.state_machine_arn],
        )
    )
    log_group.grant_write(role)
    log_group_arn = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    pipe = pipes.CfnPipe(
        scope,
        "Pipe",
        description=description,
        desired_state="RUNNING",
        role_arn=role.role_arn,
        source=source,
        source_parameters=source_parameters,
        target=state_machine.state_machine_arn,
        target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
            step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                invocation_type=invocation_type
            )
        ),
        log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
            cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                log_group_arn=log_group_arn
            ),
            level=log_level,
            include_execution_data=["ALL"] if include_execution_data else None,
        ),
    )
    # The pipe validates its role and log destination when it is created.
    pipe.node.add_dependency(role)
    pipe.node.add_dependency(log_group)
    return pipe, role


def queue_source_statements(queue: sqs.IQueue, key_arn: str, *, sid: str) -> list[iam.PolicyStatement]:
    """What a pipe reading an encrypted SQS queue needs: consume that queue, decrypt with the
    platform key."""
    return [
        iam.PolicyStatement(
            sid=sid,
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            resources=[queue.queue_arn],
        ),
        iam.PolicyStatement(sid="DecryptQueueMessages", actions=["kms:Decrypt"], resources=[key_arn]),
    ]


def park_failed_executions(
    scope: Construct, foundation: PlatformFoundation, state_machine: sfn.IStateMachine, *, workflow: str
) -> tuple[events.Rule, sqs.Queue, sqs.Queue]:
    """A default-bus rule that parks the whole status-change event of every FAILED, TIMED_OUT or
    ABORTED execution of ``state_machine`` in a failures queue (its ``detail.input`` is the
    pipe's original batch): a FIRE_AND_FORGET pipe never gets a failed message back, so this
    is where it is kept. Returns the rule, the failures queue and the rule target's DLQ.

    The whole event on purpose: the event's status, cause and execution ARN belong with the
    parked input (a redrive reads them), so no InputPath / InputTransformer.
    """
    failures_queue = foundation.dead_letter_queue(
        scope,
        "WorkflowFailuresQueue",
        parks=(
            f"{workflow} executions that FAILED, TIMED_OUT or were ABORTED (the execution-status "
            "rule delivers the whole event; its detail.input is the pipe's original batch)"
        ),
    )
    target_dlq = foundation.dead_letter_queue(
        scope, "WorkflowFailuresTargetDlq", parks="the workflow-failures rule's queue target"
    )
    # Step Functions emits execution status changes to the default bus only.
    rule = events.Rule(
        scope,
        "WorkflowFailuresRule",
        description=f"Parks the event of every failed, timed-out or aborted {workflow} execution",
        event_pattern=events.EventPattern(
            source=[c.STEP_FUNCTIONS_EVENT_SOURCE],
            detail_type=[c.EXECUTION_STATUS_CHANGE_DETAIL_TYPE],
            detail={
                "status": list(c.WORKFLOW_FAILURE_STATUSES),
                "stateMachineArn": [state_machine.state_machine_arn],
            },
        ),
    )
    rule.add_target(
        targets.SqsQueue(
            failures_queue,
            dead_letter_queue=target_dlq,
            retry_attempts=c.SAGA_RULE_TARGET_MAX_RETRY_ATTEMPTS,
            max_event_age=Duration.hours(c.SAGA_RULE_TARGET_MAX_EVENT_AGE_HOURS),
        )
    )
    return rule, failures_queue, target_dlq


@dataclass(frozen=True)
class RuleFedQueue:
    """A bus rule delivering whole events to a DLQ-backed work queue (a pipe's source)."""

    rule: events.Rule
    queue: sqs.Queue
    dead_letter_queue: sqs.Queue
    target_dlq: sqs.Queue


def rule_fed_queue(
    scope: Construct,
    foundation: PlatformFoundation,
    *,
    queue_id: str,
    target_dlq_id: str,
    rule_id: str,
    description: str,
    event_pattern: events.EventPattern,
    event_bus: events.IEventBus | None,
    visibility_timeout: Duration,
) -> RuleFedQueue:
    """The work queue (poison messages to its DLQ), the rule (on ``event_bus``, or the default bus
    for AWS service events) and its target, which retries and then parks what it could not
    deliver in its own DLQ. The whole event is delivered (no InputPath / InputTransformer): the
    workflow parses it."""
    work = foundation.dlq_backed_queue(scope, queue_id, visibility_timeout=visibility_timeout)
    target_dlq = foundation.dead_letter_queue(scope, target_dlq_id, parks=f"the {rule_id}'s queue target")
    rule = events.Rule(
        scope, rule_id, description=description, event_bus=event_bus, event_pattern=event_pattern
    )
    rule.add_target(
        targets.SqsQueue(
            work.queue,
            dead_letter_queue=target_dlq,
            retry_attempts=c.SAGA_RULE_TARGET_MAX_RETRY_ATTEMPTS,
            max_event_age=Duration.hours(c.SAGA_RULE_TARGET_MAX_EVENT_AGE_HOURS),
        )
    )
    return RuleFedQueue(
        rule=rule, queue=work.queue, dead_letter_queue=work.dead_letter_queue, target_dlq=target_dlq
    )
