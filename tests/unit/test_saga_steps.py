"""The saga's forward steps over in-memory ports: begin, reserve, request payment, ship."""

import json

import pytest

from order_saga.begin import begin_saga
from order_saga.errors import (
    ForgedOrderEvent,
    InvalidOrderEvent,
    OrderFactsMismatch,
    OrderNotPlaced,
    OutOfStock,
    RedriveRefused,
    SagaStoreUnavailable,
    StepAlreadyCompensated,
    UnsupportedDestination,
)
from order_saga.models import (
    SagaOrder,
    reservation_id_for,
    shipment_id_for,
)
from order_saga.payment_request import request_payment
from order_saga.reservation import reserve_stock
from order_saga.shipping import book_shipment
from order_store.models import OrderLine
from payments.errors import PaymentProviderUnavailable, PaymentRequestRejected
from payments.models import authorization_id_for
from tests.unit.fakes import (
    FakeTaskCallbacks,
    InMemoryInventory,
    InMemoryOrderStore,
    InMemoryPaymentLedger,
    InMemorySagaLocks,
    InMemoryShipments,
    RecordingPaymentGateway,
)
from tests.unit.samples import EXECUTION_ID, NOW, order_placed_batch, saga_order

DESTINATIONS = frozenset({"DE", "GB", "IE"})
MAX_REDRIVES = 3
PARKED = "arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:parked-1"
REDRIVE = "arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:redrive-1"


@pytest.fixture
def callbacks() -> FakeTaskCallbacks:
    return FakeTaskCallbacks()


def _redriven(count: int, parked: str = PARKED) -> list[dict[str, object]]:
    """The batch a redrive delivers: the same body, with the redrive's message attributes."""
    (record,) = order_placed_batch()
    attributes = {
        "sagaRedriveOf": {"stringValue": parked, "dataType": "String"},
        "sagaRedriveCount": {"stringValue": str(count), "dataType": "Number"},
    }
    return [{**record, "messageAttributes": attributes}]


def _order(**overrides: object) -> SagaOrder:
    return SagaOrder.model_validate({**saga_order(), **overrides})


# --- begin -------------------------------------------------------------------------------------


def test_begin_takes_the_lock_for_the_execution(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a valid event whose SKUs all exist
    # When the saga begins
    start = begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    # Then it is not a duplicate and the lock is RUNNING for this execution
    assert not start.duplicate
    lock = locks.get(start.order.order_id)
    assert lock is not None and (lock.status, lock.execution_id) == ("RUNNING", EXECUTION_ID)


def test_a_retried_begin_of_the_same_execution_is_not_a_duplicate(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given the lock taken by this execution (its first attempt's response was lost)
    begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    # When the task is retried / Then it still owns the saga
    assert not begin_saga(
        order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES
    ).duplicate


def test_a_second_execution_for_the_same_order_is_a_duplicate_without_side_effects(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a saga running for the order
    begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    writes = locks.writes
    # When a duplicate delivery starts another execution
    start = begin_saga(
        order_placed_batch(),
        "arn:...:execution:OrderSaga:exec-2",
        placed,
        inventory,
        locks,
        NOW,
        MAX_REDRIVES,
    )
    # Then it is told so, and the lock still names the first execution
    assert start.duplicate
    lock = locks.get(start.order.order_id)
    assert lock is not None and lock.execution_id == EXECUTION_ID and locks.writes == writes


def test_an_unknown_sku_makes_the_event_invalid_and_takes_no_lock(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given an event naming an SKU the inventory does not know
    del inventory.stock["SKU-2"]
    # When the saga begins / Then the event is invalid, naming the SKU, and nothing was locked
    with pytest.raises(InvalidOrderEvent, match=r"unknown SKU.*SKU-2"):
        begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    assert not locks.locks


# --- begin: the saga trusts its records, not the event ------------------------------------------


def _assert_refused_with_nothing_but_the_refusal(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, inventory: InMemoryInventory, error: str
) -> None:
    (refusal,) = store.refusals.values()
    assert (refusal.error, refusal.execution_id) == (error, EXECUTION_ID)
    assert not locks.locks and not inventory.reservations


def test_an_event_for_an_order_that_does_not_exist_is_refused_as_forged(
    store: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given no order at all, and an OrderPlaced naming one
    with pytest.raises(ForgedOrderEvent, match="does not exist"):
        begin_saga(order_placed_batch(), EXECUTION_ID, store, inventory, locks, NOW, MAX_REDRIVES)
    # Then only the refusal was written: no lock, no reservation
    _assert_refused_with_nothing_but_the_refusal(store, locks, inventory, "ForgedOrderEvent")


def test_an_event_that_is_not_the_orders_own_is_refused_as_forged(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a real order, and an event with its facts but another event id (not from its outbox)
    (record,) = order_placed_batch()
    body = json.loads(record["body"])
    body["detail"]["eventId"] = "forged-1"
    with pytest.raises(ForgedOrderEvent, match="forged-1"):
        begin_saga([{**record, "body": json.dumps(body)}], EXECUTION_ID, placed, inventory, locks, NOW, 3)
    _assert_refused_with_nothing_but_the_refusal(placed, locks, inventory, "ForgedOrderEvent")


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"customerId": "someone-else"}, "customerId"),
        ({"currency": "USD"}, "currency"),
        ({"destinationCountry": "GB"}, "destinationCountry"),
        (
            {
                "items": [{"sku": "SKU-1", "quantity": 1, "unitPrice": 1250}],
                "totalAmount": 1250,
            },
            "items, totalAmount",
        ),
    ],
)
def test_an_event_whose_facts_differ_from_the_order_is_refused_by_name(
    placed: InMemoryOrderStore,
    inventory: InMemoryInventory,
    locks: InMemorySagaLocks,
    overrides: dict[str, object],
    named: str,
) -> None:
    # Given the order's own event id, but facts that are not the order's
    batch = order_placed_batch(**overrides)
    with pytest.raises(OrderFactsMismatch, match=named):
        begin_saga(batch, EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    _assert_refused_with_nothing_but_the_refusal(placed, locks, inventory, "OrderFactsMismatch")


def test_a_malformed_event_naming_a_real_order_is_refused_and_cannot_cancel_it(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a malformed event (no lines) naming a real order, but not carrying its event id
    (record,) = order_placed_batch()
    body = json.loads(record["body"])
    body["detail"]["eventId"] = "forged-2"
    body["detail"]["data"]["items"] = []
    with pytest.raises(ForgedOrderEvent, match="not its own"):
        begin_saga([{**record, "body": json.dumps(body)}], EXECUTION_ID, placed, inventory, locks, NOW, 3)
    # (InvalidOrderEvent would have sent it to RejectInvalidOrder, which cancels the order)
    _assert_refused_with_nothing_but_the_refusal(placed, locks, inventory, "ForgedOrderEvent")


def test_the_orders_own_malformed_event_is_an_invalid_event(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    (record,) = order_placed_batch()
    body = json.loads(record["body"])
    body["detail"]["data"]["items"] = []
    with pytest.raises(InvalidOrderEvent):
        begin_saga([{**record, "body": json.dumps(body)}], EXECUTION_ID, placed, inventory, locks, NOW, 3)
    assert not placed.refusals


def test_an_order_no_longer_placed_that_no_saga_owns_is_refused(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    order = placed.orders[_order().order_id]
    placed.orders[order.order_id] = order.model_copy(update={"status": "CANCELLED"})
    with pytest.raises(OrderNotPlaced, match="CANCELLED"):
        begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    _assert_refused_with_nothing_but_the_refusal(placed, locks, inventory, "OrderNotPlaced")


def test_a_late_duplicate_of_a_finished_saga_is_a_duplicate_not_a_refusal(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a saga that ran and confirmed the order
    begin_saga(order_placed_batch(), PARKED, placed, inventory, locks, NOW, MAX_REDRIVES)
    order = placed.orders[_order().order_id]
    placed.orders[order.order_id] = order.model_copy(update={"status": "CONFIRMED"})
    # When its event is delivered again / Then it is a duplicate, and nothing is written
    writes = placed.writes + locks.writes
    assert begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, 3).duplicate
    assert placed.writes + locks.writes == writes and not placed.refusals


def test_a_redrive_whose_outbox_record_expired_still_resumes(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a parked saga whose OrderPlaced record expired (published records live a week)
    begin_saga(order_placed_batch(), PARKED, placed, inventory, locks, NOW, MAX_REDRIVES)
    placed.outbox.clear()
    # When it is redriven / Then the redrive takes over its lock (the order's facts still match)
    start = begin_saga(_redriven(1), REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES)
    assert not start.duplicate and not placed.refusals


# --- reserve -----------------------------------------------------------------------------------


def test_reserving_takes_every_line_from_stock(inventory: InMemoryInventory) -> None:
    # Given stock for both lines / When reserved
    reservation = reserve_stock(_order(), inventory, NOW)
    # Then both quantities are taken and the reservation is RESERVED with a derived id
    assert inventory.stock == {"SKU-1": 8, "SKU-2": 4, "SKU-3": 0}
    assert reservation.status == "RESERVED"
    assert reservation.reservation_id == reservation_id_for(reservation.order_id)


def test_an_sku_named_twice_is_reserved_as_one_line(inventory: InMemoryInventory) -> None:
    # Given an order naming SKU-1 on two lines (a transaction may touch an item once)
    items = [
        OrderLine(sku="SKU-1", quantity=2, unit_price=100),
        OrderLine(sku="SKU-1", quantity=3, unit_price=100),
    ]
    order = _order(items=[item.model_dump() for item in items], totalAmount=500)
    # When reserved / Then one line holds the sum
    reservation = reserve_stock(order, inventory, NOW)
    assert [(line.sku, line.quantity) for line in reservation.lines] == [("SKU-1", 5)]
    assert inventory.stock["SKU-1"] == 5


def test_out_of_stock_names_the_skus_and_takes_nothing(inventory: InMemoryInventory) -> None:
    # Given too little of SKU-2
    inventory.stock["SKU-2"] = 0
    # When reserved / Then OutOfStock names it and SKU-1 was not taken either
    with pytest.raises(OutOfStock, match="SKU-2") as raised:
        reserve_stock(_order(), inventory, NOW)
    assert raised.value.skus == ["SKU-2"]
    assert inventory.stock["SKU-1"] == 10 and not inventory.reservations


def test_a_retried_reservation_returns_the_first_one_unchanged(inventory: InMemoryInventory) -> None:
    # Given a reservation made by a first attempt
    first = reserve_stock(_order(), inventory, NOW)
    # When the task is retried (even though stock ran out meanwhile)
    inventory.stock["SKU-1"] = 0
    again = reserve_stock(_order(), inventory, NOW)
    # Then the same reservation comes back and nothing more is taken
    assert again == first and inventory.stock["SKU-1"] == 0


def test_reserving_again_after_a_release_is_refused(inventory: InMemoryInventory) -> None:
    # Given a reservation that was released by the compensation
    reservation = reserve_stock(_order(), inventory, NOW)
    inventory.release(reservation, NOW)
    # When reserving again / Then it is refused rather than holding stock for a compensated order
    with pytest.raises(StepAlreadyCompensated, match="released"):
        reserve_stock(_order(), inventory, NOW)


def test_a_reservation_that_exists_but_cannot_be_read_is_retried(inventory: InMemoryInventory) -> None:
    # Given a store that reports the reservation as existing but returns nothing on read
    class Inconsistent(InMemoryInventory):
        def reserve(self, reservation: object) -> bool:
            return False

    # When reserving / Then the task fails with the retried error
    with pytest.raises(SagaStoreUnavailable):
        reserve_stock(_order(), Inconsistent(stock=dict(inventory.stock)), NOW)


# --- request payment ---------------------------------------------------------------------------


def test_a_payment_request_is_recorded_then_sent_to_the_provider(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    # Given an order / When payment is requested
    entry = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    # Then the ledger entry is REQUESTED with the token, and its id is derived from the order
    assert entry.authorization_id == authorization_id_for(entry.order_id)
    assert (entry.status, entry.task_token) == ("REQUESTED", "token-1")
    assert ledger.get(entry.authorization_id) == entry
    # And the provider got the amount under that id, and no task token
    (sent,) = gateway.requests
    assert (sent.authorization_id, sent.order_id, sent.amount, sent.currency) == (
        entry.authorization_id,
        entry.order_id,
        3499,
        "EUR",
    )
    assert "token" not in sent.model_dump_json().lower()


@pytest.mark.parametrize("after_receipt", [False, True], ids=["before-receipt", "after-receipt"])
def test_a_request_the_provider_did_not_confirm_is_sent_again_under_the_same_id(
    ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks, after_receipt: bool
) -> None:
    # Given a provider that fails the first request, before or after taking it
    gateway = RecordingPaymentGateway(
        failures=[PaymentProviderUnavailable("provider answered 503")], after_receipt=after_receipt
    )
    # When payment is requested / Then the task fails with the error the state machine retries
    with pytest.raises(PaymentProviderUnavailable):
        request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    # And the retried task (a new token) sends the same request again, recorded once
    again = request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    assert again.status == "REQUESTED" and again.task_token == "token-2"
    assert {request.authorization_id for request in gateway.requests} == {again.authorization_id}
    assert len(gateway.requests) == (2 if after_receipt else 1) and len(ledger.entries) == 1


def test_a_refused_request_is_a_named_error_and_stays_recorded(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    gateway = RecordingPaymentGateway(failures=[PaymentRequestRejected("provider refused the request (422)")])
    with pytest.raises(PaymentRequestRejected):
        request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    # The entry stays REQUESTED: the saga's outcome check withdraws it on the way to compensation
    (entry,) = ledger.entries.values()
    assert entry.status == "REQUESTED"


def test_a_retried_request_refreshes_the_token_and_resends_until_answered(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    # Given a request made with a first token
    first = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    # When the task is retried with a new token
    again = request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    # Then the webhook will answer the new token, and the provider saw the same request twice
    assert again.task_token == "token-2"
    stored = ledger.get(first.authorization_id)
    assert stored is not None and stored.task_token == "token-2" and len(ledger.entries) == 1
    assert gateway.requests == [gateway.requests[0]] * 2
    # And once answered, a further retry gets the answer without asking the provider again
    ledger.transition(first.authorization_id, "REQUESTED", "AUTHORIZED", NOW)
    request_payment(_order(), "token-3", ledger, gateway, callbacks, NOW)
    assert len(gateway.requests) == 2


def test_a_retried_request_gets_the_recorded_answer_at_once(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    # Given a request the provider answered, delivered to the first attempt's token (now dead)
    first = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    ledger.transition(first.authorization_id, "REQUESTED", "AUTHORIZED", NOW)
    ledger.mark_notified(first.authorization_id, "token-1", NOW)
    # When AuthorizePayment is retried (the first response was lost) with a new token
    again = request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    # Then the new token gets the recorded authorization at once, and the entry says so
    assert again.status == "AUTHORIZED"
    assert [(kind, token) for kind, token, _ in callbacks.calls] == [("success", "token-2")]
    assert callbacks.calls[0][2]["output"]["authorizationId"] == first.authorization_id
    stored = ledger.get(first.authorization_id)
    assert stored is not None and stored.task_token is None and stored.notified_at is not None


def test_a_retried_request_gets_a_recorded_decline_at_once(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    first = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    ledger.transition(first.authorization_id, "REQUESTED", "DECLINED", NOW, reason="over the limit")
    request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    assert callbacks.calls == [
        ("failure", "token-2", {"error": "PaymentDeclined", "cause": "over the limit"})
    ]


def test_an_answer_racing_a_retried_request_reaches_the_new_token(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    # Given the provider answering between the retried request's token refresh and its read
    first = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    ledger.interleave(lambda: ledger.transition(first.authorization_id, "REQUESTED", "AUTHORIZED", NOW))
    # When the retried request runs / Then the answer goes to the token now waiting, once
    request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    assert [(kind, token) for kind, token, _ in callbacks.calls] == [("success", "token-2")]


def test_a_request_for_a_voided_payment_is_refused(
    ledger: InMemoryPaymentLedger, gateway: RecordingPaymentGateway, callbacks: FakeTaskCallbacks
) -> None:
    # Given a withdrawn authorization (the saga compensated it)
    first = request_payment(_order(), "token-1", ledger, gateway, callbacks, NOW)
    ledger.transition(first.authorization_id, "REQUESTED", "WITHDRAWN", NOW)
    # When requested again (a redriven saga) / Then it refuses instead of waiting forever
    with pytest.raises(StepAlreadyCompensated, match="withdrawn"):
        request_payment(_order(), "token-2", ledger, gateway, callbacks, NOW)
    assert not callbacks.calls


# --- redrive -----------------------------------------------------------------------------------


def test_a_redrive_takes_over_the_lock_of_the_parked_execution(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    # Given a saga parked while RUNNING under the parked execution
    begin_saga(order_placed_batch(), PARKED, placed, inventory, locks, NOW, MAX_REDRIVES)
    # When a redrive names it / Then the redrive owns the same saga, counted
    start = begin_saga(_redriven(1), REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES)
    assert not start.duplicate and start.redrive_count == 1
    lock = locks.get(start.order.order_id)
    assert lock is not None and (lock.execution_id, lock.status, lock.redrive_count) == (
        REDRIVE,
        "RUNNING",
        1,
    )


def test_a_redrive_naming_another_execution_is_a_duplicate(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    begin_saga(order_placed_batch(), EXECUTION_ID, placed, inventory, locks, NOW, MAX_REDRIVES)
    assert begin_saga(_redriven(1), REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES).duplicate


@pytest.mark.parametrize("ended", ["COMPLETED", "CANCELLED"])
def test_a_saga_that_ended_cleanly_is_not_taken_over(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks, ended: str
) -> None:
    start = begin_saga(order_placed_batch(), PARKED, placed, inventory, locks, NOW, MAX_REDRIVES)
    locks.settle(start.order.order_id, ended, PARKED, NOW)  # type: ignore[arg-type]
    assert begin_saga(_redriven(1), REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES).duplicate


def test_the_loop_guard_refuses_a_redrive_beyond_the_limit(
    placed: InMemoryOrderStore, inventory: InMemoryInventory, locks: InMemorySagaLocks
) -> None:
    begin_saga(order_placed_batch(), PARKED, placed, inventory, locks, NOW, MAX_REDRIVES)
    with pytest.raises(RedriveRefused, match="limit of 3"):
        begin_saga(_redriven(4), REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES)
    lock = locks.get(_order().order_id)
    assert lock is not None and lock.execution_id == PARKED


@pytest.mark.parametrize(
    ("parked", "count"), [("not-an-arn", "1"), (PARKED, "0"), (PARKED, "one"), (PARKED, "-1")]
)
def test_malformed_redrive_attributes_are_an_invalid_event(
    placed: InMemoryOrderStore,
    inventory: InMemoryInventory,
    locks: InMemorySagaLocks,
    parked: str,
    count: str,
) -> None:
    (record,) = _redriven(1, parked)
    record["messageAttributes"]["sagaRedriveCount"]["stringValue"] = count  # type: ignore[index]
    with pytest.raises(InvalidOrderEvent, match="sagaRedrive"):
        begin_saga([record], REDRIVE, placed, inventory, locks, NOW, MAX_REDRIVES)
    assert not locks.locks


# --- ship --------------------------------------------------------------------------------------


def test_a_shipment_is_booked_with_the_carrier_of_the_destination(shipments: InMemoryShipments) -> None:
    # Given an order to Germany / When shipped / Then it is booked with a derived id
    shipment = book_shipment(_order(), shipments, DESTINATIONS, NOW)
    assert (shipment.status, shipment.carrier, shipment.destination_country) == ("BOOKED", "DHL", "DE")
    assert shipment.shipment_id == shipment_id_for(shipment.order_id)
    # And other destinations get their own carrier
    assert book_shipment(
        _order(orderId="o-gb", destinationCountry="GB"), shipments, DESTINATIONS, NOW
    ).carrier == ("ROYAL_MAIL")


def test_an_unsupported_destination_is_refused_without_booking(shipments: InMemoryShipments) -> None:
    # Given an order to a country no carrier serves / When shipped / Then it is refused
    with pytest.raises(UnsupportedDestination, match="US"):
        book_shipment(_order(destinationCountry="US"), shipments, DESTINATIONS, NOW)
    assert not shipments.shipments


def test_a_retried_booking_returns_the_first_one(shipments: InMemoryShipments) -> None:
    # Given a booked shipment / When the task is retried / Then the same booking comes back
    first = book_shipment(_order(), shipments, DESTINATIONS, NOW)
    assert book_shipment(_order(), shipments, DESTINATIONS, NOW) == first and shipments.writes == 1


def test_booking_again_after_a_cancellation_is_refused(shipments: InMemoryShipments) -> None:
    # Given a cancelled shipment / When booked again / Then it is refused
    shipment = book_shipment(_order(), shipments, DESTINATIONS, NOW)
    shipments.cancel(shipment.order_id, NOW)
    with pytest.raises(StepAlreadyCompensated):
        book_shipment(_order(), shipments, DESTINATIONS, NOW)
