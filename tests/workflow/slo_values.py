"""An SLO metric's values as the dashboard reads them: its namespace and its service dimension
(`workflows.slo_objectives`), so a test asserting a value also holds the emitting task to the
metric the dashboard and the alarms draw."""

from __future__ import annotations

from local_runtime import LocalApp
from workflows import constants as c
from workflows.slo_objectives import OBJECTIVES


def slo_values(app: LocalApp, metric: str) -> list[float]:
    (objective,) = [o for o in OBJECTIVES if o.metric == metric]
    return app.metrics.values(metric, namespace=c.METRICS_NAMESPACE, service=objective.service)
