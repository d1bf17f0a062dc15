"""Powertools defaults shared by every function of the platform.

Why the namespace is passed explicitly rather than read from
POWERTOOLS_METRICS_NAMESPACE: the alarms in the template watch metrics in this
namespace (workflows.constants.METRICS_NAMESPACE, held equal by a test), so it is
a platform constant, not a per-function variable a deployment could get wrong.
"""

from aws_lambda_powertools import Logger, Metrics

from observability.tracing import LazyTracer

METRICS_NAMESPACE = "OrderPlatform"


def powertools(service: str, *, mask_personal_data: bool = False) -> tuple[Logger, LazyTracer, Metrics]:
    """The Logger, Tracer and Metrics of one service, created once per handler module; with
    ``mask_personal_data`` the logger masks names, addresses and the like wherever they appear."""
    formatter = None
    if mask_personal_data:
        from observability.masking import PersonalDataMaskingFormatter

        formatter = PersonalDataMaskingFormatter()
    return (
        Logger(service=service, logger_formatter=formatter),
        LazyTracer(service),
        Metrics(service=service, namespace=METRICS_NAMESPACE),
    )
