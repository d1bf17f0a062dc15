"""The one shape of every workflow task's handler.

A task handler is its request model, its domain call and the metrics and log lines that say
what happened. Everything around that is the same in every function and lives here, once:
Powertools' logging (the Lambda context, a correlation id, state cleared per invocation),
tracing and metrics; the failure count and warning for whatever the task raises (re-raised
unchanged: its class name is the error the state machine retries or catches); parsing the
event into the request model, a contract mismatch raising the package's own named error; and
the output in wire names.

Models are imported where a reader expects them, at the top of the handler module: Lambda
bills its init phase, and a cold start is init plus the first call either way (README, "Cold
start": `make bench` measures it whole).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from observability import add_slo_values, count_metrics, powertools
from observability.failures import SAGA_FAILURE_METRIC, count_failures
from task_io import parse, task_output

Handler = Callable[[dict[str, Any], LambdaContext], Any]
TaskResult = BaseModel | dict[str, Any]
"""A step's output: a model (dumped in wire names) or a dict already in them."""


class TaskShell:
    """Powertools and the task contract for the handlers of one service."""

    def __init__(
        self,
        service: str,
        invalid_input: type[Exception],
        *,
        failure_metric: str = SAGA_FAILURE_METRIC,
        mask_personal_data: bool = False,
    ) -> None:
        """`invalid_input` is the package's contract error (``InvalidSagaInput``...), raised when
        an event does not fit the request model; `failure_metric` counts failures that have no
        business metric of their own."""
        self.logger, self.tracer, self.metrics = powertools(service, mask_personal_data=mask_personal_data)
        self._invalid_input = invalid_input
        self._failure_metric = failure_metric

    def count(self, **counts: int) -> None:
        """Add each count metric: ``shell.count(StockReserved=1, OutboxSkipped=result.skipped)``."""
        count_metrics(self.metrics, **counts)

    def measure(self, name: str, values: Iterable[float]) -> None:
        """Add each value of an SLO metric in its unit (`observability.slo.SLO_METRICS`): one
        data point per value, so CloudWatch's percentiles are over every record, not a mean."""
        add_slo_values(self.metrics, name, values)

    def task(
        self,
        request: type[BaseModel] | Callable[[Any], Any],
        *,
        correlation_id_path: str | None = None,
        failures: Mapping[type[Exception], str] | None = None,
        outcomes: Mapping[type[Exception], str] | None = None,
        capture_response: bool | None = None,
        pass_context: bool = False,
    ) -> Callable[[Callable[..., TaskResult]], Handler]:
        """Make a Lambda handler of ``step(request) -> output``.

        `request` is the step's request model, or a function reading the event into what the
        step takes (a pipe's batch); it raises its own named error on a bad event.
        `failures` names the business metric of each failure class (``{OutOfStock:
        "OutOfStock"}``); `outcomes` the metric of each error raised only to end the execution
        by name, which is logged as information (`count_failures`); `capture_response` is off
        for outputs too large or too private to copy into a trace; with `pass_context` the step
        also gets the Lambda context."""
        read = self._reader(request)

        def decorate(step: Callable[..., TaskResult]) -> Handler:
            @self.logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)
            @self.tracer.capture_lambda_handler(capture_response=capture_response)
            @self.metrics.log_metrics
            @count_failures(
                self.logger, self.metrics, failures, failure_metric=self._failure_metric, outcomes=outcomes
            )
            @functools.wraps(step)
            def handler(event: Any, context: LambdaContext) -> Any:
                result = step(read(event), context) if pass_context else step(read(event))
                return task_output(result) if isinstance(result, BaseModel) else result

            return handler

        return decorate

    def _reader(self, request: type[BaseModel] | Callable[[Any], Any]) -> Callable[[Any], Any]:
        if isinstance(request, type) and issubclass(request, BaseModel):
            model = request
            return lambda event: parse(model, event, self._invalid_input)
        return request
