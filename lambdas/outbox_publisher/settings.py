"""Settings of the three publisher functions, each with only the variables its function gets.

One model per function (rather than one for the package) because each function is deployed
with a different environment; a shared model would demand variables a function never has.
"""

from pydantic import Field

from task_io.settings import EnvironmentSettings, settings_from_environment


class ClaimSettings(EnvironmentSettings):
    """Claim task: where records live, where events go, and how long a claim lasts."""

    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    event_source: str = Field(alias="EVENT_SOURCE", min_length=1)
    claim_lease_seconds: int = Field(default=60, alias="CLAIM_LEASE_SECONDS", ge=1)
    sweep_min_age_seconds: int = Field(default=120, alias="SWEEP_MIN_AGE_SECONDS", ge=0)
    sweep_limit: int = Field(default=100, alias="SWEEP_LIMIT", ge=1, le=1000)


class RetrySettings(EnvironmentSettings):
    """Failed-entries task: the attempt budget and the backoff curve."""

    max_publish_attempts: int = Field(default=4, alias="MAX_PUBLISH_ATTEMPTS", ge=1)
    retry_base_delay_seconds: int = Field(default=1, alias="RETRY_BASE_DELAY_SECONDS", ge=0)
    retry_max_delay_seconds: int = Field(default=8, alias="RETRY_MAX_DELAY_SECONDS", ge=0)


class MarkSettings(EnvironmentSettings):
    """Mark task: where records live and how long published records are kept."""

    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)
    published_ttl_days: int = Field(default=7, alias="PUBLISHED_TTL_DAYS", ge=1)


def load_claim_settings() -> ClaimSettings:
    """Claim settings for this invocation."""
    return settings_from_environment(ClaimSettings)


def load_retry_settings() -> RetrySettings:
    """Failed-entries settings for this invocation."""
    return settings_from_environment(RetrySettings)


def load_mark_settings() -> MarkSettings:
    """Mark settings for this invocation."""
    return settings_from_environment(MarkSettings)
