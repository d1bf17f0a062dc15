"""The claim check for bulk order imports: payloads of any size stay in S3, only claims travel.

Split (`asl/claim_check_split.asl.json`): three intake doors end on one intake queue (an
object uploaded under `intake/` reaches it as the S3 `Object Created` event through a
default-bus rule; SQS Extended Client pointers and small inline payloads are sent to it
directly) -> pipe -> the split workflow stores, measures and claims the payload and puts
`ClaimCheckIssued` on the platform bus. Resolve (`asl/claim_check_resolve.asl.json`): a bus
rule -> resolve queue -> pipe -> the resolve workflow gates, verifies and imports the payload
with a Distributed Map, each valid line becoming an order through the orders service.

Why Standard for both: hashing a multi-GB payload can outlast an Express execution's five
minutes, and a Distributed Map runs only in a Standard workflow. Their pipes are therefore
FIRE_AND_FORGET, and each workflow's failed executions are parked by a failures rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
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

CLAIMS_TABLE_ENV = "CLAIMS_TABLE_NAME"
BUCKET_ENV = "PAYLOAD_BUCKET_NAME"
ORDERS_TABLE_ENV = "ORDERS_TABLE_NAME"
_BUCKET_OBJECTS = RegexAppliesTo(regex=r"/^Resource::<ClaimCheckPayloadBucket[0-9A-F]{8}\.Arn>\/\*$/g")
"""cdk-nag's name for "every object of the payload bucket" (the logical id carries a hash)."""
_CLAIM_ITEMS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
_ORDER_ITEMS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem")
"""A transaction is authorized per item action: the order and its outbox record are two puts."""


@dataclass(frozen=True)
class _Task:
    """One claim-check task function: its handler, what it touches, how long it may stream."""

    placeholder: str
    handler: str
    description: str
    claims: bool = False
    orders: bool = False
    object_actions: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion")
    list_bucket: bool = False
    streams: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    publishes: bool = False
    """Builds the bus entries its workflow puts (so it is told the platform bus's name)."""


SPLIT_TASKS = (
    _Task(
        "IssueClaimFunctionArn",
        "claim_check.split_handler.lambda_handler",
        "Claim check: stores, streams (size, SHA-256, ranges) and claims an intake payload",
        claims=True,
        object_actions=("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
        streams=True,
        settings={
            "CLAIM_RANGE_BYTES": str(c.CLAIM_RANGE_BYTES),
            "CLAIM_TTL_DAYS": str(c.CLAIM_TTL_DAYS),
            "EVENT_SOURCE": c.CLAIM_CHECK_EVENT_SOURCE,
        },
        publishes=True,
    ),
)
RESOLVE_TASKS = (
    _Task(
        "BeginResolveFunctionArn",
        "claim_check.begin_handler.lambda_handler",
        "Claim check: the resolve's idempotency gate on the claim id",
        claims=True,
        object_actions=(),
    ),
    _Task(
        "VerifyPayloadFunctionArn",
        "claim_check.verify_handler.lambda_handler",
        "Claim check: streams the claimed object version and checks its size and SHA-256",
        streams=True,
    ),
    _Task(
        "ImportRangeFunctionArn",
        "claim_check.import_handler.lambda_handler",
        "Claim check: imports one byte range of a payload, line by line, as orders",
        orders=True,
        object_actions=("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
        streams=True,
    ),
    _Task(
        "FinishResolveFunctionArn",
        "claim_check.finish_handler.lambda_handler",
        "Claim check: records the import's result and releases the payload",
        claims=True,
        object_actions=(
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:PutObjectTagging",
            "s3:PutObjectVersionTagging",
        ),
        list_bucket=True,
    ),
    _Task(
        "MarkClaimFailedFunctionArn",
        "claim_check.fail_handler.lambda_handler",
        "Claim check: records why a claim could not be resolved",
        claims=True,
        object_actions=(),
    ),
)


class ClaimCheck(Construct):
    """The payload bucket, the claims table, and the split and resolve workflows with their
    triggers and safety nets.

    Attributes:
        bucket: the payload bucket (KMS, TLS only, versioned, no public access, lifecycle).
        access_log_bucket: where the payload bucket's server access logs go.
        claims_table: one item per claim, expiring by TTL (`expiresAt`).
        functions: the task functions, keyed by their ASL placeholder.
        intake_queue, intake_dlq: the split's work queue (all three doors) and its DLQ.
        intake_rule: the default-bus rule delivering `Object Created` under `intake/`.
        split_state_machine, resolve_state_machine: the two Standard workflows.
        resolve_rule, resolve_queue, resolve_dlq: ClaimCheckIssued -> the resolve's queue.
        split_failures_queue, resolve_failures_queue: where failed executions are parked.
        pages: what this workflow pages the on-call engineer for (`workflows.paging`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        foundation: PlatformFoundation,
        after_success: str = c.CLAIM_AFTER_SUCCESS,
    ) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        if after_success not in c.CLAIM_AFTER_SUCCESS_CHOICES:
            raise ValueError(
                f"context {c.CLAIM_AFTER_SUCCESS_CONTEXT_KEY} must be one of {c.CLAIM_AFTER_SUCCESS_CHOICES},"
                f" got {after_success!r}"
            )
        self._after_success = after_success
        self._build_buckets()
        self.claims_table = foundation.table(self, "ClaimsTable", time_to_live_attribute="expiresAt")
        self.functions: dict[str, lambda_.Function] = {}
        for task in (*SPLIT_TASKS, *RESOLVE_TASKS):
            self.functions[task.placeholder] = self._function(task)
        self._build_split()
        self._build_resolve()
        self.pages = self._request_pages()

    # --- storage ------------------------------------------------------------------------

    def _build_buckets(self) -> None:
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery cannot write to SSE-KMS buckets
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            self.access_log_bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="The access-log bucket of the payload bucket: logging it to itself would loop.",
                )
            ],
        )
        self.bucket = s3.Bucket(
            self,
            "PayloadBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._foundation.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="payload-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpirePayloads",
                    expiration=Duration.days(c.CLAIM_TTL_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="ExpireResolvedPayloads",
                    expiration=Duration.days(c.CLAIM_RESOLVED_EXPIRY_DAYS),
                    tag_filters={c.CLAIM_RESOLVED_TAG_KEY: c.CLAIM_RESOLVED_TAG_VALUE},
                ),
            ],
        )
        # S3 -> EventBridge natively (CDK's event_bridge_enabled adds a custom-resource Lambda).
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )

    # --- functions ----------------------------------------------------------------------

    def _function(self, task: _Task) -> lambda_.Function:
        foundation = self._foundation
        environment = {BUCKET_ENV: self.bucket.bucket_name, **task.settings}
        if task.placeholder == "FinishResolveFunctionArn":
            environment["CLAIM_AFTER_SUCCESS"] = self._after_success
        if task.claims:
            environment[CLAIMS_TABLE_ENV] = self.claims_table.table_name
        if task.orders:
            environment[ORDERS_TABLE_ENV] = foundation.orders_table.table_name
        if task.publishes:
            environment["EVENT_BUS_NAME"] = foundation.event_bus.event_bus_name
        construct_id = task.placeholder.removesuffix("FunctionArn")
        handler = PlatformFunction(
            self,
            construct_id,
            package=c.CLAIM_CHECK_PACKAGE,
            handler=task.handler,
            service_name=c.CLAIM_CHECK_SERVICE_NAME,
            description=task.description,
            key=foundation.key,
            environment=environment,
            memory_size=c.CLAIM_STREAMING_FUNCTION_MEMORY_MB if task.streams else c.LAMBDA_DEFAULT_MEMORY_MB,
            timeout_seconds=(
                c.CLAIM_STREAMING_FUNCTION_TIMEOUT_SECONDS
                if task.streams
                else c.CLAIM_FUNCTION_TIMEOUT_SECONDS
            ),
        )
        role = handler.role
        if task.object_actions:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="PayloadObjects",
                    actions=list(task.object_actions),
                    resources=[self.bucket.arn_for_objects("*")],
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="PayloadEncryption",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[foundation.key.key_arn],
                )
            )
        if task.list_bucket:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="ListReports",
                    actions=["s3:ListBucket"],
                    resources=[self.bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": ["reports/*"]}},
                )
            )
        if task.claims:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="ClaimItems", actions=list(_CLAIM_ITEMS), resources=[self.claims_table.table_arn]
                )
            )
        if task.orders:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="OrderItems",
                    actions=list(_ORDER_ITEMS),
                    resources=[foundation.orders_table.table_arn],
                )
            )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Payload object keys are not known in advance (uploads, inline/<messageId>, "
                        "manifests/, reports/): object actions are granted on this bucket's objects only."
                    ),
                    applies_to=[_BUCKET_OBJECTS],
                )
            ],
            apply_to_children=True,
        )
        return handler.function

    # --- split --------------------------------------------------------------------------

    def _build_split(self) -> None:
        foundation = self._foundation
        intake = rule_fed_queue(
            self,
            foundation,
            queue_id="IntakeQueue",
            target_dlq_id="IntakeTargetDlq",
            rule_id="IntakeRule",
            description="Every object uploaded under intake/ of the payload bucket is claimed",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [self.bucket.bucket_name]},
                    "object": {"key": [{"prefix": c.CLAIM_INTAKE_PREFIX}]},
                },
            ),
            event_bus=None,  # S3 puts its events on the default bus
            visibility_timeout=Duration.seconds(c.CLAIM_QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        )
        self.intake_queue: sqs.Queue = intake.queue
        self.intake_dlq: sqs.Queue = intake.dead_letter_queue
        self.intake_target_dlq: sqs.Queue = intake.target_dlq
        self.intake_rule = intake.rule
        split = Construct(self, "Split")
        log_group = foundation.log_group(
            split, "StateMachineLogGroup", log_group_name=c.CLAIM_SPLIT_STATE_MACHINE_LOG_GROUP
        )
        self.split_state_machine = asl_state_machine(
            split,
            asl_name="claim_check_split",
            state_machine_type=sfn.StateMachineType.STANDARD,
            tasks={task.placeholder: self.functions[task.placeholder] for task in SPLIT_TASKS},
            log_group=log_group,
            role_description="Claim-check split: invokes IssueClaim and publishes ClaimCheckIssued",
            invoke_sid="InvokeSplitTasks",
            extra_statements=[
                iam.PolicyStatement(
                    sid="PublishClaims",
                    actions=["events:PutEvents"],
                    resources=[foundation.event_bus.event_bus_arn],
                )
            ],
        )
        self._pipe(split, self.intake_queue, self.split_state_machine, "split", c.CLAIM_SPLIT_PIPE_LOG_GROUP)
        _, self.split_failures_queue, self.split_failures_target_dlq = park_failed_executions(
            split, foundation, self.split_state_machine, workflow="claim-check split"
        )

    # --- resolve ------------------------------------------------------------------------

    def _build_resolve(self) -> None:
        foundation = self._foundation
        resolve = Construct(self, "Resolve")
        issued = rule_fed_queue(
            resolve,
            foundation,
            queue_id="ClaimQueue",
            target_dlq_id="ClaimTargetDlq",
            rule_id="ClaimIssuedRule",
            description="Every ClaimCheckIssued event starts one resolve",
            event_pattern=events.EventPattern(
                source=[c.CLAIM_CHECK_EVENT_SOURCE], detail_type=[c.CLAIM_CHECK_ISSUED_DETAIL_TYPE]
            ),
            event_bus=foundation.event_bus,
            visibility_timeout=Duration.seconds(c.CLAIM_QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        )
        self.resolve_queue: sqs.Queue = issued.queue
        self.resolve_dlq: sqs.Queue = issued.dead_letter_queue
        self.resolve_target_dlq: sqs.Queue = issued.target_dlq
        self.resolve_rule = issued.rule
        log_group = foundation.log_group(
            resolve, "StateMachineLogGroup", log_group_name=c.CLAIM_RESOLVE_STATE_MACHINE_LOG_GROUP
        )
        stack = Stack.of(self)
        own_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=c.CLAIM_RESOLVE_STATE_MACHINE_NAME,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        own_executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{c.CLAIM_RESOLVE_STATE_MACHINE_NAME}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.resolve_state_machine = asl_state_machine(
            resolve,
            asl_name="claim_check_resolve",
            state_machine_type=sfn.StateMachineType.STANDARD,
            tasks={task.placeholder: self.functions[task.placeholder] for task in RESOLVE_TASKS},
            log_group=log_group,
            role_description="Claim-check resolve: its tasks, its Distributed Map children, the manifests",
            invoke_sid="InvokeResolveTasks",
            state_machine_name=c.CLAIM_RESOLVE_STATE_MACHINE_NAME,
            extra_statements=[
                iam.PolicyStatement(
                    sid="RunMapChildren", actions=["states:StartExecution"], resources=[own_arn]
                ),
                iam.PolicyStatement(
                    sid="ManageMapChildren",
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[own_executions],
                ),
                iam.PolicyStatement(
                    sid="ReadManifests",
                    actions=["s3:GetObject"],
                    resources=[self.bucket.arn_for_objects("manifests/*")],
                ),
                iam.PolicyStatement(
                    sid="DecryptManifests", actions=["kms:Decrypt"], resources=[foundation.key.key_arn]
                ),
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.resolve_state_machine.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "A Distributed Map's children are executions of this state machine, named by Step "
                        "Functions at run time, and its manifests are per claim: the wildcards stop at this "
                        "state machine's executions and the bucket's manifests/ prefix."
                    ),
                    applies_to=[
                        f"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{c.CLAIM_RESOLVE_STATE_MACHINE_NAME}/*",
                        RegexAppliesTo(
                            regex=r"/^Resource::<ClaimCheckPayloadBucket[0-9A-F]{8}\.Arn>\/manifests\/\*$/g"
                        ),
                    ],
                )
            ],
            apply_to_children=True,
        )
        self._pipe(
            resolve, self.resolve_queue, self.resolve_state_machine, "resolve", c.CLAIM_RESOLVE_PIPE_LOG_GROUP
        )
        _, self.resolve_failures_queue, self.resolve_failures_target_dlq = park_failed_executions(
            resolve, foundation, self.resolve_state_machine, workflow="claim-check resolve"
        )

    def _pipe(
        self,
        scope: Construct,
        queue: sqs.Queue,
        state_machine: sfn.StateMachine,
        name: str,
        log_group_name: str,
    ) -> None:
        foundation = self._foundation
        log_group = foundation.log_group(scope, "PipeLogGroup", log_group_name=log_group_name)
        # No dead-letter config on the pipe: Pipes supports none for SQS sources. A message the
        # pipe cannot start an execution for stays in the queue and moves to its DLQ.
        state_machine_pipe(
            scope,
            description=f"Claim-check {name}: one execution per message",
            role_description=f"Claim-check {name} pipe: reads its queue, starts one execution per message",
            source=queue.queue_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(batch_size=1),
            ),
            source_statements=queue_source_statements(queue, foundation.key.key_arn, sid="ConsumeQueue"),
            state_machine=state_machine,
            invocation_type="FIRE_AND_FORGET",
            start_sid="StartExecution",
            log_group=log_group,
            log_group_name=log_group_name,
            log_level="ERROR",
        )

    # --- pages --------------------------------------------------------------------------

    def _request_pages(self) -> dict[str, Page]:
        """What pages the on-call engineer: each parking queue that holds a message, and a failed
        split or resolve. A failed execution is also its message in that workflow's failures
        queue: one cause, one page."""
        pager = self._foundation.pager
        failed = {
            name: pager.cause(
                self,
                f"{name}Failed",
                description=f"A claim-check {name.lower()} failed; its message is parked",
            )
            for name in ("Split", "Resolve")
        }
        parked: list[tuple[str, sqs.IQueue, str, Cause | None]] = [
            (
                "IntakeDlqNotEmpty",
                self.intake_dlq,
                "An intake message could not start a claim-check split",
                None,
            ),
            (
                "IntakeTargetDlqNotEmpty",
                self.intake_target_dlq,
                "An upload's event could not reach the intake queue",
                None,
            ),
            (
                "SplitFailuresNotEmpty",
                self.split_failures_queue,
                "A claim-check split failed; its message is parked",
                failed["Split"],
            ),
            (
                "SplitFailuresTargetDlqNotEmpty",
                self.split_failures_target_dlq,
                "The failures rule could not park a failed claim-check split",
                None,
            ),
            (
                "ResolveDlqNotEmpty",
                self.resolve_dlq,
                "A ClaimCheckIssued message could not start a resolve",
                None,
            ),
            (
                "ResolveTargetDlqNotEmpty",
                self.resolve_target_dlq,
                "A ClaimCheckIssued event could not be queued",
                None,
            ),
            (
                "ResolveFailuresNotEmpty",
                self.resolve_failures_queue,
                "A claim could not be resolved (missing, tampered, expired, failing); its message is parked",
                failed["Resolve"],
            ),
            (
                "ResolveFailuresTargetDlqNotEmpty",
                self.resolve_failures_target_dlq,
                "The failures rule could not park a failed claim-check resolve",
                None,
            ),
        ]
        pages = {
            name: pager.when_not_empty(self, f"{name}Alarm", queue=queue, description=text, cause=cause)
            for name, queue, text, cause in parked
        }
        for name, machine in (("Split", self.split_state_machine), ("Resolve", self.resolve_state_machine)):
            pages[f"{name}ExecutionsFailed"] = pager.when_executions_fail(
                self,
                f"{name}ExecutionsFailedAlarm",
                state_machine=machine,
                description=f"Claim-check {name.lower()} executions failed: their messages are parked",
                cause=failed[name],
            )
        return pages
