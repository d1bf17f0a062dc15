"""DiffImages: the security-relevant attributes an account change changed (none: the workflow
ends quietly). The event is ``{"records": [...]}``: the pipe's batch of stream records."""

from __future__ import annotations

from typing import Any

from account_notification.changes import AccountChange, account_change
from account_notification.errors import InvalidAccountChange, InvalidNoticeInput
from account_notification.schemas import ChangedAttribute, ChangeOut
from account_notification.settings import load_diff_settings
from observability.failures import NOTIFICATION_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell(
    "account-notification",
    InvalidNoticeInput,
    failure_metric=NOTIFICATION_FAILURE_METRIC,
    mask_personal_data=True,
)


def _change(event: dict[str, Any]) -> AccountChange:
    settings = load_diff_settings()
    return account_change(event.get("records"), settings.security_attributes, settings.secret_attributes)


@shell.task(_change, failures={InvalidAccountChange: "InvalidAccountChanges"})
def lambda_handler(change: AccountChange) -> ChangeOut:
    shell.logger.append_keys(eventId=change.event_id, sub=change.sub)
    relevant = bool(change.changes)
    shell.count(**{"SecurityChanges" if relevant else "OtherChanges": 1})
    shell.logger.info("Account change read", extra={"attributes": [c.path for c in change.changes]})
    return ChangeOut(
        event_id=change.event_id,
        sub=change.sub,
        changed_at=change.changed_at,
        security_relevant=relevant,
        attributes=[c.path for c in change.changes],
        changes=[
            ChangedAttribute(path=c.path, kind=c.kind, secret=c.secret, shown=c.shown) for c in change.changes
        ],
    )
