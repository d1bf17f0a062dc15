"""What the saga carries between its steps and what its tables store.

Every record is keyed by the order id, and every id the saga creates is a UUIDv5 of the order
id: a retried step targets the same item (the payment authorization id is derived the same way,
in ``payments.models``).
"""

import uuid
from collections.abc import Iterable
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from order_store.models import (
    MAX_ORDER_LINES,
    MAX_QUANTITY,
    CountryCode,
    CurrencyCode,
    OrderLine,
    SagaStatus,
    Sku,
    order_total,
)
from task_io.models import CamelModel

SHIPMENT_NAMESPACE = uuid.UUID("a81b6b33-b1f2-44d5-b54e-6843af85f39a")
RESERVATION_NAMESPACE = uuid.UUID("f8d34dd0-6747-49b9-96bb-5eeb18634f83")
SAGA_EVENT_NAMESPACE = uuid.UUID("ede0a854-b3fb-4712-951c-0468165d79de")
"""Fixed forever: changing one would give a retried step a new id, i.e. a second record."""

ORDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
OrderId = Annotated[str, StringConstraints(pattern=ORDER_ID_PATTERN)]
"""Order ids become key parts (``RESERVATION#<id>``): no ``#``, no whitespace, bounded length."""
CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=128)]

ReservationStatus = Literal["RESERVED", "RELEASED"]
ShipmentStatus = Literal["BOOKED", "CANCELLED"]


def shipment_id_for(order_id: str) -> str:
    """The shipment id of an order."""
    return str(uuid.uuid5(SHIPMENT_NAMESPACE, order_id))


def reservation_id_for(order_id: str) -> str:
    """The stock reservation id of an order."""
    return str(uuid.uuid5(RESERVATION_NAMESPACE, order_id))


def saga_event_id(order_id: str, event_type: str) -> str:
    """The event id of the saga's OrderConfirmed / OrderCancelled event of an order.

    Deterministic, so a replayed step reports the id of the event its first attempt wrote, and
    consumers deduplicating by event id see one event however often the step ran.
    """
    return str(uuid.uuid5(SAGA_EVENT_NAMESPACE, f"{order_id}:{event_type}"))


class OrderFacts(CamelModel):
    """The ``data`` of an OrderPlaced event: what the saga needs to know about the order."""

    order_id: OrderId
    customer_id: CustomerId
    currency: CurrencyCode
    total_amount: int = Field(ge=0)
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    destination_country: CountryCode

    @model_validator(mode="after")
    def _total_matches_lines(self) -> Self:
        lines_total = order_total(self.items)
        if self.total_amount != lines_total:
            raise ValueError(
                f"totalAmount {self.total_amount} does not equal the sum of the lines {lines_total}"
            )
        return self


class SagaOrder(OrderFacts):
    """The order as every step receives it (``$.order``): the facts plus the OrderPlaced event id."""

    event_id: str = Field(min_length=1)


class OrderRef(CamelModel):
    """All a compensation needs from ``$.order``: the id. Compensations read everything else from
    their own records, so a step's (possibly missing) output never decides what is undone."""

    order_id: OrderId


class ReservedLine(CamelModel):
    """Quantity of one SKU held for an order."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=MAX_QUANTITY * MAX_ORDER_LINES)


def reserved_lines(items: Iterable[OrderLine]) -> list[ReservedLine]:
    """One line per SKU (an order may name an SKU twice; a transaction may touch an item once),
    sorted by SKU so every attempt builds the same request."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.sku] = totals.get(item.sku, 0) + item.quantity
    return [ReservedLine(sku=sku, quantity=quantity) for sku, quantity in sorted(totals.items())]


class SagaLock(CamelModel):
    """The saga item ``ORDER#<id>`` / ``SAGA``: which execution owns the order's saga, where it
    is (RUNNING forward, COMPENSATING) or how it ended. Owned by an execution identity, so a
    redrive of a parked saga can take it over from the execution it names, and nobody else can.
    A lock written by a cancellation of an invalid event has no execution id."""

    order_id: str
    status: SagaStatus
    execution_id: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    redrive_count: int = Field(default=0, ge=0)


class SagaRefusal(CamelModel):
    """BeginSaga refused an OrderPlaced event (``ORDER#<id>`` / ``REFUSAL#<execution>``): what it
    named, why, and who sent it (the execution its delivery started)."""

    order_id: str
    execution_id: str
    event_id: str | None = None
    error: str
    reason: str = Field(max_length=2_000)
    refused_at: str
    expires_at: int


class Reservation(CamelModel):
    """Stock held for an order (inventory table, ``RESERVATION#<orderId>``)."""

    reservation_id: str
    order_id: str
    lines: list[ReservedLine] = Field(min_length=1)
    status: ReservationStatus
    reserved_at: str
    released_at: str | None = None


class Shipment(CamelModel):
    """A booked shipment (shipments table, ``SHIPMENT#<orderId>``)."""

    shipment_id: str
    order_id: str
    carrier: str
    destination_country: CountryCode
    status: ShipmentStatus
    booked_at: str
    cancelled_at: str | None = None
