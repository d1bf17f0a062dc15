"""Typed settings built from the environment: the only place task code reads ``os.environ``.

Settings are built per invocation (cheap) rather than at import: a misdeployed function then
fails its invocation with InvalidConfiguration, a named error the state machine and the
failure metrics see, instead of failing its init phase with an import error; and tests can
change the environment between two invocations of the same handler module.
"""

import os

from pydantic import BaseModel, ConfigDict, ValidationError


class InvalidConfiguration(Exception):
    """A required environment variable is missing or malformed; the function is misdeployed."""


class EnvironmentSettings(BaseModel):
    """Base for settings models: fields are declared with the environment variable as alias."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=True, defer_build=True
    )


def settings_from_environment[SettingsT: EnvironmentSettings](model: type[SettingsT]) -> SettingsT:
    """Build ``model`` from the current environment, naming every missing or bad variable."""
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise InvalidConfiguration(f"{model.__name__}: {problems}") from error
