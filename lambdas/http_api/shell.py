"""The one setup of every JSON API function behind API Gateway's REST proxy integration.

Both APIs (orders, payment webhook) are the same around their routes: Powertools' logger with
API Gateway's request id as correlation id, tracer and metrics around the resolver; every
refusal rendered and counted by the handlers of `http_api.responses`; a dependency that failed
transiently answered 503 with Retry-After, logged and counted. An API module declares its routes
and its own refusals on ``shell.app`` and ends with ``lambda_handler = shell.handler()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from http_api.responses import register_refusal_handlers, service_unavailable
from observability import count_metrics, powertools


class ApiShell:
    """Powertools, the resolver and the refusal rendering of one API."""

    def __init__(self, service: str, refused_metric: str) -> None:
        """`refused_metric` counts every 4xx, whatever its reason (a rise in refusals is a client
        integration going wrong, or a forger at work)."""
        self.logger, self.tracer, self.metrics = powertools(service)
        self.app = APIGatewayRestResolver()
        self.refusal = register_refusal_handlers(self.app, self.metrics, refused_metric)
        """Renders one of the API's own 4xx: ``refusal(status_code, body)``, counted."""

    def count(self, **counts: int) -> None:
        """Add each count metric: ``shell.count(OrdersPlaced=1)``."""
        count_metrics(self.metrics, **counts)

    def unavailable_on(self, errors: Sequence[type[Exception]], metric: str, what: str) -> None:
        """Answer 503 (retry later) when a route raises one of `errors`: a dependency failed
        transiently; each is logged as `what` and counted in `metric`."""

        def _unavailable(error: Exception) -> Response:
            self.logger.warning(what, extra={"error": str(error)})
            self.count(**{metric: 1})
            return service_unavailable()

        self.app.exception_handler(list(errors))(_unavailable)

    def handler(self) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
        """The Lambda entry point: the resolver inside logging, tracing and metrics."""

        @self.logger.inject_lambda_context(
            correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
        )
        @self.tracer.capture_lambda_handler
        @self.metrics.log_metrics
        def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            return self.app.resolve(event, context)

        return lambda_handler
