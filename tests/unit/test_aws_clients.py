"""Every adapter's AWS client ends a stalled call fast, as its transient named error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

import aws_clients
from account_notification.errors import EmailThrottled
from account_notification.mailer import send_email, sesv2_client
from claim_check.claims import DynamoClaims
from claim_check.errors import ClaimStoreUnavailable, PayloadStoreUnavailable
from claim_check.models import PayloadLocation
from claim_check.payloads import PayloadBucket, s3_client
from dynamo_tables import dynamodb_client
from order_saga.dynamodb import DynamoInventory, DynamoSagaLocks
from order_saga.errors import SagaStoreUnavailable
from order_store.dynamodb import DynamoOrderRepository, DynamoOutboxRepository
from order_store.errors import OrderStoreUnavailable, OutboxStoreUnavailable
from payments.errors import PaymentStoreUnavailable
from payments.ledger import DynamoPaymentLedger
from task_io.callbacks import CallbackUnavailable, StepFunctionsTaskCallbacks, stepfunctions_client
from workflows import constants as c

ADAPTER_CLIENTS: dict[str, Callable[[], Any]] = {
    "dynamodb (order store, outbox, saga ledgers, idempotency)": dynamodb_client,
    "stepfunctions (payment callbacks)": stepfunctions_client,
    "sesv2 (notices)": sesv2_client,
    "s3 (claim-check payloads)": s3_client,
}


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    aws_clients.client.cache_clear()


@pytest.mark.parametrize("factory", ADAPTER_CLIENTS.values(), ids=ADAPTER_CLIENTS.keys())
def test_every_adapter_client_has_timeouts_and_standard_retries(factory: Callable[[], Any]) -> None:
    config = factory().meta.config
    assert (config.connect_timeout, config.read_timeout) == (1.0, 2.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_a_stalled_call_ends_well_inside_the_shortest_function_timeout() -> None:
    shortest = min(
        c.LAMBDA_DEFAULT_TIMEOUT_SECONDS,
        c.ORDERS_API_TIMEOUT_SECONDS,
        c.OUTBOX_FUNCTION_TIMEOUT_SECONDS,
        c.SAGA_FUNCTION_TIMEOUT_SECONDS,
        c.PAYMENT_WEBHOOK_TIMEOUT_SECONDS,
        c.NOTIFICATION_FUNCTION_TIMEOUT_SECONDS,
        c.CLAIM_FUNCTION_TIMEOUT_SECONDS,
        c.CLAIM_STREAMING_FUNCTION_TIMEOUT_SECONDS,
    )
    assert aws_clients.worst_case_seconds() <= 0.75 * shortest


class _Stalled:
    """A client whose every call times out, as botocore raises it after its retries."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def stalled(**_: Any) -> Any:
            raise self._error

        return stalled


READ_TIMEOUT = ReadTimeoutError(endpoint_url="https://aws", error="read timeout")
CONNECT_TIMEOUT = ConnectTimeoutError(endpoint_url="https://aws", error="connect timeout")


@pytest.mark.parametrize("error", [READ_TIMEOUT, CONNECT_TIMEOUT], ids=["read", "connect"])
def test_a_stalled_call_is_each_adapters_transient_error(error: Exception) -> None:
    with pytest.raises(OrderStoreUnavailable):
        DynamoOrderRepository("Orders", _Stalled(error)).get_order("o-1")
    with pytest.raises(PaymentStoreUnavailable):
        DynamoPaymentLedger("Payments", _Stalled(error)).get("a-1")
    with pytest.raises(CallbackUnavailable):
        StepFunctionsTaskCallbacks(_Stalled(error)).succeed("token", {})
    with pytest.raises(EmailThrottled):
        send_email("from@x", "to@y", "s", "b", client=_Stalled(error))
    with pytest.raises(OutboxStoreUnavailable):
        DynamoOutboxRepository("Orders", _Stalled(error)).find_stale(datetime.now(UTC), 10)
    with pytest.raises(SagaStoreUnavailable):
        DynamoInventory("Inventory", _Stalled(error)).get_reservation("o-1")
    with pytest.raises(SagaStoreUnavailable):
        DynamoSagaLocks("Orders", _Stalled(error)).get("o-1")
    with pytest.raises(ClaimStoreUnavailable):
        DynamoClaims("Claims", _Stalled(error)).get("c-1")
    with pytest.raises(PayloadStoreUnavailable):
        PayloadBucket(_Stalled(error)).head(PayloadLocation(bucket="payloads", key="intake/a.jsonl"))
