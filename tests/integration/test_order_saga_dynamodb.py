"""The saga's DynamoDB adapters against moto: transactions, conditions, and parity with the fakes.

The port-level checks run against both the adapter and the in-memory fake the unit tests use
(``impl`` is "dynamodb" or "fake"), so the fake cannot drift from the tables' behaviour unnoticed.
"""

from typing import Any

import pytest

from dynamo_tables import from_item, to_item
from order_saga.compensation import release_stock, void_payment
from order_saga.dynamodb import (
    DynamoInventory,
    DynamoSagaLocks,
    DynamoShipments,
    SagaOrderRepository,
)
from order_saga.errors import OrderAlreadyConfirmed, OutOfStock
from order_saga.models import Reservation, ReservedLine, SagaOrder, SagaRefusal, Shipment
from order_saga.outcome import begin_compensation, cancel_order, confirm_order
from order_saga.payment_request import request_payment
from order_saga.ports import Inventory, SagaLocks, Shipments
from order_saga.reservation import reserve_stock
from order_saga.schemas import AuthorizedPayment, ShipmentResult, TaskFailure
from order_saga.shipping import book_shipment
from order_store.errors import OrderNotFound, SagaLockConflict
from payment_webhook.logic import answer_payment
from payment_webhook.schemas import PaymentNotice
from payments.ledger import DynamoPaymentLedger, PaymentLedger
from payments.models import PaymentEntry, authorization_id_for
from task_io.callbacks import step_functions_callbacks
from tests.unit.fakes import (
    FakeTaskCallbacks,
    InMemoryInventory,
    InMemoryPaymentLedger,
    InMemorySagaLocks,
    InMemoryShipments,
    RecordingPaymentGateway,
)
from tests.unit.samples import NOW, order_model, order_placed_record, outbox_record, saga_order

ORDER = SagaOrder.model_validate(saga_order())
ORDER_ID = ORDER.order_id
AUTH_ID = authorization_id_for(ORDER_ID)
STOCK = {"SKU-1": 10, "SKU-2": 5}
IMPLEMENTATIONS = ["dynamodb", "fake"]


def _raw(dynamodb: Any, table: str, **key: str) -> dict[str, Any] | None:
    item = dynamodb.get_item(TableName=table, Key=to_item(key), ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def _seed_stock(dynamodb: Any, table: str, stock: dict[str, int]) -> None:
    for sku, available in stock.items():
        dynamodb.put_item(
            TableName=table, Item=to_item({"pk": f"SKU#{sku}", "sku": sku, "available": available})
        )


def _reservation(lines: dict[str, int], order_id: str = ORDER_ID) -> Reservation:
    return Reservation(
        reservation_id=f"r-{order_id}",
        order_id=order_id,
        lines=[ReservedLine(sku=sku, quantity=quantity) for sku, quantity in lines.items()],
        status="RESERVED",
        reserved_at="2026-11-23T10:00:00.123Z",
    )


# --- fixtures: one port, two implementations -----------------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def locks(request: pytest.FixtureRequest) -> SagaLocks:
    if request.param == "fake":
        return InMemorySagaLocks()
    request.getfixturevalue("orders_table")
    return DynamoSagaLocks("Orders", request.getfixturevalue("dynamodb"))


class _StockView:
    """Reads stock levels from either implementation."""

    def __init__(self, inventory: Inventory, dynamodb: Any | None) -> None:
        self.inventory = inventory
        self._dynamodb = dynamodb

    def level(self, sku: str) -> int | None:
        if isinstance(self.inventory, InMemoryInventory):
            return self.inventory.stock.get(sku)
        item = _raw(self._dynamodb, "Inventory", pk=f"SKU#{sku}")
        return None if item is None else int(item["available"])


@pytest.fixture(params=IMPLEMENTATIONS)
def stock(request: pytest.FixtureRequest) -> _StockView:
    if request.param == "fake":
        return _StockView(InMemoryInventory(stock=dict(STOCK)), None)
    table = request.getfixturevalue("inventory_table")
    dynamodb = request.getfixturevalue("dynamodb")
    _seed_stock(dynamodb, table, STOCK)
    return _StockView(DynamoInventory(table, dynamodb), dynamodb)


@pytest.fixture(params=IMPLEMENTATIONS)
def ledger(request: pytest.FixtureRequest) -> PaymentLedger:
    if request.param == "fake":
        return InMemoryPaymentLedger()
    return DynamoPaymentLedger(request.getfixturevalue("payments_table"), request.getfixturevalue("dynamodb"))


@pytest.fixture(params=IMPLEMENTATIONS)
def shipments(request: pytest.FixtureRequest) -> Shipments:
    if request.param == "fake":
        return InMemoryShipments()
    return DynamoShipments(request.getfixturevalue("shipments_table"), request.getfixturevalue("dynamodb"))


# --- saga lock -----------------------------------------------------------------------------------


def test_the_lock_belongs_to_the_first_execution(locks: SagaLocks) -> None:
    # Given a free lock / When two executions race for it
    assert locks.acquire(ORDER_ID, "exec-1", NOW)
    assert not locks.acquire(ORDER_ID, "exec-2", NOW)
    # Then the first keeps it, and may take it again (a retried BeginSaga)
    assert locks.acquire(ORDER_ID, "exec-1", NOW)
    lock = locks.get(ORDER_ID)
    assert lock is not None and (lock.execution_id, lock.status) == ("exec-1", "RUNNING")


def test_settling_records_the_end_and_keeps_the_owner(locks: SagaLocks) -> None:
    locks.acquire(ORDER_ID, "exec-1", NOW)
    assert locks.settle(ORDER_ID, "NEEDS_ATTENTION", "exec-1", NOW)
    assert not locks.settle(ORDER_ID, "CANCELLED", "exec-2", NOW)
    lock = locks.get(ORDER_ID)
    assert lock is not None and (lock.execution_id, lock.status) == ("exec-1", "NEEDS_ATTENTION")
    assert not locks.acquire(ORDER_ID, "exec-2", NOW)


def test_only_the_owner_fences_a_saga_and_never_a_completed_one(locks: SagaLocks) -> None:
    locks.acquire(ORDER_ID, "exec-1", NOW)
    assert not locks.fence(ORDER_ID, "exec-2", NOW)
    assert locks.fence(ORDER_ID, "exec-1", NOW)
    assert locks.fence(ORDER_ID, "exec-1", NOW)  # a retried Compensate
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPENSATING"
    locks.settle(ORDER_ID, "COMPLETED", "exec-1", NOW)
    assert not locks.fence(ORDER_ID, "exec-1", NOW)
    assert not locks.fence("another-order", "exec-1", NOW)


@pytest.mark.parametrize(
    ("status", "resumable"),
    [
        ("RUNNING", True),
        ("COMPENSATING", True),
        ("NEEDS_ATTENTION", True),
        ("COMPLETED", False),
        ("CANCELLED", False),
    ],
)
def test_a_redrive_takes_over_only_the_parked_execution_of_an_unfinished_saga(
    locks: SagaLocks, status: str, resumable: bool
) -> None:
    locks.acquire(ORDER_ID, "parked", NOW)
    locks.settle(ORDER_ID, status, "parked", NOW)  # type: ignore[arg-type]
    assert not locks.acquire(ORDER_ID, "redrive", NOW, takeover_from="someone-else", redrive_count=1)
    assert locks.acquire(ORDER_ID, "redrive", NOW, takeover_from="parked", redrive_count=1) is resumable
    lock = locks.get(ORDER_ID)
    assert lock is not None
    expected = ("redrive", "RUNNING", 1) if resumable else ("parked", status, 0)
    assert (lock.execution_id, lock.status, lock.redrive_count) == expected


def test_the_lock_lives_next_to_the_order(dynamodb: Any, orders_table: str) -> None:
    DynamoSagaLocks(orders_table, dynamodb).acquire(ORDER_ID, "exec-1", NOW)
    item = _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="SAGA")
    assert item is not None
    assert (
        item["recordType"] == "SAGA" and item["executionId"] == "exec-1" and item["startedAt"].endswith("Z")
    )


# --- inventory -----------------------------------------------------------------------------------


def test_unknown_skus_are_found(stock: _StockView) -> None:
    assert stock.inventory.missing_skus({"SKU-1", "SKU-2", "SKU-404", "SKU-405"}) == {"SKU-404", "SKU-405"}
    assert stock.inventory.missing_skus(set()) == set()


def test_a_reservation_takes_all_lines_or_none(stock: _StockView) -> None:
    # Given enough of SKU-1 but not of SKU-2
    # When a reservation asks for both / Then OutOfStock names SKU-2, and SKU-1 is untouched
    with pytest.raises(OutOfStock) as raised:
        stock.inventory.reserve(_reservation({"SKU-1": 3, "SKU-2": 6}))
    assert raised.value.skus == ["SKU-2"]
    assert (stock.level("SKU-1"), stock.level("SKU-2")) == (10, 5)
    assert stock.inventory.get_reservation(ORDER_ID) is None
    # And an SKU without a stock item is out of stock too
    with pytest.raises(OutOfStock, match="SKU-404"):
        stock.inventory.reserve(_reservation({"SKU-1": 1, "SKU-404": 1}))
    assert stock.level("SKU-404") is None


def test_a_reservation_can_take_the_last_unit_and_no_more(stock: _StockView) -> None:
    assert stock.inventory.reserve(_reservation({"SKU-2": 5}))
    assert stock.level("SKU-2") == 0
    with pytest.raises(OutOfStock):
        stock.inventory.reserve(_reservation({"SKU-2": 1}, order_id="order-2"))
    assert stock.level("SKU-2") == 0


def test_an_existing_reservation_wins_over_a_shortage(stock: _StockView) -> None:
    # Given a reservation that took all of SKU-2
    assert stock.inventory.reserve(_reservation({"SKU-2": 5}))
    # When the same order reserves again / Then it is told the reservation exists; nothing is taken
    assert not stock.inventory.reserve(_reservation({"SKU-2": 5}))
    assert stock.level("SKU-2") == 0


def test_release_returns_the_stock_once(stock: _StockView) -> None:
    # Given a reservation
    reservation = _reservation({"SKU-1": 4, "SKU-2": 2})
    stock.inventory.reserve(reservation)
    # When released twice / Then stock comes back once
    assert stock.inventory.release(reservation, NOW)
    assert not stock.inventory.release(reservation, NOW)
    assert (stock.level("SKU-1"), stock.level("SKU-2")) == (10, 5)
    stored = stock.inventory.get_reservation(ORDER_ID)
    assert stored is not None and stored.status == "RELEASED" and stored.released_at is not None


def test_the_domain_steps_round_trip_stock_on_dynamodb(dynamodb: Any, inventory_table: str) -> None:
    # Given stock on the real table layout
    _seed_stock(dynamodb, inventory_table, STOCK)
    inventory = DynamoInventory(inventory_table, dynamodb)
    # When the order's stock is reserved (twice: a retry) and released (twice: a duplicate compensation)
    first = reserve_stock(ORDER, inventory, NOW)
    assert reserve_stock(ORDER, inventory, NOW) == first
    assert release_stock(ORDER_ID, inventory, NOW).compensated
    assert not release_stock(ORDER_ID, inventory, NOW).compensated
    # Then stock is where it started, and the reservation item has the documented layout
    assert _raw(dynamodb, inventory_table, pk="SKU#SKU-1") == {
        "pk": "SKU#SKU-1",
        "sku": "SKU-1",
        "available": 10,
    }
    item = _raw(dynamodb, inventory_table, pk=f"RESERVATION#{ORDER_ID}")
    assert item is not None and item["status"] == "RELEASED" and item["orderId"] == ORDER_ID
    assert item["lines"] == [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}]


def test_releasing_stock_of_a_deleted_sku_recreates_it(dynamodb: Any, inventory_table: str) -> None:
    _seed_stock(dynamodb, inventory_table, STOCK)
    inventory = DynamoInventory(inventory_table, dynamodb)
    reservation = _reservation({"SKU-1": 4})
    inventory.reserve(reservation)
    dynamodb.delete_item(TableName=inventory_table, Key=to_item({"pk": "SKU#SKU-1"}))
    assert inventory.release(reservation, NOW)
    assert _raw(dynamodb, inventory_table, pk="SKU#SKU-1") == {
        "pk": "SKU#SKU-1",
        "sku": "SKU-1",
        "available": 4,
    }


# --- payment ledger ------------------------------------------------------------------------------


def _entry(**overrides: Any) -> PaymentEntry:
    values: dict[str, Any] = {
        "authorization_id": AUTH_ID,
        "order_id": ORDER_ID,
        "amount": 3499,
        "currency": "EUR",
        "status": "REQUESTED",
        "task_token": "token-1",
        "requested_at": "2026-11-23T10:00:00.123Z",
    }
    values.update(overrides)
    return PaymentEntry(**values)


def test_a_ledger_entry_is_created_once(ledger: PaymentLedger) -> None:
    assert ledger.create(_entry())
    assert not ledger.create(_entry(task_token="token-2"))
    assert ledger.get(AUTH_ID) == _entry()


def test_the_token_is_refreshed_until_the_request_is_closed(ledger: PaymentLedger) -> None:
    ledger.create(_entry())
    assert ledger.refresh_token(AUTH_ID, "token-2")
    # an answered request takes a new token too (a retried request waits on it), undelivered again
    ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
    assert ledger.mark_notified(AUTH_ID, "token-2", NOW)
    assert ledger.refresh_token(AUTH_ID, "token-3")
    entry = ledger.get(AUTH_ID)
    assert entry is not None and (entry.task_token, entry.notified_at) == ("token-3", None)
    # a voided one does not
    ledger.transition(AUTH_ID, "AUTHORIZED", "VOIDED", NOW)
    assert not ledger.refresh_token(AUTH_ID, "token-4")
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.task_token is None


def test_only_the_answered_token_is_dropped(ledger: PaymentLedger) -> None:
    ledger.create(_entry())
    ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
    ledger.refresh_token(AUTH_ID, "token-2")
    assert not ledger.mark_notified(AUTH_ID, "token-1", NOW)
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.task_token == "token-2"


def test_only_one_answer_moves_a_request(ledger: PaymentLedger) -> None:
    # Given a request
    ledger.create(_entry())
    # When the provider declines and then (late) authorizes
    assert ledger.transition(AUTH_ID, "REQUESTED", "DECLINED", NOW, reason="insufficient funds")
    assert not ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
    # Then the first answer stands, with its reason, and the token is kept until delivered
    entry = ledger.get(AUTH_ID)
    assert entry is not None
    assert (entry.status, entry.decline_reason, entry.task_token) == (
        "DECLINED",
        "insufficient funds",
        "token-1",
    )
    assert entry.answered_at is not None
    assert ledger.mark_notified(AUTH_ID, "token-1", NOW)
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.task_token is None and entry.notified_at is not None


def test_voiding_drops_the_token_and_blocks_a_late_answer(ledger: PaymentLedger) -> None:
    ledger.create(_entry())
    assert ledger.transition(AUTH_ID, "REQUESTED", "WITHDRAWN", NOW)
    assert not ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
    entry = ledger.get(AUTH_ID)
    assert entry is not None and (entry.status, entry.task_token) == ("WITHDRAWN", None)
    assert entry.voided_at is not None


def test_the_webhook_and_the_void_on_dynamodb(dynamodb: Any, payments_table: str) -> None:
    # Given a payment requested on the real ledger
    ledger = DynamoPaymentLedger(payments_table, dynamodb)
    callbacks = FakeTaskCallbacks()
    request_payment(ORDER, "token-1", ledger, RecordingPaymentGateway(), callbacks, NOW)
    notice = PaymentNotice(
        authorization_id=AUTH_ID, outcome="AUTHORIZED", amount=ORDER.total_amount, currency=ORDER.currency
    )
    # When the provider authorizes twice, and the saga then voids twice
    assert answer_payment(notice, ledger, callbacks, NOW).accepted
    assert not answer_payment(notice, ledger, callbacks, NOW).accepted
    assert void_payment(ORDER_ID, ledger, NOW).compensated
    assert not void_payment(ORDER_ID, ledger, NOW).compensated
    # Then the task was answered once and the item is VOIDED with the documented attributes
    assert [call[0] for call in callbacks.calls] == ["success"]
    item = _raw(dynamodb, payments_table, pk=f"AUTH#{AUTH_ID}")
    assert item is not None
    assert (item["status"], item["amount"], item["orderId"]) == (
        "VOIDED",
        3499,
        ORDER_ID,
    )
    assert {"requestedAt", "answeredAt", "notifiedAt", "voidedAt"} <= set(item) and "taskToken" not in item


def test_the_step_functions_adapter_sends_well_formed_requests(aws: None) -> None:
    # Given Step Functions on moto (which accepts any token outside an execution)
    callbacks = step_functions_callbacks()
    # When every answer is sent / Then botocore validates each request and moto accepts it
    callbacks.succeed(
        "token", {"authorizationId": AUTH_ID, "amount": 1, "currency": "EUR", "status": "AUTHORIZED"}
    )
    callbacks.fail("token", "PaymentDeclined", "x" * 40_000)
    callbacks.heartbeat("token")


# --- shipments -----------------------------------------------------------------------------------


def _shipment() -> Shipment:
    return Shipment(
        shipment_id="s-1",
        order_id=ORDER_ID,
        carrier="DHL",
        destination_country="DE",
        status="BOOKED",
        booked_at="2026-11-23T10:00:00.123Z",
    )


def test_a_shipment_is_booked_once_and_cancelled_once(shipments: Shipments) -> None:
    assert shipments.book(_shipment())
    assert not shipments.book(_shipment())
    assert shipments.cancel(ORDER_ID, NOW)
    assert not shipments.cancel(ORDER_ID, NOW)
    assert not shipments.cancel("never-booked", NOW)
    stored = shipments.get(ORDER_ID)
    assert stored is not None and stored.status == "CANCELLED" and stored.cancelled_at is not None


def test_a_booking_on_dynamodb_has_the_documented_layout(dynamodb: Any, shipments_table: str) -> None:
    shipment = book_shipment(ORDER, DynamoShipments(shipments_table, dynamodb), {"DE"}, NOW)
    item = _raw(dynamodb, shipments_table, pk=f"SHIPMENT#{ORDER_ID}")
    assert item is not None
    assert item == {
        "pk": f"SHIPMENT#{ORDER_ID}",
        "shipmentId": shipment.shipment_id,
        "orderId": ORDER_ID,
        "carrier": "DHL",
        "destinationCountry": "DE",
        "status": "BOOKED",
        "bookedAt": "2026-11-23T10:00:00.123Z",
    }


# --- the order: status details and the outbox ----------------------------------------------------


@pytest.fixture
def placed(dynamodb: Any, orders_table: str) -> SagaOrderRepository:
    repository = SagaOrderRepository(orders_table, dynamodb)
    order = order_model(ORDER_ID)
    repository.create_order(order, outbox_record(ORDER_ID, 1))
    return repository


def test_cancelling_writes_status_reason_and_event_in_one_transaction(
    placed: SagaOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given a placed order and its saga lock
    locks = DynamoSagaLocks(orders_table, dynamodb)
    locks.acquire(ORDER_ID, "exec-1", NOW)
    failure = TaskFailure(error="OutOfStock", cause='{"errorType": "OutOfStock", "errorMessage": "SKU-2"}')
    # When the saga is fenced and the order cancelled twice
    assert not begin_compensation(ORDER_ID, "exec-1", placed, locks, NOW).confirmed
    assert cancel_order(ORDER_ID, failure, "exec-1", placed, locks, NOW, invalid_event=False).written
    assert not cancel_order(ORDER_ID, failure, "exec-1", placed, locks, NOW, invalid_event=False).written
    # Then the order item holds the status and reason, and exactly one OrderCancelled follows OrderPlaced
    item = _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="ORDER")
    assert item is not None
    assert (item["status"], item["cancellationReason"], item["outboxSequence"]) == (
        "CANCELLED",
        "OutOfStock: SKU-2",
        2,
    )
    event = _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="OUTBOX#0000000002")
    assert event is not None and event["eventType"] == "OrderCancelled" and event["status"] == "PENDING"
    assert _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="OUTBOX#0000000003") is None
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "CANCELLED"


def _confirm(placed: SagaOrderRepository, execution_id: str) -> Any:
    order = SagaOrder.model_validate(saga_order(order_model(ORDER_ID)))
    payment = AuthorizedPayment(
        authorization_id=AUTH_ID, amount=order.total_amount, currency="EUR", status="AUTHORIZED"
    )
    shipment = ShipmentResult(shipment_id="s-1", carrier="DHL")
    return confirm_order(order, payment, shipment, execution_id, placed, NOW)


def test_the_pivot_on_dynamodb_confirmation_and_fence_exclude_each_other(
    placed: SagaOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given a running saga that is fenced for compensation
    locks = DynamoSagaLocks(orders_table, dynamodb)
    locks.acquire(ORDER_ID, "exec-1", NOW)
    assert locks.fence(ORDER_ID, "exec-1", NOW)
    # When a late confirmation tries to commit / Then the transaction's lock condition refuses it
    with pytest.raises(SagaLockConflict):
        _confirm(placed, "exec-1")
    item = _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="ORDER")
    assert item is not None and (item["status"], item["outboxSequence"]) == ("PLACED", 1)


def test_a_confirmation_completes_the_saga_in_its_own_transaction(
    placed: SagaOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    locks = DynamoSagaLocks(orders_table, dynamodb)
    locks.acquire(ORDER_ID, "exec-1", NOW)
    assert _confirm(placed, "exec-1").written
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"
    # and resolving the outcome afterwards goes forward, fencing nothing
    assert begin_compensation(ORDER_ID, "exec-1", placed, locks, NOW).confirmed
    with pytest.raises(OrderAlreadyConfirmed):
        cancel_order(ORDER_ID, TaskFailure(error="X"), "exec-1", placed, locks, NOW, invalid_event=False)


def test_an_invalid_event_cancels_only_an_order_no_saga_owns_in_one_write(
    placed: SagaOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    locks = DynamoSagaLocks(orders_table, dynamodb)
    failure = TaskFailure(error="InvalidOrderEvent")
    # Given a valid saga owning the order: a malformed duplicate cancels nothing
    locks.acquire(ORDER_ID, "valid", NOW)
    refused = cancel_order(ORDER_ID, failure, "invalid", placed, locks, NOW, invalid_event=True)
    assert not refused.cancelled and "RUNNING saga" in refused.reason
    # Given no saga: it is cancelled, and the lock (without owner) makes later sagas duplicates
    dynamodb.delete_item(TableName=orders_table, Key=to_item({"pk": f"ORDER#{ORDER_ID}", "sk": "SAGA"}))
    assert cancel_order(ORDER_ID, failure, "invalid", placed, locks, NOW, invalid_event=True).written
    lock = locks.get(ORDER_ID)
    assert lock is not None and (lock.status, lock.execution_id) == ("CANCELLED", None)
    assert not locks.acquire(ORDER_ID, "late-saga", NOW)


def test_a_status_change_sets_only_status_details(placed: SagaOrderRepository) -> None:
    # A status change may set its reason, nothing else of the order
    with pytest.raises(ValueError, match="totalAmount"):
        placed.update_status(ORDER_ID, "NEEDS_ATTENTION", attributes={"totalAmount": "0"})
    with pytest.raises(ValueError, match="outboxSequence"):
        placed.append_event(ORDER_ID, 1, "X", {}, attributes={"outboxSequence": "9"})
    placed.update_status(
        ORDER_ID, "NEEDS_ATTENTION", attributes={"attentionReason": "A; compensation failed: B"}
    )
    order = placed.get_order(ORDER_ID)
    assert order is not None
    assert (order.status, order.attention_reason, order.outbox_sequence) == (
        "NEEDS_ATTENTION",
        "A; compensation failed: B",
        1,
    )


def test_a_status_change_of_an_unknown_order_writes_nothing(dynamodb: Any, orders_table: str) -> None:
    with pytest.raises(OrderNotFound):
        SagaOrderRepository(orders_table, dynamodb).update_status("unknown", "NEEDS_ATTENTION")
    assert _raw(dynamodb, orders_table, pk="ORDER#unknown", sk="ORDER") is None


def test_begin_reads_the_orders_own_placed_event_and_keeps_refusals_next_to_it(
    dynamodb: Any, orders_table: str
) -> None:
    # Given a placed order with its OrderPlaced record, on moto
    repository = SagaOrderRepository(orders_table, dynamodb)
    order = order_model(ORDER_ID)
    repository.create_order(order, order_placed_record(order))
    # Then the saga reads the record's event id (and none for an order that has no record)
    assert repository.placed_event_id(ORDER_ID) == f"event-{ORDER_ID}"
    assert repository.placed_event_id("3f2b8c1e-0000-5000-8000-00000000dead") is None
    # And a refusal is written once per execution, next to the order it named
    refusal = SagaRefusal(
        order_id=ORDER_ID,
        execution_id="exec-1",
        event_id="forged",
        error="ForgedOrderEvent",
        reason="not its own",
        refused_at="2026-11-23T10:00:00.000Z",
        expires_at=1_800_000_000,
    )
    repository.record_refusal(refusal)
    repository.record_refusal(refusal.model_copy(update={"reason": "again"}))
    item = _raw(dynamodb, orders_table, pk=f"ORDER#{ORDER_ID}", sk="REFUSAL#exec-1")
    assert item is not None
    assert (item["recordType"], item["error"], item["reason"], item["expiresAt"]) == (
        "SAGA_REFUSAL",
        "ForgedOrderEvent",
        "not its own",
        1_800_000_000,
    )
