"""The order table's settings (the settings base and the environment reader are task_io's)."""

from pydantic import Field

from task_io.settings import EnvironmentSettings, settings_from_environment


class StoreSettings(EnvironmentSettings):
    """What every user of the order table needs."""

    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)


def load_store_settings() -> StoreSettings:
    """The order table's settings for this invocation."""
    return settings_from_environment(StoreSettings)
