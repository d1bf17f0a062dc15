"""Lambda shell of the DiffImages task: the security-relevant attributes an account change
changed (none: the workflow ends quietly).

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_notification.errors import InvalidAccountChange
from observability import powertools
from observability.failures import count_failures

logger, tracer, metrics = powertools("account-notification", mask_personal_data=True)
FAILURES = "NotificationTaskFailures"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {InvalidAccountChange: "InvalidAccountChanges"}, failure_metric=FAILURES)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``account_notification.diff_handler.lambda_handler``; event ``{"records": [...]}``."""
    from account_notification.changes import account_change
    from account_notification.schemas import ChangedAttribute, ChangeOut
    from account_notification.settings import load_diff_settings

    settings = load_diff_settings()
    change = account_change(event.get("records"), settings.security_attributes, settings.secret_attributes)
    logger.append_keys(eventId=change.event_id, sub=change.sub)
    relevant = bool(change.changes)
    metrics.add_metric(name="SecurityChanges" if relevant else "OtherChanges", unit=MetricUnit.Count, value=1)
    logger.info("Account change read", extra={"attributes": [c.path for c in change.changes]})
    return ChangeOut(
        event_id=change.event_id,
        sub=change.sub,
        changed_at=change.changed_at,
        security_relevant=relevant,
        attributes=[c.path for c in change.changes],
        changes=[
            ChangedAttribute(path=c.path, kind=c.kind, secret=c.secret, shown=c.shown) for c in change.changes
        ],
    ).model_dump(mode="json")
