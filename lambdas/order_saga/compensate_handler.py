"""Lambda shell of the Compensate task: resolve the saga's outcome by reading the order, then
fence the saga so no confirmation can commit while its steps are undone.

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
from order_saga.factories import saga_locks, saga_order_repository

if TYPE_CHECKING:
    from order_saga.ports import SagaLocks
    from order_store.ports import OrderRepository

logger, tracer, metrics = powertools("order-saga")

repository_factory: Callable[[str], OrderRepository] = saga_order_repository
"""Builds the order repository for a table name; tests replace it with an in-memory fake."""
locks_factory: Callable[[str], SagaLocks] = saga_locks
"""Builds the saga locks for the order table's name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.compensate_handler.lambda_handler``."""
    from order_saga.outcome import begin_compensation
    from order_saga.schemas import (
        CompensationStarted,
        CompensationStartRequest,
        parse_task_input,
        task_output,
    )
    from order_store.settings import load_store_settings

    settings = load_store_settings()
    request = parse_task_input(CompensationStartRequest, event)
    start = begin_compensation(
        request.order.order_id,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    if start.confirmed:
        metrics.add_metric(name="ConfirmationsResolvedByReading", unit=MetricUnit.Count, value=1)
        logger.warning("A step failed after the order was confirmed: going forward, nothing is undone")
    else:
        metrics.add_metric(name="CompensationsStarted", unit=MetricUnit.Count, value=1)
        logger.info("Saga fenced; undoing the completed steps")
    return task_output(CompensationStarted(confirmed=start.confirmed))
