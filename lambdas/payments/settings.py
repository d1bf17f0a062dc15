"""Settings of the functions that use the payment ledger (and, for AuthorizePayment, the
provider's endpoint)."""

from pydantic import Field, field_validator

from payments.gateway import validated_endpoint
from task_io.settings import EnvironmentSettings, settings_from_environment


class PaymentsSettings(EnvironmentSettings):
    """VoidPayment and the payment webhook: the ledger."""

    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)


class PaymentRequestSettings(PaymentsSettings):
    """AuthorizePayment: the ledger and the provider's endpoint (https only)."""

    payment_provider_endpoint: str = Field(alias="PAYMENT_PROVIDER_ENDPOINT", min_length=1)

    @field_validator("payment_provider_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        return validated_endpoint(value)


def load_payments_settings() -> PaymentsSettings:
    """Ledger settings for this invocation."""
    return settings_from_environment(PaymentsSettings)


def load_payment_request_settings() -> PaymentRequestSettings:
    """AuthorizePayment's settings for this invocation."""
    return settings_from_environment(PaymentRequestSettings)
