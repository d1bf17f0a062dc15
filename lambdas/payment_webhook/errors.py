"""Failures of the payment webhook and the HTTP status each one answers with.

Request errors carry their status so one exception handler renders them all; domain and
infrastructure errors are mapped in the handler.
"""

from typing import ClassVar


class ApiError(Exception):
    """A request the webhook refuses before anything is read or written."""

    status_code: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(ApiError):
    """The body is not valid JSON (or not valid base64)."""

    status_code = 400


class PayloadTooLarge(ApiError):
    """The body exceeds the webhook's limit."""

    status_code = 413


class UnsupportedMediaType(ApiError):
    """The body is not declared as JSON."""

    status_code = 415


class RequestValidationFailed(ApiError):
    """Well-formed JSON that is not a valid notice; ``errors`` names every invalid field."""

    status_code = 422

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("Request validation failed")
        self.errors = errors


class PaymentNotFound(Exception):
    """No ledger entry has this authorization id (404)."""

    def __init__(self, authorization_id: str) -> None:
        super().__init__(f"authorization {authorization_id} not found")
        self.authorization_id = authorization_id


class TaskNoLongerOpen(Exception):
    """Step Functions no longer waits on the token (answered, timed out, execution ended): the
    answer is moot, and the webhook acknowledges it so the provider stops retrying."""


class CallbackUnavailable(Exception):
    """Step Functions throttled or failed transiently; the provider should retry (503)."""
