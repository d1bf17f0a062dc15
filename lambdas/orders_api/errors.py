"""Failures of the orders API and the HTTP status each one answers with.

Request errors carry their status so one exception handler renders them all; the domain error
(a reused idempotency key) stays HTTP-agnostic and is mapped in the handler.
"""

from typing import ClassVar


class ApiError(Exception):
    """A request the API refuses before anything is written."""

    status_code: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(ApiError):
    """Unparseable JSON, an invalid Idempotency-Key or a path id that is not a UUID."""

    status_code = 400


class PayloadTooLarge(ApiError):
    """The body exceeds the API's limit."""

    status_code = 413


class UnsupportedMediaType(ApiError):
    """The body is not declared as JSON."""

    status_code = 415


class RequestValidationFailed(ApiError):
    """Well-formed JSON that is not a valid order; ``errors`` names every invalid field."""

    status_code = 422

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("Request validation failed")
        self.errors = errors


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used by this customer for a different request."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"Idempotency-Key already used for a different request (order {order_id})")
        self.order_id = order_id
