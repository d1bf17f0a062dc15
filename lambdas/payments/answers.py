"""Delivering the provider's recorded answer to the task that waits for it.

The ledger entry holds the answer (AUTHORIZED / DECLINED) and the token of the task waiting for
it. Two writers may deliver: the payment webhook when the provider answers, and a retried
AuthorizePayment whose first attempt's response was lost after the provider had answered (the
new attempt waits on a new token, so it stores that token and delivers the recorded answer at
once). Each sends to the token current when it reads the entry, and drops the token only if it
is still the one it answered; if a retried request replaced it meanwhile, it delivers again, to
the new one. A token answered twice is harmless (Step Functions says the task is closed).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from payments.errors import PAYMENT_DECLINED, PaymentStoreUnavailable
from payments.ledger import PaymentLedger
from payments.models import PaymentEntry
from task_io.callbacks import TaskCallbacks, TaskNoLongerOpen

DEFAULT_DECLINE_CAUSE: Final = "declined by the payment provider"
ANSWERED_STATUSES: Final = frozenset({"AUTHORIZED", "DECLINED"})
MAX_DELIVERY_ATTEMPTS: Final = 4
"""Token replacements survived while delivering; beyond that the caller retries later."""


@dataclass(frozen=True)
class Delivery:
    """Whether a waiting task got the answer now, and the entry as last read."""

    delivered: bool
    entry: PaymentEntry | None


def send_answer(entry: PaymentEntry, task_token: str, callbacks: TaskCallbacks) -> None:
    """SendTaskSuccess with the authorization, or SendTaskFailure(PaymentDeclined)."""
    if entry.status == "AUTHORIZED":
        callbacks.succeed(
            task_token,
            {
                "authorizationId": entry.authorization_id,
                "amount": entry.amount,
                "currency": entry.currency,
                "status": "AUTHORIZED",
            },
        )
    else:
        callbacks.fail(task_token, PAYMENT_DECLINED, entry.decline_reason or DEFAULT_DECLINE_CAUSE)


def deliver_answer(
    authorization_id: str, ledger: PaymentLedger, callbacks: TaskCallbacks, now: datetime
) -> Delivery:
    """Send the recorded answer to the token waiting for it, until the token we answered is the
    one we drop. Nothing to deliver (no answer yet, already delivered, closed): not delivered.

    Raises CallbackUnavailable (Step Functions failed transiently) and PaymentStoreUnavailable.
    """
    delivered = False
    for _ in range(MAX_DELIVERY_ATTEMPTS):
        entry = ledger.get(authorization_id)
        if entry is None or entry.status not in ANSWERED_STATUSES or entry.task_token is None:
            return Delivery(delivered=delivered, entry=entry)
        token = entry.task_token
        try:
            send_answer(entry, token, callbacks)
        except TaskNoLongerOpen:
            pass
        else:
            delivered = True
        if ledger.mark_notified(authorization_id, token, now):
            return Delivery(delivered=delivered, entry=entry)
    raise PaymentStoreUnavailable(f"the task token of authorization {authorization_id} kept changing")
