"""Lambda shell of the payment webhook (API Gateway REST proxy integration).

The route parses the notice, calls one domain function and renders its outcome; refusals are
exceptions rendered by the handlers registered below. A repeated or late notice is answered
200 (ignored), because a provider retries anything else.

Only Powertools, the resolver and the error classes are imported at init; the models, schemas
and adapters are imported by the first invocation (README, "Cold start": a handler's import
stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments.errors import PaymentStoreUnavailable
from payments.factories import payment_ledger

from http_api.responses import json_response, register_refusal_handlers, service_unavailable
from observability import powertools
from payment_webhook.errors import PaymentNotFound
from task_io.callbacks import CallbackUnavailable, TaskCallbacks, step_functions_callbacks

if TYPE_CHECKING:
    from payments.ledger import PaymentLedger

logger, tracer, metrics = powertools("payment-webhook")
app = APIGatewayRestResolver()


ledger_factory: Callable[[str], PaymentLedger] = payment_ledger
"""Builds the payment ledger for a table name; tests replace it with an in-memory fake."""
callbacks_factory: Callable[[], TaskCallbacks] = step_functions_callbacks
"""Builds the Step Functions callbacks; tests replace them with a recording fake."""


@app.post("/payments/webhook")
def receive_notice() -> Response:
    """Record the provider's answer and pass it on to the waiting saga."""
    from payments.settings import load_payments_settings

    from payment_webhook.logic import answer_payment
    from payment_webhook.schemas import parse_notice

    event = app.current_event
    notice = parse_notice(event.headers, event.body, bool(event.is_base64_encoded))
    logger.append_keys(authorizationId=notice.authorization_id, outcome=notice.outcome)
    settings = load_payments_settings()
    outcome = answer_payment(
        notice, ledger_factory(settings.payments_table_name), callbacks_factory(), datetime.now(UTC)
    )
    if outcome.accepted:
        metrics.add_metric(name="WebhookAnswers", unit=MetricUnit.Count, value=1)
        logger.info("Payment notice passed on to the saga")
    else:
        metrics.add_metric(name="WebhookAnswersIgnored", unit=MetricUnit.Count, value=1)
        logger.info("Payment notice ignored", extra={"ledgerStatus": outcome.ledger_status})
    return json_response(200, outcome.body())


_refusal = register_refusal_handlers(app, metrics, "WebhookRequestsRefused")
"""Renders (and counts) every 4xx: a rise in refusals is a provider integration going wrong."""


@app.exception_handler(PaymentNotFound)
def _not_found(error: PaymentNotFound) -> Response:
    return _refusal(404, {"message": "Authorization not found"})


@app.exception_handler([PaymentStoreUnavailable, CallbackUnavailable])
def _unavailable(error: Exception) -> Response:
    logger.warning("Webhook dependency unavailable", extra={"error": str(error)})
    metrics.add_metric(name="WebhookUnavailable", unit=MetricUnit.Count, value=1)
    return service_unavailable()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point named by the infrastructure: ``payment_webhook.handler.lambda_handler``."""
    return app.resolve(event, context)
