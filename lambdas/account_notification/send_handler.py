"""Lambda shell of the SendNotice task: one email per account change, however often it runs.

Powertools Idempotency, keyed on the stream record's event id, in the notices table: a
duplicate delivery (or a retry after the email went out but the answer was lost) gets the first
send's message id back instead of a second email; a concurrent duplicate is refused with
IdempotencyAlreadyInProgressError, which the workflow retries.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

import aws_clients
from account_notification.errors import EmailRejected, EmailThrottled
from account_notification.mailer import send_email
from observability import powertools
from observability.failures import count_failures

if TYPE_CHECKING:
    from account_notification.settings import SendSettings

logger, tracer, metrics = powertools("account-notification", mask_personal_data=True)
FAILURES = "NotificationTaskFailures"

sender: Callable[[str, str, str, str], str] = send_email
"""Sends one email (sender, to, subject, body) -> message id; tests replace it."""


@functools.cache
def _idempotent_send(settings: SendSettings) -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """The send wrapped in Powertools Idempotency (built once per sandbox, from its settings)."""
    config = IdempotencyConfig(
        event_key_jmespath="eventId",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_seconds,
    )
    store = DynamoDBPersistenceLayer(
        table_name=settings.notices_table_name, key_attr="pk", boto3_client=aws_clients.client("dynamodb")
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)
    def send(request: dict[str, Any]) -> dict[str, Any]:
        message_id = sender(settings.sender, request["to"], request["subject"], request["body"])
        metrics.add_metric(name="NoticesSent", unit=MetricUnit.Count, value=1)
        return {"messageId": message_id}

    return config, send


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(
    logger,
    metrics,
    {EmailThrottled: "EmailThrottled", EmailRejected: "EmailRejected"},
    failure_metric=FAILURES,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``account_notification.send_handler.lambda_handler``."""
    from account_notification.schemas import SendOut, SendRequest, parse_input
    from account_notification.settings import load_send_settings

    request = parse_input(SendRequest, event)
    logger.append_keys(eventId=request.event_id)
    config, send = _idempotent_send(load_send_settings())
    config.register_lambda_context(context)
    result = send(request=request.model_dump(mode="json", by_alias=True))
    metrics.add_metric(name="NoticeRequests", unit=MetricUnit.Count, value=1)
    logger.info("Notice sent (or its earlier send replayed)")
    return SendOut(message_id=str(result["messageId"])).model_dump(mode="json")
