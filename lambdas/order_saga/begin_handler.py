"""Lambda shell of the BeginSaga task: validate the OrderPlaced event, take the saga lock.

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
from order_saga.errors import (
    ForgedOrderEvent,
    InvalidOrderEvent,
    OrderFactsMismatch,
    OrderNotPlaced,
    RedriveRefused,
)
from order_saga.factories import inventory, saga_locks, saga_order_repository

if TYPE_CHECKING:
    from order_saga.ports import Inventory, SagaLocks, SagaOrders

logger, tracer, metrics = powertools("order-saga")

inventory_factory: Callable[[str], Inventory] = inventory
"""Builds the inventory for a table name; tests replace it with an in-memory fake."""
locks_factory: Callable[[str], SagaLocks] = saga_locks
"""Builds the saga locks for the order table's name; tests replace it with an in-memory fake."""
orders_factory: Callable[[str], SagaOrders] = saga_order_repository
"""Builds the order table's view the event is checked against; tests replace it."""


@logger.inject_lambda_context(correlation_id_path="executionId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(
    logger,
    metrics,
    {
        InvalidOrderEvent: "InvalidOrderEvents",
        RedriveRefused: "RedrivesRefused",
        ForgedOrderEvent: "ForgedOrderEvents",
        OrderFactsMismatch: "OrderEventsMismatched",
        OrderNotPlaced: "OrderEventsRefused",
    },
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point named by the infrastructure: ``order_saga.begin_handler.lambda_handler``."""
    from order_saga.begin import begin_saga
    from order_saga.schemas import BeginRequest, BeginResult, parse_task_input, task_output
    from order_saga.settings import load_begin_settings

    settings = load_begin_settings()
    request = parse_task_input(BeginRequest, event)
    start = begin_saga(
        request.records,
        request.execution_id,
        orders_factory(settings.orders_table_name),
        inventory_factory(settings.inventory_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
        settings.max_redrives,
        settings.refusal_retention_days,
    )
    logger.append_keys(orderId=start.order.order_id)
    if start.duplicate:
        metrics.add_metric(name="DuplicateSagas", unit=MetricUnit.Count, value=1)
        logger.info("Another execution owns this order's saga; nothing to do")
    elif start.redrive_count:
        metrics.add_metric(name="SagasRedriven", unit=MetricUnit.Count, value=1)
        logger.info("Parked saga resumed by a redrive", extra={"redriveCount": start.redrive_count})
    else:
        metrics.add_metric(name="SagasStarted", unit=MetricUnit.Count, value=1)
        logger.info("Saga started")
    return task_output(BeginResult(duplicate=start.duplicate, order=start.order))
