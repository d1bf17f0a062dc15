"""Replay for testing (issue 24): the events a run published, fed into a fresh app, reach the same
outcomes.

    .venv/bin/python -m demo --save-events run.jsonl      # the demo, keeping what it published
    .venv/bin/python -m demo.reproduce run.jsonl           # a fresh app, the same events, the same ends

A saved file holds one event per line as the bus took it: its time, source, detail-type, event id
and detail. Reproducing starts a fresh app with the demo's stock and payment provider, restores
each order as its OrderPlaced states it (the event carries the order's facts; the customer's name
and street, which no event holds and the saga never reads, are placeholders), puts every
OrderPlaced back on the bus at its moment on the virtual clock, and compares how each order ended
with the OrderConfirmed or OrderCancelled the run published. It exits 1 naming each order that
ended otherwise, or that the run never ended.

The same file shape serves an incident: the archive's events of the incident's window, replayed
to a queue and read off it (`operations.replay --rule` to a rule whose target is that queue), are
the lines of a test that reproduces it on a laptop (`reproduce(app, events)` in a pytest test).
ClaimCheckIssued events are not reproduced: their payloads are in the incident's bucket, not in
the file; the orders their imports placed are (each has its own OrderPlaced).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from demo.inventory import seed_stock
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from order_store.dynamodb import DynamoOrderRepository
from order_store.events import ORDER_CANCELLED, ORDER_CONFIRMED, ORDER_PLACED, new_order_event
from order_store.models import Order, OrderLine, ShippingAddress

REPO_ROOT = Path(__file__).resolve().parent.parent
NOT_IN_THE_EVENT = "(not in the event)"


@dataclass(frozen=True)
class SavedEvent:
    """One event as the bus took it."""

    time: datetime
    source: str
    detail_type: str
    event_id: str
    detail: dict[str, Any]

    def line(self) -> str:
        return json.dumps(
            {
                "time": self.time.isoformat(),
                "source": self.source,
                "detailType": self.detail_type,
                "eventId": self.event_id,
                "detail": self.detail,
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, line: str) -> SavedEvent:
        value = json.loads(line)
        return cls(
            time=datetime.fromisoformat(value["time"]),
            source=value["source"],
            detail_type=value["detailType"],
            event_id=value["eventId"],
            detail=value["detail"],
        )


def published_events(app: LocalApp) -> list[SavedEvent]:
    """What the app's platform published, in order (a test's or a caller's own events left out)."""
    return [
        SavedEvent(
            time=datetime.fromisoformat(entry["Time"]),
            source=entry["Source"],
            detail_type=entry["DetailType"],
            event_id=entry["EventId"],
            detail=json.loads(entry["Detail"]),
        )
        for entry in app.bus.published
        if entry["FromPlatform"]
    ]


def save(events: Iterable[SavedEvent], path: Path) -> int:
    lines = [event.line() for event in events]
    path.write_text("".join(f"{line}\n" for line in lines))
    return len(lines)


def load(path: Path) -> list[SavedEvent]:
    return [SavedEvent.parse(line) for line in path.read_text().splitlines() if line.strip()]


def outcomes(events: Iterable[SavedEvent]) -> dict[str, str]:
    """order id -> how the events say it ended ("CONFIRMED", or "CANCELLED: <reason>")."""
    ended: dict[str, str] = {}
    for event in events:
        data = event.detail.get("data", {})
        if event.detail_type == ORDER_CONFIRMED:
            ended[data["orderId"]] = "CONFIRMED"
        elif event.detail_type == ORDER_CANCELLED:
            ended[data["orderId"]] = f"CANCELLED: {data['reason']}"
    return ended


def restore_order(repository: DynamoOrderRepository, placed: SavedEvent) -> None:
    """The order, PLACED, with its OrderPlaced outbox record already PUBLISHED (the event is put
    back on the bus by the reproduction itself, at its moment): what the orders service wrote."""
    detail, data = placed.detail, placed.detail["data"]
    order = Order(
        order_id=data["orderId"],
        customer_id=data["customerId"],
        items=[OrderLine.model_validate(line) for line in data["items"]],
        currency=data["currency"],
        total_amount=data["totalAmount"],
        shipping_address=ShippingAddress(
            name=NOT_IN_THE_EVENT,
            line1=NOT_IN_THE_EVENT,
            city=NOT_IN_THE_EVENT,
            postal_code="-",
            country=data["destinationCountry"],
        ),
        status="PLACED",
        created_at=detail["occurredAt"],
        idempotency_key=f"reproduced-{data['orderId']}",
        request_hash="reproduced",
        outbox_sequence=detail["sequence"],
    )
    record = new_order_event(
        order_id=order.order_id,
        sequence=detail["sequence"],
        event_type=ORDER_PLACED,
        data=data,
        now=datetime.fromisoformat(detail["occurredAt"].replace("Z", "+00:00")),
        event_id=detail["eventId"],
    )
    repository.create_order(order, record.model_copy(update={"status": "PUBLISHED", "pending_shard": None}))


def reproduce(
    app: LocalApp, events: list[SavedEvent], provider: PaymentProvider
) -> dict[str, tuple[str, str]]:
    """Feed the run's OrderPlaced events into ``app`` at their moments (``provider`` answering the
    payments); returns, for each order the run ended, (how the run ended it, how this app did)."""
    repository = DynamoOrderRepository(app.output("OrdersTableName"), app.client("dynamodb"))
    bus = app.output("EventBusName")
    placed = [event for event in events if event.detail_type == ORDER_PLACED]
    first = min((event.time for event in placed), default=app.now())
    began = app.now()
    for event in placed:
        moment = began + (event.time - first)
        if moment > app.now():
            app.advance(moment - app.now())
        restore_order(repository, event)
        app.client("events").put_events(
            Entries=[
                {
                    "Source": event.source,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.detail),
                    "EventBusName": bus,
                }
            ]
        )
    provider.settle()
    app.drain()
    now = outcomes(published_events(app))
    return {order_id: (ended, now.get(order_id, "not ended")) for order_id, ended in outcomes(events).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("events", type=Path, help="the JSON Lines file `python -m demo --save-events` wrote")
    parser.add_argument("--assembly", default=str(REPO_ROOT / "cdk.out"), help="cloud assembly directory")
    args = parser.parse_args(argv)
    try:
        events = load(args.events)
    except (OSError, ValueError, KeyError) as error:
        print(f"reproduce: {args.events}: {error}", file=sys.stderr)
        return 2
    from demo.platform import STOCK

    with LocalApp(args.assembly, log_level="WARNING") as app:
        seed_stock(app, STOCK)
        compared = reproduce(app, events, PaymentProvider(app))
    differing = {order: ends for order, ends in compared.items() if ends[0] != ends[1]}
    for order_id, (then, now) in sorted(compared.items()):
        print(f"{'same' if then == now else 'DIFFERENT':9} {order_id[:8]}  run: {then:32} reproduced: {now}")
    print(f"{len(compared) - len(differing)} of {len(compared)} orders ended as the run ended them")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
