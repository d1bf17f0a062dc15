"""Parsing of ``POST /payments/webhook``.

Every check that can refuse a request lives here and runs before the ledger is read, so a
refused request (4xx) never touches the ledger or the workflow.
"""

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Literal

import pydantic_core
from pydantic import ConfigDict, StringConstraints, ValidationError

from order_store.models import CamelModel
from payment_webhook.errors import (
    MalformedRequest,
    PayloadTooLarge,
    RequestValidationFailed,
    UnsupportedMediaType,
)

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


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != "application/json":
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in {"utf-8", "utf8"}:
            return False
    return True


def _body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    if body is None:
        return b""
    if not is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedRequest("Request body is not valid base64") from error


def parse_notice(headers: Mapping[str, str], body: str | None, is_base64_encoded: bool) -> PaymentNotice:
    """Validate a webhook request: media type (415), size (413), JSON syntax (400), notice (422).

    ``headers`` must be case-insensitive, as Powertools' are.
    """
    if not _is_json_media_type(headers.get("Content-Type")):
        raise UnsupportedMediaType("Content-Type must be application/json")
    raw = _body_bytes(body, is_base64_encoded)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body must not exceed {MAX_BODY_BYTES} bytes")
    try:
        document = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError as error:
        raise MalformedRequest("Request body is not valid JSON") from error
    try:
        return PaymentNotice.model_validate(document, strict=True, by_alias=True, by_name=False)
    except ValidationError as error:
        raise RequestValidationFailed(
            [
                {"field": ".".join(str(part) for part in detail["loc"]) or "body", "message": detail["msg"]}
                for detail in error.errors()
            ]
        ) from error
