"""Unit-test fixtures: no AWS at all; every port is an in-memory fake."""

import pytest

from tests.unit.fakes import FakeLambdaContext, InMemoryOrderStore


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
