"""Failure accounting shared by the workflow tasks' handler shells (saga and outbox).

Every invocation must add at least one metric (Powertools warns on an empty flush, and a task
that fails silently is invisible on a dashboard); success paths add their own, and this
decorator adds one for every failure: the failure's business metric when it has one
(``OutOfStock``), the service's failure metric otherwise (``SagaTaskFailures``,
``OutboxTaskFailures``). The exception is re-raised unchanged: its class name is the Step
Functions error the state machine retries or catches.
"""

import functools
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

SAGA_FAILURE_METRIC = "SagaTaskFailures"
OUTBOX_FAILURE_METRIC = "OutboxTaskFailures"
CLAIM_CHECK_FAILURE_METRIC = "ClaimCheckTaskFailures"
NOTIFICATION_FAILURE_METRIC = "NotificationTaskFailures"


def count_failures(
    logger: Logger,
    metrics: Metrics,
    named: Mapping[type[Exception], str] | None = None,
    *,
    failure_metric: str = SAGA_FAILURE_METRIC,
    outcomes: Mapping[type[Exception], str] | None = None,
) -> Callable[[Handler], Handler]:
    """Decorate a handler (inside ``metrics.log_metrics``) to count and log what it raises.

    `outcomes` are raised only so the state machine can end the execution by name (a copy of an
    event read in another major): counted in their metric and logged as information, not as a
    failed task."""
    ended_by_name = outcomes or {}

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            try:
                return handler(event, context)
            except Exception as error:
                outcome = next(
                    (name for kind, name in ended_by_name.items() if isinstance(error, kind)), None
                )
                metric = outcome or next(
                    (name for kind, name in (named or {}).items() if isinstance(error, kind)), failure_metric
                )
                metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
                metrics.add_metadata(key="errorType", value=type(error).__name__)
                report = logger.info if outcome else logger.warning
                report(
                    "Task ended by name" if outcome else "Task failed",
                    extra={"errorType": type(error).__name__, "error": str(error)},
                )
                raise

        return wrapper

    return decorate
