"""How the DynamoDB adapter maps client errors, with a stub client (no AWS, no moto)."""

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from dynamo_tables import TRANSIENT_ERROR_CODES
from order_store.dynamodb import DynamoOrderRepository, DynamoOutboxRepository
from order_store.errors import OrderAlreadyExists, OrderStoreUnavailable, OutboxStoreUnavailable
from order_store.models import OutboxKey, PublishFailure
from tests.unit.samples import NOW, order_model, outbox_record

KEY = OutboxKey(pk="ORDER#o-1", sk="OUTBOX#0000000001", event_id="e-1")


def _client_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


class StubClient:
    """Raises the configured error from every operation."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> Any:
            raise self.error

        return call


@pytest.mark.parametrize("code", sorted(TRANSIENT_ERROR_CODES))
def test_transient_errors_become_outbox_store_unavailable(code: str) -> None:
    # Given a throttled or failing DynamoDB
    repository = DynamoOutboxRepository("Orders", StubClient(_client_error(code, "UpdateItem")))
    # When a record is claimed / Then the retried, named error is raised
    with pytest.raises(OutboxStoreUnavailable, match=code):
        repository.claim(KEY, "token", NOW, 60)


def test_network_failures_are_transient_too() -> None:
    # Given an unreachable endpoint / When the sweep queries / Then the retried error is raised
    error = EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
    with pytest.raises(OutboxStoreUnavailable):
        DynamoOutboxRepository("Orders", StubClient(error)).find_stale(NOW, 10)


def test_order_reads_map_to_the_order_flavour_of_unavailable() -> None:
    # Given throttling / When the API reads an order / Then OrderStoreUnavailable (503), not the outbox error
    repository = DynamoOrderRepository("Orders", StubClient(_client_error("ThrottlingException", "GetItem")))
    with pytest.raises(OrderStoreUnavailable):
        repository.get_order("o-1")


def test_a_transaction_cancelled_by_a_conflict_is_transient() -> None:
    # Given a transaction cancelled because another transaction touched the item
    error = _client_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[{"Code": "TransactionConflict"}, {"Code": "None"}],
    )
    order_store = DynamoOrderRepository("Orders", StubClient(error))
    record = outbox_record("o-1")
    # When an order is created / Then the caller may retry
    with pytest.raises(OrderStoreUnavailable):
        order_store.create_order(order_model(), record)


def test_a_transaction_cancelled_by_its_condition_is_an_existing_order() -> None:
    # Given a transaction cancelled by attribute_not_exists
    error = _client_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
    )
    # When an order is created / Then it is reported as existing
    with pytest.raises(OrderAlreadyExists):
        DynamoOrderRepository("Orders", StubClient(error)).create_order(order_model(), outbox_record("o-1"))


def test_other_client_errors_propagate_unchanged() -> None:
    # Given a request DynamoDB rejects as invalid (a bug, not a transient state)
    error = _client_error("ValidationException", "UpdateItem")
    # When claiming / Then the original error surfaces, not a retried one
    with pytest.raises(ClientError, match="ValidationException"):
        DynamoOutboxRepository("Orders", StubClient(error)).release(
            KEY, "token", PublishFailure(code="InternalFailure", message="boom")
        )
