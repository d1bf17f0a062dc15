"""Lambda shell of the VoidPayment compensation."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments.ledger import PaymentLedger, payment_ledger
from payments.settings import load_payments_settings

from observability import powertools
from observability.failures import count_failures
from order_saga.compensation import void_payment
from order_saga.schemas import CompensationRequest, parse_task_input, task_output

logger, tracer, metrics = powertools("order-saga")

ledger_factory: Callable[[str], PaymentLedger] = payment_ledger
"""Builds the payment ledger for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {Exception: "CompensationFailures"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.void_payment_handler.lambda_handler``."""
    settings = load_payments_settings()
    request = parse_task_input(CompensationRequest, event)
    result = void_payment(
        request.order.order_id, ledger_factory(settings.payments_table_name), datetime.now(UTC)
    )
    metrics.add_metric(name="CompensationsRun", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="PaymentsVoided", unit=MetricUnit.Count, value=int(result.compensated))
    logger.info(
        "Payment compensation ran",
        extra={"compensated": result.compensated, "previousStatus": result.previous_status},
    )
    return task_output(result)
