"""Settings of the claim-check functions, one model per set of variables a function gets."""

from pydantic import Field

from claim_check.models import AfterSuccess
from task_io.settings import EnvironmentSettings, settings_from_environment

DEFAULT_RANGE_BYTES = 8 * 1024 * 1024
"""About this many bytes per Map child: a 5 GiB payload is some 640 children, and the Map's
result (two counts per child) stays far below the 256 KiB state limit."""
DEFAULT_TTL_DAYS = 7
"""A claim (and its payload, by the bucket's lifecycle rule) lives this long."""
DEFAULT_AFTER_SUCCESS: AfterSuccess = "delete"


class BucketSettings(EnvironmentSettings):
    """Every claim-check function: the payload bucket."""

    payload_bucket_name: str = Field(alias="PAYLOAD_BUCKET_NAME", min_length=3)


class ClaimsSettings(BucketSettings):
    """Functions that read or write claims."""

    claims_table_name: str = Field(alias="CLAIMS_TABLE_NAME", min_length=1)


class SplitSettings(ClaimsSettings):
    """IssueClaim: how payloads are cut into ranges and how long claims live."""

    range_bytes: int = Field(default=DEFAULT_RANGE_BYTES, alias="CLAIM_RANGE_BYTES", ge=1024)
    ttl_days: int = Field(default=DEFAULT_TTL_DAYS, alias="CLAIM_TTL_DAYS", ge=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    event_source: str = Field(alias="EVENT_SOURCE", min_length=1)
    """Where ClaimCheckIssued goes, and its source: the workflow puts the entries this function
    builds (one per version published)."""


class FinishSettings(ClaimsSettings):
    """FinishResolve: what happens to a payload once imported."""

    after_success: AfterSuccess = Field(default=DEFAULT_AFTER_SUCCESS, alias="CLAIM_AFTER_SUCCESS")


class ImportSettings(BucketSettings):
    """ImportRange: the payload bucket and the order table the orders go to."""

    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)


def load_split_settings() -> SplitSettings:
    return settings_from_environment(SplitSettings)


def load_claims_settings() -> ClaimsSettings:
    return settings_from_environment(ClaimsSettings)


def load_finish_settings() -> FinishSettings:
    return settings_from_environment(FinishSettings)


def load_import_settings() -> ImportSettings:
    return settings_from_environment(ImportSettings)
