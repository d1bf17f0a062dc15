"""How the saga's adapters map AWS errors, with stub clients (no AWS, no moto)."""

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from dynamo_tables import TRANSIENT_ERROR_CODES
from order_saga.dynamodb import (
    DynamoInventory,
    DynamoSagaLocks,
    DynamoShipments,
    SagaOrderRepository,
)
from order_saga.errors import SagaStoreUnavailable
from order_saga.models import Reservation, ReservedLine
from payments.errors import PaymentStoreUnavailable
from payments.ledger import DynamoPaymentLedger
from task_io.callbacks import CallbackUnavailable, StepFunctionsTaskCallbacks, TaskNoLongerOpen
from tests.unit.samples import NOW


def _client_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


class StubClient:
    """Raises the configured error from every operation (except those given an answer), and
    records the calls."""

    def __init__(self, error: Exception, answers: dict[str, Any] | None = None) -> None:
        self.error = error
        self.answers = answers or {}
        self.calls: list[str] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> Any:
            self.calls.append(operation)
            if operation in self.answers:
                return self.answers[operation]
            raise self.error

        return call


@pytest.mark.parametrize("code", sorted(TRANSIENT_ERROR_CODES))
def test_transient_dynamodb_errors_become_saga_store_unavailable_in_every_adapter(code: str) -> None:
    # Given a throttled or failing DynamoDB
    client = StubClient(_client_error(code, "Operation"))
    # When any adapter of the saga calls it / Then the error the state machine retries is raised
    calls = [
        lambda: DynamoSagaLocks("Orders", client).acquire("o-1", "exec", NOW),
        lambda: DynamoInventory("Inventory", client).missing_skus({"SKU-1"}),
        lambda: DynamoInventory("Inventory", client).get_reservation("o-1"),
        lambda: DynamoShipments("Shipments", client).cancel("o-1", NOW),
        lambda: SagaOrderRepository("Orders", client).get_order("o-1"),
    ]
    for call in calls:
        with pytest.raises(SagaStoreUnavailable, match=code):
            call()
    # And the payment ledger's is the one AuthorizePayment retries and the webhook answers 503 to
    with pytest.raises(PaymentStoreUnavailable, match=code):
        DynamoPaymentLedger("Payments", client).transition("a-1", "REQUESTED", "VOIDED", NOW)


def test_network_failures_are_transient_too() -> None:
    error = EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
    with pytest.raises(SagaStoreUnavailable):
        DynamoInventory("Inventory", StubClient(error)).missing_skus({"SKU-1"})


def test_a_reservation_cancelled_by_a_transaction_conflict_is_transient() -> None:
    error = _client_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[{"Code": "TransactionConflict"}, {"Code": "None"}],
    )
    reservation = Reservation(
        reservation_id="r-1",
        order_id="o-1",
        lines=[ReservedLine(sku="SKU-1", quantity=1)],
        status="RESERVED",
        reserved_at="2026-11-23T10:00:00.000Z",
    )
    # (the SKU's shard count is read first: it is not sharded)
    client = StubClient(error, answers={"batch_get_item": {"Responses": {"Inventory": []}}})
    with pytest.raises(SagaStoreUnavailable):
        DynamoInventory("Inventory", client).reserve(reservation)


def test_other_client_errors_propagate_unchanged() -> None:
    with pytest.raises(ClientError, match="ValidationException"):
        DynamoShipments("Shipments", StubClient(_client_error("ValidationException", "GetItem"))).get("o-1")


@pytest.mark.parametrize("code", ["TaskDoesNotExist", "InvalidToken", "TaskTimedOut"])
def test_a_dead_token_is_reported_as_no_longer_open(code: str) -> None:
    callbacks = StepFunctionsTaskCallbacks(StubClient(_client_error(code, "SendTaskSuccess")))
    with pytest.raises(TaskNoLongerOpen, match=code):
        callbacks.succeed("token", {"status": "AUTHORIZED"})


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ThrottlingException", "SendTaskFailure"),
        ReadTimeoutError(endpoint_url="https://states.eu-west-1.amazonaws.com"),
    ],
)
def test_transient_step_functions_failures_are_retryable(error: Exception) -> None:
    with pytest.raises(CallbackUnavailable):
        StepFunctionsTaskCallbacks(StubClient(error)).fail("token", "PaymentDeclined", "no")


def test_other_step_functions_errors_propagate() -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        StepFunctionsTaskCallbacks(StubClient(_client_error("AccessDeniedException", "X"))).heartbeat("t")
