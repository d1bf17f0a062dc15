"""Sending through SES (v2 API), with its failures mapped to the workflow's named errors."""

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

import aws_clients
from account_notification.errors import EmailRejected, EmailThrottled

THROTTLED_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "ThrottlingException",
        "InternalServiceErrorException",
    }
)


def sesv2_client() -> Any:
    """One SES client per process, created at first use."""
    return aws_clients.client("sesv2")


def send_email(sender: str, to: str, subject: str, body: str, client: Any | None = None) -> str:
    """Send a plain-text email; returns SES's message id. Raises EmailThrottled (retried by the
    workflow) or EmailRejected (not)."""
    ses = client if client is not None else sesv2_client()
    try:
        response = ses.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}}},
        )
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in THROTTLED_CODES:
            raise EmailThrottled(f"SES {code}") from error
        raise EmailRejected(f"SES refused the message: {code}") from error
    except BotoCoreError as error:
        raise EmailThrottled(f"SES unreachable: {type(error).__name__}") from error
    return str(response["MessageId"])
