"""Lambda shell of the AuthorizePayment task (``lambda:invoke.waitForTaskToken``).

It records the authorization request in the ledger, sends it to the provider (the endpoint of
this deployment, ``PAYMENT_PROVIDER_ENDPOINT``) and returns; the state waits until the
payment webhook answers the task token (or, for a retried request the provider had already
answered, until this function delivers the recorded answer to the new token). The task token
is a bearer credential for the execution, so it is neither logged nor traced.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from observability import powertools
from observability.failures import count_failures
from payments.factories import https_gateway, payment_ledger
from task_io.callbacks import TaskCallbacks, step_functions_callbacks

if TYPE_CHECKING:
    from payments.gateway import PaymentGateway
    from payments.ledger import PaymentLedger

logger, tracer, metrics = powertools("order-saga")

ledger_factory: Callable[[str], PaymentLedger] = payment_ledger
"""Builds the payment ledger for a table name; tests replace it with an in-memory fake."""
gateway_factory: Callable[[str], PaymentGateway] = https_gateway
"""Builds the gateway to the provider's endpoint; unit tests replace it with a recording fake."""
callbacks_factory: Callable[[], TaskCallbacks] = step_functions_callbacks
"""Answers a retried request's new token with an answer already on record; tests replace it."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.request_payment_handler.lambda_handler``."""
    from order_saga.payment_request import request_payment
    from order_saga.schemas import PaymentRequest, PaymentRequested, parse_task_input, task_output
    from payments.settings import load_payment_request_settings

    settings = load_payment_request_settings()
    request = parse_task_input(PaymentRequest, event)
    entry = request_payment(
        request.order,
        request.task_token,
        ledger_factory(settings.payments_table_name),
        gateway_factory(settings.payment_provider_endpoint),
        callbacks_factory(),
        datetime.now(UTC),
    )
    metrics.add_metric(name="PaymentsRequested", unit=MetricUnit.Count, value=1)
    logger.info(
        "Payment authorization requested",
        extra={"authorizationId": entry.authorization_id, "ledgerStatus": entry.status},
    )
    return task_output(PaymentRequested(authorization_id=entry.authorization_id, status=entry.status))
