"""The payment webhook (API Gateway REST proxy integration, no AWS credentials).

The provider proves each notice is its own with a signature (`signatures`: HMAC-SHA256 over a
timestamp and the raw body, by a secret in Secrets Manager); the route reads the raw body,
checks the signature against the two valid secrets, parses the notice, refuses a replay, then
calls one domain function and renders its outcome. Refusals are exceptions rendered by the
handlers registered below, each counted under its own metric and all of them under
``WebhookRequestsRefused``, which an alarm watches: a spike is a forger at work or a provider
integration gone wrong. A repeated or late *new* notice is answered 200 (ignored), because a
provider retries anything else; the same signed notice again is a replay (409).

Replays are refused with Powertools Idempotency keyed on the notice's identity (the digest of
what is signed), its records expiring once the notice would be stale anyway. Powertools would
answer a repeat with the first answer; its response hook turns that into the refusal instead. A
notice whose processing failed leaves no record, so the provider's retry is processed, not refused.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

import aws_clients
from http_api.responses import json_response
from http_api.shell import ApiShell
from payment_webhook.errors import (
    NoticeMismatch,
    NoticeNotAuthenticated,
    NoticeReplayed,
    NoticeStale,
    PaymentNotFound,
    SignatureInvalid,
    SigningSecretsUnavailable,
)
from payment_webhook.logic import answer_payment
from payment_webhook.schemas import PaymentNotice, notice_bytes, parse_notice
from payment_webhook.secrets import SecretsManagerSigningSecrets, SigningSecrets
from payment_webhook.settings import WebhookSettings, load_webhook_settings
from payment_webhook.signatures import SIGNATURE_HEADER, TOLERANCE_SECONDS, notice_id, verify
from payments.errors import PaymentStoreUnavailable
from payments.ledger import payment_ledger
from task_io.callbacks import CallbackUnavailable, step_functions_callbacks

REFUSED = "WebhookRequestsRefused"
"""Every 4xx, whatever its reason: the metric the refusal-spike alarm watches."""
shell = ApiShell("payment-webhook", refused_metric=REFUSED)
app, logger, metrics = shell.app, shell.logger, shell.metrics


ledger_factory = payment_ledger
"""Builds the payment ledger for a table name; tests replace it with an in-memory fake."""
callbacks_factory = step_functions_callbacks
"""Builds the Step Functions callbacks; tests replace them with a recording fake."""


@functools.cache
def secrets_factory(secret_id: str) -> SigningSecrets:
    """The signing secrets, read through a per-sandbox cache; tests replace it."""
    return SecretsManagerSigningSecrets(secret_id, client=aws_clients.client("secretsmanager"))


@functools.cache
def receipts_factory(table_name: str) -> BasePersistenceLayer:
    """Where accepted notices are remembered (Powertools Idempotency records); tests replace it."""
    return DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="pk", boto3_client=aws_clients.client("dynamodb")
    )


def _refuse_replay(response: Any, idempotent_data: DataRecord) -> Any:
    """Powertools' answer to a notice it has a completed record of: refuse it instead."""
    raise NoticeReplayed("this notice was received before")


def _authenticate(raw: bytes, header: str | None, secrets: SigningSecrets) -> int:
    """The notice's timestamp once its signature holds; a signature matching no cached secret is
    checked again against the secrets read afresh (a rotation since the cache filled)."""
    try:
        return verify(header, raw, secrets.valid(), time.time()).timestamp
    except SignatureInvalid:
        return verify(header, raw, secrets.valid(refresh=True), time.time()).timestamp


@functools.cache
def _receipted(settings: WebhookSettings) -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """The notice's processing, wrapped in Powertools Idempotency (built once per sandbox)."""
    config = IdempotencyConfig(
        event_key_jmespath="noticeId",
        raise_on_no_idempotency_key=True,
        # A notice is valid up to TOLERANCE_SECONDS either side of its timestamp: remembered so long
        expires_after_seconds=2 * TOLERANCE_SECONDS,
        response_hook=_refuse_replay,
    )

    @idempotent_function(
        data_keyword_argument="receipt",
        persistence_store=receipts_factory(settings.notices_table_name),
        config=config,
    )
    def process(receipt: dict[str, str], notice: PaymentNotice) -> dict[str, Any]:
        ledger = ledger_factory(settings.payments_table_name)
        return answer_payment(notice, ledger, callbacks_factory(), datetime.now(UTC)).body()

    return config, process


@app.post("/payments/webhook")
def receive_notice() -> Response:
    """Authenticate the provider's notice, record its answer and pass it on to the waiting saga."""
    event = app.current_event
    raw = notice_bytes(event.headers, event.body, bool(event.is_base64_encoded))
    settings = load_webhook_settings()
    timestamp = _authenticate(
        raw, event.headers.get(SIGNATURE_HEADER), secrets_factory(settings.signing_secret_id)
    )
    notice = parse_notice(raw)
    logger.append_keys(authorizationId=notice.authorization_id, outcome=notice.outcome)
    config, process = _receipted(settings)
    config.register_lambda_context(app.lambda_context)
    body = process(receipt={"noticeId": notice_id(timestamp, raw)}, notice=notice)
    if body["status"] == "accepted":
        shell.count(WebhookAnswers=1)
        logger.info("Payment notice passed on to the saga")
    else:
        shell.count(WebhookAnswersIgnored=1)
        logger.info("Payment notice ignored", extra={"ledgerStatus": body.get("ledgerStatus")})
    return json_response(200, body)


def _refuse(status: int, metric: str, message: str, error: Exception, **body: Any) -> Response:
    shell.count(**{metric: 1})
    logger.warning("Payment notice refused", extra={"refusal": metric, "error": str(error)})
    return shell.refusal(status, {"message": message, **body})


@app.exception_handler(NoticeNotAuthenticated)
def _not_authenticated(error: NoticeNotAuthenticated) -> Response:
    if isinstance(error, NoticeStale):
        return _refuse(401, "WebhookNoticesStale", "Notice timestamp outside the tolerance", error)
    return _refuse(401, "WebhookNoticesUnauthenticated", "Notice signature missing or invalid", error)


@app.exception_handler([NoticeReplayed, IdempotencyAlreadyInProgressError])
def _replayed(error: Exception) -> Response:
    return _refuse(409, "WebhookNoticesReplayed", "Notice already received", error)


@app.exception_handler(NoticeMismatch)
def _mismatch(error: NoticeMismatch) -> Response:
    differences = {
        field: {"notice": got, "ledger": asked} for field, (got, asked) in error.differences.items()
    }
    return _refuse(
        422,
        "WebhookNoticesMismatched",
        "Notice does not match the authorization",
        error,
        differences=differences,
    )


@app.exception_handler(PaymentNotFound)
def _not_found(error: PaymentNotFound) -> Response:
    return shell.refusal(404, {"message": "Authorization not found"})


shell.unavailable_on(
    [
        PaymentStoreUnavailable,
        CallbackUnavailable,
        SigningSecretsUnavailable,
        IdempotencyPersistenceLayerError,
    ],
    "WebhookUnavailable",
    "Webhook dependency unavailable",
)
lambda_handler = shell.handler()
"""Entry point named by the infrastructure: ``payment_webhook.handler.lambda_handler``."""
