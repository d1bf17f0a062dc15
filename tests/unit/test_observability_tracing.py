"""The tracer is created at the first invocation, not at import, and traces as before."""

from __future__ import annotations

from typing import Any

import pytest

from observability.tracing import LazyTracer


def test_the_tracer_is_created_by_the_first_invocation_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    lazy = LazyTracer("tracing-test")

    @lazy.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"echo": event["n"]}

    @lazy.capture_lambda_handler(capture_response=False)
    def quiet(event: dict[str, Any], context: Any) -> int:
        return 7

    # decorating created nothing
    assert lazy._tracer is None
    assert handler({"n": 1}, None) == {"echo": 1}
    created = lazy.tracer
    assert handler({"n": 2}, None) == {"echo": 2} and quiet({}, None) == 7
    assert lazy.tracer is created
    assert handler.__name__ == "handler"
