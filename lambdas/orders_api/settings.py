"""Settings of the orders API: whose tokens it accepts and which role its operators assume
(see ``identity``)."""

from pydantic import Field, field_validator

from task_io.settings import EnvironmentSettings, settings_from_environment


class AccessSettings(EnvironmentSettings):
    """The app clients whose customer tokens the API accepts, and the operator role's ARN."""

    customer_client_ids: frozenset[str] = Field(alias="CUSTOMER_CLIENT_IDS", min_length=1)
    operator_role_arn: str = Field(alias="OPERATOR_ROLE_ARN", pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/")

    @field_validator("customer_client_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(name.strip() for name in value.split(",") if name.strip())
        return value


def load_access_settings() -> AccessSettings:
    return settings_from_environment(AccessSettings)
