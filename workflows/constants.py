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

# Stable logical ids of the stack outputs: tests and scripts find values by these names.
OUTPUT_ORDERS_API_URL: Final = "OrdersApiUrl"
OUTPUT_EVENT_BUS_NAME: Final = "EventBusName"
OUTPUT_ORDERS_TABLE_NAME: Final = "OrdersTableName"
OUTPUT_OUTBOX_STATE_MACHINE_ARN: Final = "OutboxPublisherStateMachineArn"

# --- shared infrastructure ----------------------------------------------------------------

EVENT_BUS_NAME: Final = "order-platform"
ORDERS_EVENT_SOURCE: Final = "order-platform.orders"

ORDERS_TABLE_PARTITION_KEY: Final = "pk"
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
LAMBDA_SHARED_PACKAGES: Final[tuple[str, ...]] = ("order_store", "observability")
LAMBDA_DEFAULT_MEMORY_MB: Final = 256
LAMBDA_DEFAULT_TIMEOUT_SECONDS: Final = 10

# Powertools for AWS Lambda (Python) v3, public layer published by AWS in every commercial region.
# The account id and the ARN shape are documented by Powertools. The layer version is the newest
# one Powertools' own docs page lists in the material available offline (27); the exact layer
# version that carries 3.37.0 could not be confirmed here. Deployers who need the exact release can
# resolve the public SSM parameter /aws/service/powertools/python/arm64/python3.13/3.37.0 instead.
POWERTOOLS_LAYER_ACCOUNT: Final = "017000801446"
POWERTOOLS_LAYER_NAME: Final = "AWSLambdaPowertoolsPythonV3-python313-arm64"
POWERTOOLS_LAYER_VERSION: Final = 27
POWERTOOLS_PACKAGE_VERSION: Final = "3.37.0"

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
