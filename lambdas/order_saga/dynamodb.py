"""DynamoDB adapters of the saga's ports.

All of them share ``order_store.dynamodb.DynamoTable``: one client per process, one mapping of
throttling and network failures, here to SagaStoreUnavailable (which the state machine retries).
Every state change is a conditional write on the status the caller expects; a failed condition
is reported as False, never raised, and the domain decides what it means.

Tables (partition key ``pk`` only, except the order table):
- order table: saga lock ``ORDER#<orderId>`` / ``SAGA``, next to the order it guards;
- inventory: stock ``SKU#<sku>`` {sku, available[, shards]} and, for a sharded SKU, its other
  shards ``SKU#<sku>#SHARD#<n>`` (`order_saga.stock`); reservations ``RESERVATION#<orderId>``
  (with ``stockShards``: which shards gave each line, so a release returns it there);
- shipments: ``SHIPMENT#<orderId>``.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from dynamo_tables import (
    DynamoTable,
    cancellation_codes,
    dynamodb_client,
    from_item,
    is_condition_failure,
    to_item,
)
from order_saga.errors import OutOfStock, SagaStoreUnavailable
from order_saga.models import (
    Reservation,
    SagaLock,
    SagaRefusal,
    SagaStatus,
    Shipment,
)
from order_saga.stock import first_shard, stock_pk, take_from
from order_store.dynamodb import DynamoOrderRepository
from order_store.events import ORDER_PLACED
from order_store.keys import SAGA_RECORD_TYPE, SAGA_SK, order_pk, outbox_sk
from order_store.timestamps import iso_timestamp

REFUSAL_SK_PREFIX = "REFUSAL#"
REFUSAL_RECORD_TYPE = "SAGA_REFUSAL"

_CONDITION_FAILED = "ConditionalCheckFailed"


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
        found = self._batch_get([{"pk": stock_pk(sku)} for sku in wanted], projection="pk")
        present = {item["pk"] for item in found}
        return {sku for sku in wanted if stock_pk(sku) not in present}

    def get_reservation(self, order_id: str) -> Reservation | None:
        return self._get_model(Reservation, {"pk": reservation_pk(order_id)})

    def reserve(self, reservation: Reservation) -> bool:
        """One transaction: a conditional decrement of one shard per SKU and the reservation put.

        A sharded SKU's line starts at the order's own shard and, when that shard cannot serve
        it, tries the others in turn (a new transaction each time: nothing is taken until one
        commits); when no single shard holds the quantity, the shards are read and the line is
        taken from several of them at once.
        """
        quantities = {line.sku: line.quantity for line in reservation.lines}
        shards = self._shard_counts(list(quantities))
        order_id = reservation.order_id
        starts = {sku: first_shard(order_id, sku, shards[sku]) for sku in quantities}
        taken = {sku: {starts[sku]: quantity} for sku, quantity in quantities.items()}
        widest = max(shards.values())
        attempt = 0
        while True:
            failed = self._try_reserve(reservation, taken)
            if failed is None:
                return True
            if not failed:  # the reservation exists: a retry, which must get the first answer
                return False
            attempt += 1
            if attempt == widest or any(shards[sku] == 1 for sku in failed):
                break
            for sku in failed:  # only the lines that failed move to their next shard
                taken[sku] = {(starts[sku] + attempt) % shards[sku]: quantities[sku]}
        short = [sku for sku in failed if shards[sku] == 1]
        if short:
            raise OutOfStock(short)
        # every shard alone was short: take each failed line from several shards, if together
        # they hold it
        for sku in failed:
            taken[sku] = take_from(self._shard_levels(sku, shards[sku]), quantities[sku])
        short = [sku for sku in failed if not taken[sku]]
        if short:
            raise OutOfStock(short)
        failed = self._try_reserve(reservation, taken)
        if failed is None:
            return True
        if not failed:
            return False
        raise SagaStoreUnavailable(
            f"stock of {', '.join(failed)} moved while order {order_id} took it from several shards; retry"
        )

    def _try_reserve(self, reservation: Reservation, taken: dict[str, dict[int, int]]) -> list[str] | None:
        """One reservation transaction: None when it committed, [] when the order's reservation
        already exists, else the SKUs whose shard(s) lacked the quantity."""
        lines = [(sku, shard, quantity) for sku, parts in taken.items() for shard, quantity in parts.items()]
        decrements = [
            {
                "Update": {
                    "Key": to_item({"pk": stock_pk(sku, shard)}),
                    "UpdateExpression": "SET #available = #available - :quantity",
                    "ConditionExpression": "attribute_exists(pk) AND #available >= :quantity",
                    "ExpressionAttributeNames": {"#available": "available"},
                    "ExpressionAttributeValues": to_item({":quantity": quantity}),
                }
            }
            for sku, shard, quantity in lines
        ]
        record = {
            "pk": reservation_pk(reservation.order_id),
            **reservation.model_dump(exclude_none=True),
            "stockShards": {
                sku: {str(shard): q for shard, q in parts.items()} for sku, parts in taken.items()
            },
        }
        put = {"Put": {"Item": to_item(record), "ConditionExpression": "attribute_not_exists(pk)"}}
        try:
            self._transact([*decrements, put])
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            if self.get_reservation(reservation.order_id) is not None:
                return []
            codes = cancellation_codes(error)
            failed = [
                sku for (sku, _, _), code in zip(lines, codes, strict=False) if code == _CONDITION_FAILED
            ]
            return sorted(set(failed)) or sorted(taken)
        return None

    def _shard_counts(self, skus: list[str]) -> dict[str, int]:
        """How many shards each SKU's stock has (1 unless its item says otherwise). Read a moment
        old at half the cost: shards are only ever added, and a stale count names shards that
        exist."""
        found = self._batch_get(
            [{"pk": stock_pk(sku)} for sku in sorted(set(skus))], projection="pk, shards", consistent=False
        )
        counts = {str(item["pk"]): int(item.get("shards") or 1) for item in found}
        return {sku: max(1, counts.get(stock_pk(sku), 1)) for sku in skus}

    def _shard_levels(self, sku: str, shards: int) -> dict[int, int]:
        found = self._batch_get(
            [{"pk": stock_pk(sku, shard)} for shard in range(shards)], projection="pk, available"
        )
        by_key = {str(item["pk"]): int(item.get("available") or 0) for item in found}
        return {shard: by_key.get(stock_pk(sku, shard), 0) for shard in range(shards)}

    def _taken_shards(self, order_id: str) -> dict[str, dict[int, int]]:
        """Which shards gave each line of a reservation (its own SKU item when not recorded)."""
        response = self._call(
            "get_item",
            Key=to_item({"pk": reservation_pk(order_id)}),
            ConsistentRead=True,
            ProjectionExpression="stockShards",
        )
        recorded = from_item(response.get("Item") or {}).get("stockShards") or {}
        return {
            str(sku): {int(shard): int(quantity) for shard, quantity in parts.items()}
            for sku, parts in recorded.items()
        }

    def release(self, reservation: Reservation, now: datetime) -> bool:
        """One transaction: RESERVED -> RELEASED and every line's quantity added back to the
        shards it was taken from."""
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
        shards = self._taken_shards(reservation.order_id)
        restock = [
            {
                "Update": {
                    "Key": to_item({"pk": stock_pk(line.sku, shard)}),
                    # a stock item deleted meanwhile is recreated rather than the stock lost
                    "UpdateExpression": "SET #sku = if_not_exists(#sku, :sku) ADD #available :quantity",
                    "ExpressionAttributeNames": {"#sku": "sku", "#available": "available"},
                    "ExpressionAttributeValues": to_item({":sku": line.sku, ":quantity": quantity}),
                }
            }
            for line in reservation.lines
            for shard, quantity in (shards.get(line.sku) or {0: line.quantity}).items()
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
