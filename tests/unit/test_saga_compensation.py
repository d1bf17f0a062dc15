"""Compensations: idempotent, tolerant of steps that never took effect, never undoing twice."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from order_saga.compensation import MAX_ATTEMPTS, cancel_shipment, release_stock, void_payment
from order_saga.errors import OutOfStock, SagaStoreUnavailable, StepAlreadyCompensated
from order_saga.models import SagaOrder
from order_saga.payment_request import request_payment
from order_saga.reservation import reserve_stock
from order_saga.schemas import CompensationResult
from order_saga.shipping import book_shipment
from payments.models import authorization_id_for
from tests.unit.fakes import (
    FakeTaskCallbacks,
    InMemoryInventory,
    InMemoryPaymentLedger,
    InMemoryShipments,
    RecordingPaymentGateway,
)
from tests.unit.samples import NOW, saga_order

ORDER = SagaOrder.model_validate(saga_order())
ORDER_ID = ORDER.order_id
AUTH_ID = authorization_id_for(ORDER_ID)


def _requested(ledger: InMemoryPaymentLedger) -> None:
    request_payment(ORDER, "token-1", ledger, RecordingPaymentGateway(), FakeTaskCallbacks(), NOW)


# --- shipment ------------------------------------------------------------------------------------


def test_a_booked_shipment_is_cancelled_once(shipments: InMemoryShipments) -> None:
    # Given a booked shipment
    book_shipment(ORDER, shipments, {"DE"}, NOW)
    # When compensated twice / Then the first cancels it, the second finds nothing to do
    assert cancel_shipment(ORDER_ID, shipments, NOW) == CompensationResult(
        compensated=True, previous_status="BOOKED"
    )
    assert cancel_shipment(ORDER_ID, shipments, NOW) == CompensationResult(
        compensated=False, previous_status="CANCELLED"
    )
    stored = shipments.get(ORDER_ID)
    assert stored is not None and stored.status == "CANCELLED" and stored.cancelled_at is not None


def test_a_shipment_never_booked_is_a_no_op(shipments: InMemoryShipments) -> None:
    # Given no booking / When compensated / Then nothing happens, and that is not an error
    assert cancel_shipment(ORDER_ID, shipments, NOW) == CompensationResult(
        compensated=False, previous_status=None
    )
    assert shipments.writes == 0


# --- payment -------------------------------------------------------------------------------------


def test_an_authorized_payment_is_voided_once(ledger: InMemoryPaymentLedger) -> None:
    # Given an authorized payment
    _requested(ledger)
    ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
    # When voided twice / Then voiding is idempotent
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(
        compensated=True, previous_status="AUTHORIZED"
    )
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(
        compensated=False, previous_status="VOIDED"
    )
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.voided_at is not None and entry.task_token is None


def test_an_unanswered_request_is_withdrawn_so_a_late_answer_cannot_authorize(
    ledger: InMemoryPaymentLedger,
) -> None:
    # Given a request the provider has not answered (the payment step timed out)
    _requested(ledger)
    # When compensated / Then it is withdrawn
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(
        compensated=True, previous_status="REQUESTED"
    )
    # And the provider's late answer no longer applies
    assert not ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)


@pytest.mark.parametrize("status", ["DECLINED", "VOIDED", "WITHDRAWN"])
def test_payments_holding_no_money_are_left_alone(ledger: InMemoryPaymentLedger, status: str) -> None:
    # Given an entry that holds no money
    _requested(ledger)
    entry = ledger.get(AUTH_ID)
    assert entry is not None
    ledger.entries[AUTH_ID] = entry.model_copy(update={"status": status})
    # When compensated / Then nothing changes
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(
        compensated=False, previous_status=status
    )


def test_a_payment_never_requested_is_a_no_op(ledger: InMemoryPaymentLedger) -> None:
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(compensated=False, previous_status=None)


def test_an_authorization_arriving_during_the_withdrawal_is_voided(ledger: InMemoryPaymentLedger) -> None:
    # Given a request, and the provider's answer landing between our read and our write
    _requested(ledger)
    ledger.interleave(lambda: ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW))
    # When compensated / Then the withdrawal loses the race, and the authorization is voided instead
    assert void_payment(ORDER_ID, ledger, NOW) == CompensationResult(
        compensated=True, previous_status="AUTHORIZED"
    )
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.status == "VOIDED"


def test_a_record_that_keeps_changing_fails_as_retryable(ledger: InMemoryPaymentLedger) -> None:
    # Given a ledger whose conditional writes always lose
    _requested(ledger)

    class Flapping(InMemoryPaymentLedger):
        def transition(self, *args: object, **kwargs: object) -> bool:
            return False

    flapping = Flapping(entries=dict(ledger.entries))
    # When compensated / Then the task fails with the retried error after a bounded number of tries
    with pytest.raises(SagaStoreUnavailable, match=str(MAX_ATTEMPTS)):
        void_payment(ORDER_ID, flapping, NOW)


# --- stock ---------------------------------------------------------------------------------------


def test_released_stock_is_returned_exactly_once(inventory: InMemoryInventory) -> None:
    # Given a reservation of 2 x SKU-1 and 1 x SKU-2
    reserve_stock(ORDER, inventory, NOW)
    # When released twice
    first = release_stock(ORDER_ID, inventory, NOW)
    second = release_stock(ORDER_ID, inventory, NOW)
    # Then the stock is back to where it started, once
    assert first == CompensationResult(compensated=True, previous_status="RESERVED")
    assert second == CompensationResult(compensated=False, previous_status="RELEASED")
    assert inventory.stock == {"SKU-1": 10, "SKU-2": 5, "SKU-3": 0}


def test_a_reservation_never_made_is_a_no_op(inventory: InMemoryInventory) -> None:
    assert release_stock(ORDER_ID, inventory, NOW) == CompensationResult(
        compensated=False, previous_status=None
    )
    assert inventory.stock == {"SKU-1": 10, "SKU-2": 5, "SKU-3": 0}


def test_two_releases_racing_return_the_stock_once(inventory: InMemoryInventory) -> None:
    # Given a reservation, and a second release that wins the race after ours has read it
    reserve_stock(ORDER, inventory, NOW)
    other: list[CompensationResult] = []
    inventory.interleave(lambda: other.append(release_stock(ORDER_ID, inventory, NOW)))
    # When ours writes / Then it loses, re-reads and finds nothing left to do
    assert release_stock(ORDER_ID, inventory, NOW) == CompensationResult(
        compensated=False, previous_status="RELEASED"
    )
    assert other == [CompensationResult(compensated=True, previous_status="RESERVED")]
    assert inventory.stock == {"SKU-1": 10, "SKU-2": 5, "SKU-3": 0}


# --- the invariant -------------------------------------------------------------------------------

SKUS = ("A", "B", "C")
lines = st.dictionaries(st.sampled_from(SKUS), st.integers(min_value=1, max_value=6), min_size=1)
actions = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release"]),
        st.integers(min_value=0, max_value=3),  # which order
        lines,  # what a reserve asks for
        st.integers(min_value=1, max_value=3),  # how often the call is delivered
    ),
    max_size=25,
)


def _order(index: int, wanted: dict[str, int]) -> SagaOrder:
    items = [{"sku": sku, "quantity": quantity, "unitPrice": 1} for sku, quantity in sorted(wanted.items())]
    return SagaOrder.model_validate(
        {
            **saga_order(),
            "orderId": f"order-{index}",
            "items": items,
            "totalAmount": sum(wanted.values()),
        }
    )


@settings(max_examples=200, deadline=None)
@given(
    start=st.fixed_dictionaries({sku: st.integers(min_value=0, max_value=12) for sku in SKUS}), steps=actions
)
def test_stock_returns_exactly_to_its_start_and_is_never_negative(
    start: dict[str, int], steps: list[tuple[str, int, dict[str, int], int]]
) -> None:
    # Given stock levels and any sequence of reservations and (repeatedly delivered) releases
    inventory = InMemoryInventory(stock=dict(start))
    now = NOW
    for action, index, wanted, deliveries in steps:
        for _ in range(deliveries):
            if action == "reserve":
                # refused when short of stock, or when the order's stock was reserved and released
                with contextlib.suppress(OutOfStock, StepAlreadyCompensated):
                    reserve_stock(_order(index, wanted), inventory, now)
            else:
                release_stock(f"order-{index}", inventory, now)
            # Then stock is never negative, and what is missing is exactly what is held
            assert all(level >= 0 for level in inventory.stock.values())
            held = {sku: 0 for sku in SKUS}
            for reservation in inventory.reservations.values():
                if reservation.status == "RESERVED":
                    for line in reservation.lines:
                        held[line.sku] += line.quantity
            assert {sku: start[sku] - inventory.stock[sku] for sku in SKUS} == held
    # When every order is compensated, some of them twice
    for index in range(4):
        release_stock(f"order-{index}", inventory, now)
        release_stock(f"order-{index}", inventory, now)
    # Then the stock is exactly where it started
    assert inventory.stock == start


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["authorize", "decline", "void"]),
        max_size=12,
    ).map(lambda events: [*events, "void"])
)
def test_voiding_is_idempotent_whatever_the_provider_does(events: list[str]) -> None:
    # Given a payment request, and provider answers and (repeated) voids in any order
    ledger = InMemoryPaymentLedger()
    _requested(ledger)
    undone = 0
    for event in events:
        if event == "void":
            undone += void_payment(ORDER_ID, ledger, NOW).compensated
        else:
            ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED" if event == "authorize" else "DECLINED", NOW)
    # Then at most one void took effect, and after the last one no money is held or can be
    entry = ledger.get(AUTH_ID)
    assert entry is not None and undone <= 1
    assert entry.status in {"DECLINED", "VOIDED", "WITHDRAWN"}
    assert not ledger.transition(AUTH_ID, "REQUESTED", "AUTHORIZED", NOW)
