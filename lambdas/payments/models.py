"""The payment ledger's entry and the authorization request sent to the provider."""

import uuid
from typing import Literal

from pydantic import Field

from order_store.models import CurrencyCode
from task_io.models import CamelModel

PAYMENT_AUTHORIZATION_NAMESPACE = uuid.UUID("d3f6f488-197b-4604-9ab8-332d1b48f04d")
"""Fixed forever: the authorization id is derived from the order id, so a retried request (or
a step whose response was lost) finds the same entry and sends the same idempotency key."""

PaymentStatus = Literal["REQUESTED", "AUTHORIZED", "DECLINED", "VOIDED", "WITHDRAWN"]
PaymentAnswer = Literal["AUTHORIZED", "DECLINED"]


def authorization_id_for(order_id: str) -> str:
    """The order's authorization id (one authorization per order)."""
    return str(uuid.uuid5(PAYMENT_AUTHORIZATION_NAMESPACE, order_id))


class PaymentEntry(CamelModel):
    """The ledger entry of an authorization (``AUTH#<authorizationId>``).

    The provider's answer arrives later through the webhook. ``taskToken`` is kept until the
    answer has been delivered to the workflow (``notifiedAt``), so a webhook retried after a
    failed delivery can deliver it again.
    """

    authorization_id: str
    order_id: str
    amount: int = Field(ge=0)
    currency: CurrencyCode
    status: PaymentStatus
    decline_reason: str | None = None
    task_token: str | None = None
    requested_at: str
    answered_at: str | None = None
    notified_at: str | None = None
    voided_at: str | None = None


class AuthorizationRequest(CamelModel):
    """What the provider is sent: the amount to authorize, under the authorization id that is
    also the request's idempotency key. No task token: that stays in the ledger."""

    authorization_id: str
    order_id: str
    amount: int = Field(ge=0)
    currency: CurrencyCode

    @classmethod
    def for_entry(cls, entry: PaymentEntry) -> "AuthorizationRequest":
        """The request of a ledger entry."""
        return cls(
            authorization_id=entry.authorization_id,
            order_id=entry.order_id,
            amount=entry.amount,
            currency=entry.currency,
        )
