"""Replay for testing (issue 24): a run's published events, saved and fed into a fresh app, end every
order as the run did; a change that alters an outcome is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from demo.inventory import seed_stock
from demo.payment_provider import PaymentProvider
from demo.reproduce import load, main, outcomes, published_events, reproduce, save
from local_runtime import LocalApp
from tests.workflow.saga_helpers import STOCK, order_for, start_order


@pytest.fixture
def saved_run(assembly_dir: Path, sample_order: dict[str, Any], tmp_path: Path) -> Path:
    """A run's events: a confirmed order, a declined one and an unshippable one."""
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        seed_stock(app, STOCK)
        provider = PaymentProvider(app)
        start_order(app, order_for(sample_order))
        declined = [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 10**8}]
        start_order(app, order_for(sample_order, items=declined))
        unshippable = {**sample_order["shippingAddress"], "country": "US"}
        start_order(app, order_for(sample_order, shippingAddress=unshippable))
        provider.settle()
        app.drain()
        path = tmp_path / "run.jsonl"
        assert save(published_events(app), path) == 6  # three OrderPlaced, three ends
    return path


def test_a_runs_events_fed_into_a_fresh_app_end_every_order_as_the_run_did(
    saved_run: Path, assembly_dir: Path
) -> None:
    events = load(saved_run)
    ends = outcomes(events)
    assert sorted(end.split(":")[0] for end in ends.values()) == ["CANCELLED", "CANCELLED", "CONFIRMED"]
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        seed_stock(app, STOCK)
        compared = reproduce(app, events, PaymentProvider(app))
    assert compared == {order_id: (end, end) for order_id, end in ends.items()}


def test_an_outcome_that_differs_is_named_and_fails_the_command(
    saved_run: Path, assembly_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Given a platform with no stock (as an incident's might have had): no order can be reserved
    monkeypatch.setattr("demo.platform.STOCK", {sku: 0 for sku in STOCK})
    # When the run is reproduced / Then the command names the order that ended otherwise
    assert main([str(saved_run), "--assembly", str(assembly_dir)]) == 1
    report = capsys.readouterr().out
    assert (
        "DIFFERENT" in report and "run: CONFIRMED" in report and "reproduced: CANCELLED: OutOfStock" in report
    )
    assert report.count("DIFFERENT") == 3 and "run: CANCELLED: PaymentDeclined" in report
    assert "0 of 3 orders ended as the run ended them" in report


def test_a_file_that_is_not_saved_events_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("not json\n")
    assert main([str(path)]) == 2
    assert "reproduce:" in capsys.readouterr().err
