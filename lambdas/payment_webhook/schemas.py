"""Parsing of ``POST /payments/webhook``.

Every check that can refuse a request lives here or in `signatures` and runs before the ledger
is read, so a refused request (4xx) never touches the ledger or the workflow. The raw body is
read first (media type, size) because the signature is over those exact bytes; the notice is
parsed only once the signature holds, so an unauthenticated caller learns nothing of its schema.
"""

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from http_api.requests import json_body_bytes, parse_json_model
from order_store.models import CurrencyCode
from task_io.models import CamelModel

MAX_BODY_BYTES = 8 * 1024
MAX_REASON_LENGTH = 500

AuthorizationId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
"""Authorization ids are UUIDs (v5 of the order id) in canonical lower-case form."""

Outcome = Literal["AUTHORIZED", "DECLINED", "PENDING"]
ProviderReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_LENGTH)
]


class PaymentNotice(CamelModel):
    """The provider's notice. Unknown fields are ignored: providers add fields to webhooks.

    ``amount`` (minor units) and ``currency`` are what the provider decided on; they must be
    what the ledger asked it to authorize (`logic.answer_payment`).
    """

    model_config = ConfigDict(extra="ignore")

    authorization_id: AuthorizationId
    outcome: Outcome
    amount: int = Field(ge=0)
    currency: CurrencyCode
    reason: ProviderReason | None = None


def notice_bytes(headers: Mapping[str, str], body: str | None, is_base64_encoded: bool) -> bytes:
    """The raw body of a webhook request: media type (415), size (413).

    ``headers`` must be case-insensitive, as Powertools' are.
    """
    return json_body_bytes(headers, body, is_base64_encoded, max_body_bytes=MAX_BODY_BYTES)


def parse_notice(raw: bytes) -> PaymentNotice:
    """A signed body as a notice: JSON syntax (400), notice (422)."""
    return parse_json_model(PaymentNotice, raw)
