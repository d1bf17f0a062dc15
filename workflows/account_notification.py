"""Account-change notification: accounts stream → pipe (MODIFY only) → Express workflow that
enriches from Cognito and sends the notice with SES.

Why Express, REQUEST_RESPONSE: a notification is short, and the pipe waits for its outcome, so
a failed execution (SES or Cognito down, a record that cannot be read) fails the pipe batch,
which DynamoDB Streams delivers again, a bounded number of times, then parks in the pipe's
dead-letter queue. The send is idempotent on the stream record's event id, so a retried batch
never sends a second email. The enrichment (who the user is, where to write) happens inside the
workflow, never in the pipe: the pipe only filters (MODIFY) and triggers.

Why execution data stays out of the logs: the state carries the user's name and email address
between LookUpUser and SendNotice. The state machine logs every transition (level ALL) but
without inputs and outputs, and so does the pipe; the task Lambdas log ids and attribute names
only.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.lambda_factory import PlatformFunction
from workflows.paging import Page
from workflows.platform_foundation import PlatformFoundation
from workflows.workflow_parts import asl_state_machine, state_machine_pipe, stream_source_statements

MODIFY_FILTER = {"eventName": ["MODIFY"]}
"""Only updates of an account can change a security setting: inserts and deletions of the table
never start the workflow (filtered in the pipe, so they cost nothing)."""

_TABLE_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]


class AccountNotification(Construct):
    """The account-change notification of `asl/account_change_notification.asl.json`.

    Attributes:
        accounts_table: accounts (pk = the Cognito sub, profile fields only), streamed with both images.
        notices_table: what was sent (or skipped) per stream record, and the send's idempotency records.
        user_pool: the user pool, the only place names and email addresses live.
        sender_identity: the SES identity notices are sent from (the `notificationSender` context value).
        functions: the three task Lambdas, keyed by their ASL placeholder.
        state_machine, log_group: the Express state machine and its log group (no execution data).
        pipe, pipe_role, pipe_log_group, pipe_dead_letter_queue: the trigger and its safety net.
        pages: what this workflow pages the on-call engineer for (`workflows.paging`).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, foundation: PlatformFoundation, sender: str
    ) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        self.sender = sender
        self.accounts_table: dynamodb.Table = foundation.table(
            self, "AccountsTable", stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
        )
        self.notices_table: dynamodb.Table = foundation.table(
            self, "NoticesTable", time_to_live_attribute="expiration"
        )
        self.user_pool = self._build_user_pool()
        self.sender_identity = ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(sender))
        self._build_functions()
        self.log_group: logs.LogGroup = foundation.log_group(
            self, "StateMachineLogGroup", log_group_name=c.NOTIFICATION_STATE_MACHINE_LOG_GROUP
        )
        self.state_machine = self._build_state_machine()
        self._build_pipe()
        self.pages = self._request_pages()

    # --- the user pool: names and email addresses live here only ------------------------------

    def _build_user_pool(self) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True),
            # Customers register themselves and confirm their email with the code the pool
            # sends; TOTP MFA is then required at their first sign-in.
            self_sign_up_enabled=True,
            user_verification=cognito.UserVerificationConfig(email_style=cognito.VerificationEmailStyle.CODE),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            pool,
            [
                NagPackSuppression(
                    id="AwsSolutions-COG3",
                    reason=(
                        "Threat protection is on: the PLUS feature plan with standard threat protection "
                        "in full-function mode (the successor of AdvancedSecurityMode ENFORCED, which "
                        "this rule still looks for)."
                    ),
                )
            ],
        )
        return pool

    # --- task functions ----------------------------------------------------------------------

    def _task(
        self, construct_id: str, handler: str, description: str, environment: dict[str, str]
    ) -> PlatformFunction:
        return PlatformFunction(
            self,
            construct_id,
            package=c.NOTIFICATION_PACKAGE,
            handler=handler,
            service_name=c.NOTIFICATION_SERVICE_NAME,
            description=description,
            key=self._foundation.key,
            environment=environment,
            memory_size=c.NOTIFICATION_FUNCTION_MEMORY_MB,
            timeout_seconds=c.NOTIFICATION_FUNCTION_TIMEOUT_SECONDS,
        )

    def _build_functions(self) -> None:
        diff = self._task(
            "DiffImagesFunction",
            c.NOTIFICATION_DIFF_HANDLER,
            "Account notification: diffs an account's old and new images for security-relevant changes",
            {
                "SECURITY_ATTRIBUTES": ",".join(c.NOTIFICATION_SECURITY_ATTRIBUTES),
                "SECRET_ATTRIBUTES": ",".join(c.NOTIFICATION_SECRET_ATTRIBUTES),
            },
        )
        compose = self._task(
            "ComposeNoticeFunction",
            c.NOTIFICATION_COMPOSE_HANDLER,
            "Account notification: composes the security notice from the templates",
            {},
        )
        send = self._task(
            "SendNoticeFunction",
            c.NOTIFICATION_SEND_HANDLER,
            "Account notification: sends the notice with SES, once per account change",
            {
                "NOTIFICATION_SENDER": self.sender,
                "NOTICES_TABLE_NAME": self.notices_table.table_name,
                "IDEMPOTENCY_SECONDS": str(c.NOTIFICATION_IDEMPOTENCY_SECONDS),
            },
        )
        # The diff and the composition are pure computation: no data access at all.
        send.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SendFromTheSenderIdentity",
                actions=["ses:SendEmail"],
                resources=[
                    Stack.of(self).format_arn(service="ses", resource="identity", resource_name=self.sender),
                    Stack.of(self).format_arn(service="ses", resource="identity", resource_name="*"),
                ],
            )
        )
        # Powertools Idempotency: its records live in the notices table (conditional put, get,
        # update on completion, delete when the send failed).
        send.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="IdempotencyRecords",
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                resources=[self.notices_table.table_arn],
            )
        )
        send.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NoticesTableKeyUse", actions=_TABLE_KEY_ACTIONS, resources=[self._foundation.key.key_arn]
            )
        )
        NagSuppressions.add_resource_suppressions(
            send.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "SES authorizes SendEmail against every identity involved in the message: the "
                        "sender identity and the recipient's (identity/*, in this account and region only)."
                    ),
                    applies_to=[
                        "Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*"
                    ],
                )
            ],
            apply_to_children=True,
        )
        self.functions: dict[str, lambda_.Function] = {
            c.NOTIFICATION_DIFF_PLACEHOLDER: diff.function,
            c.NOTIFICATION_COMPOSE_PLACEHOLDER: compose.function,
            c.NOTIFICATION_SEND_PLACEHOLDER: send.function,
        }

    # --- state machine ---------------------------------------------------------------------

    def _build_state_machine(self) -> sfn.StateMachine:
        foundation = self._foundation
        return asl_state_machine(
            self,
            asl_name=c.NOTIFICATION_ASL_NAME,
            state_machine_type=sfn.StateMachineType.EXPRESS,
            tasks=self.functions,
            extra_substitutions={
                c.NOTIFICATION_USER_POOL_PLACEHOLDER: self.user_pool.user_pool_id,
                c.NOTIFICATION_NOTICES_TABLE_PLACEHOLDER: self.notices_table.table_name,
            },
            log_group=self.log_group,
            role_description="Account notification: invokes its three tasks, looks users up, records notices",
            invoke_sid="InvokeNotificationTasks",
            include_execution_data=False,
            extra_statements=[
                iam.PolicyStatement(
                    sid="LookUpUsers",
                    actions=["cognito-idp:AdminGetUser"],
                    resources=[self.user_pool.user_pool_arn],
                ),
                iam.PolicyStatement(
                    sid="RecordNotices",
                    actions=["dynamodb:PutItem"],
                    resources=[self.notices_table.table_arn],
                ),
                iam.PolicyStatement(
                    sid="NoticesTableKeyUse",
                    actions=["kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[foundation.key.key_arn],
                ),
            ],
        )

    # --- trigger: accounts stream → pipe (MODIFY) → state machine ------------------------------

    def _build_pipe(self) -> None:
        foundation = self._foundation
        stream_arn = self.accounts_table.table_stream_arn
        if stream_arn is None:  # pragma: no cover - the table is created with a stream
            raise ValueError("the accounts table has no stream")
        self.pipe_dead_letter_queue: sqs.Queue = foundation.dead_letter_queue(
            self, "PipeDlq", parks="the account-change pipe (batch metadata after MaximumRetryAttempts)"
        )
        self.pipe_log_group: logs.LogGroup = foundation.log_group(
            self, "PipeLogGroup", log_group_name=c.NOTIFICATION_PIPE_LOG_GROUP
        )
        self.pipe, self.pipe_role = state_machine_pipe(
            self,
            description="Accounts table stream (MODIFY only) to the account-change notification",
            role_description="Account-change pipe: reads the accounts stream, starts the notification (sync)",
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position=c.NOTIFICATION_PIPE_STARTING_POSITION,
                    batch_size=c.NOTIFICATION_PIPE_BATCH_SIZE,
                    maximum_retry_attempts=c.NOTIFICATION_PIPE_MAX_RETRY_ATTEMPTS,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=self.pipe_dead_letter_queue.queue_arn
                    ),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(MODIFY_FILTER))]
                ),
            ),
            source_statements=stream_source_statements(
                stream_arn=stream_arn,
                key_arn=foundation.key.key_arn,
                dead_letter_queue_arn=self.pipe_dead_letter_queue.queue_arn,
            ),
            state_machine=self.state_machine,
            invocation_type=c.NOTIFICATION_PIPE_INVOCATION_TYPE,
            start_sid="StartNotificationSynchronously",
            log_group=self.pipe_log_group,
            log_group_name=c.NOTIFICATION_PIPE_LOG_GROUP,
            log_level=c.NOTIFICATION_PIPE_LOG_LEVEL,
            include_execution_data=False,
        )

    def _request_pages(self) -> list[Page]:
        """What pages the on-call engineer. Failed notifications and a parked change are one cause
        (the pipe retries a failing execution, then parks the change), so one page."""
        pager = self._foundation.pager
        failing = pager.cause(
            self,
            "NotificationsFailing",
            description="Account-change notifications are failing; changes may go un-notified",
        )
        return [
            pager.when_not_empty(
                self,
                "PipeDlqAlarm",
                queue=self.pipe_dead_letter_queue,
                description="An account change could not be notified after the pipe's retries",
                cause=failing,
            ),
            pager.when_executions_fail(
                self,
                "ExecutionsFailedAlarm",
                state_machine=self.state_machine,
                description="Account-change notifications are failing (SES, Cognito or unreadable records)",
                cause=failing,
            ),
        ]
