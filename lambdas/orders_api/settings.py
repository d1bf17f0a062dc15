"""Settings of the orders API: who may read orders (see ``authorization``)."""

from pydantic import Field, field_validator

from task_io.settings import EnvironmentSettings, settings_from_environment


class AccessSettings(EnvironmentSettings):
    """The customer-access role (its session name is the customer id) and the operator roles."""

    customer_role_name: str = Field(alias="CUSTOMER_ROLE_NAME", min_length=1)
    operator_role_names: frozenset[str] = Field(alias="OPERATOR_ROLE_NAMES")

    @field_validator("operator_role_names", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(name.strip() for name in value.split(",") if name.strip())
        return value


def load_access_settings() -> AccessSettings:
    return settings_from_environment(AccessSettings)
