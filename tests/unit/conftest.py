"""Unit-test fixtures: no AWS at all; every port is an in-memory fake."""

import pytest

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
from workflows.constants import PAYMENT_PROVIDER_DEFAULT_ENDPOINT, PAYMENT_PROVIDER_ENDPOINT_ENV

SAGA_ENVIRONMENT = {
    "ORDERS_TABLE_NAME": "Orders",
    "INVENTORY_TABLE_NAME": "Inventory",
    "PAYMENTS_TABLE_NAME": "Payments",
    "SHIPMENTS_TABLE_NAME": "Shipments",
    "SIGNING_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:PaymentWebhookSecret-AbCdEf",
    "PAYMENT_NOTICES_TABLE_NAME": "PaymentNotices",
    PAYMENT_PROVIDER_ENDPOINT_ENV: PAYMENT_PROVIDER_DEFAULT_ENDPOINT,
}


@pytest.fixture
def store() -> InMemoryOrderStore:
    """An empty fake order table."""
    return InMemoryOrderStore()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """What the Lambda runtime passes as the second handler argument."""
    return FakeLambdaContext()


@pytest.fixture
def publisher_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the infrastructure gives the publisher functions (defaults left out)."""
    monkeypatch.setenv("ORDERS_TABLE_NAME", "Orders")
    monkeypatch.setenv("EVENT_BUS_NAME", "orders-bus")
    monkeypatch.setenv("EVENT_SOURCE", "order-platform.orders")
    for name in (
        "CLAIM_LEASE_SECONDS",
        "SWEEP_MIN_AGE_SECONDS",
        "SWEEP_LIMIT",
        "MAX_PUBLISH_ATTEMPTS",
        "RETRY_BASE_DELAY_SECONDS",
        "RETRY_MAX_DELAY_SECONDS",
        "PUBLISHED_TTL_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def locks(store: InMemoryOrderStore) -> InMemorySagaLocks:
    """No saga has started; the locks live in the store's table (confirmations move them)."""
    return InMemorySagaLocks(locks=store.saga_locks)


@pytest.fixture
def inventory() -> InMemoryInventory:
    """Stock of the sample order's SKUs (SKU-1 x2, SKU-2 x1), and one more SKU."""
    return InMemoryInventory(stock={"SKU-1": 10, "SKU-2": 5, "SKU-3": 0})


@pytest.fixture
def ledger() -> InMemoryPaymentLedger:
    """An empty payment ledger."""
    return InMemoryPaymentLedger()


@pytest.fixture
def gateway() -> RecordingPaymentGateway:
    """The payment provider's endpoint, recording every request."""
    return RecordingPaymentGateway()


@pytest.fixture
def shipments() -> InMemoryShipments:
    """No shipment booked."""
    return InMemoryShipments()


@pytest.fixture
def callbacks() -> FakeTaskCallbacks:
    """Step Functions, recording every answer."""
    return FakeTaskCallbacks()


@pytest.fixture
def saga_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the infrastructure gives the saga's functions (defaults left out)."""
    for name, value in SAGA_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("SUPPORTED_DESTINATIONS",):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def placed(store: InMemoryOrderStore) -> InMemoryOrderStore:
    """The order of ``samples.order_model()`` placed: the order and its OrderPlaced record, whose
    event id is the one ``samples.order_placed_batch()`` carries (the saga checks it)."""
    from tests.unit.samples import order_model, order_placed_record

    order = order_model()
    store.create_order(order, order_placed_record(order))
    return store
