"""The wire format every task model shares."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """Immutable model whose wire names are camelCase and which accepts either spelling.

    Its validator is built when first used (``defer_build``), not when the module is imported:
    a function's cold start does not pay for the schemas of models its invocation never uses,
    and validation itself is unchanged."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        defer_build=True,
    )
