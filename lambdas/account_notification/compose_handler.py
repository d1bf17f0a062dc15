"""ComposeNotice: the notice from the templates, to the user's verified address (from Cognito).
Nothing it handles about the person is logged."""

from __future__ import annotations

from account_notification.errors import InvalidNoticeInput, NoVerifiedEmail
from account_notification.notice import compose, recipient
from account_notification.schemas import ComposeRequest, NoticeOut
from observability.failures import NOTIFICATION_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell(
    "account-notification",
    InvalidNoticeInput,
    failure_metric=NOTIFICATION_FAILURE_METRIC,
    mask_personal_data=True,
)


@shell.task(ComposeRequest, failures={NoVerifiedEmail: "NoticesWithoutAddress"})
def lambda_handler(request: ComposeRequest) -> NoticeOut:
    change = request.change
    shell.logger.append_keys(eventId=change.event_id, sub=change.sub)
    to = recipient([attribute.model_dump() for attribute in request.user_attributes])
    notice = compose([c.model_dump() for c in change.changes], change.changed_at, to)
    shell.count(NoticesComposed=1)
    shell.logger.info("Notice composed", extra={"attributes": change.attributes})
    return NoticeOut(event_id=change.event_id, to=notice.to, subject=notice.subject, body=notice.body)
