"""The payment ledger: the port both the saga and the webhook use, and its DynamoDB adapter.

The payments table holds one entry per authorization (``AUTH#<authorizationId>``). Every change
is conditional on the status the caller expects: the first answer moves REQUESTED to
AUTHORIZED/DECLINED, a compensation moves it to VOIDED/WITHDRAWN, and whoever loses a race
finds the entry changed. Transient failures are PaymentStoreUnavailable.
"""

from datetime import datetime
from typing import Any, Protocol

from dynamo_tables import DynamoTable, dynamodb_client
from order_store.timestamps import iso_timestamp
from payments.errors import PaymentStoreUnavailable
from payments.models import PaymentEntry, PaymentStatus


class PaymentLedger(Protocol):
    """The payment provider's authorization ledger (payments table)."""

    def create(self, entry: PaymentEntry) -> bool:
        """Store a new entry; False (nothing written) when the authorization id exists."""
        ...

    def get(self, authorization_id: str) -> PaymentEntry | None:
        """The entry, read consistently, or None."""
        ...

    def refresh_token(self, authorization_id: str, task_token: str) -> bool:
        """Make ``task_token`` the one the entry's answer goes to (a retried request waits on a
        new token), and mark the answer undelivered; False when the entry is closed (VOIDED,
        WITHDRAWN)."""
        ...

    def transition(
        self,
        authorization_id: str,
        expected: PaymentStatus,
        new: PaymentStatus,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> bool:
        """Move the entry from ``expected`` to ``new`` (stamping answeredAt for an answer,
        voidedAt and dropping the task token for a void or withdrawal; ``reason`` becomes the
        declineReason of a DECLINED answer). False when it is not in ``expected``."""
        ...

    def mark_notified(self, authorization_id: str, task_token: str, now: datetime) -> bool:
        """The answer reached the task waiting on ``task_token`` (or that task is gone): drop the
        token, only if it is still ``task_token``. False when a retried request replaced it
        meanwhile: its new token has yet to get the answer."""
        ...


def authorization_pk(authorization_id: str) -> str:
    """Ledger entry key."""
    return f"AUTH#{authorization_id}"


_ANSWERED_STATUSES: frozenset[str] = frozenset({"AUTHORIZED", "DECLINED"})
_CLOSED_STATUSES: frozenset[str] = frozenset({"VOIDED", "WITHDRAWN"})


class DynamoPaymentLedger(DynamoTable):
    """PaymentLedger on the payments table."""

    unavailable = PaymentStoreUnavailable

    @staticmethod
    def _key(authorization_id: str) -> dict[str, str]:
        return {"pk": authorization_pk(authorization_id)}

    def create(self, entry: PaymentEntry) -> bool:
        return self._put_new({**self._key(entry.authorization_id), **entry.model_dump(exclude_none=True)})

    def get(self, authorization_id: str) -> PaymentEntry | None:
        return self._get_model(PaymentEntry, self._key(authorization_id))

    def refresh_token(self, authorization_id: str, task_token: str) -> bool:
        return self._update_if(
            self._key(authorization_id),
            update="SET #token = :token REMOVE #notifiedAt",
            condition="#status IN (:requested, :authorized, :declined)",
            names={"#token": "taskToken", "#status": "status", "#notifiedAt": "notifiedAt"},
            values={
                ":token": task_token,
                ":requested": "REQUESTED",
                ":authorized": "AUTHORIZED",
                ":declined": "DECLINED",
            },
        )

    def transition(
        self,
        authorization_id: str,
        expected: PaymentStatus,
        new: PaymentStatus,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> bool:
        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": expected, ":new": new, ":now": iso_timestamp(now)}
        clauses = ["#status = :new"]
        removals: list[str] = []
        if new in _ANSWERED_STATUSES:
            clauses.append("#answeredAt = :now")
            names["#answeredAt"] = "answeredAt"
        elif new in _CLOSED_STATUSES:
            clauses.append("#voidedAt = :now")
            names["#voidedAt"] = "voidedAt"
            names["#token"] = "taskToken"
            removals.append("#token")
        else:
            raise ValueError(f"{new} is not a status a ledger entry moves to")
        if new == "DECLINED" and reason:
            clauses.append("#declineReason = :reason")
            names["#declineReason"] = "declineReason"
            values[":reason"] = reason
        update = "SET " + ", ".join(clauses) + (" REMOVE " + ", ".join(removals) if removals else "")
        return self._update_if(
            self._key(authorization_id),
            update=update,
            condition="#status = :expected",
            names=names,
            values=values,
        )

    def mark_notified(self, authorization_id: str, task_token: str, now: datetime) -> bool:
        return self._update_if(
            self._key(authorization_id),
            update="SET #notifiedAt = :now REMOVE #token",
            condition="#token = :token",
            names={"#notifiedAt": "notifiedAt", "#token": "taskToken"},
            values={":now": iso_timestamp(now), ":token": task_token},
        )


def payment_ledger(table_name: str) -> DynamoPaymentLedger:
    """The ledger on the payments table, on the process-wide client."""
    return DynamoPaymentLedger(table_name, dynamodb_client())
