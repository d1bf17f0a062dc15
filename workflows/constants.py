"""Every name, size, timeout, retry budget and batch size of the deployed platform, in one place.

Why one module: the infrastructure tests, the local runtime and a reviewer all need to
answer "what is the limit, and where is it set?" without reading construct code. A value
that appears twice in the code base is a value that will eventually disagree with itself.
"""

from __future__ import annotations

from typing import Final

# --- the application --------------------------------------------------------------------

STACK_NAME: Final = "OrderPlatformStack"
SERVICE_NAME: Final = "order-platform"
METRICS_NAMESPACE: Final = "OrderPlatform"
POWERTOOLS_LOG_LEVEL: Final = "INFO"
LAMBDA_RUNTIME_TUNING: Final[dict[str, str]] = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}
"""Every function's environment: pydantic otherwise reads every installed distribution's
metadata (importlib.metadata entry points) when it builds its first validator, looking for
plugins the platform does not use: ~10 ms of every cold start."""

# Stable logical ids of the stack outputs: tests and scripts find values by these names.
OUTPUT_ORDERS_API_URL: Final = "OrdersApiUrl"
OUTPUT_EVENT_BUS_NAME: Final = "EventBusName"
OUTPUT_EVENT_ARCHIVE_ARN: Final = "EventArchiveArn"
OUTPUT_EVENT_SCHEMA_REGISTRY_NAME: Final = "EventSchemaRegistryName"
OUTPUT_ORDERS_TABLE_NAME: Final = "OrdersTableName"
OUTPUT_OUTBOX_STATE_MACHINE_ARN: Final = "OutboxPublisherStateMachineArn"
OUTPUT_ORDER_SAGA_STATE_MACHINE_ARN: Final = "OrderSagaStateMachineArn"
OUTPUT_ORDER_SAGA_QUEUE_URL: Final = "OrderSagaQueueUrl"
OUTPUT_WORKFLOW_FAILURES_QUEUE_URL: Final = "WorkflowFailuresQueueUrl"
OUTPUT_INVENTORY_TABLE_NAME: Final = "InventoryTableName"
OUTPUT_PAYMENTS_TABLE_NAME: Final = "PaymentsTableName"
OUTPUT_SHIPMENTS_TABLE_NAME: Final = "ShipmentsTableName"
OUTPUT_OPS_ALERT_TOPIC_ARN: Final = "OpsAlertTopicArn"
OUTPUT_PAYMENT_WEBHOOK_URL: Final = "PaymentWebhookUrl"
OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN: Final = "PaymentWebhookSecretArn"

# --- shared infrastructure ----------------------------------------------------------------

EVENT_BUS_NAME: Final = "order-platform"
ORDERS_EVENT_SOURCE: Final = "order-platform.orders"

# --- event contracts (issue 24): the schema registry and the bus's archive -----------------------
EVENT_SCHEMA_REGISTRY_NAME: Final = "order-platform-events"
EVENT_SCHEMAS_DIR: Final = "schemas/events"
"""The committed JSON Schemas (`operations.event_schemas`), one file per event and version."""
EVENT_ARCHIVE_NAME: Final = "order-platform-events"
EVENT_ARCHIVE_RETENTION_DAYS: Final = 30
"""How far back a replay can reach: a consumer down for a month, or added next month, catches up.
Archiving costs $0.10 per GB archived and $0.023 per GB-month stored (us-east-1, 2026-11): an
event is ~1 KB, so a million orders (three events each) is ~3 GB, $0.30 to archive and $0.07 a
month to keep."""
EVENT_ARCHIVE_SOURCE_PREFIX: Final = "order-platform."
"""The archive keeps events whose source starts so: the platform's own events (orders, claim
check). AWS's (aws.states, aws.s3) are not replayed: a replayed status change or upload would be
a second one."""
ORDER_PLACED_DETAIL_TYPE: Final = "OrderPlaced"

# Every platform table is keyed by a string `pk`; the orders table adds a sort key.
TABLE_PARTITION_KEY: Final = "pk"

ORDERS_TABLE_PARTITION_KEY: Final = TABLE_PARTITION_KEY
ORDERS_TABLE_SORT_KEY: Final = "sk"
ORDERS_TABLE_TTL_ATTRIBUTE: Final = "expiresAt"
PENDING_OUTBOX_INDEX: Final = "PendingOutbox"
PENDING_OUTBOX_INDEX_PARTITION_KEY: Final = "pendingShard"
PENDING_OUTBOX_INDEX_SORT_KEY: Final = "createdAt"
OUTBOX_RECORD_TYPE: Final = "OUTBOX"

LOG_RETENTION_DAYS: Final = 30
QUEUE_RETENTION_DAYS: Final = 4
DLQ_RETENTION_DAYS: Final = 14
DLQ_MAX_RECEIVE_COUNT: Final = 5

# --- Lambda defaults -----------------------------------------------------------------------

LAMBDA_SOURCE_DIR: Final = "lambdas"
# Packages every function ships next to its own: the shared domain/data-access package and the
# shared observability constants the handlers import.
LAMBDA_SHARED_PACKAGES: Final[tuple[str, ...]] = (
    "event_contracts",
    "order_store",
    "dynamo_tables",
    "observability",
    "aws_clients",
    "task_io",
)
# Workflow packages a package imports besides the shared ones; its functions ship them too.
# (The saga and the payment webhook share the payment ledger through `payments`; both HTTP APIs
# share their request checks and JSON responses through http_api.)
LAMBDA_PACKAGE_DEPENDENCIES: Final[dict[str, tuple[str, ...]]] = {
    "orders_api": ("http_api",),
    "order_saga": ("payments",),
    "payment_webhook": ("payments", "http_api"),
    "claim_check": ("orders_api", "http_api"),
}
LAMBDA_DEFAULT_MEMORY_MB: Final = 256
LAMBDA_DEFAULT_TIMEOUT_SECONDS: Final = 10


# --- orders API ----------------------------------------------------------------------------

ORDERS_API_NAME: Final = "order-platform-orders"
ORDERS_API_STAGE: Final = "prod"
ORDERS_API_HANDLER: Final = "orders_api.handler.lambda_handler"
ORDERS_API_MEMORY_MB: Final = 256
ORDERS_API_TIMEOUT_SECONDS: Final = 10
ORDERS_API_THROTTLE_RATE_LIMIT: Final = 50
ORDERS_API_THROTTLE_BURST_LIMIT: Final = 100
ORDER_ID_PATH_PARAMETER: Final = "orderId"

# --- outbox publisher ----------------------------------------------------------------------

OUTBOX_ASL_NAME: Final = "outbox_publisher"
OUTBOX_STATE_MACHINE_LOG_GROUP: Final = "/aws/vendedlogs/states/order-platform/outbox-publisher"
OUTBOX_PIPE_LOG_GROUP: Final = "/aws/vendedlogs/pipes/order-platform/outbox-publisher"

OUTBOX_CLAIM_HANDLER: Final = "outbox_publisher.claim_handler.lambda_handler"
OUTBOX_RETRY_HANDLER: Final = "outbox_publisher.failed_entries_handler.lambda_handler"
OUTBOX_MARK_HANDLER: Final = "outbox_publisher.mark_handler.lambda_handler"
OUTBOX_FUNCTION_MEMORY_MB: Final = 256
OUTBOX_FUNCTION_TIMEOUT_SECONDS: Final = 20

OUTBOX_CLAIM_LEASE_SECONDS: Final = 60
OUTBOX_SWEEP_MIN_AGE_SECONDS: Final = 120
OUTBOX_SWEEP_LIMIT: Final = 100
OUTBOX_MAX_PUBLISH_ATTEMPTS: Final = 4
OUTBOX_RETRY_BASE_DELAY_SECONDS: Final = 1
OUTBOX_RETRY_MAX_DELAY_SECONDS: Final = 8
OUTBOX_PUBLISHED_TTL_DAYS: Final = 7
OUTBOX_PUBLISH_MAX_CONCURRENCY: Final = 4
"""PublishBatches' MaxConcurrency: PutEvents calls in flight for one claimed batch."""

# ASL placeholders of asl/outbox_publisher.asl.json.
OUTBOX_CLAIM_FUNCTION_PLACEHOLDER: Final = "OutboxClaimFunctionArn"
OUTBOX_RETRY_FUNCTION_PLACEHOLDER: Final = "OutboxRetryFunctionArn"
OUTBOX_MARK_FUNCTION_PLACEHOLDER: Final = "OutboxMarkFunctionArn"

# The pipe from the orders table stream to the workflow.
OUTBOX_PIPE_BATCH_SIZE: Final = 10
OUTBOX_PIPE_MAX_BATCHING_WINDOW_SECONDS: Final = 1
OUTBOX_PIPE_MAX_RETRY_ATTEMPTS: Final = 3
OUTBOX_PIPE_STARTING_POSITION: Final = "LATEST"
OUTBOX_PIPE_PARTIAL_BATCH_FAILURE: Final = "AUTOMATIC_BISECT"
OUTBOX_PIPE_INVOCATION_TYPE: Final = "REQUEST_RESPONSE"
OUTBOX_PIPE_LOG_LEVEL: Final = "ERROR"

# The sweeper: the last resort for records no pipe delivery managed to publish.
OUTBOX_SWEEP_RATE_MINUTES: Final = 5
OUTBOX_SWEEP_TARGET_MAX_RETRY_ATTEMPTS: Final = 3
OUTBOX_SWEEP_TARGET_MAX_EVENT_AGE_MINUTES: Final = 10

# --- order saga ------------------------------------------------------------------------------

SAGA_ASL_NAME: Final = "order_saga"
SAGA_PACKAGE: Final = "order_saga"
SAGA_SERVICE_NAME: Final = "order-saga"
SAGA_STATE_MACHINE_LOG_GROUP: Final = "/aws/vendedlogs/states/order-platform/order-saga"
SAGA_PIPE_LOG_GROUP: Final = "/aws/vendedlogs/pipes/order-platform/order-saga"

SAGA_BEGIN_HANDLER: Final = "order_saga.begin_handler.lambda_handler"
SAGA_RESERVE_HANDLER: Final = "order_saga.reserve_handler.lambda_handler"
SAGA_REQUEST_PAYMENT_HANDLER: Final = "order_saga.request_payment_handler.lambda_handler"
SAGA_SHIP_HANDLER: Final = "order_saga.ship_handler.lambda_handler"
SAGA_CONFIRM_HANDLER: Final = "order_saga.confirm_handler.lambda_handler"
SAGA_COMPENSATE_HANDLER: Final = "order_saga.compensate_handler.lambda_handler"
SAGA_CANCEL_SHIPMENT_HANDLER: Final = "order_saga.compensation_handlers.cancel_shipment"
SAGA_VOID_PAYMENT_HANDLER: Final = "order_saga.compensation_handlers.void_payment"
SAGA_RELEASE_HANDLER: Final = "order_saga.compensation_handlers.release_inventory"
SAGA_CANCEL_ORDER_HANDLER: Final = "order_saga.cancel_order_handler.lambda_handler"
SAGA_PARK_HANDLER: Final = "order_saga.park_handler.lambda_handler"
SAGA_FUNCTION_MEMORY_MB: Final = 256
SAGA_FUNCTION_TIMEOUT_SECONDS: Final = 20

# ASL placeholders of asl/order_saga.asl.json. A function's construct id is its placeholder
# without "Arn" (BeginSagaFunctionArn -> OrderSaga/BeginSagaFunction/Function).
SAGA_BEGIN_PLACEHOLDER: Final = "BeginSagaFunctionArn"
SAGA_RESERVE_PLACEHOLDER: Final = "ReserveInventoryFunctionArn"
SAGA_REQUEST_PAYMENT_PLACEHOLDER: Final = "RequestPaymentFunctionArn"
SAGA_SHIP_PLACEHOLDER: Final = "ArrangeShipmentFunctionArn"
SAGA_MAX_REDRIVES: Final = 3
"""The loop guard: how many times a parked saga may be redriven (BeginSaga refuses the next)."""
SAGA_REFUSAL_RETENTION_DAYS: Final = 30
"""A refused OrderPlaced event's record stays next to the order it named this long (TTL)."""
SAGA_PAYMENT_TIMEOUT_SECONDS: Final = 900
"""AuthorizePayment's TimeoutSeconds: how long the saga waits for the provider's answer at all."""
SAGA_PAYMENT_HEARTBEAT_SECONDS: Final = 300
"""AuthorizePayment's HeartbeatSeconds: the provider must answer (or beat) within this, else the
order is cancelled and the request withdrawn."""
SAGA_CONFIRM_PLACEHOLDER: Final = "ConfirmOrderFunctionArn"
SAGA_COMPENSATE_PLACEHOLDER: Final = "CompensateFunctionArn"
SAGA_CANCEL_SHIPMENT_PLACEHOLDER: Final = "CancelShipmentFunctionArn"
SAGA_VOID_PAYMENT_PLACEHOLDER: Final = "VoidPaymentFunctionArn"
SAGA_RELEASE_PLACEHOLDER: Final = "ReleaseInventoryFunctionArn"
SAGA_CANCEL_ORDER_PLACEHOLDER: Final = "CancelOrderFunctionArn"
SAGA_PARK_PLACEHOLDER: Final = "ParkOrderFunctionArn"
SAGA_ALERT_TOPIC_PLACEHOLDER: Final = "AlertTopicArn"

# Business settings of the saga's tasks.
PAYMENT_PROVIDER_CONTEXT_KEY: Final = "paymentProviderEndpoint"
"""CDK context: the https:// endpoint AuthorizePayment POSTs authorization requests to."""
PAYMENT_PROVIDER_DEFAULT_ENDPOINT: Final = "https://payments.sandbox.example.com/v1/authorizations"
"""A reserved (.example) host: a deployment without the context value fails its payments
(retried, then compensated) instead of sending them anywhere real."""
PAYMENT_PROVIDER_ENDPOINT_ENV: Final = "PAYMENT_PROVIDER_ENDPOINT"
SAGA_SUPPORTED_DESTINATIONS: Final[tuple[str, ...]] = (
    "GB", "IE", "FR", "DE", "NL", "BE", "LU", "ES", "PT", "IT", "AT", "DK", "SE", "FI",
)  # fmt: skip

# The trigger: bus rule OrderPlaced -> queue -> pipe -> one execution per order.
SAGA_QUEUE_VISIBILITY_TIMEOUT_SECONDS: Final = 60
SAGA_PIPE_BATCH_SIZE: Final = 1
# A Standard workflow accepts only FIRE_AND_FORGET from a pipe (see the failure rule below).
SAGA_PIPE_INVOCATION_TYPE: Final = "FIRE_AND_FORGET"
SAGA_PIPE_LOG_LEVEL: Final = "ERROR"
SAGA_RULE_TARGET_MAX_RETRY_ATTEMPTS: Final = 8
SAGA_RULE_TARGET_MAX_EVENT_AGE_HOURS: Final = 2

# Failed executions never return their message to the queue: this rule parks them instead.
STEP_FUNCTIONS_EVENT_SOURCE: Final = "aws.states"
EXECUTION_STATUS_CHANGE_DETAIL_TYPE: Final = "Step Functions Execution Status Change"
WORKFLOW_FAILURE_STATUSES: Final[tuple[str, ...]] = ("FAILED", "TIMED_OUT", "ABORTED")

# --- payment webhook -------------------------------------------------------------------------

PAYMENT_WEBHOOK_PACKAGE: Final = "payment_webhook"
PAYMENT_WEBHOOK_HANDLER: Final = "payment_webhook.handler.lambda_handler"
PAYMENT_WEBHOOK_SERVICE_NAME: Final = "payment-webhook"
PAYMENT_WEBHOOK_PATH: Final = "payments/webhook"
PAYMENT_WEBHOOK_REQUEST_MODEL: Final = "PaymentNotification"
PAYMENT_WEBHOOK_MEMORY_MB: Final = 256
PAYMENT_WEBHOOK_TIMEOUT_SECONDS: Final = 10
# The provider's own front door: no AWS credentials (each notice is signed), its own throttling.
PAYMENT_WEBHOOK_API_NAME: Final = "order-platform-payment-webhook"
PAYMENT_WEBHOOK_API_STAGE: Final = "prod"
PAYMENT_WEBHOOK_THROTTLE_RATE_LIMIT: Final = 20
PAYMENT_WEBHOOK_THROTTLE_BURST_LIMIT: Final = 40
PAYMENT_WEBHOOK_SECRET_LENGTH: Final = 64
# More refused notices (forged, stale, replayed, mismatched, malformed) in 5 minutes page someone:
# a provider's occasional retry of a notice already taken is not a spike; a forger's attempts are.
PAYMENT_WEBHOOK_REFUSAL_ALARM_THRESHOLD: Final = 10
PAYMENT_WEBHOOK_REFUSAL_METRIC: Final = "WebhookRequestsRefused"
# Powertools Idempotency's expiry attribute in the notices table (its records expire by TTL).
PAYMENT_NOTICES_TTL_ATTRIBUTE: Final = "expiration"


# --- account-change notification (enrichment) ------------------------------------------------------

NOTIFICATION_PACKAGE: Final = "account_notification"
NOTIFICATION_SERVICE_NAME: Final = "account-notification"
NOTIFICATION_ASL_NAME: Final = "account_change_notification"
NOTIFICATION_STATE_MACHINE_LOG_GROUP: Final = (
    "/aws/vendedlogs/states/order-platform/account-change-notification"
)
NOTIFICATION_PIPE_LOG_GROUP: Final = "/aws/vendedlogs/pipes/order-platform/account-change-notification"
NOTIFICATION_DIFF_HANDLER: Final = "account_notification.diff_handler.lambda_handler"
NOTIFICATION_COMPOSE_HANDLER: Final = "account_notification.compose_handler.lambda_handler"
NOTIFICATION_SEND_HANDLER: Final = "account_notification.send_handler.lambda_handler"
NOTIFICATION_DIFF_PLACEHOLDER: Final = "DiffImagesFunctionArn"
NOTIFICATION_COMPOSE_PLACEHOLDER: Final = "ComposeNoticeFunctionArn"
NOTIFICATION_SEND_PLACEHOLDER: Final = "SendNoticeFunctionArn"
NOTIFICATION_USER_POOL_PLACEHOLDER: Final = "UserPoolId"
NOTIFICATION_NOTICES_TABLE_PLACEHOLDER: Final = "NoticesTableName"
NOTIFICATION_SECURITY_ATTRIBUTES: Final[tuple[str, ...]] = (
    "address",
    "email",
    "phone",
    "mfa",
    "recoveryEmail",
    "recoveryCodes",
    "passwordChangedAt",
)
"""Account attributes whose change the user is told about (dotted paths reach into maps)."""
NOTIFICATION_SECRET_ATTRIBUTES: Final[tuple[str, ...]] = ("mfa", "recoveryCodes", "passwordChangedAt")
"""Of those, the ones a notice names but never shows."""
NOTIFICATION_SENDER_CONTEXT_KEY: Final = "notificationSender"
NOTIFICATION_DEFAULT_SENDER: Final = "security-notices@example.com"
NOTIFICATION_PIPE_BATCH_SIZE: Final = 1
NOTIFICATION_PIPE_MAX_RETRY_ATTEMPTS: Final = 2
NOTIFICATION_PIPE_STARTING_POSITION: Final = "LATEST"
NOTIFICATION_PIPE_INVOCATION_TYPE: Final = "REQUEST_RESPONSE"
NOTIFICATION_PIPE_LOG_LEVEL: Final = "ERROR"
NOTIFICATION_FUNCTION_MEMORY_MB: Final = 256
NOTIFICATION_FUNCTION_TIMEOUT_SECONDS: Final = 10
NOTIFICATION_IDEMPOTENCY_SECONDS: Final = 7 * 24 * 3600
OUTPUT_ACCOUNTS_TABLE_NAME: Final = "AccountsTableName"
OUTPUT_NOTICES_TABLE_NAME: Final = "NoticesTableName"
OUTPUT_USER_POOL_ID: Final = "UserPoolId"
OUTPUT_NOTIFICATION_STATE_MACHINE_ARN: Final = "AccountChangeNotificationStateMachineArn"


# --- who may call the orders API (orders_api.identity) -------------------------------------------
ORDERS_CUSTOMER_SCOPES: Final[tuple[str, ...]] = ("aws.cognito.signin.user.admin",)
"""The scope a customer's access token must carry on the customer routes. With a scope on the
method, API Gateway's user pool authorizer takes access tokens only (an ID token is refused);
this one is in every access token the pool issues through its sign-in API (InitiateAuth, what
the SDKs, the CLI and Amplify use), so naming it admits exactly the pool's access tokens."""
ORDERS_CUSTOMER_TOKEN_HOURS: Final = 1
"""How long a customer's access and ID tokens are good for (refresh tokens renew them)."""
ORDERS_CUSTOMER_REFRESH_DAYS: Final = 30
ORDERS_OPERATOR_PATH: Final = "operator"
"""Operators' routes live under ``/operator/``: AWS_IAM, and only the stack's operator role."""
OUTPUT_CUSTOMER_CLIENT_ID: Final = "CustomerClientId"
OUTPUT_OPERATOR_ROLE_ARN: Final = "OperatorRoleArn"


# --- claim check (bulk order imports) ------------------------------------------------------------
CLAIM_CHECK_PACKAGE: Final = "claim_check"
CLAIM_CHECK_SERVICE_NAME: Final = "claim-check"
CLAIM_CHECK_EVENT_SOURCE: Final = "order-platform.claim-check"
CLAIM_CHECK_ISSUED_DETAIL_TYPE: Final = "ClaimCheckIssued"
CLAIM_INTAKE_PREFIX: Final = "intake/"
"""Objects uploaded under this prefix of the payload bucket are imported (door a)."""
CLAIM_RANGE_BYTES: Final = 8 * 1024 * 1024
CLAIM_TTL_DAYS: Final = 7
"""Claims expire (TTL) and unreleased payloads are deleted (lifecycle) after this many days."""
CLAIM_AFTER_SUCCESS: Final = "delete"
CLAIM_AFTER_SUCCESS_CONTEXT_KEY: Final = "claimAfterSuccess"
"""CDK context: "delete" (the default) or "tag" (keep the payload a day, for audits or replays)."""
CLAIM_AFTER_SUCCESS_CHOICES: Final = ("delete", "tag")
CLAIM_RESOLVED_TAG_KEY: Final = "claim-check"
CLAIM_RESOLVED_TAG_VALUE: Final = "resolved"
CLAIM_RESOLVED_EXPIRY_DAYS: Final = 1
"""A payload kept after its import (CLAIM_AFTER_SUCCESS = "tag") is expired this long after."""
CLAIM_SPLIT_STATE_MACHINE_LOG_GROUP: Final = "/aws/vendedlogs/states/order-platform/claim-check-split"
CLAIM_RESOLVE_STATE_MACHINE_LOG_GROUP: Final = "/aws/vendedlogs/states/order-platform/claim-check-resolve"
CLAIM_SPLIT_PIPE_LOG_GROUP: Final = "/aws/vendedlogs/pipes/order-platform/claim-check-split"
CLAIM_RESOLVE_PIPE_LOG_GROUP: Final = "/aws/vendedlogs/pipes/order-platform/claim-check-resolve"
CLAIM_RESOLVE_STATE_MACHINE_NAME: Final = "OrderPlatform-ClaimCheckResolve"
"""Named, so its role may start (and stop) its own Distributed Map children without a circular
reference between the state machine and its policy."""
CLAIM_STREAMING_FUNCTION_MEMORY_MB: Final = 1024
CLAIM_STREAMING_FUNCTION_TIMEOUT_SECONDS: Final = 900
CLAIM_FUNCTION_TIMEOUT_SECONDS: Final = 30
CLAIM_QUEUE_VISIBILITY_TIMEOUT_SECONDS: Final = 120
CLAIM_MAP_MAX_CONCURRENCY: Final = 10
"""ImportLines' MaxConcurrency: ranges of one payload imported at once (child executions)."""
CLAIM_MAP_TOLERATED_FAILURE_PERCENTAGE: Final = 0
"""ImportLines' ToleratedFailurePercentage: no failed range is tolerated, so a claim is imported
whole or parked for redrive (a product decision: see the README's claim check section)."""
OUTPUT_PAYLOAD_BUCKET_NAME: Final = "PayloadBucketName"
OUTPUT_CLAIMS_TABLE_NAME: Final = "ClaimsTableName"
OUTPUT_CLAIM_INTAKE_QUEUE_URL: Final = "ClaimIntakeQueueUrl"
OUTPUT_CLAIM_SPLIT_STATE_MACHINE_ARN: Final = "ClaimCheckSplitStateMachineArn"
OUTPUT_CLAIM_RESOLVE_STATE_MACHINE_ARN: Final = "ClaimCheckResolveStateMachineArn"
OUTPUT_CLAIM_FAILURES_QUEUE_URL: Final = "ClaimWorkflowFailuresQueueUrl"
