"""Domain events: their contracts, building outbox records and turning them into EventBridge
entries.

Events carry ids and business facts only. Personal data (the customer's name and address) stays
in the order item, so the bus, its archives and every consumer never hold it.

The models below are the order events' contracts: each event's data is built through its model
(so what is published is what the model says), and `operations.event_schemas` generates their
JSON Schemas, which the stack registers and the contract tests check published events against.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from event_contracts.versions import (
    ALSO_PUBLISHED_AS_FIELD,
    UNVERSIONED,
    VERSION_FIELD,
    downgraded,
    published_version,
    published_versions,
)
from pydantic import BaseModel, ConfigDict, Field

from order_store.keys import order_pk, outbox_sk, pending_shard
from order_store.models import (
    MAX_ORDER_LINES,
    ORDER_AGGREGATE_TYPE,
    CountryCode,
    CurrencyCode,
    Order,
    OrderLine,
    OutboxRecord,
)
from order_store.timestamps import iso_timestamp
from task_io.models import CamelModel

ORDER_PLACED = "OrderPlaced"
ORDER_CONFIRMED = "OrderConfirmed"
ORDER_CANCELLED = "OrderCancelled"

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


# --- contracts -------------------------------------------------------------------------------


class OrderPlacedData(CamelModel):
    """The facts of OrderPlaced: what downstream steps need, and no name or street address."""

    order_id: str = Field(min_length=1, max_length=128)
    customer_id: str = Field(min_length=1, max_length=128)
    currency: CurrencyCode
    total_amount: int = Field(ge=0, description="Minor units of the currency: the sum of the lines.")
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    destination_country: CountryCode


class OrderConfirmedData(CamelModel):
    """The order is paid for and shipped: the payment's authorization and the shipment."""

    order_id: str = Field(min_length=1, max_length=128)
    customer_id: str = Field(min_length=1, max_length=128)
    total_amount: int = Field(ge=0)
    currency: CurrencyCode
    authorization_id: str = Field(min_length=1)
    shipment_id: str = Field(min_length=1)
    carrier: str = Field(min_length=1)


class OrderCancelledData(CamelModel):
    """The order is cancelled; ``reason`` is the name of the failure that cancelled it."""

    order_id: str = Field(min_length=1, max_length=128)
    customer_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1)


class OrderEvent(CamelModel):
    """The envelope every order event is published in (its bus entry's detail). ``eventId`` is
    what consumers deduplicate on (delivery is at least once); ``sequence`` orders the events
    of one order."""

    event_id: str = Field(min_length=1)
    event_type: str
    event_version: str = Field(pattern=r"^\d+\.\d+$")
    aggregate_type: Literal["Order"]
    aggregate_id: str = Field(min_length=1, max_length=128)
    sequence: int = Field(ge=1)
    occurred_at: str = Field(description="When the event was committed with the order (ISO 8601, UTC).")
    data: Any
    also_published_as: list[str] | None = Field(
        default=None,
        description="The other versions this event is published in, side by side (only while a"
        " superseded major is still published): a consumer acts on the copy in its major.",
    )


class OrderPlaced(OrderEvent):
    """A customer placed an order (the orders API, or a claim-check import)."""

    event_type: Literal["OrderPlaced"]
    data: OrderPlacedData


class OrderConfirmed(OrderEvent):
    """The order saga confirmed an order."""

    event_type: Literal["OrderConfirmed"]
    data: OrderConfirmedData


class OrderCancelled(OrderEvent):
    """The order saga cancelled an order (declined, out of stock, unshippable, invalid)."""

    event_type: Literal["OrderCancelled"]
    data: OrderCancelledData


ORDER_EVENTS: dict[str, type[OrderEvent]] = {
    ORDER_PLACED: OrderPlaced,
    ORDER_CONFIRMED: OrderConfirmed,
    ORDER_CANCELLED: OrderCancelled,
}


def order_placed_data(order: Order) -> dict[str, Any]:
    """The facts of OrderPlaced, as its contract spells them."""
    facts = OrderPlacedData(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        total_amount=order.total_amount,
        items=list(order.items),
        destination_country=order.shipping_address.country,
    )
    return facts.model_dump(mode="json")


# --- outbox records and bus entries -------------------------------------------------------------


def new_order_event(
    *,
    order_id: str,
    sequence: int,
    event_type: str,
    data: Mapping[str, Any],
    now: datetime,
    event_id: str,
) -> OutboxRecord:
    """A PENDING outbox record for the ``sequence``-th event of an order, stamped with the version
    of the event's contract (UndeclaredEvent for an event type without one)."""
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
        event_version=published_version(event_type),
        attempts=0,
        pending_shard=pending_shard(order_id),
    )


def bus_entry(
    record: OutboxRecord, *, source: str, event_bus_name: str, also_published_as: Sequence[str] = ()
) -> PutEventsEntry:
    """The PutEvents entry announcing ``record``.

    The envelope repeats the event id and sequence so consumers can deduplicate (delivery is at
    least once) and order events of one aggregate, and says which version of the event's
    contract its data follows (a record written before versioning: `UNVERSIONED`).
    """
    envelope = {
        "eventId": record.event_id,
        "eventType": record.event_type,
        VERSION_FIELD: record.event_version or UNVERSIONED,
        "aggregateType": record.aggregate_type,
        "aggregateId": record.aggregate_id,
        "sequence": record.sequence,
        "occurredAt": record.created_at,
        "data": json.loads(record.detail),
    }
    if also_published_as:
        envelope[ALSO_PUBLISHED_AS_FIELD] = list(also_published_as)
    return PutEventsEntry(
        source=source,
        detail_type=record.event_type,
        detail=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False),
        event_bus_name=event_bus_name,
    )


def bus_entries(
    record: OutboxRecord, *, source: str, event_bus_name: str, today: date
) -> list[PutEventsEntry]:
    """The PutEvents entries announcing ``record``: one (`bus_entry`), or, while an older major is
    published side by side (`event_contracts.versions`), one per version, the record's own
    first. The copies share the event id, and each names the versions of the others, so a
    consumer acts on the one in its major and deduplicates the rest."""
    own = record.event_version or UNVERSIONED
    versions = published_versions(record.event_type, own, today)
    if len(versions) == 1:
        return [bus_entry(record, source=source, event_bus_name=event_bus_name)]
    data = json.loads(record.detail)
    entries = []
    for version in versions:
        detail = record.detail if version == own else json.dumps(downgraded(record.event_type, data, version))
        copy = record.model_copy(update={"event_version": version, "detail": detail})
        others = [v for v in versions if v != version]
        entries.append(
            bus_entry(copy, source=source, event_bus_name=event_bus_name, also_published_as=others)
        )
    return entries


def entry_size(entry: PutEventsEntry) -> int:
    """Size of an entry by EventBridge's rule: UTF-8 bytes of Source, DetailType and Detail.

    (Time adds 14 bytes and each Resources ARN its length; our entries set neither.)
    """
    return sum(len(text.encode("utf-8")) for text in (entry.source, entry.detail_type, entry.detail))
