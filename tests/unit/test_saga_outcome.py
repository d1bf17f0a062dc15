"""How a saga ends for the order: confirmed, cancelled (through the outbox), or parked."""

import json
from typing import Any

import pytest

from order_saga.errors import (
    InvalidSagaInput,
    OrderAlreadyConfirmed,
    OrderStateConflict,
    SagaStoreUnavailable,
)
from order_saga.models import SagaOrder, saga_event_id, shipment_id_for
from order_saga.outcome import begin_compensation, cancel_order, confirm_order, park_order
from order_saga.schemas import AuthorizedPayment, ShipmentResult, TaskFailure
from order_store.errors import OrderNotFound, OutboxSequenceConflict, SagaLockConflict
from order_store.models import OrderStatus, OutboxRecord
from payments.models import authorization_id_for
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


def _fenced(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    """Compensation began: what every cancellation after compensation finds."""
    assert not begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW).confirmed


def _events(store: InMemoryOrderStore, event_type: str) -> list[OutboxRecord]:
    return [record for record in store.order_records(ORDER_ID) if record.event_type == event_type]


def _status(store: InMemoryOrderStore) -> OrderStatus:
    return store.orders[ORDER_ID].status


# --- confirm -------------------------------------------------------------------------------------


def test_confirming_writes_one_event_and_completes_the_saga(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # When the order is confirmed
    confirmed = confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
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
    # Given a confirmed order (the first attempt failed after its transaction)
    first = confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    # When the task is retried
    again = confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    # Then it reports the same event, writes none, and the lock stays COMPLETED
    assert (again.event_id, again.written) == (first.event_id, False)
    assert len(_events(store, "OrderConfirmed")) == 1
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"


def test_a_fenced_saga_cannot_confirm(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    # Given compensation began (the saga is fenced)
    assert locks.fence(ORDER_ID, EXECUTION_ID, NOW)
    # When a late confirmation arrives / Then it is refused and writes nothing
    with pytest.raises(SagaLockConflict):
        confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    assert _status(store) == "PLACED" and not _events(store, "OrderConfirmed")


def test_another_execution_cannot_confirm_the_order(store: InMemoryOrderStore) -> None:
    with pytest.raises(SagaLockConflict):
        confirm_order(ORDER, PAYMENT, SHIPMENT, "arn:aws:states:eu-west-1:1:execution:s:other", store, NOW)
    assert _status(store) == "PLACED"


# --- the pivot: resolving an outcome by reading the order ----------------------------------------


def test_a_confirmed_order_is_resolved_as_confirmed_and_nothing_is_fenced(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given the confirmation committed, then its task failed (the response was lost)
    confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    # When the saga resolves the outcome before compensating
    start = begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW)
    # Then it goes forward: confirmed, the lock stays COMPLETED
    assert start.confirmed
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"


def test_an_unconfirmed_order_is_fenced_before_anything_is_undone(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    start = begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW)
    assert not start.confirmed
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPENSATING"
    # and resolving again (a retried task) is harmless
    assert not begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW).confirmed


def test_a_confirmation_committing_between_the_read_and_the_fence_wins(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given a late confirmation that commits right before the fence
    locks.interleave(lambda: confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW))
    # When the saga resolves / Then it sees the confirmation and undoes nothing
    assert begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW).confirmed


def test_a_saga_taken_over_by_a_redrive_undoes_nothing(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    locks.acquire(ORDER_ID, "redrive-execution", NOW, takeover_from=EXECUTION_ID, redrive_count=1)
    with pytest.raises(SagaLockConflict, match="redrive-execution"):
        begin_compensation(ORDER_ID, EXECUTION_ID, store, locks, NOW)


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
                another = {"orderId": order_id, "customerId": "c-1", "reason": "AnotherWriter"}
                super().append_event(order_id, expected_sequence, "OrderCancelled", another)
                raise OutboxSequenceConflict(order_id, expected_sequence, expected_sequence + 1)
            return super().append_event(order_id, expected_sequence, *args, **kwargs)

    contended = Contended(orders=dict(store.orders), outbox=dict(store.outbox), saga_locks=store.saga_locks)
    # When confirmed / Then it succeeds on the fresh sequence
    confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, contended, NOW)
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
        confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, AlwaysContended(orders=dict(store.orders)), NOW)


def test_an_authorization_that_does_not_cover_the_order_is_refused(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    payment = PAYMENT.model_copy(update={"amount": 1})
    with pytest.raises(InvalidSagaInput, match="totals 3499 EUR"):
        confirm_order(ORDER, payment, SHIPMENT, EXECUTION_ID, store, NOW)
    assert _status(store) == "PLACED"


@pytest.mark.parametrize("status", ["CANCELLED", "NEEDS_ATTENTION"])
def test_an_order_cancelled_or_parked_meanwhile_is_not_confirmed(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, status: OrderStatus
) -> None:
    store.orders[ORDER_ID] = store.orders[ORDER_ID].model_copy(update={"status": status})
    with pytest.raises(OrderStateConflict, match=status):
        confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    assert not _events(store, "OrderConfirmed")


def test_confirming_an_unknown_order_fails(locks: InMemorySagaLocks) -> None:
    with pytest.raises(OrderNotFound):
        confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, InMemoryOrderStore(), NOW)


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_records_the_reason_and_announces_it(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # When the order is cancelled after an OutOfStock failure (the saga fenced first)
    _fenced(store, locks)
    cancellation = cancel_order(ORDER_ID, OUT_OF_STOCK, EXECUTION_ID, store, locks, NOW, invalid_event=False)
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
    _fenced(store, locks)
    cancel_order(ORDER_ID, OUT_OF_STOCK, EXECUTION_ID, store, locks, NOW, invalid_event=False)
    again = cancel_order(
        ORDER_ID, TaskFailure(error="States.Timeout"), EXECUTION_ID, store, locks, NOW, invalid_event=False
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
    _fenced(store, locks)
    assert (
        cancel_order(ORDER_ID, failure, EXECUTION_ID, store, locks, NOW, invalid_event=False).reason == reason
    )


def test_after_an_invalid_event_an_order_without_a_saga_is_cancelled(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given no saga ever took the lock (the event was rejected before)
    locks.locks.clear()
    failure = TaskFailure(
        error="InvalidOrderEvent", cause=lambda_error_cause("InvalidOrderEvent", "unknown SKU(s): X")
    )
    # When the invalid event's order is cancelled
    cancellation = cancel_order(ORDER_ID, failure, EXECUTION_ID, store, locks, NOW, invalid_event=True)
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
    cancellation = cancel_order(ORDER_ID, failure, EXECUTION_ID, store, locks, NOW, invalid_event=True)
    # Then nothing is cancelled, and the reason says why
    assert not cancellation.cancelled and "RUNNING saga" in cancellation.reason
    assert _status(store) == "PLACED" and not _events(store, "OrderCancelled")


def test_an_invalid_duplicate_does_not_cancel_a_confirmed_order(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    store.orders[ORDER_ID] = store.orders[ORDER_ID].model_copy(update={"status": "CONFIRMED"})
    locks.locks.clear()
    cancellation = cancel_order(
        ORDER_ID, TaskFailure(error="InvalidOrderEvent"), EXECUTION_ID, store, locks, NOW, invalid_event=True
    )
    assert not cancellation.cancelled and "CONFIRMED" in cancellation.reason


def test_a_confirmed_order_is_never_cancelled(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    # Given the order was confirmed (the saga is past its pivot)
    confirm_order(ORDER, PAYMENT, SHIPMENT, EXECUTION_ID, store, NOW)
    # When a cancellation runs anyway / Then it refuses by name and writes nothing
    with pytest.raises(OrderAlreadyConfirmed):
        cancel_order(ORDER_ID, OUT_OF_STOCK, EXECUTION_ID, store, locks, NOW, invalid_event=False)
    assert _status(store) == "CONFIRMED" and not _events(store, "OrderCancelled")


def test_an_unfenced_saga_cannot_cancel(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    # Given the saga still RUNNING (nobody resolved the outcome first)
    with pytest.raises(SagaLockConflict):
        cancel_order(ORDER_ID, OUT_OF_STOCK, EXECUTION_ID, store, locks, NOW, invalid_event=False)
    assert _status(store) == "PLACED"


def test_an_invalid_duplicate_racing_a_valid_saga_checks_and_cancels_in_one_write(
    store: InMemoryOrderStore, locks: InMemorySagaLocks
) -> None:
    # Given no saga owned the order when the invalid event's cancellation read it ...
    locks.locks.clear()

    class ValidSagaStartsMeanwhile(InMemoryOrderStore):
        def append_event(
            self, order_id: str, expected_sequence: int, *args: Any, **kwargs: Any
        ) -> OutboxRecord:
            locks.acquire(ORDER_ID, "valid-saga", NOW)  # ... then the valid saga took the lock
            return super().append_event(order_id, expected_sequence, *args, **kwargs)

    racing = ValidSagaStartsMeanwhile(orders=store.orders, outbox=store.outbox, saga_locks=store.saga_locks)
    # When the cancellation writes / Then its condition sees the lock: nothing is cancelled
    cancellation = cancel_order(
        ORDER_ID, TaskFailure(error="InvalidOrderEvent"), EXECUTION_ID, racing, locks, NOW, invalid_event=True
    )
    assert not cancellation.cancelled and "RUNNING saga" in cancellation.reason
    assert _status(store) == "PLACED" and not _events(store, "OrderCancelled")


@pytest.mark.parametrize(
    ("order_id", "reason"), [(None, "names no order"), ("unknown-order", "does not exist")]
)
def test_nothing_is_cancelled_without_a_known_order(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, order_id: str | None, reason: str
) -> None:
    cancellation = cancel_order(
        order_id, TaskFailure(error="InvalidOrderEvent"), EXECUTION_ID, store, locks, NOW, invalid_event=True
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
        EXECUTION_ID,
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
            "unknown",
            TaskFailure(error="A"),
            TaskFailure(error="B"),
            EXECUTION_ID,
            InMemoryOrderStore(),
            locks,
            NOW,
        )


@pytest.mark.parametrize("status", ["CONFIRMED", "CANCELLED"])
def test_parking_an_announced_order_keeps_its_status(
    store: InMemoryOrderStore, locks: InMemorySagaLocks, status: OrderStatus
) -> None:
    # Given an order consumers were told about
    store.orders[ORDER_ID] = store.orders[ORDER_ID].model_copy(update={"status": status})
    # When the saga parks it / Then it keeps its status and gets the reason; the saga needs attention
    reason = park_order(
        ORDER_ID, TaskFailure(error="A"), TaskFailure(error="B"), EXECUTION_ID, store, locks, NOW
    )
    order = store.orders[ORDER_ID]
    assert (order.status, order.attention_reason) == (status, reason)
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "NEEDS_ATTENTION"


def test_a_failure_without_a_cause_still_parks(store: InMemoryOrderStore, locks: InMemorySagaLocks) -> None:
    reason = park_order(
        ORDER_ID, TaskFailure(error="States.Timeout"), TaskFailure(error="X"), EXECUTION_ID, store, locks, NOW
    )
    assert _status(store) == "NEEDS_ATTENTION" and "States.Timeout" in reason
