"""The capacity model divides each quota by what one order asks of it and names the lowest; every
quota and price it uses comes from the data file, each with its source page."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.capacity_model import LIMITS, cost_per_million, main, model, quotas, shards_needed
from local_runtime.consumption import Consumption

SAGA = "arn:aws:states:us-east-1:123456789012:stateMachine:Saga"
OUTBOX = "arn:aws:states:us-east-1:123456789012:stateMachine:Outbox"


def _result(hot_key_units: int, transitions: int = 9) -> dict[str, Any]:
    consumed = Consumption()
    consumed.requests[("stepfunctions", "StartExecution", SAGA)] = 10
    consumed.requests[("stepfunctions", "StartExecution", OUTBOX)] = 5
    consumed.requests[("events", "PutEvents", "bus")] = 5
    consumed.write_units[("Inventory", '{"pk": "SKU#HOT"}')] = 10 * hot_key_units
    for order in range(10):  # each order its own item: 15 units each
        consumed.write_units[("Orders", f'{{"pk": "ORDER#{order}"}}')] = 15
    return {
        "path": "fulfilled",
        "orders": 10,
        "consumed": consumed,
        "transitions": Counter({"OrderSaga": 10 * transitions, "OutboxPublisher": 60}),
        "express": {"OutboxPublisher"},
        "express_arns": {OUTBOX},
        "invocations": 80,
        "busy_ms": 2_000.0,
        "memory_mb": 256,
        "queued": 10,
    }


def test_every_quota_and_price_has_its_source() -> None:
    limits = json.loads(Path(LIMITS).read_text())
    for key, entry in limits.items():
        if key.startswith("_"):
            continue
        assert entry["value"] > 0 and entry["source"].startswith("https://"), key
        assert entry["trust"] in ("official", "copy", "secondary"), key
    assert limits["_region"] and limits["_read"]


def test_the_lowest_rate_binds_and_standard_starts_exclude_express() -> None:
    limits = json.loads(Path(LIMITS).read_text())
    _, rows = model({"cool": _result(hot_key_units=2), "hot": _result(hot_key_units=8)}, limits)
    by_name = {row[0].split(":")[0]: row[1:] for row in rows}
    # one Standard start per order (the Express outbox's starts are not Standard's): 300/s
    assert by_name["Standard StartExecution (refill per s)"][0].startswith("300/s (1.00)")
    # 8 write units per order on one key: 1,000 / 8 = 125/s, below the 300 StartExecution allows
    assert by_name["highest sustainable rate (orders per s)"] == ("300", "125")
    assert by_name["first quota to bind"][1].startswith("DynamoDB hot item")
    assert len(quotas(limits)) == len(rows) - 4


def test_a_million_orders_cost_what_each_request_costs() -> None:
    limits = json.loads(Path(LIMITS).read_text())
    result = _result(hot_key_units=2)
    transitions = 9 * 25.0  # Standard transitions only: $0.025 per 1,000
    dynamodb = (2 + 15) * 0.625
    assert cost_per_million(result, limits) > transitions + dynamodb
    cheaper = {**result, "transitions": Counter({"OrderSaga": 10, "OutboxPublisher": 60})}
    assert cost_per_million(result, limits) - cost_per_million(cheaper, limits) == pytest.approx(8 * 25.0)


def test_shards_lift_the_hot_item_and_the_model_says_how_many_it_takes() -> None:
    limits = json.loads(Path(LIMITS).read_text())
    hot = _result(hot_key_units=8)  # one key: 1,000 / 8 = 125/s, below the 300 starts allow
    _, rows = model({"hot": hot}, limits, shards=4)
    by_name = {row[0].split(":")[0].split(" (")[0]: row[1:] for row in rows}
    # four shards take 4,000 units a second: 500/s, and the starts bind again
    assert by_name["highest sustainable rate"] == ("300",)
    assert by_name["first quota to bind"][0].startswith("Standard StartExecution")
    # three shards are the fewest that lift it above 300/s (2 give 250)
    assert by_name["best seller's shards so it binds last"] == ("3",)
    assert shards_needed(_result(hot_key_units=2), limits) == 1


def test_the_model_refuses_too_few_orders_or_no_shards(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["4"], ["5", "--shards", "0"]):
        with pytest.raises(SystemExit) as refused:
            main(argv)
        assert refused.value.code == 2
    assert "ORDERS must be >= 5" in capsys.readouterr().err
