"""The transactional outbox, end to end, on the embedded runtime.

Places a few orders through the orders API handler (as API Gateway would call
it), lets the DynamoDB stream pipe start the outbox publisher, and shows for
each order: the order, its outbox record, the publisher execution (status and
states visited) and the event as a consumer received it from the bus. Also
shows what a retried POST and a bad request get. Exits non-zero if anything
did not happen as it must.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from local_runtime import LocalApp

REPO_ROOT = Path(__file__).resolve().parent.parent
_deserializer = TypeDeserializer()


class DemoFailed(Exception):
    """Something the demo shows did not happen."""


def _post(app: LocalApp, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    response = app.api.request(
        "POST",
        "/orders",
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    return response.status, response.json() or {}


def _table_items(app: LocalApp) -> list[dict[str, Any]]:
    scanned = app.client("dynamodb").scan(TableName=app.output("OrdersTableName"))["Items"]
    return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in scanned]


def _check(condition: bool, message: str, problems: list[str]) -> None:
    if not condition:
        problems.append(message)


def run(app: LocalApp, sample: dict[str, Any]) -> list[str]:
    """Drive the outbox through the local app; returns the problems found (empty = all good)."""
    problems: list[str] = []
    tap = app.subscribe(app.output("EventBusName"), {"source": ["order-platform.orders"]})

    print("== Placing orders through POST /orders")
    placed = []
    for n, customer in enumerate(("cust-0042", "cust-0043", "cust-0044")):
        key = f"demo-{uuid.uuid4()}"
        status, order = _post(app, {**sample, "customerId": customer}, key)
        print(f"  {customer}: HTTP {status} order {order.get('orderId')} total {order.get('totalAmount')}")
        _check(status == 201, f"order {n} was not created: {status} {order}", problems)
        placed.append((key, customer, order))

    key, customer, first = placed[0]
    status, replay = _post(app, {**sample, "customerId": customer}, key)
    same = replay.get("orderId") == first.get("orderId")
    print(f"  retried POST with the same Idempotency-Key: HTTP {status}, same order: {same}")
    _check(
        status == 200 and replay.get("orderId") == first.get("orderId"),
        "a retried POST created a new order",
        problems,
    )
    bad = {**sample, "items": [{"sku": "SKU-BAD", "quantity": 1, "unitPrice": -5}]}
    status, error = _post(app, bad, f"demo-{uuid.uuid4()}")
    print(f"  negative amount: HTTP {status} {error.get('message')}")
    _check(status == 422, f"a negative amount was not rejected with 422: {status}", problems)

    print("\n== Letting the stream pipe start the outbox publisher")
    app.drain()
    publisher = app.output("OutboxPublisherStateMachineArn")
    executions = app.executions(publisher)
    events = {event["detail"]["eventId"]: event for event in app.receive_all(tap)}
    items = _table_items(app)

    for _, customer, order in placed:
        order_id = order.get("orderId")
        print(f"\n-- order {order_id} ({customer})")
        stored = next(
            (i for i in items if i.get("recordType") == "ORDER" and i.get("orderId") == order_id), None
        )
        records = [i for i in items if i.get("recordType") == "OUTBOX" and i.get("aggregateId") == order_id]
        _check(stored is not None, f"order {order_id} is not in the table", problems)
        _check(len(records) == 1, f"order {order_id} has {len(records)} outbox records, expected 1", problems)
        if stored:
            print(f"   order:   status={stored['status']} total={stored['totalAmount']} {stored['currency']}")
        for record in records:
            print(
                f"   outbox:  event {record['eventId']} seq={record['sequence']} type={record['eventType']} "
                f"status={record['status']}"
            )
            _check(
                record["status"] == "PUBLISHED",
                f"outbox record {record['eventId']} is {record['status']}",
                problems,
            )
            execution = next((e for e in executions if record["eventId"] in (e.get("input") or "")), None)
            if execution is None:
                problems.append(f"no publisher execution carried event {record['eventId']}")
            else:
                visited = " -> ".join(app.states_visited(execution["executionArn"]))
                print(f"   workflow: {execution['name']} {execution['status']}\n             {visited}")
                _check(
                    execution["status"] == "SUCCEEDED",
                    f"execution {execution['name']} {execution['status']}",
                    problems,
                )
            event = events.get(record["eventId"])
            _check(event is not None, f"event {record['eventId']} never reached the bus consumer", problems)
            if event:
                detail = json.dumps(event["detail"])
                print(f"   on the bus: {event['detail-type']} from {event['source']}: {detail}")
    print(f"\nPutEvents calls: {app.bus.calls} for {app.bus.entries} entries")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", default=str(REPO_ROOT / "cdk.out"), help="cloud assembly directory")
    parser.add_argument("--time-scale", type=float, default=1.0, help="1.0 = Wait/Retry in real time")
    args = parser.parse_args(argv)
    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    with LocalApp(args.assembly, time_scale=args.time_scale, log_level="WARNING") as app:
        problems = run(app, sample)
    if problems:
        print("\nDEMO FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nDemo OK: every order was written with its outbox record, published once and marked PUBLISHED.")
    return 0
