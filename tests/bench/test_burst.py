"""The burst bench scales every quota by one factor, so the model's limit moves with it and the
binding quota stays the one that binds on AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.burst import _mix_usage, _scaled, modeled_limit
from bench.capacity_model import LIMITS
from tests.bench.test_capacity_model import _result


def test_scaling_the_quotas_scales_the_limit_and_keeps_what_binds_and_the_prices() -> None:
    limits = json.loads(Path(LIMITS).read_text())
    usage = _mix_usage({"fulfilled": _result(hot_key_units=2), "declined": _result(hot_key_units=4)}, limits)
    full, binding = modeled_limit(usage, limits)
    small, small_binding = modeled_limit(usage, _scaled(limits, 0.01))
    assert small == pytest.approx(full * 0.01)
    assert small_binding == binding
    assert _scaled(limits, 0.01)["price_lambda_request"] == limits["price_lambda_request"]
    assert _scaled(limits, 0.01)["_region"] == limits["_region"]
