"""The product's stack on the embedded runtime, with time compressed (1 s of Wait/Retry = 1 ms)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime import LocalApp


@pytest.fixture
def app(assembly_dir: Path) -> Iterator[LocalApp]:
    """The outbox on its own: the saga's pipe is paused, so every outbox record a test sees is one
    the orders API wrote (the saga's own OrderConfirmed/OrderCancelled records are its tests' concern)."""
    with LocalApp(assembly_dir, log_level="WARNING") as local_app:
        local_app.pause_pipe("OrderSaga")
        yield local_app
