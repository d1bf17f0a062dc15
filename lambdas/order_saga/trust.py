"""The saga trusts its own records, not the event that starts it.

Anyone who can put an event on the platform bus (or start an execution by hand) can hand the
saga an OrderPlaced. Before anything is reserved or requested, BeginSaga checks the event
against the order table: the order must exist, the event must be the OrderPlaced its outbox
wrote (same event id), and every fact the saga acts on (customer, lines, total, currency,
destination) must be the order's. A refusal names what did not match; it is the only write.
"""

from order_saga.errors import ForgedOrderEvent, OrderEventRefused, OrderFactsMismatch
from order_saga.models import SagaOrder
from order_store.models import Order


def check_event(
    event: SagaOrder, stored: Order | None, placed_event_id: str | None, *, redrive: bool
) -> None:
    """Raise the OrderEventRefused that names why the event cannot start a saga, if any.

    A redrive resumes a saga an earlier execution started from a checked event; its OrderPlaced
    record may have expired since (published records live a week), so only a mismatching event
    id refuses a redrive, not a missing one. A first delivery must find the record."""
    if stored is None:
        raise ForgedOrderEvent(f"order {event.order_id} does not exist")
    if placed_event_id is None and not redrive:
        raise ForgedOrderEvent(
            f"order {event.order_id} has no OrderPlaced record to check event {event.event_id} against"
        )
    if placed_event_id is not None and placed_event_id != event.event_id:
        raise ForgedOrderEvent(
            f"event {event.event_id} is not order {event.order_id}'s OrderPlaced ({placed_event_id})"
        )
    differences = facts_differing(event, stored)
    if differences:
        raise OrderFactsMismatch(f"the event's {', '.join(differences)} differ from order {event.order_id}'s")


def facts_differing(event: SagaOrder, stored: Order) -> list[str]:
    """The facts of the event (by their event names) that are not the stored order's."""
    lines = [(line.sku, line.quantity, line.unit_price) for line in event.items]
    stored_lines = [(line.sku, line.quantity, line.unit_price) for line in stored.items]
    checks = {
        "customerId": event.customer_id == stored.customer_id,
        "items": lines == stored_lines,
        "totalAmount": event.total_amount == stored.total_amount,
        "currency": event.currency == stored.currency,
        "destinationCountry": event.destination_country == stored.shipping_address.country,
    }
    return [name for name, same in checks.items() if not same]


def alerts(refusal: OrderEventRefused) -> bool:
    """Whether a refusal means the event came from outside the outbox (operators are alerted)."""
    return isinstance(refusal, ForgedOrderEvent | OrderFactsMismatch)
