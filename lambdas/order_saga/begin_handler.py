"""BeginSaga: validate the OrderPlaced event the pipe delivered and take the order's saga lock."""

from __future__ import annotations

from datetime import UTC, datetime

from event_contracts.versions import (
    COPIES_READ_IN_ANOTHER_MAJOR_METRIC,
    ReadInAnotherMajor,
    UnsupportedEventVersion,
)

from order_saga import dynamodb
from order_saga.begin import begin_saga
from order_saga.errors import (
    ForgedOrderEvent,
    InvalidOrderEvent,
    InvalidSagaInput,
    OrderFactsMismatch,
    OrderNotPlaced,
    RedriveRefused,
)
from order_saga.schemas import BeginRequest, BeginResult
from order_saga.settings import load_begin_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
logger, metrics = shell.logger, shell.metrics
orders_factory = dynamodb.saga_order_repository
"""The order table's view the event is checked against; tests replace each factory here."""
inventory_factory = dynamodb.inventory
locks_factory = dynamodb.saga_locks


@shell.task(
    BeginRequest,
    correlation_id_path="executionId",
    failures={
        InvalidOrderEvent: "InvalidOrderEvents",
        RedriveRefused: "RedrivesRefused",
        ForgedOrderEvent: "ForgedOrderEvents",
        OrderFactsMismatch: "OrderEventsMismatched",
        OrderNotPlaced: "OrderEventsRefused",
        UnsupportedEventVersion: "UnsupportedEventVersions",
    },
    outcomes={ReadInAnotherMajor: COPIES_READ_IN_ANOTHER_MAJOR_METRIC},
)
def lambda_handler(request: BeginRequest) -> BeginResult:
    settings = load_begin_settings()
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
        shell.count(DuplicateSagas=1)
        logger.info("Another execution owns this order's saga; nothing to do")
    elif start.redrive_count:
        shell.count(SagasRedriven=1)
        logger.info("Parked saga resumed by a redrive", extra={"redriveCount": start.redrive_count})
    else:
        shell.count(SagasStarted=1)
        logger.info("Saga started")
    return BeginResult(duplicate=start.duplicate, order=start.order)
