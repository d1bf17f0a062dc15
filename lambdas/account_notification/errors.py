"""Named failures of the account-change notification tasks.

The class name of an exception that leaves a handler is the Step Functions error name that
asl/account_change_notification.asl.json retries or catches.
"""


class InvalidAccountChange(Exception):
    """The stream record cannot be read as an account change (no MODIFY images, no sub, images
    that are not DynamoDB JSON): never retried by the workflow; the pipe retries the batch a
    bounded number of times and then parks it in its dead-letter queue."""


class NoVerifiedEmail(Exception):
    """The user has no email address, or has not verified it: nothing is sent (the skipped
    notice is recorded), never retried."""


class EmailThrottled(Exception):
    """SES throttled the send (or failed transiently); the workflow retries with backoff."""


class EmailRejected(Exception):
    """SES refused the message for good (an unverified sender, a rejected message)."""


class InvalidNoticeInput(Exception):
    """A task's input does not match the workflow contract: a bug upstream, never retried."""
