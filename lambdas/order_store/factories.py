"""The order and outbox repositories' factories, importable at a handler's init without them.

The orders API and the outbox tasks name these at module level (tests replace them there);
the DynamoDB repositories import the order models, and with them pydantic, so each factory
imports its repository when a first invocation calls it (README, "Cold start").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from order_store.dynamodb import DynamoOrderRepository, DynamoOutboxRepository


def order_repository(table_name: str) -> DynamoOrderRepository:
    """The order repository on the process-wide client."""
    from order_store import dynamodb

    return dynamodb.order_repository(table_name)


def outbox_repository(table_name: str) -> DynamoOutboxRepository:
    """The outbox repository on the process-wide client."""
    from order_store import dynamodb

    return dynamodb.outbox_repository(table_name)
