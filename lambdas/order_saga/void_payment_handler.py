"""Lambda shell of the VoidPayment compensation.

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
from payments.factories import payment_ledger

if TYPE_CHECKING:
    from payments.ledger import PaymentLedger

logger, tracer, metrics = powertools("order-saga")

ledger_factory: Callable[[str], PaymentLedger] = payment_ledger
"""Builds the payment ledger for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {Exception: "CompensationFailures"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.void_payment_handler.lambda_handler``."""
    from order_saga.compensation import void_payment
    from order_saga.schemas import CompensationRequest, parse_task_input, task_output
    from payments.settings import load_payments_settings

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
