"""Settings of the payment webhook: the ledger, the signing secret and the notice receipts."""

from pydantic import Field

from payments.settings import PaymentsSettings
from task_io.settings import settings_from_environment


class WebhookSettings(PaymentsSettings):
    """The payment ledger, the Secrets Manager secret notices are signed with, and the table
    where each accepted notice is remembered for as long as it could be replayed."""

    signing_secret_id: str = Field(alias="SIGNING_SECRET_ARN", min_length=1)
    notices_table_name: str = Field(alias="PAYMENT_NOTICES_TABLE_NAME", min_length=1)


def load_webhook_settings() -> WebhookSettings:
    """The webhook's settings for this invocation."""
    return settings_from_environment(WebhookSettings)
