"""Observability constants shared by every Lambda package.

The metrics namespace is passed explicitly instead of being read from
POWERTOOLS_METRICS_NAMESPACE, because Powertools resolves it when the Metrics object is
created, and the local runtime imports handlers before it sets each function's environment.
The value is the one the infrastructure sets, so both paths agree.
"""

METRICS_NAMESPACE = "OrderPlatform"
