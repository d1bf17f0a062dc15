"""The Powertools Tracer, created when the first invocation starts rather than at import.

Creating a Tracer imports the X-Ray SDK, whose recorder builds botocore clients for sampling:
about 100 ms, most of a handler module's import. Deferring it to the first invocation keeps a
function's init phase to what the handler needs to be ready; the first invocation is traced
exactly as before (the Tracer exists before the handler body runs, and patches boto3 then).
"""

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Tracer

Handler = Callable[[Any, Any], Any]


class LazyTracer:
    """A stand-in for Powertools' Tracer offering what the handlers use of it."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> Tracer:
        """The real Tracer, created on first use (then the same one)."""
        if self._tracer is None:
            self._tracer = Tracer(service=self._service)
        return self._tracer

    def capture_lambda_handler(
        self, handler: Handler | None = None, *, capture_response: bool | None = None
    ) -> Any:
        """Powertools' decorator, applied when the decorated handler is first called."""
        if handler is None:
            return functools.partial(self.capture_lambda_handler, capture_response=capture_response)
        traced: Handler | None = None

        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            nonlocal traced
            if traced is None:
                traced = self.tracer.capture_lambda_handler(handler, capture_response=capture_response)
            return traced(event, context)

        return run
