"""The service level figures of a local run, from the metrics its functions emitted (issue 23):
what `make demo` prints at its end, each against its objective (`observability.slo`)."""

from __future__ import annotations

import math

from local_runtime.emitted_metrics import EmittedMetrics
from observability.slo import OBJECTIVES, ORDERS_PARKED, Objective

_SHOWN_UNIT = {"Milliseconds": ("s", 1000.0), "Seconds": ("s", 1.0), "Count": ("", 1.0)}


def statistic(values: list[float], name: str) -> float:
    """A CloudWatch statistic of data points: pNN (nearest rank), Maximum or Sum."""
    if name == "Sum":
        return sum(values)
    if name == "Maximum":
        return max(values)
    rank = math.ceil(float(name.removeprefix("p")) / 100 * len(values))
    return sorted(values)[max(0, rank - 1)]


def figures(metrics: EmittedMetrics, sagas: int) -> list[tuple[str, str, str, bool]]:
    """(metric and statistic, this run's figure, the objective, met) for each SLO; a metric the
    run never emitted says so."""
    rows = []
    for objective in OBJECTIVES:
        values = metrics.values(objective.metric)
        label = f"{objective.metric} ({objective.statistic})"
        if objective.metric == ORDERS_PARKED:
            parked = sum(values)
            rows.append(
                (
                    f"{ORDERS_PARKED} (share of {sagas} sagas)",
                    f"{parked / max(1, sagas):.0%}",
                    "0%",
                    parked == 0,
                )
            )
            continue
        if not values:
            rows.append((label, "not emitted by this run", _shown(objective, objective.target), True))
            continue
        figure = statistic(values, objective.statistic)
        rows.append(
            (
                label,
                f"{_shown(objective, figure)} ({len(values)} points)",
                _shown(objective, objective.target),
                figure <= objective.target,
            )
        )
    return rows


def _shown(objective: Objective, value: float) -> str:
    suffix, per = _SHOWN_UNIT.get(objective.unit, ("", 1.0))
    return f"{value / per:,.1f} {suffix}".strip()
