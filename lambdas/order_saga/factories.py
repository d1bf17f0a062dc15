"""The saga handlers' default adapter factories, importable at init without the adapters.

A handler names its factory at module level (tests replace it there), but the DynamoDB
adapters import the models, and with them pydantic: each factory imports its adapter when a
first invocation calls it (README, "Cold start").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from order_saga.dynamodb import DynamoInventory, DynamoSagaLocks, DynamoShipments, SagaOrderRepository


def saga_order_repository(table_name: str) -> SagaOrderRepository:
    """The order repository of the saga's tasks."""
    from order_saga import dynamodb

    return dynamodb.saga_order_repository(table_name)


def saga_locks(table_name: str) -> DynamoSagaLocks:
    """The saga locks in the order table."""
    from order_saga import dynamodb

    return dynamodb.saga_locks(table_name)


def inventory(table_name: str) -> DynamoInventory:
    """The inventory table."""
    from order_saga import dynamodb

    return dynamodb.inventory(table_name)


def shipments(table_name: str) -> DynamoShipments:
    """The shipments table."""
    from order_saga import dynamodb

    return dynamodb.shipments(table_name)
