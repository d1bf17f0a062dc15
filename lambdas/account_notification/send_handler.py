"""SendNotice: one email per account change, however often it runs.

Powertools Idempotency, keyed on the stream record's event id, in the notices table: a
duplicate delivery (or a retry after the email went out but the answer was lost) gets the first
send's message id back instead of a second email; a concurrent duplicate is refused with
IdempotencyAlreadyInProgressError, which the workflow retries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

import aws_clients
from account_notification.errors import EmailRejected, EmailThrottled, InvalidNoticeInput
from account_notification.mailer import send_email
from account_notification.schemas import SendOut, SendRequest
from account_notification.settings import SendSettings, load_send_settings
from observability.failures import NOTIFICATION_FAILURE_METRIC
from observability.slo import NOTIFICATION_DELAY, milliseconds_between
from task_io.shell import TaskShell

shell = TaskShell(
    "account-notification",
    InvalidNoticeInput,
    failure_metric=NOTIFICATION_FAILURE_METRIC,
    mask_personal_data=True,
)
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
        shell.count(NoticesSent=1)
        if request.get("changedAt"):  # a first send only: a replay is not a notification
            changed = datetime.fromisoformat(request["changedAt"])
            shell.measure(NOTIFICATION_DELAY, [milliseconds_between(changed, datetime.now(UTC))])
        return {"messageId": message_id}

    return config, send


@shell.task(
    SendRequest,
    failures={EmailThrottled: "EmailThrottled", EmailRejected: "EmailRejected"},
    pass_context=True,
)
def lambda_handler(request: SendRequest, context: LambdaContext) -> SendOut:
    shell.logger.append_keys(eventId=request.event_id)
    config, send = _idempotent_send(load_send_settings())
    config.register_lambda_context(context)
    result = send(request=request.model_dump(mode="json", by_alias=True))
    shell.count(NoticeRequests=1)
    shell.logger.info("Notice sent (or its earlier send replayed)")
    return SendOut(message_id=str(result["messageId"]))
