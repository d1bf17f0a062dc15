"""DynamoDB adapters of the saga's ports.

All of them share ``order_store.dynamodb.DynamoTable``: one client per process, one mapping of
throttling and network failures, here to SagaStoreUnavailable (which the state machine retries).
Every state change is a conditional write on the status the caller expects; a failed condition
is reported as False, never raised, and the domain decides what it means.

Tables (partition key ``pk`` only, except the order table):
- order table: saga lock ``ORDER#<orderId>`` / ``SAGA``, next to the order it guards;
- inventory: stock ``SKU#<sku>`` {sku, available}; reservations ``RESERVATION#<orderId>``;
- shipments: ``SHIPMENT#<orderId>``.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from dynamo_tables import DynamoTable, cancellation_codes, dynamodb_client, is_condition_failure, to_item
from order_saga.errors import OutOfStock, SagaStoreUnavailable
from order_saga.models import (
    Reservation,
    SagaLock,
    SagaRefusal,
    SagaStatus,
    Shipment,
)
from order_store.dynamodb import DynamoOrderRepository
from order_store.events import ORDER_PLACED
from order_store.keys import SAGA_RECORD_TYPE, SAGA_SK, order_pk, outbox_sk
from order_store.timestamps import iso_timestamp

REFUSAL_SK_PREFIX = "REFUSAL#"
REFUSAL_RECORD_TYPE = "SAGA_REFUSAL"

_CONDITION_FAILED = "ConditionalCheckFailed"


def sku_pk(sku: str) -> str:
    """Stock item key."""
    return f"SKU#{sku}"


def reservation_pk(order_id: str) -> str:
    """Reservation item key: one reservation per order."""
    return f"RESERVATION#{order_id}"


def shipment_pk(order_id: str) -> str:
    """Shipment item key: one shipment per order."""
    return f"SHIPMENT#{order_id}"


class _SagaTable(DynamoTable):
    """The saga's tables: transient failures are SagaStoreUnavailable, which its tasks retry."""

    unavailable = SagaStoreUnavailable


class SagaOrderRepository(DynamoOrderRepository):
    """The order repository as the saga uses it: transient failures are SagaStoreUnavailable,
    the error the saga's task Retry policies name (the API keeps OrderStoreUnavailable)."""

    unavailable = SagaStoreUnavailable

    def placed_event_id(self, order_id: str) -> str | None:
        """The event id of the order's first outbox record, if it is its OrderPlaced."""
        response = self._call(
            "get_item",
            Key=to_item({"pk": order_pk(order_id), "sk": outbox_sk(1)}),
            ConsistentRead=True,
            ProjectionExpression="eventId, eventType",
        )
        item = response.get("Item") or {}
        if item.get("eventType", {}).get("S") != ORDER_PLACED:
            return None
        event_id = item.get("eventId", {}).get("S")
        return str(event_id) if event_id else None

    def record_refusal(self, refusal: SagaRefusal) -> None:
        """Once per execution: a retried BeginSaga finds its refusal already written."""
        item = {
            "pk": order_pk(refusal.order_id),
            "sk": f"{REFUSAL_SK_PREFIX}{refusal.execution_id}",
            "recordType": REFUSAL_RECORD_TYPE,
            **refusal.model_dump(exclude_none=True),
        }
        self._put_new(item)


class DynamoSagaLocks(_SagaTable):
    """SagaLocks on the order table."""

    @staticmethod
    def _key(order_id: str) -> dict[str, str]:
        return {"pk": order_pk(order_id), "sk": SAGA_SK}

    def acquire(
        self,
        order_id: str,
        execution_id: str,
        now: datetime,
        *,
        takeover_from: str | None = None,
        redrive_count: int = 0,
    ) -> bool:
        """Conditional put: free, already held by the same execution (a retried BeginSaga), or
        held by the parked execution a redrive resumes, whose saga did not end cleanly."""
        moment = iso_timestamp(now)
        item = {
            **self._key(order_id),
            "recordType": SAGA_RECORD_TYPE,
            **SagaLock(
                order_id=order_id,
                status="RUNNING",
                execution_id=execution_id,
                started_at=moment,
                updated_at=moment,
                redrive_count=redrive_count,
            ).model_dump(exclude_none=True),
        }
        condition = "attribute_not_exists(pk) OR #executionId = :me"
        values: dict[str, Any] = {":me": execution_id}
        names = {"#executionId": "executionId"}
        if takeover_from is not None:
            condition += " OR (#executionId = :parked AND #status IN (:running, :compensating, :attention))"
            names["#status"] = "status"
            values.update(
                {
                    ":parked": takeover_from,
                    ":running": "RUNNING",
                    ":compensating": "COMPENSATING",
                    ":attention": "NEEDS_ATTENTION",
                }
            )
        return self._put_if(item, condition=condition, names=names, values=values)

    def get(self, order_id: str) -> SagaLock | None:
        return self._get_model(SagaLock, self._key(order_id))

    def fence(self, order_id: str, execution_id: str, now: datetime) -> bool:
        return self._update_if(
            self._key(order_id),
            update="SET #status = :compensating, #updatedAt = :now",
            condition="#executionId = :me AND #status <> :completed",
            names={"#status": "status", "#updatedAt": "updatedAt", "#executionId": "executionId"},
            values={
                ":compensating": "COMPENSATING",
                ":completed": "COMPLETED",
                ":now": iso_timestamp(now),
                ":me": execution_id,
            },
        )

    def settle(self, order_id: str, status: SagaStatus, execution_id: str, now: datetime) -> bool:
        return self._update_if(
            self._key(order_id),
            update=(
                "SET #status = :status, #updatedAt = :now, #orderId = if_not_exists(#orderId, :orderId),"
                " #recordType = if_not_exists(#recordType, :recordType),"
                " #executionId = if_not_exists(#executionId, :me)"
            ),
            condition="attribute_not_exists(pk) OR #executionId = :me",
            names={
                "#status": "status",
                "#updatedAt": "updatedAt",
                "#orderId": "orderId",
                "#recordType": "recordType",
                "#executionId": "executionId",
            },
            values={
                ":status": status,
                ":now": iso_timestamp(now),
                ":orderId": order_id,
                ":recordType": SAGA_RECORD_TYPE,
                ":me": execution_id,
            },
        )


class DynamoInventory(_SagaTable):
    """Inventory on the inventory table."""

    def missing_skus(self, skus: Collection[str]) -> set[str]:
        wanted = sorted(set(skus))
        found = self._batch_get([{"pk": sku_pk(sku)} for sku in wanted], projection="pk")
        present = {item["pk"] for item in found}
        return {sku for sku in wanted if sku_pk(sku) not in present}

    def get_reservation(self, order_id: str) -> Reservation | None:
        return self._get_model(Reservation, {"pk": reservation_pk(order_id)})

    def reserve(self, reservation: Reservation) -> bool:
        """One transaction: a conditional decrement per SKU and the reservation put."""
        decrements = [
            {
                "Update": {
                    "Key": to_item({"pk": sku_pk(line.sku)}),
                    "UpdateExpression": "SET #available = #available - :quantity",
                    "ConditionExpression": "attribute_exists(pk) AND #available >= :quantity",
                    "ExpressionAttributeNames": {"#available": "available"},
                    "ExpressionAttributeValues": to_item({":quantity": line.quantity}),
                }
            }
            for line in reservation.lines
        ]
        put = {
            "Put": {
                "Item": to_item(
                    {"pk": reservation_pk(reservation.order_id), **reservation.model_dump(exclude_none=True)}
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._transact([*decrements, put])
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            # A reservation that exists wins over a shortage: the first attempt already took the
            # stock, and that is the answer a retry must get.
            if self.get_reservation(reservation.order_id) is not None:
                return False
            codes = cancellation_codes(error)
            short = [
                line.sku
                for line, code in zip(reservation.lines, codes, strict=False)
                if code == _CONDITION_FAILED
            ]
            raise OutOfStock(short or [line.sku for line in reservation.lines]) from error
        return True

    def release(self, reservation: Reservation, now: datetime) -> bool:
        """One transaction: RESERVED -> RELEASED and every line's quantity added back."""
        mark = {
            "Update": {
                "Key": to_item({"pk": reservation_pk(reservation.order_id)}),
                "UpdateExpression": "SET #status = :released, #releasedAt = :now",
                "ConditionExpression": "#status = :reserved",
                "ExpressionAttributeNames": {"#status": "status", "#releasedAt": "releasedAt"},
                "ExpressionAttributeValues": to_item(
                    {":released": "RELEASED", ":reserved": "RESERVED", ":now": iso_timestamp(now)}
                ),
            }
        }
        restock = [
            {
                "Update": {
                    "Key": to_item({"pk": sku_pk(line.sku)}),
                    # a stock item deleted meanwhile is recreated rather than the stock lost
                    "UpdateExpression": "SET #sku = if_not_exists(#sku, :sku) ADD #available :quantity",
                    "ExpressionAttributeNames": {"#sku": "sku", "#available": "available"},
                    "ExpressionAttributeValues": to_item({":sku": line.sku, ":quantity": line.quantity}),
                }
            }
            for line in reservation.lines
        ]
        try:
            self._transact([mark, *restock])
        except ClientError as error:
            if is_condition_failure(error):  # only the reservation's update has a condition
                return False
            raise
        return True


class DynamoShipments(_SagaTable):
    """Shipments on the shipments table."""

    @staticmethod
    def _key(order_id: str) -> dict[str, str]:
        return {"pk": shipment_pk(order_id)}

    def book(self, shipment: Shipment) -> bool:
        return self._put_new({**self._key(shipment.order_id), **shipment.model_dump(exclude_none=True)})

    def get(self, order_id: str) -> Shipment | None:
        return self._get_model(Shipment, self._key(order_id))

    def cancel(self, order_id: str, now: datetime) -> bool:
        return self._update_if(
            self._key(order_id),
            update="SET #status = :cancelled, #cancelledAt = :now",
            condition="#status = :booked",
            names={"#status": "status", "#cancelledAt": "cancelledAt"},
            values={":cancelled": "CANCELLED", ":booked": "BOOKED", ":now": iso_timestamp(now)},
        )


# --- factories on the process-wide client (the handlers' default seams) ---------------------------


def saga_order_repository(table_name: str) -> SagaOrderRepository:
    """The order repository of the saga's tasks."""
    return SagaOrderRepository(table_name, dynamodb_client())


def saga_locks(table_name: str) -> DynamoSagaLocks:
    """The saga locks in the order table."""
    return DynamoSagaLocks(table_name, dynamodb_client())


def inventory(table_name: str) -> DynamoInventory:
    """The inventory table."""
    return DynamoInventory(table_name, dynamodb_client())


def shipments(table_name: str) -> DynamoShipments:
    """The shipments table."""
    return DynamoShipments(table_name, dynamodb_client())
