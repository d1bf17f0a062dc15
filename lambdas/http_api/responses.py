"""JSON responses and the exception handlers that turn refusals into them.

Routes and handlers only raise or return data; the response shape (a JSON body and its
content type) and the rendering of every refusal are decided once, here.
"""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.metrics import Metrics, MetricUnit

from http_api.errors import RequestValidationFailed

Refusal = Callable[[int, dict[str, Any]], Response]
"""Renders a 4xx: ``refusal(status_code, body)``, counted in the API's refusal metric."""

RETRY_AFTER_SECONDS = 1
"""What a 503 tells the client to wait: the dependencies that refuse are throttled, briefly."""


def json_response(status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A response with ``body`` as JSON."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def service_unavailable() -> Response:
    """The 503 for a dependency that failed transiently: the client should retry later."""
    return json_response(
        503,
        {"message": "Service temporarily unavailable, retry later"},
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def register_refusal_handlers(app: APIGatewayRestResolver, metrics: Metrics, metric_name: str) -> Refusal:
    """Render every Powertools ServiceError raised by ``app``'s routes as its status and a JSON
    message (422s also list the invalid fields), and return the refusal function for the API's
    own 4xx.

    Every 4xx is counted in ``metric_name``: a rise in refusals is a client integration going wrong.
    """

    def refusal(status_code: int, body: dict[str, Any]) -> Response:
        metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)
        return json_response(status_code, body)

    @app.exception_handler(RequestValidationFailed)
    def _validation_failed(error: RequestValidationFailed) -> Response:
        return refusal(error.status_code, {"message": error.msg, "errors": error.errors})

    @app.exception_handler(ServiceError)
    def _refused(error: ServiceError) -> Response:
        return refusal(error.status_code, {"message": error.msg})

    return refusal
