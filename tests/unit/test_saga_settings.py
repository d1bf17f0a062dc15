"""The saga's settings: per-function variables, documented defaults, named failures."""

import pytest

from order_saga.settings import (
    load_begin_settings,
    load_inventory_settings,
    load_shipments_settings,
    load_shipping_settings,
)
from payments.settings import load_payment_request_settings, load_payments_settings
from task_io.settings import InvalidConfiguration


@pytest.mark.usefixtures("saga_env")
def test_defaults_apply_when_the_business_variables_are_absent() -> None:
    assert load_shipping_settings().supported_destinations == frozenset(
        ["GB", "IE", "FR", "DE", "NL", "BE", "LU", "ES", "PT", "IT", "AT", "DK", "SE", "FI"]
    )


@pytest.mark.usefixtures("saga_env")
def test_the_destination_list_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTED_DESTINATIONS", " gb, IE ,,fr")
    assert load_shipping_settings().supported_destinations == {"GB", "IE", "FR"}


@pytest.mark.usefixtures("saga_env")
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SUPPORTED_DESTINATIONS", "GB,XX"),
        ("SUPPORTED_DESTINATIONS", " , "),
        ("PAYMENT_PROVIDER_ENDPOINT", "http://psp.test/authorize"),
        ("PAYMENT_PROVIDER_ENDPOINT", "psp.test/authorize"),
        ("PAYMENT_PROVIDER_ENDPOINT", "https:///no-host"),
    ],
)
def test_malformed_business_variables_fail_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    loader = load_shipping_settings if variable == "SUPPORTED_DESTINATIONS" else load_payment_request_settings
    with pytest.raises(InvalidConfiguration, match=variable):
        loader()


def test_each_function_needs_only_its_own_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an environment holding only the inventory table (the reserve/release functions')
    for name in ("ORDERS_TABLE_NAME", "PAYMENTS_TABLE_NAME", "SHIPMENTS_TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INVENTORY_TABLE_NAME", "Inventory")
    # Then the inventory settings load, and the others name what is missing
    assert load_inventory_settings().inventory_table_name == "Inventory"
    for loader, variable in (
        (load_begin_settings, "ORDERS_TABLE_NAME"),
        (load_payments_settings, "PAYMENTS_TABLE_NAME"),
        (load_shipments_settings, "SHIPMENTS_TABLE_NAME"),
    ):
        with pytest.raises(InvalidConfiguration, match=variable):
            loader()
