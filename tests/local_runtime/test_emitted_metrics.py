"""The runtime keeps what the functions emit as CloudWatch would: each EMF document's metrics,
every value of a list, once per dimension set; anything else printed is not a metric."""

from __future__ import annotations

import json

from local_runtime.emitted_metrics import EmittedMetrics


def _document(**values: object) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 1_764_756_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "OrderPlatform",
                        "Dimensions": [["service"]],
                        "Metrics": [
                            {"Name": "OutboxLag", "Unit": "Milliseconds"},
                            {"Name": "Odd", "Unit": "Count"},
                        ],
                    }
                ],
            },
            "service": "outbox-publisher",
            **values,
        }
    )


def test_each_value_of_an_emf_document_is_a_data_point_with_its_unit_and_dimensions() -> None:
    metrics = EmittedMetrics()
    metrics.take("mark", _document(OutboxLag=[120, 340.5], Odd="not a number"))
    assert metrics.values("OutboxLag") == [120.0, 340.5]
    assert metrics.values("OutboxLag", namespace="OrderPlatform", service="outbox-publisher") == [
        120.0,
        340.5,
    ]
    assert metrics.values("OutboxLag", service="someone-else") == []
    (point, _) = metrics.points("OutboxLag")
    assert (point.unit, point.function, point.timestamp_ms) == ("Milliseconds", "mark", 1_764_756_000_000)
    assert metrics.names() == {"OutboxLag"}  # a value that is no number is no data point


def test_lines_that_are_not_emf_documents_are_not_metrics() -> None:
    metrics = EmittedMetrics()
    for line in ('{"level": "INFO", "message": "hello"}', "plain text", '{"_aws": broken', '{"_aws": 3}'):
        metrics.take("f", line)
    assert metrics.names() == set()
