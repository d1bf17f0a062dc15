"""The metrics the functions emit, kept as CloudWatch would keep them (issue 23).

On AWS a function's Powertools `Metrics` print CloudWatch embedded metric format (EMF) documents
to stdout, and CloudWatch Logs turns each into metric data points. Locally the same lines reach
the function's log (`function_logs`); this store reads them as they are written, so a test, the
demo and a bench can ask what a real execution emitted (`app.metrics.values("OutboxLag")`)
without parsing logs themselves. A line that is not an EMF document is not a metric, as on AWS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataPoint:
    """One value of one metric, with the dimensions and unit its document declared."""

    namespace: str
    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp_ms: int
    function: str


class EmittedMetrics:
    """Data points of every EMF document the app's functions printed, oldest first."""

    def __init__(self) -> None:
        self._points: list[DataPoint] = []
        self._lock = threading.Lock()

    def take(self, function: str, line: str) -> None:
        """Read one complete log line of a function: its data points if it is an EMF document."""
        if '"_aws"' not in line:
            return
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            return
        points = list(_points_of(document, function)) if isinstance(document, dict) else []
        if points:
            with self._lock:
                self._points.extend(points)

    def points(self, name: str | None = None, namespace: str | None = None) -> list[DataPoint]:
        with self._lock:
            return [
                p
                for p in self._points
                if (name is None or p.name == name) and (namespace is None or p.namespace == namespace)
            ]

    def values(self, name: str, namespace: str | None = None, **dimensions: str) -> list[float]:
        """Every value of a metric (those whose dimensions include ``dimensions``)."""
        wanted = set(dimensions.items())
        return [p.value for p in self.points(name, namespace) if wanted <= set(p.dimensions)]

    def names(self) -> set[str]:
        with self._lock:
            return {p.name for p in self._points}


def _points_of(document: Mapping[str, Any], function: str) -> list[DataPoint]:
    """The data points of an EMF document: each metric of each directive, a value or a list of
    values, once per dimension set (as CloudWatch stores them)."""
    meta = document.get("_aws")
    if not isinstance(meta, Mapping):
        return []
    timestamp = int(meta.get("Timestamp") or 0)
    found: list[DataPoint] = []
    for directive in meta.get("CloudWatchMetrics") or []:
        namespace = str(directive.get("Namespace", ""))
        dimension_sets = directive.get("Dimensions") or [[]]
        for metric in directive.get("Metrics") or []:
            name = str(metric.get("Name", ""))
            raw = document.get(name)
            values = raw if isinstance(raw, list) else [raw]
            for dimension_set in dimension_sets:
                dimensions = tuple(sorted((str(d), str(document.get(d, ""))) for d in dimension_set))
                found.extend(
                    DataPoint(
                        namespace,
                        name,
                        float(value),
                        str(metric.get("Unit", "None")),
                        dimensions,
                        timestamp,
                        function,
                    )
                    for value in values
                    if isinstance(value, int | float) and not isinstance(value, bool)
                )
    return found
