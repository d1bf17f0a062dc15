"""Settings of the saga's functions, one model per set of variables a function is deployed with.

Each function gets only the tables it uses, so each loads only the model it needs; a shared
model would demand variables a function never has. The order table's settings are
``order_store.settings.StoreSettings``, the payment functions' ``payments.settings``.
"""

from pydantic import Field, field_validator

from order_store.countries import ISO_3166_ALPHA2
from task_io.settings import EnvironmentSettings, settings_from_environment

DEFAULT_SUPPORTED_DESTINATIONS = "GB,IE,FR,DE,NL,BE,LU,ES,PT,IT,AT,DK,SE,FI"
DEFAULT_MAX_REDRIVES = 3


class BeginSettings(EnvironmentSettings):
    """BeginSaga: the lock lives in the order table, SKUs are checked in the inventory table."""

    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)
    inventory_table_name: str = Field(alias="INVENTORY_TABLE_NAME", min_length=1)
    max_redrives: int = Field(default=DEFAULT_MAX_REDRIVES, alias="SAGA_MAX_REDRIVES", ge=0)
    """The loop guard: a parked saga may be redriven this many times; the next redrive is refused."""
    refusal_retention_days: int = Field(default=30, alias="SAGA_REFUSAL_RETENTION_DAYS", ge=1)
    """How long a refused event's record is kept next to the order it named (TTL)."""


class InventorySettings(EnvironmentSettings):
    """ReserveInventory and ReleaseInventory."""

    inventory_table_name: str = Field(alias="INVENTORY_TABLE_NAME", min_length=1)


class ShipmentsSettings(EnvironmentSettings):
    """CancelShipment."""

    shipments_table_name: str = Field(alias="SHIPMENTS_TABLE_NAME", min_length=1)


class ShippingSettings(ShipmentsSettings):
    """ArrangeShipment: the bookings table and the countries the carriers serve."""

    supported_destinations: frozenset[str] = Field(
        default=frozenset(DEFAULT_SUPPORTED_DESTINATIONS.split(",")),
        alias="SUPPORTED_DESTINATIONS",
        min_length=1,
    )

    @field_validator("supported_destinations", mode="before")
    @classmethod
    def _country_list(cls, value: object) -> object:
        """``"GB, ie,FR"`` -> {"GB", "IE", "FR"}; every code must be a real ISO 3166-1 alpha-2."""
        if not isinstance(value, str):
            return value
        codes = {code.strip().upper() for code in value.split(",") if code.strip()}
        unknown = sorted(codes - ISO_3166_ALPHA2)
        if unknown:
            raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
        return frozenset(codes)


def load_begin_settings() -> BeginSettings:
    """BeginSaga's settings for this invocation."""
    return settings_from_environment(BeginSettings)


def load_inventory_settings() -> InventorySettings:
    """Inventory settings for this invocation."""
    return settings_from_environment(InventorySettings)


def load_shipments_settings() -> ShipmentsSettings:
    """Shipment-table settings for this invocation."""
    return settings_from_environment(ShipmentsSettings)


def load_shipping_settings() -> ShippingSettings:
    """ArrangeShipment's settings for this invocation."""
    return settings_from_environment(ShippingSettings)
