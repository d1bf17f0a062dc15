"""How a saga ends for the order: confirmed, cancelled (through the outbox), or parked."""

import json
from typing import Any

import pytest

from order_saga.errors import InvalidSagaInput, OrderStateConflict, SagaStoreUnavailable
from order_saga.models import SagaOrder, authorization_id_for, saga_event_id, shipment_id_for
from order_saga.outcome import cancel_order, confirm_order, park_order
from order_saga.schemas import AuthorizedPayment, ShipmentResult, TaskFailure
from order_store.errors import OrderNotFound, OutboxSequenceConflict
from order_store.models import OrderStatus, OutboxRecord
from tests.unit.fakes import InMemoryOrderStore, InMemorySagaLocks
from tests.unit.samples import EXECUTION_ID, NOW, lambda_error_cause, order_model, outbox_record, saga_order

ORDER = SagaOrder.model_validate(saga_order())
ORDER_ID = ORDER.order_id
PAYMENT = AuthorizedPayment(
    authorization_id=authorization_id_for(ORDER_ID), amount=3499, currency="EUR", status="AUTHORIZED"
)
SHIPMENT = ShipmentResult(shipment_id=shipment_id_for(ORDER_ID), carrier="DHL")
OUT_OF_STOCK = TaskFailure(
    error="OutOfStock", cause=lambda_error_cause("OutOfStock", "not enough stock for SKU(s): SKU-2")
)


@pytest.fixture(autouse=True)
def _placed_order(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    """The order as the orders API stored it (OrderPlaced is outbox record 1), saga running."""
    store.orders[ORDER_ID] = order_model(ORDER_ID)
    store.put_outbox(outbox_record(ORDER_ID, 1))
    locks.acquire(ORDER_ID, EXECUTION_ID, NOW)


def _events(store: InMemoryOrderStore, event_type: str) -> list[OutboxRecord]:
    return [record for record in store.order_records(ORDER_ID) if record.event_type == event_type]


def _status(store: InMemoryOrderStore) -> OrderStatus:
    return store.orders[ORDER_ID].status


# --- confirm -------------------------------------------------------------------------------------


def test_confirming_writes_one_event_and_completes_the_saga(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # When the order is confirmed
    confirmed = confirm_order(ORDER, PAYMENT, SHIPMENT, store, locks, NOW)
    # Then the order is CONFIRMED and OrderConfirmed is outbox record 2, with the documented facts
    assert confirmed.written and confirmed.event_id == saga_event_id(ORDER_ID, "OrderConfirmed")
    assert _status(store) == "CONFIRMED"
    [event] = _events(store, "OrderConfirmed")
    assert (event.sequence, event.event_id, event.status) == (2, confirmed.event_id, "PENDING")
    assert json.loads(event.detail) == {
        "orderId": ORDER_ID,
        "customerId": "customer-42",
        "totalAmount": 3499,
        "currency": "EUR",
        "authorizationId": PAYMENT.authorization_id,
        "shipmentId": SHIPMENT.shipment_id,
        "carrier": "DHL",
    }
    # And the saga lock is COMPLETED
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"


def test_a_retried_confirmation_writes_no_second_event(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given a confirmed order whose lock was not settled (the first attempt failed after its transaction)
    first = confirm_order(ORDER, PAYMENT, SHIPMENT, store, locks, NOW)
    locks.settle(ORDER_ID, "RUNNING", NOW)
    # When the task is retried
    again = confirm_order(ORDER, PAYMENT, SHIPMENT, store, locks, NOW)
    # Then it reports the same event, writes none, and settles the lock
    assert (again.event_id, again.written) == (first.event_id, False)
    assert len(_events(store, "OrderConfirmed")) == 1
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"


def test_a_concurrent_writer_makes_confirmation_re_read_and_retry(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given another writer appending an event to the order right before our append
    class Contended(InMemoryOrderStore):
        contended = True

        def append_event(
            self, order_id: str, expected_sequence: int, *args: Any, **kwargs: Any
        ) -> OutboxRecord:
            if self.contended:
                self.contended = False
                super().append_event(order_id, expected_sequence, "OrderNoted", {"orderId": order_id})
                raise OutboxSequenceConflict(order_id, expected_sequence, expected_sequence + 1)
            return super().append_event(order_id, expected_sequence, *args, **kwargs)

    contended = Contended(orders=dict(store.orders), outbox=dict(store.outbox))
    # When confirmed / Then it succeeds on the fresh sequence
    confirm_order(ORDER, PAYMENT, SHIPMENT, contended, locks, NOW)
    [event] = [r for r in contended.order_records(ORDER_ID) if r.event_type == "OrderConfirmed"]
    assert event.sequence == 3 and contended.orders[ORDER_ID].outbox_sequence == 3


def test_an_order_that_never_stops_changing_fails_as_retryable(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    class AlwaysContended(InMemoryOrderStore):
        def append_event(
            self, order_id: str, expected_sequence: int, *args: Any, **kwargs: Any
        ) -> OutboxRecord:
            raise OutboxSequenceConflict(order_id, expected_sequence, expected_sequence + 1)

    with pytest.raises(SagaStoreUnavailable, match="kept changing"):
        confirm_order(ORDER, PAYMENT, SHIPMENT, AlwaysContended(orders=dict(store.orders)), locks, NOW)


def test_an_authorization_that_does_not_cover_the_order_is_refused(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    payment = PAYMENT.model_copy(update={"amount": 1})
    with pytest.raises(InvalidSagaInput, match="totals 3499 EUR"):
        confirm_order(ORDER, payment, SHIPMENT, store, locks, NOW)
    assert _status(store) == "PLACED"


@pytest.mark.parametrize("status", ["CANCELLED", "NEEDS_ATTENTION"])
def test_an_order_cancelled_or_parked_meanwhile_is_not_confirmed(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, status: OrderStatus
) -> None:
    store.orders[ORDER_ID] = store.orders[ORDER_ID].model_copy(update={"status": status})
    with pytest.raises(OrderStateConflict, match=status):
        confirm_order(ORDER, PAYMENT, SHIPMENT, store, locks, NOW)
    assert not _events(store, "OrderConfirmed")


def test_confirming_an_unknown_order_fails(locks: InMemorySagaLocks) -> None:
    with pytest.raises(OrderNotFound):
        confirm_order(ORDER, PAYMENT, SHIPMENT, InMemoryOrderStore(), locks, NOW)


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_records_the_reason_and_announces_it(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # When the order is cancelled after an OutOfStock failure
    cancellation = cancel_order(ORDER_ID, OUT_OF_STOCK, store, locks, NOW, invalid_event=False)
    # Then the reason is the error name plus the Lambda error message
    reason = "OutOfStock: not enough stock for SKU(s): SKU-2"
    assert (cancellation.cancelled, cancellation.reason, cancellation.written) == (True, reason, True)
    order = store.orders[ORDER_ID]
    assert (order.status, order.cancellation_reason) == ("CANCELLED", reason)
    # And OrderCancelled carries ids and the error name only
    [event] = _events(store, "OrderCancelled")
    assert event.event_id == saga_event_id(ORDER_ID, "OrderCancelled")
    assert json.loads(event.detail) == {
        "orderId": ORDER_ID,
        "customerId": "customer-42",
        "reason": "OutOfStock",
    }
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "CANCELLED"


def test_cancelling_twice_writes_one_order_cancelled(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given a cancelled order / When the task runs again (even with another failure)
    cancel_order(ORDER_ID, OUT_OF_STOCK, store, locks, NOW, invalid_event=False)
    again = cancel_order(
        ORDER_ID, TaskFailure(error="States.Timeout"), store, locks, NOW, invalid_event=False
    )
    # Then it reports the first reason and writes nothing
    assert (again.cancelled, again.written) == (True, False)
    assert again.reason.startswith("OutOfStock")
    assert len(_events(store, "OrderCancelled")) == 1


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (TaskFailure(error="PaymentDeclined", cause="amount 900000 exceeds the limit"), "PaymentDeclined"),
        (TaskFailure(error="States.Timeout", cause=""), "States.Timeout"),
        (TaskFailure(error="States.TaskFailed", cause='{"no": "lambda"}'), "States.TaskFailed"),
        (
            TaskFailure(
                error="UnsupportedDestination",
                cause=lambda_error_cause("UnsupportedDestination", "no carrier ships to US"),
            ),
            "UnsupportedDestination: no carrier ships to US",
        ),
    ],
)
def test_the_reason_quotes_only_lambda_error_messages(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, failure: TaskFailure, reason: str
) -> None:
    assert cancel_order(ORDER_ID, failure, store, locks, NOW, invalid_event=False).reason == reason


def test_after_an_invalid_event_an_order_without_a_saga_is_cancelled(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given no saga ever took the lock (the event was rejected before)
    locks.locks.clear()
    failure = TaskFailure(
        error="InvalidOrderEvent", cause=lambda_error_cause("InvalidOrderEvent", "unknown SKU(s): X")
    )
    # When the invalid event's order is cancelled
    cancellation = cancel_order(ORDER_ID, failure, store, locks, NOW, invalid_event=True)
    # Then it is cancelled, and the saga is marked CANCELLED so a redelivery is a duplicate
    assert cancellation.cancelled and cancellation.reason == "InvalidOrderEvent: unknown SKU(s): X"
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "CANCELLED" and lock.execution_id is None
    assert not locks.acquire(ORDER_ID, "another-execution", NOW)


def test_an_invalid_duplicate_does_not_cancel_an_order_a_saga_owns(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given a valid saga running for the order / When a malformed duplicate's cancellation runs
    failure = TaskFailure(error="InvalidOrderEvent")
    cancellation = cancel_order(ORDER_ID, failure, store, locks, NOW, invalid_event=True)
    # Then nothing is cancelled, and the reason says why
    assert not cancellation.cancelled and "RUNNING saga" in cancellation.reason
    assert _status(store) == "PLACED" and not _events(store, "OrderCancelled")


def test_an_invalid_duplicate_does_not_cancel_a_confirmed_order(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    store.orders[ORDER_ID] = store.orders[ORDER_ID].model_copy(update={"status": "CONFIRMED"})
    locks.locks.clear()
    cancellation = cancel_order(
        ORDER_ID, TaskFailure(error="InvalidOrderEvent"), store, locks, NOW, invalid_event=True
    )
    assert not cancellation.cancelled and "CONFIRMED" in cancellation.reason


@pytest.mark.parametrize(
    ("order_id", "reason"), [(None, "names no order"), ("unknown-order", "does not exist")]
)
def test_nothing_is_cancelled_without_a_known_order(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, order_id: str | None, reason: str
) -> None:
    cancellation = cancel_order(
        order_id, TaskFailure(error="InvalidOrderEvent"), store, locks, NOW, invalid_event=True
    )
    assert not cancellation.cancelled and reason in cancellation.reason
    assert store.writes == 0


# --- park ----------------------------------------------------------------------------------------


def test_parking_records_both_errors(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    # When an order is parked because releasing stock failed while undoing a declined payment
    reason = park_order(
        ORDER_ID,
        TaskFailure(error="PaymentDeclined", cause="declined"),
        TaskFailure(error="SagaStoreUnavailable", cause="{}"),
        store,
        locks,
        NOW,
    )
    # Then the order and the saga need attention, with both error names, and no event is written
    assert reason == "PaymentDeclined; compensation failed: SagaStoreUnavailable"
    order = store.orders[ORDER_ID]
    assert (order.status, order.attention_reason) == ("NEEDS_ATTENTION", reason)
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "NEEDS_ATTENTION"
    assert len(store.order_records(ORDER_ID)) == 1


def test_parking_an_unknown_order_fails(locks: InMemorySagaLocks) -> None:
    with pytest.raises(OrderNotFound):
        park_order(
            "unknown", TaskFailure(error="A"), TaskFailure(error="B"), InMemoryOrderStore(), locks, NOW
        )
