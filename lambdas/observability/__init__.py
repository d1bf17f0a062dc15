"""Powertools defaults shared by every function of the platform.

Why the namespace is passed explicitly: Powertools reads
POWERTOOLS_METRICS_NAMESPACE when a Metrics object is created, which locally
is at import time, before the runtime has set the function's environment; an
explicit value keeps the namespace identical on AWS and locally.
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
