"""Answering the saga's AuthorizePayment task from the provider's notice.

The ledger entry is the single point of truth and every change to it is conditional on its
status: the first answer moves REQUESTED to AUTHORIZED/DECLINED and a compensation moves it to
VOIDED/WITHDRAWN; whoever loses that race finds the entry changed and does nothing. The answer
is delivered to the workflow after the ledger write, and the token is dropped only once it was
delivered (or Step Functions no longer waits for it): a webhook retried after a failed delivery
delivers it then, and any other repeat is ignored without calling Step Functions.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from order_saga.errors import PAYMENT_DECLINED
from order_saga.models import PaymentEntry
from order_saga.ports import PaymentLedger
from payment_webhook.errors import PaymentNotFound, TaskNoLongerOpen
from payment_webhook.ports import TaskCallbacks
from payment_webhook.schemas import PaymentNotice

DEFAULT_DECLINE_CAUSE = "declined by the payment provider"


@dataclass(frozen=True)
class WebhookOutcome:
    """What the webhook did: ``accepted`` (the workflow was answered) or ignored, with the
    ledger status that made it ignore the notice (None when Step Functions refused the token)."""

    accepted: bool
    ledger_status: str | None = None

    def body(self) -> dict[str, Any]:
        """The 200 response body."""
        if self.accepted:
            return {"status": "accepted"}
        if self.ledger_status is None:
            return {"status": "ignored"}
        return {"status": "ignored", "ledgerStatus": self.ledger_status}


def _entry(ledger: PaymentLedger, authorization_id: str) -> PaymentEntry:
    entry = ledger.get(authorization_id)
    if entry is None:
        raise PaymentNotFound(authorization_id)
    return entry


def _awaiting_delivery(entry: PaymentEntry, outcome: str) -> bool:
    """The entry holds this answer and the workflow has not received it yet."""
    return entry.status == outcome and entry.task_token is not None and entry.notified_at is None


def answer_payment(
    notice: PaymentNotice, ledger: PaymentLedger, callbacks: TaskCallbacks, now: datetime
) -> WebhookOutcome:
    """Record the provider's answer and pass it on to the waiting task.

    Raises PaymentNotFound; SagaStoreUnavailable / CallbackUnavailable when a retry may succeed.
    """
    authorization_id = notice.authorization_id
    entry = _entry(ledger, authorization_id)
    if notice.outcome == "PENDING":
        if entry.status != "REQUESTED" or entry.task_token is None:
            return WebhookOutcome(accepted=False, ledger_status=entry.status)
        try:
            callbacks.heartbeat(entry.task_token)
        except TaskNoLongerOpen:
            return WebhookOutcome(accepted=False)
        return WebhookOutcome(accepted=True)

    if entry.status == "REQUESTED":
        if ledger.transition(authorization_id, "REQUESTED", notice.outcome, now, reason=notice.reason):
            entry = entry.model_copy(
                update={"status": notice.outcome, "decline_reason": notice.reason or entry.decline_reason}
            )
        else:  # answered or withdrawn meanwhile
            entry = _entry(ledger, authorization_id)
    if not _awaiting_delivery(entry, notice.outcome) or entry.task_token is None:
        return WebhookOutcome(accepted=False, ledger_status=entry.status)

    try:
        if entry.status == "AUTHORIZED":
            callbacks.succeed(
                entry.task_token,
                {
                    "authorizationId": entry.authorization_id,
                    "amount": entry.amount,
                    "currency": entry.currency,
                    "status": "AUTHORIZED",
                },
            )
        else:
            callbacks.fail(entry.task_token, PAYMENT_DECLINED, entry.decline_reason or DEFAULT_DECLINE_CAUSE)
    except TaskNoLongerOpen:
        ledger.mark_notified(authorization_id, now)
        return WebhookOutcome(accepted=False)
    ledger.mark_notified(authorization_id, now)
    return WebhookOutcome(accepted=True)
