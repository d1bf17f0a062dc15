"""Powertools defaults shared by every function of the platform.

Why the namespace is passed explicitly rather than read from
POWERTOOLS_METRICS_NAMESPACE: the alarms in the template watch metrics in this
namespace (workflows.constants.METRICS_NAMESPACE, held equal by a test), so it is
a platform constant, not a per-function variable a deployment could get wrong.
"""

from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from observability.masking import PersonalDataMaskingFormatter
from observability.slo import SLO_METRICS

METRICS_NAMESPACE = "OrderPlatform"


def powertools(service: str, *, mask_personal_data: bool = False) -> tuple[Logger, Tracer, Metrics]:
    """The Logger, Tracer and Metrics of one service, created once per handler module; with
    ``mask_personal_data`` the logger masks names, addresses and the like wherever they appear."""
    formatter = PersonalDataMaskingFormatter() if mask_personal_data else None
    return (
        Logger(service=service, logger_formatter=formatter),
        Tracer(service=service),
        Metrics(service=service, namespace=METRICS_NAMESPACE),
    )


def count_metrics(metrics: Metrics, **counts: int) -> None:
    """Add each count metric: ``count_metrics(metrics, OrdersPlaced=1, OutboxSkipped=skipped)``."""
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def add_slo_values(metrics: Metrics, name: str, values: Iterable[float]) -> None:
    """Each value of an SLO metric as one data point, in the unit `observability.slo` gives it."""
    unit = MetricUnit[SLO_METRICS[name]]
    for value in values:
        metrics.add_metric(name=name, unit=unit, value=value)
