"""Integration fixtures: the order table on moto, created with exactly the deployed schema."""

import functools
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import pytest
from moto import mock_aws

import aws_clients
from tests.table_schemas import ORDERS_TABLE_SCHEMA, ORDERS_TABLE_TTL_ATTRIBUTE, PK_TABLE_SCHEMA

REGION = "eu-west-1"
TABLE_NAME = "Orders"
INVENTORY_TABLE_NAME = "Inventory"
PAYMENTS_TABLE_NAME = "Payments"
SHIPMENTS_TABLE_NAME = "Shipments"
PAYMENT_NOTICES_TABLE_NAME = "PaymentNotices"
WEBHOOK_SECRET_NAME = "PaymentWebhookSecret"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so nothing can reach a real account."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    # botocore >= 1.44 sends stream calls to account-based endpoints moto 5.2.5 does not serve
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@functools.cache
def _service_models() -> botocore.loaders.Loader:
    """botocore's service models, read once per test process (read-only data)."""
    return botocore.loaders.create_loader()


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh moto account; the process-wide clients are rebuilt inside it. mock_aws gives boto3
    a new default session, which would read every service model from disk again (half a second
    per test): it gets the models already read."""
    aws_clients.client.cache_clear()
    with mock_aws():
        boto3._get_default_session()._session.register_component("data_loader", _service_models())
        yield
    aws_clients.client.cache_clear()


@pytest.fixture
def dynamodb(aws: None) -> Any:
    """A low-level DynamoDB client on moto."""
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def orders_table(dynamodb: Any) -> str:
    """The order table: pk/sk, NEW_IMAGE stream, TTL on expiresAt, sparse PendingOutbox GSI."""
    dynamodb.create_table(TableName=TABLE_NAME, BillingMode="PAY_PER_REQUEST", **ORDERS_TABLE_SCHEMA)
    dynamodb.update_time_to_live(
        TableName=TABLE_NAME,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": ORDERS_TABLE_TTL_ATTRIBUTE},
    )
    return TABLE_NAME


def _create_pk_table(dynamodb: Any, name: str) -> str:
    """A saga table: partition key ``pk`` (S) only, on demand."""
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **PK_TABLE_SCHEMA)
    return name


@pytest.fixture
def inventory_table(dynamodb: Any) -> str:
    """The inventory table: stock items and reservations."""
    return _create_pk_table(dynamodb, INVENTORY_TABLE_NAME)


@pytest.fixture
def payments_table(dynamodb: Any) -> str:
    """The payment provider's ledger."""
    return _create_pk_table(dynamodb, PAYMENTS_TABLE_NAME)


@pytest.fixture
def shipments_table(dynamodb: Any) -> str:
    """The shipments table."""
    return _create_pk_table(dynamodb, SHIPMENTS_TABLE_NAME)


@pytest.fixture
def payment_notices_table(dynamodb: Any) -> str:
    """The notices the webhook took: Powertools Idempotency records, TTL on ``expiration``."""
    name = _create_pk_table(dynamodb, PAYMENT_NOTICES_TABLE_NAME)
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    return name


@pytest.fixture
def webhook_secret(aws: None) -> tuple[str, str]:
    """The webhook's signing secret in Secrets Manager: (its ARN, its value)."""
    client = boto3.client("secretsmanager", region_name=REGION)
    value = client.get_random_password(PasswordLength=64, ExcludePunctuation=True)["RandomPassword"]
    arn = client.create_secret(Name=WEBHOOK_SECRET_NAME, SecretString=value)["ARN"]
    return arn, value
