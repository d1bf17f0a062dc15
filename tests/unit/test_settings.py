"""Settings come from the environment, per invocation, with named failures."""

import pytest

from order_store.settings import load_store_settings
from outbox_publisher.settings import load_claim_settings, load_mark_settings, load_retry_settings
from task_io.settings import InvalidConfiguration


@pytest.mark.usefixtures("publisher_env")
def test_documented_defaults_apply_when_variables_are_absent() -> None:
    # Given only the required variables / When the settings are loaded / Then the defaults apply
    claim = load_claim_settings()
    assert (claim.claim_lease_seconds, claim.sweep_min_age_seconds, claim.sweep_limit) == (60, 120, 100)
    retry = load_retry_settings()
    assert (retry.max_publish_attempts, retry.retry_base_delay_seconds, retry.retry_max_delay_seconds) == (
        4,
        1,
        8,
    )
    assert load_mark_settings().published_ttl_days == 7


@pytest.mark.usefixtures("publisher_env")
def test_settings_are_read_at_each_call_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given settings loaded once
    assert load_store_settings().orders_table_name == "Orders"
    # When the environment changes (another function's environment in the same process)
    monkeypatch.setenv("ORDERS_TABLE_NAME", "OtherOrders")
    monkeypatch.setenv("CLAIM_LEASE_SECONDS", "15")
    # Then the next load sees it
    assert load_store_settings().orders_table_name == "OtherOrders"
    assert load_claim_settings().claim_lease_seconds == 15


def test_the_retry_function_needs_no_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the failed-entries function's environment, which has no table name
    monkeypatch.delenv("ORDERS_TABLE_NAME", raising=False)
    monkeypatch.setenv("MAX_PUBLISH_ATTEMPTS", "2")
    # When its settings load / Then they work
    assert load_retry_settings().max_publish_attempts == 2


@pytest.mark.usefixtures("publisher_env")
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [("EVENT_BUS_NAME", None, "EVENT_BUS_NAME"), ("CLAIM_LEASE_SECONDS", "soon", "CLAIM_LEASE_SECONDS")],
)
def test_missing_or_malformed_variables_fail_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None, message: str
) -> None:
    # Given a misdeployed function
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    # When the settings load / Then the failure names the variable
    with pytest.raises(InvalidConfiguration, match=message):
        load_claim_settings()
