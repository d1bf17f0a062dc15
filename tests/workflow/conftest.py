"""The product's stack on the embedded runtime, on the virtual clock: a Wait, a Retry interval or a
heartbeat takes no real time, and the clock jumps to the next timer once nothing can run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from local_runtime.faults import EventBusProbe
from tests.workflow.contract_check import contract_problems
from tests.workflow.saga_helpers import STOCK, seed_stock


@pytest.fixture(autouse=True)
def published_events_keep_their_contracts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a workflow test does, every event the platform published in it validates against
    its committed schema (the contract test of issue 24: every event the workflow tests publish)."""
    probes: list[EventBusProbe] = []
    install = EventBusProbe.install

    def watched(probe: EventBusProbe) -> Any:
        probes.append(probe)
        return install(probe)

    monkeypatch.setattr(EventBusProbe, "install", watched)
    yield
    problems = [problem for probe in probes for problem in contract_problems(probe.published)]
    assert problems == [], problems[:10]


@pytest.fixture
def app(assembly_dir: Path) -> Iterator[LocalApp]:
    """The outbox on its own: the saga's pipe is paused, so every outbox record a test sees is one
    the orders API wrote (the saga's own OrderConfirmed/OrderCancelled records are its tests' concern)."""
    with LocalApp(assembly_dir, log_level="WARNING") as local_app:
        local_app.pause_pipe("OrderSaga")
        yield local_app


@pytest.fixture
def saga_app(assembly_dir: Path) -> Iterator[LocalApp]:
    """The whole platform, with STOCK on the shelves: orders run outbox -> bus -> saga. The
    payment provider takes requests and never answers, unless a test asks for ``provider``."""
    with LocalApp(assembly_dir, log_level="WARNING") as local_app:
        seed_stock(local_app, STOCK)
        PaymentProvider(local_app, answer_after=None)
        yield local_app


@pytest.fixture
def provider(saga_app: LocalApp) -> PaymentProvider:
    """The payment provider, answering each request 2 virtual seconds after it appears."""
    return PaymentProvider(saga_app)
