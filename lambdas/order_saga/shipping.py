"""ArrangeShipment: book an order's shipment with the carrier of its destination, once.

Safe to run twice: the shipment id is derived from the order id, so a second attempt returns
the booking the first one made.
"""

from collections.abc import Collection
from datetime import datetime

from order_saga.errors import SagaStoreUnavailable, StepAlreadyCompensated, UnsupportedDestination
from order_saga.models import SagaOrder, Shipment, shipment_id_for
from order_saga.ports import Shipments
from order_store.timestamps import iso_timestamp

DEFAULT_CARRIER = "DHL"
CARRIERS: dict[str, str] = {"GB": "ROYAL_MAIL", "IE": "AN_POST"}
"""Carrier per destination; every other supported destination ships with DEFAULT_CARRIER."""


def carrier_for(country: str) -> str:
    """The carrier that serves ``country``."""
    return CARRIERS.get(country, DEFAULT_CARRIER)


def book_shipment(
    order: SagaOrder, shipments: Shipments, supported_destinations: Collection[str], now: datetime
) -> Shipment:
    """Book the order's shipment, or return the booking a first attempt made.

    Raises UnsupportedDestination, or StepAlreadyCompensated for a shipment cancelled before.
    """
    country = order.destination_country
    if country not in supported_destinations:
        raise UnsupportedDestination(country)
    shipment = Shipment(
        shipment_id=shipment_id_for(order.order_id),
        order_id=order.order_id,
        carrier=carrier_for(country),
        destination_country=country,
        status="BOOKED",
        booked_at=iso_timestamp(now),
    )
    if shipments.book(shipment):
        return shipment
    existing = shipments.get(order.order_id)
    if existing is None:
        raise SagaStoreUnavailable(f"shipment of order {order.order_id} vanished; retry")
    if existing.status != "BOOKED":
        raise StepAlreadyCompensated(f"shipment of order {order.order_id} was already cancelled")
    return existing
