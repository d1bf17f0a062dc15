"""Refusals of a JSON API: Powertools' event-handler errors, and the two it lacks.

Every refusal is a Powertools ``ServiceError`` carrying its status, so one exception handler
renders and counts them all (``http_api.responses.register_refusal_handlers``): a malformed
request is Powertools' ``BadRequestError`` (400), an oversized body its
``RequestEntityTooLargeError`` (413), a caller acting for someone else its ``ForbiddenError``
(403). Powertools has no 415 and no 422 that names the invalid fields, so those two are
declared here. Domain and infrastructure errors stay HTTP-agnostic and are mapped by each API's
handler.
"""

from aws_lambda_powertools.event_handler.exceptions import ServiceError


class UnsupportedMediaType(ServiceError):
    """The body is not declared as JSON (415)."""

    def __init__(self, msg: str) -> None:
        super().__init__(415, msg)


class RequestValidationFailed(ServiceError):
    """Well-formed JSON that is not a valid request (422); ``errors`` names every invalid field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(422, "Request validation failed")
        self.errors = errors
