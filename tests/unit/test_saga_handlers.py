"""The saga's Lambda shells: the workflow contract at the handler boundary (in-memory ports).

Inputs are built as the state machine builds them (asl/order_saga.asl.json), outputs go through
JSON as between states, and every invocation path must publish at least one metric.
"""

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from event_contracts.versions import ReadInAnotherMajor

from order_saga import (
    begin_handler,
    cancel_order_handler,
    compensate_handler,
    compensation_handlers,
    confirm_handler,
    park_handler,
    request_payment_handler,
    reserve_handler,
    ship_handler,
)
from order_saga.errors import (
    InvalidOrderEvent,
    InvalidSagaInput,
    OutOfStock,
    SagaStoreUnavailable,
    UnsupportedDestination,
)
from order_saga.models import reservation_id_for, shipment_id_for
from payments.models import authorization_id_for
from task_io.settings import InvalidConfiguration
from tests.unit.fakes import (
    FakeLambdaContext,
    FakeTaskCallbacks,
    InMemoryInventory,
    InMemoryOrderStore,
    InMemoryPaymentLedger,
    InMemorySagaLocks,
    InMemoryShipments,
    RecordingPaymentGateway,
)
from tests.unit.samples import (
    EXECUTION_ID,
    lambda_error_cause,
    order_model,
    order_placed_batch,
    order_placed_record,
    saga_order,
    sqs_record,
)

pytestmark = [
    pytest.mark.usefixtures("saga_env"),
    # every path, including every failure, must publish a metric: the warning is an error here
    pytest.mark.filterwarnings("error:No application metrics to publish:UserWarning"),
]

ORDER_ID = "3f2b8c1e-0000-5000-8000-000000000001"
TOKEN = "task-token-1"

# The three compensations are entry points of one module; each as a module-like handle for the
# helpers that invoke `handle.lambda_handler`
cancel_shipment_handler = SimpleNamespace(lambda_handler=compensation_handlers.cancel_shipment)
void_payment_handler = SimpleNamespace(lambda_handler=compensation_handlers.void_payment)
release_inventory_handler = SimpleNamespace(lambda_handler=compensation_handlers.release_inventory)


@pytest.fixture(autouse=True)
def _fakes(
    monkeypatch: pytest.MonkeyPatch,
    store: InMemoryOrderStore,
    locks: InMemorySagaLocks,
    inventory: InMemoryInventory,
    ledger: InMemoryPaymentLedger,
    shipments: InMemoryShipments,
    callbacks: FakeTaskCallbacks,
    gateway: RecordingPaymentGateway,
) -> None:
    def table(name: str, fake: Any) -> Any:
        def factory(table_name: str) -> Any:
            assert table_name == name, f"expected the {name} table, got {table_name}"
            return fake

        return factory

    store.orders[ORDER_ID] = order_model(ORDER_ID)
    store.put_outbox(order_placed_record(order_model(ORDER_ID)))
    monkeypatch.setattr(begin_handler, "orders_factory", table("Orders", store))
    for module in (begin_handler, reserve_handler, compensation_handlers):
        monkeypatch.setattr(module, "inventory_factory", table("Inventory", inventory))
    for module in (begin_handler, compensate_handler, cancel_order_handler, park_handler):
        monkeypatch.setattr(module, "locks_factory", table("Orders", locks))
    for module in (confirm_handler, compensate_handler, cancel_order_handler, park_handler):
        monkeypatch.setattr(module, "repository_factory", table("Orders", store))
    monkeypatch.setattr(request_payment_handler, "callbacks_factory", lambda: callbacks)
    monkeypatch.setattr(request_payment_handler, "gateway_factory", gateway.at)
    for module in (request_payment_handler, compensation_handlers):
        monkeypatch.setattr(module, "ledger_factory", table("Payments", ledger))
    for module in (ship_handler, compensation_handlers):
        monkeypatch.setattr(module, "shipments_factory", table("Shipments", shipments))


def _invoke(module: Any, payload: dict[str, Any], context: FakeLambdaContext) -> dict[str, Any]:
    """Invoke as Step Functions does: JSON in, JSON out."""
    result: dict[str, Any] = json.loads(
        json.dumps(module.lambda_handler(json.loads(json.dumps(payload)), context))
    )
    return result


def _metrics(capsys: pytest.CaptureFixture[str]) -> set[str]:
    """Names of the metrics published so far (EMF lines on stdout)."""
    names: set[str] = set()
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            names.update(m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    return names


# --- the forward path --------------------------------------------------------------------------


def test_the_happy_path_hands_each_step_what_the_next_one_reads(
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    store: InMemoryOrderStore,
    locks: InMemorySagaLocks,
    ledger: InMemoryPaymentLedger,
    gateway: RecordingPaymentGateway,
) -> None:
    # Given the pipe's batch
    batch = order_placed_batch()
    # When BeginSaga runs (ResultSelector keeps duplicate and order)
    begun = _invoke(begin_handler, {"records": batch, "executionId": EXECUTION_ID}, lambda_context)
    assert begun == {"duplicate": False, "order": saga_order()}
    order = begun["order"]
    # And ReserveInventory, AuthorizePayment and ArrangeShipment run
    reservation = _invoke(reserve_handler, {"order": order}, lambda_context)
    assert reservation == {
        "reservationId": reservation_id_for(ORDER_ID),
        "lines": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
    }
    requested = _invoke(request_payment_handler, {"order": order, "taskToken": TOKEN}, lambda_context)
    assert requested == {"authorizationId": authorization_id_for(ORDER_ID), "status": "REQUESTED"}
    entry = ledger.get(authorization_id_for(ORDER_ID))
    assert entry is not None and entry.task_token == TOKEN and entry.status == "REQUESTED"
    assert [request.authorization_id for request in gateway.requests] == [entry.authorization_id]
    shipment = _invoke(ship_handler, {"order": order}, lambda_context)
    assert shipment == {"shipmentId": shipment_id_for(ORDER_ID), "carrier": "DHL"}
    # And ConfirmOrder gets the webhook's SendTaskSuccess output as the payment
    payment = {
        "authorizationId": authorization_id_for(ORDER_ID),
        "amount": 3499,
        "currency": "EUR",
        "status": "AUTHORIZED",
    }
    confirmation = _invoke(
        confirm_handler,
        {
            "order": order,
            "reservation": reservation,
            "payment": payment,
            "shipment": shipment,
            "executionId": EXECUTION_ID,
        },
        lambda_context,
    )
    # Then the order is confirmed through the outbox and the saga completed
    assert confirmation["status"] == "CONFIRMED" and confirmation["eventId"]
    assert store.orders[ORDER_ID].status == "CONFIRMED"
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "COMPLETED"
    # And each step counted itself
    assert {"SagasStarted", "StockReserved", "PaymentsRequested", "ShipmentsBooked", "OrdersConfirmed"} <= (
        _metrics(capsys)
    )


def test_a_duplicate_delivery_is_reported_and_counted(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke(begin_handler, {"records": order_placed_batch(), "executionId": EXECUTION_ID}, lambda_context)
    again = _invoke(begin_handler, {"records": order_placed_batch(), "executionId": "exec-2"}, lambda_context)
    assert again["duplicate"] is True
    assert "DuplicateSagas" in _metrics(capsys)


def test_an_invalid_event_raises_the_error_the_state_machine_catches(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidOrderEvent, match="totalAmount"):
        _invoke(
            begin_handler,
            {"records": order_placed_batch(totalAmount=1), "executionId": EXECUTION_ID},
            lambda_context,
        )
    assert "InvalidOrderEvents" in _metrics(capsys)


def test_a_copy_in_a_major_the_saga_does_not_read_ends_by_name_and_is_no_failure(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the 2.0 copy of an OrderPlaced also published as 1.1
    [record] = order_placed_batch()
    event = json.loads(record["body"])
    event["detail"].update({"eventVersion": "2.0", "alsoPublishedAs": ["1.1"]})
    copy = [sqs_record(json.dumps(event))]
    logged: list[tuple[str, str]] = []
    for level in ("info", "warning"):
        monkeypatch.setattr(
            begin_handler.logger,
            level,
            lambda message, *_, level=level, **__: logged.append((level, message)),
        )
    # When BeginSaga reads it / Then it raises the error the state machine ends on by name
    with pytest.raises(ReadInAnotherMajor):
        _invoke(begin_handler, {"records": copy, "executionId": EXECUTION_ID}, lambda_context)
    # counted as what it is, not as a failed task, and logged as information
    assert _metrics(capsys) == {"EventCopiesReadInAnotherMajor"}
    assert logged == [("info", "Task ended by name")]


def test_a_begin_input_without_an_execution_id_breaks_the_contract(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidSagaInput):
        _invoke(begin_handler, {"records": order_placed_batch()}, lambda_context)
    assert "SagaTaskFailures" in _metrics(capsys)


def test_out_of_stock_is_raised_and_counted(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], inventory: InMemoryInventory
) -> None:
    inventory.stock["SKU-1"] = 1
    with pytest.raises(OutOfStock, match="SKU-1"):
        _invoke(reserve_handler, {"order": saga_order()}, lambda_context)
    assert "OutOfStock" in _metrics(capsys)


def test_the_provider_endpoint_comes_from_the_environment(
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    ledger: InMemoryPaymentLedger,
    gateway: RecordingPaymentGateway,
) -> None:
    monkeypatch.setenv("PAYMENT_PROVIDER_ENDPOINT", "https://psp.test/v2/authorize")
    _invoke(request_payment_handler, {"order": saga_order(), "taskToken": TOKEN}, lambda_context)
    (request,) = gateway.requests
    assert gateway.endpoints == ["https://psp.test/v2/authorize"]
    assert request.authorization_id == authorization_id_for(ORDER_ID)
    entry = ledger.get(request.authorization_id)
    assert entry is not None and entry.status == "REQUESTED"


def test_a_plain_http_provider_endpoint_is_a_configuration_error(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch, gateway: RecordingPaymentGateway
) -> None:
    monkeypatch.setenv("PAYMENT_PROVIDER_ENDPOINT", "http://psp.test/authorize")
    with pytest.raises(InvalidConfiguration, match="PAYMENT_PROVIDER_ENDPOINT"):
        _invoke(request_payment_handler, {"order": saga_order(), "taskToken": TOKEN}, lambda_context)
    assert not gateway.requests


def test_the_supported_destinations_come_from_the_environment(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTED_DESTINATIONS", "GB,IE")
    with pytest.raises(UnsupportedDestination, match="DE"):
        _invoke(ship_handler, {"order": saga_order()}, lambda_context)
    assert "UnsupportedDestinations" in _metrics(capsys)


def test_a_missing_table_name_fails_by_name(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHIPMENTS_TABLE_NAME")
    with pytest.raises(InvalidConfiguration, match="SHIPMENTS_TABLE_NAME"):
        _invoke(ship_handler, {"order": saga_order()}, lambda_context)


def test_a_store_outage_surfaces_as_the_retried_error(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Down(InMemoryInventory):
        def reserve(self, reservation: Any) -> bool:
            raise SagaStoreUnavailable("DynamoDB TransactWriteItems on Inventory failed transiently")

    monkeypatch.setattr(reserve_handler, "inventory_factory", lambda _: Down(stock={"SKU-1": 9, "SKU-2": 9}))
    with pytest.raises(SagaStoreUnavailable):
        _invoke(reserve_handler, {"order": saga_order()}, lambda_context)
    assert "SagaTaskFailures" in _metrics(capsys)


# --- compensation --------------------------------------------------------------------------------


def test_compensations_undo_what_completed_and_report_it(
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    inventory: InMemoryInventory,
    ledger: InMemoryPaymentLedger,
    shipments: InMemoryShipments,
) -> None:
    # Given stock reserved, payment requested (never answered: timed out) and a shipment booked
    order = saga_order()
    reservation = _invoke(reserve_handler, {"order": order}, lambda_context)
    _invoke(request_payment_handler, {"order": order, "taskToken": TOKEN}, lambda_context)
    shipment = _invoke(ship_handler, {"order": order}, lambda_context)
    # When the compensations run in reverse, with the payloads the state machine builds
    cancelled = _invoke(cancel_shipment_handler, {"order": order, "shipment": shipment}, lambda_context)
    voided = _invoke(void_payment_handler, {"order": order, "payment": {"status": "UNKNOWN"}}, lambda_context)
    released = _invoke(
        release_inventory_handler, {"order": order, "reservation": reservation}, lambda_context
    )
    # Then each undid its step
    assert cancelled == {"compensated": True, "previousStatus": "BOOKED"}
    assert voided == {"compensated": True, "previousStatus": "REQUESTED"}
    assert released == {"compensated": True, "previousStatus": "RESERVED"}
    assert inventory.stock == {"SKU-1": 10, "SKU-2": 5, "SKU-3": 0}
    metrics = _metrics(capsys)
    assert {"CompensationsRun", "ShipmentsCancelled", "PaymentsVoided", "StockReleased"} <= metrics
    # And running them again changes nothing
    again = _invoke(release_inventory_handler, {"order": order, "reservation": reservation}, lambda_context)
    assert again == {"compensated": False, "previousStatus": "RELEASED"}
    assert inventory.stock == {"SKU-1": 10, "SKU-2": 5, "SKU-3": 0}


def test_a_compensation_for_a_step_that_never_ran_is_a_no_op(lambda_context: FakeLambdaContext) -> None:
    result = _invoke(cancel_shipment_handler, {"order": saga_order()}, lambda_context)
    assert result == {"compensated": False, "previousStatus": None}


def test_a_compensation_without_an_order_breaks_the_contract(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidSagaInput):
        _invoke(void_payment_handler, {"payment": {}}, lambda_context)
    assert "CompensationFailures" in _metrics(capsys)


def test_cancel_order_after_compensation(
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    store: InMemoryOrderStore,
    locks: InMemorySagaLocks,
) -> None:
    locks.acquire(ORDER_ID, EXECUTION_ID, datetime.now(UTC))
    failure = {
        "Error": "OutOfStock",
        "Cause": lambda_error_cause("OutOfStock", "not enough stock for SKU(s): SKU-1"),
    }
    payload = {"order": saga_order(), "failure": failure, "executionId": EXECUTION_ID}
    # Given the saga fenced by Compensate, which found the order unconfirmed
    fenced = _invoke(compensate_handler, {"order": saga_order(), "executionId": EXECUTION_ID}, lambda_context)
    assert fenced == {"confirmed": False}
    result = _invoke(cancel_order_handler, payload, lambda_context)
    assert result == {"cancelled": True, "reason": "OutOfStock: not enough stock for SKU(s): SKU-1"}
    assert store.orders[ORDER_ID].status == "CANCELLED"
    assert "OrdersCancelled" in _metrics(capsys)
    # And a retry writes no second event
    again = _invoke(cancel_order_handler, payload, lambda_context)
    assert again["cancelled"] is True
    assert [r.event_type for r in store.order_records(ORDER_ID)] == ["OrderPlaced", "OrderCancelled"]
    assert "CancellationsReplayed" in _metrics(capsys)


def test_cancel_order_after_an_invalid_event_reads_the_raw_batch(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], store: InMemoryOrderStore
) -> None:
    # Given RejectInvalidOrder's payload: the execution input and the caught error
    failure = {
        "Error": "InvalidOrderEvent",
        "Cause": lambda_error_cause("InvalidOrderEvent", "unknown SKU(s): SKU-9"),
    }
    payload = {"records": order_placed_batch(), "failure": failure, "executionId": EXECUTION_ID}
    # When it runs / Then the order named by the event is cancelled
    result = _invoke(cancel_order_handler, payload, lambda_context)
    assert result == {"cancelled": True, "reason": "InvalidOrderEvent: unknown SKU(s): SKU-9"}
    assert store.orders[ORDER_ID].cancellation_reason == "InvalidOrderEvent: unknown SKU(s): SKU-9"


def test_cancel_order_for_a_batch_naming_no_order_cancels_nothing(
    lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], store: InMemoryOrderStore
) -> None:
    payload = {
        "records": [{"body": "{not json"}],
        "failure": {"Error": "InvalidOrderEvent", "Cause": "x"},
        "executionId": EXECUTION_ID,
    }
    result = _invoke(cancel_order_handler, payload, lambda_context)
    assert result == {"cancelled": False, "reason": "the event names no order"}
    assert "CancellationsSkipped" in _metrics(capsys)


@pytest.mark.parametrize(
    "payload",
    [
        {"failure": {"Error": "X"}, "executionId": EXECUTION_ID},
        {"order": saga_order(), "records": [], "failure": {"Error": "X"}, "executionId": EXECUTION_ID},
        {"order": saga_order(), "executionId": EXECUTION_ID},
        {"order": saga_order(), "failure": {"Error": "X"}},
    ],
)
def test_cancel_order_needs_exactly_one_source_and_a_failure(
    lambda_context: FakeLambdaContext, payload: dict[str, Any]
) -> None:
    with pytest.raises(InvalidSagaInput):
        _invoke(cancel_order_handler, payload, lambda_context)


def test_park_order(
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    store: InMemoryOrderStore,
    locks: InMemorySagaLocks,
) -> None:
    payload = {
        "order": saga_order(),
        "failure": {"Error": "UnsupportedDestination", "Cause": "{}"},
        "compensationFailure": {"Error": "SagaStoreUnavailable", "Cause": "{}"},
        "executionId": EXECUTION_ID,
    }
    reason = "UnsupportedDestination; compensation failed: SagaStoreUnavailable"
    assert _invoke(park_handler, payload, lambda_context) == {"status": "NEEDS_ATTENTION", "reason": reason}
    order = store.orders[ORDER_ID]
    assert order.status == "NEEDS_ATTENTION"
    assert order.attention_reason == "UnsupportedDestination; compensation failed: SagaStoreUnavailable"
    lock = locks.get(ORDER_ID)
    assert lock is not None and lock.status == "NEEDS_ATTENTION"
    assert "OrdersParked" in _metrics(capsys)
