"""Answering the saga's AuthorizePayment task from the provider's notice.

The ledger entry is the single point of truth and every change to it is conditional on its
status: the first answer moves REQUESTED to AUTHORIZED/DECLINED and a compensation moves it to
VOIDED/WITHDRAWN; whoever loses that race finds the entry changed and does nothing. The answer
is then delivered to the task waiting for it (``payments.answers``): to the token
current when it is sent, dropped only once that token got it, so a webhook retried after a
failed delivery delivers it then, a retried payment request replacing the token gets it too,
and any other repeat is ignored without calling Step Functions.

A notice is about the amount the ledger asked for, in its currency, or it is about nothing the
platform asked: an authentic notice for another amount is refused (NoticeMismatch) before the
ledger changes, whatever its outcome. The saga's own check (`PaymentAnswerMatches`) stays: the
ledger is not the only way an answer reaches it (`send-task-success` by hand).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from payment_webhook.errors import NoticeMismatch, PaymentNotFound
from payment_webhook.schemas import PaymentNotice
from payments.answers import deliver_answer
from payments.ledger import PaymentLedger
from payments.models import PaymentEntry
from task_io.callbacks import TaskCallbacks, TaskNoLongerOpen


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


def _check_terms(notice: PaymentNotice, entry: PaymentEntry) -> None:
    differences: dict[str, tuple[object, object]] = {}
    if notice.amount != entry.amount:
        differences["amount"] = (notice.amount, entry.amount)
    if notice.currency != entry.currency:
        differences["currency"] = (notice.currency, entry.currency)
    if differences:
        raise NoticeMismatch(entry.authorization_id, differences)


def answer_payment(
    notice: PaymentNotice, ledger: PaymentLedger, callbacks: TaskCallbacks, now: datetime
) -> WebhookOutcome:
    """Record the provider's answer and pass it on to the waiting task.

    Raises PaymentNotFound, NoticeMismatch (not the ledger's amount or currency);
    PaymentStoreUnavailable / CallbackUnavailable when a retry may succeed.
    """
    authorization_id = notice.authorization_id
    entry = _entry(ledger, authorization_id)
    _check_terms(notice, entry)
    if notice.outcome == "PENDING":
        if entry.status != "REQUESTED" or entry.task_token is None:
            return WebhookOutcome(accepted=False, ledger_status=entry.status)
        try:
            callbacks.heartbeat(entry.task_token)
        except TaskNoLongerOpen:
            return WebhookOutcome(accepted=False)
        return WebhookOutcome(accepted=True)

    if entry.status == "REQUESTED" and not ledger.transition(
        authorization_id, "REQUESTED", notice.outcome, now, reason=notice.reason
    ):
        entry = _entry(ledger, authorization_id)  # answered or withdrawn meanwhile
    elif entry.status == "REQUESTED":
        entry = entry.model_copy(update={"status": notice.outcome})
    if entry.status != notice.outcome:
        return WebhookOutcome(accepted=False, ledger_status=entry.status)
    delivery = deliver_answer(authorization_id, ledger, callbacks, now)
    if delivery.delivered:
        return WebhookOutcome(accepted=True)
    status = None if delivery.entry is None else delivery.entry.status
    already_delivered = delivery.entry is not None and delivery.entry.notified_at is not None
    return WebhookOutcome(accepted=False, ledger_status=status if already_delivered else None)
