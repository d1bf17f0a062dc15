"""`make demo`: the order platform's main job, end to end, on the embedded local runtime.

Three orders go through the orders API handler (as API Gateway calls it): two the
platform can fulfil and one to a destination the carrier does not serve. Each is
written with its outbox record in one transaction; the stream pipe starts the
outbox publisher, which puts OrderPlaced on the bus; the bus rule, queue and pipe
start the order saga, which reserves stock, waits for the payment provider (the
ledger, answering through the real webhook), books the shipment and confirms, or
undoes what it did and cancels. A retried POST and a bad request are shown too, and so is
who may answer a payment: the provider's signed notices are taken, a forged one is refused.

For each order the demo prints the order, its outbox records, the publisher
executions, the saga's path (with the compensation trail) and the events a
consumer received from the bus. It exits non-zero if anything did not happen.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from demo.accounts import run_account_change, sign_up_grace
from demo.customers import customers, post_order
from demo.imports import run_bulk_import
from demo.inventory import seed_stock, stock_levels
from demo.notice_signing import SIGNATURE_HEADER, sign_notice
from demo.payment_provider import PaymentProvider
from demo.reproduce import published_events, save
from demo.slo_figures import figures
from local_runtime import LocalApp
from local_runtime.gc_policy import collect_less_often

REPO_ROOT = Path(__file__).resolve().parent.parent
STOCK = {"SKU-KETTLE-01": 10, "SKU-MUG-02": 40}
COMPENSATIONS = ("CancelShipment", "VoidPayment", "ReleaseInventory")
_deserializer = TypeDeserializer()


def _scan(app: LocalApp, output: str) -> list[dict[str, Any]]:
    pages = app.client("dynamodb").get_paginator("scan").paginate(TableName=app.output(output))
    return [
        {k: _deserializer.deserialize(v) for k, v in item.items()}
        for item in pages.build_full_result()["Items"]
    ]


def _post(app: LocalApp, body: dict[str, Any], key: str, customer: str) -> tuple[int, dict[str, Any]]:
    response = post_order(app, body, key, customer=customer)
    return response.status, response.json() or {}


class Checks:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


def _sign_in_customers(app: LocalApp) -> None:
    """The demo's customers register in the stack's user pool and sign in: their orders carry their
    access tokens, and their customer id is their token's sub."""
    print("== Customers sign up and sign in (user pool: email confirmed, TOTP MFA set up at first sign-in)")
    for account in (sign_up_grace(app), customers(app)["alan"], customers(app)["edsger"]):
        print(f"  {account.email}: customer id {account.customer_id} (the sub of their access token)")


def _place_orders(app: LocalApp, sample: dict[str, Any], checks: Checks) -> dict[str, tuple[str, str]]:
    """Places the demo's orders, each with its customer's token; returns label → (order id,
    expected final status)."""
    _sign_in_customers(app)
    unshippable = {**sample["shippingAddress"], "country": "US"}
    orders = {
        "fulfilled #1": (sample, "CONFIRMED", "grace"),
        "fulfilled #2": (sample, "CONFIRMED", "alan"),
        "unshippable": ({**sample, "shippingAddress": unshippable}, "CANCELLED", "edsger"),
    }
    placed: dict[str, tuple[str, str]] = {}
    print("== POST /orders (Authorization: Bearer <the customer's access token>)")
    for label, (body, expected, customer) in orders.items():
        key = f"demo-{uuid.uuid4()}"
        status, order = _post(app, body, key, customer)
        print(f"  {label}: HTTP {status}, order {order.get('orderId')}, total {order.get('totalAmount')}")
        checks.expect(status == 201, f"{label} was not created: HTTP {status} {order}")
        placed[label] = (str(order.get("orderId")), expected)
        if label == "fulfilled #1":
            replay_status, replay = _post(app, body, key, customer)
            same = replay.get("orderId") == order.get("orderId")
            print(
                f"  {label}, retried with the same Idempotency-Key: HTTP {replay_status}, same order: {same}"
            )
            checks.expect(replay_status == 200 and same, "a retried POST did not return the same order")
    _refusals(app, sample, placed, checks)
    return placed


def _refusals(
    app: LocalApp, sample: dict[str, Any], placed: dict[str, tuple[str, str]], checks: Checks
) -> None:
    """A bad order, a missing token, and one customer reaching for another's order."""
    bad = {**sample, "items": [{"sku": "SKU-BAD", "quantity": 1, "unitPrice": -5}]}
    status, error = _post(app, bad, f"demo-{uuid.uuid4()}", "grace")
    print(f"  negative amount: HTTP {status}, {error.get('message')}")
    checks.expect(status == 422, f"a negative amount was not refused with 422 (HTTP {status})")
    unsigned = app.api.request("POST", "/orders", body=sample, headers={"Idempotency-Key": "demo-unsigned"})
    print(f"  no token: HTTP {unsigned.status}")
    checks.expect(unsigned.status == 401, f"an order without a token was answered {unsigned.status}")
    graces, _ = placed["fulfilled #1"]
    alan = customers(app)["alan"]
    peek = app.api.request("GET", f"/orders/{graces}", headers=alan.bearer())
    forged = app.api.request(
        "POST",
        "/orders",
        body={**sample, "customerId": customers(app)["grace"].customer_id},
        headers={"Idempotency-Key": f"demo-{uuid.uuid4()}", **alan.bearer()},
    )
    print(f"  Alan reads Grace's order: HTTP {peek.status}; places one in her name: HTTP {forged.status}")
    checks.expect(
        (peek.status, forged.status) == (404, 403),
        f"Alan reading Grace's order / ordering as Grace: HTTP {peek.status} / {forged.status}",
    )


def _report(
    app: LocalApp, placed: dict[str, tuple[str, str]], events: list[dict[str, Any]], checks: Checks
) -> None:
    items = _scan(app, "OrdersTableName")
    publisher = app.executions(app.output("OutboxPublisherStateMachineArn"))
    sagas = app.executions(app.output("OrderSagaStateMachineArn"))
    for label, (order_id, expected) in placed.items():
        print(f"\n-- {label}: order {order_id}")
        order = next(
            (i for i in items if i.get("recordType") == "ORDER" and i.get("orderId") == order_id), None
        )
        if order is None:
            checks.problems.append(f"{label}: order {order_id} is not in the table")
            continue
        reason = f" ({order['cancellationReason']})" if order.get("cancellationReason") else ""
        print(f"   order:   {order['status']}{reason}, total {order['totalAmount']} {order['currency']}")
        checks.expect(order["status"] == expected, f"{label} ended {order['status']}, expected {expected}")
        records = sorted(
            (i for i in items if i.get("recordType") == "OUTBOX" and i.get("aggregateId") == order_id),
            key=lambda r: r["sequence"],
        )
        for record in records:
            runs = [e for e in publisher if record["eventId"] in (e.get("input") or "")]
            run = f"publisher {runs[0]['status']}" if runs else "no publisher execution"
            print(f"   outbox:  #{record['sequence']} {record['eventType']} {record['status']} ({run})")
            checks.expect(
                record["status"] == "PUBLISHED", f"{label}: {record['eventType']} is {record['status']}"
            )
        saga = next((e for e in sagas if order_id in (e.get("input") or "")), None)
        if saga is None:
            checks.problems.append(f"{label}: no saga ran")
        else:
            visited = app.states_visited(saga["executionArn"])
            print(f"   saga:    {saga['status']}: {' -> '.join(visited)}")
            trail = [state for state in visited if state in COMPENSATIONS]
            if trail:
                print(f"   undone:  {' -> '.join(trail)} (the reverse of what completed)")
        seen = [e["detail-type"] for e in events if e["detail"]["aggregateId"] == order_id]
        print(f"   bus:     {', '.join(seen)}")
        final = "OrderConfirmed" if expected == "CONFIRMED" else "OrderCancelled"
        checks.expect(seen == ["OrderPlaced", final], f"{label}: consumers saw {seen}")


def show_who_may_answer(provider: PaymentProvider, checks: Checks) -> None:
    """The provider's signed notices were taken; a forged one, or an unsigned one, is refused and
    changes nothing (the webhook has no AWS credentials to check: the signature is its proof)."""
    statuses = sorted({status for _, _, status in provider.answers})
    print(f"   signed by the provider (HMAC-SHA256, {SIGNATURE_HEADER}): HTTP {statuses}")
    checks.expect(statuses == [200], f"the provider's signed notices were answered {statuses}")
    before = provider.ledger()
    declined = [e for e in before if e["status"] != "AUTHORIZED"] or before
    target = declined[0]
    forged = json.dumps(provider.notice(target["authorizationId"], "AUTHORIZED")).encode()
    guessed = provider.post(
        forged, {SIGNATURE_HEADER: sign_notice(["a-guessed-secret"], int(time.time()), forged)}
    )
    unsigned = provider.post(forged, {})
    print(
        f"   forged AUTHORIZED for {target['orderId'][:8]} ({target['status']}): "
        f"signed with a guessed secret HTTP {guessed}, unsigned HTTP {unsigned}; ledger unchanged"
    )
    checks.expect(guessed == unsigned == 401, f"forged notices were answered {guessed} and {unsigned}")
    checks.expect(provider.ledger() == before, "a forged notice changed the payment ledger")


def run(app: LocalApp, sample: dict[str, Any]) -> list[str]:
    """The whole story on one local app; returns the problems found (empty = all good)."""
    checks = Checks()
    seed_stock(app, STOCK)
    tap = app.subscribe(app.output("EventBusName"), {"source": ["order-platform.orders"]})
    print(f"== Stock before: {stock_levels(app)}")
    placed = _place_orders(app, sample, checks)
    provider = PaymentProvider(app)
    provider.settle()
    print(f"\n== Payment provider answered {len(provider.answers)} request(s) via POST /payments/webhook")
    show_who_may_answer(provider, checks)
    _report(app, placed, app.receive_all(tap), checks)
    payments = {p["orderId"][:8]: p["status"] for p in _scan(app, "PaymentsTableName")}
    shipments = {s["orderId"][:8]: s["status"] for s in _scan(app, "ShipmentsTableName")}
    print(f"\n== Payments {payments}\n== Shipments {shipments}\n== Stock after: {stock_levels(app)}")
    sold = {sku: STOCK[sku] - left for sku, left in stock_levels(app).items()}
    checks.expect(
        sold == {line["sku"]: 2 * line["quantity"] for line in sample["items"]}, f"stock moved by {sold}"
    )
    print(f"== PutEvents calls: {app.bus.calls} for {app.bus.entries} events")
    run_account_change(app, checks)
    run_bulk_import(app, sample, provider, checks)
    _report_runtime(app)
    _report_slo(app, checks)
    return checks.problems


def _report_slo(app: LocalApp, checks: Checks) -> None:
    """The run's service level figures, from the metrics its functions emitted, each against its
    objective; the sweeper runs once first, as its schedule would, to say how far behind the
    outbox is."""
    app.run_schedule("OutboxPublisher/SweeperSchedule")
    app.drain()
    sagas = len(app.executions(app.output("OrderSagaStateMachineArn")))
    print("\n== Service level figures of this run (objective in brackets)")
    for label, figure, objective, met in figures(app.metrics, sagas):
        print(f"  {label}: {figure} [{objective}]{'' if met else '  MISSED'}")
        checks.expect("not emitted" not in figure, f"{label} was not emitted by the run")
        checks.expect(met, f"{label}: {figure} misses its objective {objective}")


def _report_runtime(app: LocalApp) -> None:
    """How the functions ran: side by side up to their concurrency, throttled beyond it."""
    lambdas = app.lambdas
    busiest, peak = max(lambdas.peak_concurrency.items(), key=lambda pair: pair[1], default=("-", 0))
    print(
        f"\n== Runtime: {sum(lambdas.invocations.values())} invocations, up to {peak} of one function at"
        f" once ({busiest.split('-')[1] if '-' in busiest else busiest}; concurrency {lambdas.concurrency}),"
        f" {sum(lambdas.cold_starts.values())} cold starts, {sum(lambdas.throttles.values())} throttled"
        f" and retried, {sum(lambdas.timeouts.values())} timed out"
    )


def main(argv: list[str] | None = None) -> int:
    collect_less_often()
    parser = argparse.ArgumentParser(description="Run the order platform end to end on the embedded runtime.")
    parser.add_argument("--assembly", default=str(REPO_ROOT / "cdk.out"), help="cloud assembly directory")
    parser.add_argument(
        "--save-events",
        type=Path,
        metavar="FILE",
        help="write every event the platform published to FILE (JSON Lines; `python -m demo.reproduce FILE`)",
    )
    args = parser.parse_args(argv)
    sample = json.loads((REPO_ROOT / "sample_events" / "customer_order.json").read_text())
    with LocalApp(args.assembly, log_level="WARNING") as app:
        problems = run(app, sample)
        if args.save_events is not None:
            saved = save(published_events(app), args.save_events)
            print(f"\n== {saved} published events saved to {args.save_events}")
            print(f"   reproduce them on a fresh app: python -m demo.reproduce {args.save_events}")
    if problems:
        print("\nDEMO FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nDemo OK: orders written with their outbox records, every event published once,")
    print("fulfilled orders confirmed, the unshippable one cancelled with its completed steps undone,")
    print("the account's address change notified by one email, and a partner's bulk file claimed,")
    print("verified and imported (bad lines reported by number), every imported order through the saga.")
    return 0
