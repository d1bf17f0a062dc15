"""Parsing of ``POST /payments/webhook``.

Every check that can refuse a request lives here and runs before the ledger is read, so a
refused request (4xx) never touches the ledger or the workflow.
"""

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints

from http_api.requests import json_body_bytes, parse_json_model
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
    """The provider's notice. Unknown fields are ignored: providers add fields to webhooks."""

    model_config = ConfigDict(extra="ignore")

    authorization_id: AuthorizationId
    outcome: Outcome
    reason: ProviderReason | None = None


def parse_notice(headers: Mapping[str, str], body: str | None, is_base64_encoded: bool) -> PaymentNotice:
    """Validate a webhook request: media type (415), size (413), JSON syntax (400), notice (422).

    ``headers`` must be case-insensitive, as Powertools' are.
    """
    raw = json_body_bytes(headers, body, is_base64_encoded, max_body_bytes=MAX_BODY_BYTES)
    return parse_json_model(PaymentNotice, raw)
