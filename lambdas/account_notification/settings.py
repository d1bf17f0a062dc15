"""Settings of the notification tasks, from each function's environment."""

from pydantic import Field, field_validator

from task_io.settings import EnvironmentSettings, settings_from_environment


def _names(value: object) -> object:
    """``"address, email"`` -> ("address", "email"): attribute paths, in the order configured."""
    if not isinstance(value, str):
        return value
    return tuple(name.strip() for name in value.split(",") if name.strip())


class DiffSettings(EnvironmentSettings):
    """DiffImages: which attributes are security-relevant, and which of those are secrets."""

    security_attributes: tuple[str, ...] = Field(alias="SECURITY_ATTRIBUTES", min_length=1)
    secret_attributes: tuple[str, ...] = Field(default=(), alias="SECRET_ATTRIBUTES")

    _split = field_validator("security_attributes", "secret_attributes", mode="before")(_names)


class SendSettings(EnvironmentSettings):
    """SendNotice: the sender identity, and the table that remembers what was sent."""

    sender: str = Field(alias="NOTIFICATION_SENDER", min_length=3)
    notices_table_name: str = Field(alias="NOTICES_TABLE_NAME", min_length=1)
    idempotency_seconds: int = Field(default=7 * 24 * 3600, alias="IDEMPOTENCY_SECONDS", ge=60)


def load_diff_settings() -> DiffSettings:
    return settings_from_environment(DiffSettings)


def load_send_settings() -> SendSettings:
    return settings_from_environment(SendSettings)
