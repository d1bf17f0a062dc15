"""Lambda shell of the ComposeNotice task: the notice from the templates, to the user's verified
address (from Cognito). Nothing it handles about the person is logged.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_notification.errors import NoVerifiedEmail
from observability import powertools
from observability.failures import count_failures

logger, tracer, metrics = powertools("account-notification", mask_personal_data=True)
FAILURES = "NotificationTaskFailures"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {NoVerifiedEmail: "NoticesWithoutAddress"}, failure_metric=FAILURES)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``account_notification.compose_handler.lambda_handler``."""
    from account_notification.notice import compose, recipient
    from account_notification.schemas import ComposeRequest, NoticeOut, parse_input

    request = parse_input(ComposeRequest, event)
    logger.append_keys(eventId=request.change.event_id, sub=request.change.sub)
    to = recipient([attribute.model_dump() for attribute in request.user_attributes])
    notice = compose([c.model_dump() for c in request.change.changes], request.change.changed_at, to)
    metrics.add_metric(name="NoticesComposed", unit=MetricUnit.Count, value=1)
    logger.info("Notice composed", extra={"attributes": request.change.attributes})
    return NoticeOut(
        event_id=request.change.event_id, to=notice.to, subject=notice.subject, body=notice.body
    ).model_dump(mode="json")
