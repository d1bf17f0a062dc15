"""The workflow contract of the notification tasks (asl/account_change_notification.asl.json)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import task_io
from account_notification.errors import InvalidNoticeInput
from task_io.models import CamelModel


class ChangedAttribute(CamelModel):
    path: str = Field(min_length=1)
    kind: Literal["ADDED", "REMOVED", "CHANGED"]
    secret: bool
    shown: str | None = None


class ChangeOut(CamelModel):
    """DiffImages' result: ``securityRelevant`` decides whether anyone is notified. Carries ids
    and attribute names only (the shown values are the user's own, never names or emails)."""

    event_id: str
    sub: str
    changed_at: str
    security_relevant: bool
    attributes: list[str]
    changes: list[ChangedAttribute]


class UserAttribute(BaseModel):
    """One of AdminGetUser's UserAttributes, as the SDK spells it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    Name: str
    Value: str = ""


class ComposeRequest(CamelModel):
    change: ChangeOut
    user_attributes: list[UserAttribute]


class NoticeOut(CamelModel):
    event_id: str
    to: str
    subject: str
    body: str


class SendRequest(CamelModel):
    event_id: str = Field(min_length=1)
    to: str = Field(min_length=3)
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)
    changed_at: datetime | None = None
    """When the account changed (the stream record's time): the notification's delay is an SLO."""


class SendOut(CamelModel):
    message_id: str


def parse_input[RequestT: BaseModel](model: type[RequestT], event: Any) -> RequestT:
    """Validate a task's event, turning a contract mismatch into InvalidNoticeInput."""
    return task_io.parse(model, event, InvalidNoticeInput)
