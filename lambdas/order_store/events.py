"""Domain events: building outbox records and turning them into EventBridge entries.

Events carry ids and business facts only. Personal data (the customer's name and address) stays
in the order item, so the bus, its archives and every consumer never hold it.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from order_store.keys import order_pk, outbox_sk, pending_shard
from order_store.models import ORDER_AGGREGATE_TYPE, Order, OutboxRecord
from order_store.timestamps import iso_timestamp

ORDER_PLACED = "OrderPlaced"

PUT_EVENTS_MAX_ENTRIES = 10
PUT_EVENTS_MAX_BYTES = 256 * 1024
"""PutEvents limits: 10 entries per request, 256 KiB per request by the entry-size rule."""


class PutEventsEntry(BaseModel):
    """One PutEvents request entry, spelled as the EventBridge API (and Step Functions) expect."""

    model_config = ConfigDict(
        frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, defer_build=True
    )

    source: str = Field(alias="Source", min_length=1)
    detail_type: str = Field(alias="DetailType", min_length=1)
    detail: str = Field(alias="Detail")
    event_bus_name: str = Field(alias="EventBusName", min_length=1)


def order_placed_data(order: Order) -> dict[str, Any]:
    """The facts of OrderPlaced: what downstream steps need, and no name or street address."""
    return {
        "orderId": order.order_id,
        "customerId": order.customer_id,
        "currency": order.currency,
        "totalAmount": order.total_amount,
        "items": [
            {"sku": line.sku, "quantity": line.quantity, "unitPrice": line.unit_price} for line in order.items
        ],
        "destinationCountry": order.shipping_address.country,
    }


def new_order_event(
    *,
    order_id: str,
    sequence: int,
    event_type: str,
    data: Mapping[str, Any],
    now: datetime,
    event_id: str,
) -> OutboxRecord:
    """A PENDING outbox record for the ``sequence``-th event of an order."""
    return OutboxRecord(
        pk=order_pk(order_id),
        sk=outbox_sk(sequence),
        event_id=event_id,
        aggregate_type=ORDER_AGGREGATE_TYPE,
        aggregate_id=order_id,
        sequence=sequence,
        event_type=event_type,
        detail=json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
        status="PENDING",
        created_at=iso_timestamp(now),
        attempts=0,
        pending_shard=pending_shard(order_id),
    )


def bus_entry(record: OutboxRecord, *, source: str, event_bus_name: str) -> PutEventsEntry:
    """The PutEvents entry announcing ``record``.

    The envelope repeats the event id and sequence so consumers can deduplicate (delivery is at
    least once) and order events of one aggregate.
    """
    envelope = {
        "eventId": record.event_id,
        "eventType": record.event_type,
        "aggregateType": record.aggregate_type,
        "aggregateId": record.aggregate_id,
        "sequence": record.sequence,
        "occurredAt": record.created_at,
        "data": json.loads(record.detail),
    }
    return PutEventsEntry(
        source=source,
        detail_type=record.event_type,
        detail=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False),
        event_bus_name=event_bus_name,
    )


def entry_size(entry: PutEventsEntry) -> int:
    """Size of an entry by EventBridge's rule: UTF-8 bytes of Source, DetailType and Detail.

    (Time adds 14 bytes and each Resources ARN its length; our entries set neither.)
    """
    return sum(len(text.encode("utf-8")) for text in (entry.source, entry.detail_type, entry.detail))
