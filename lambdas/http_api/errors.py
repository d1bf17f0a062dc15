"""Refusals of a JSON API and the HTTP status each one answers with.

Request errors carry their status so one exception handler renders them all (see
``http_api.responses.register_refusal_handlers``); domain and infrastructure errors stay
HTTP-agnostic and are mapped by each API's handler.
"""

from typing import ClassVar


class ApiError(Exception):
    """A request the API refuses before anything is read or written."""

    status_code: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(ApiError):
    """The body is not valid JSON (or not valid base64), or a header or path value is invalid."""

    status_code = 400


class PayloadTooLarge(ApiError):
    """The body exceeds the API's limit."""

    status_code = 413


class UnsupportedMediaType(ApiError):
    """The body is not declared as JSON."""

    status_code = 415


class RequestValidationFailed(ApiError):
    """Well-formed JSON that is not a valid request; ``errors`` names every invalid field."""

    status_code = 422

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("Request validation failed")
        self.errors = errors
