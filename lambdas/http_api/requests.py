"""Reading a JSON request body: media type (415), size (413), JSON syntax (400), model (422).

The checks are split in two so an API can check its own headers in between (the orders API
refuses a bad Idempotency-Key before it parses the body). Each API passes its own size limit.
"""

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import pydantic_core
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, RequestEntityTooLargeError
from pydantic import BaseModel, ValidationError

from http_api.errors import RequestValidationFailed, UnsupportedMediaType


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json``, with no charset or a UTF-8 one (the only encoding JSON allows)."""
    if not content_type:
        return False
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != "application/json":
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in {"utf-8", "utf8"}:
            return False
    return True


def body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    """The body as API Gateway received it: decoded when it was passed on base64-encoded.

    Not Powertools' ``decoded_body``: that gives text (a signature is computed over the bytes)
    and lets invalid base64 escape as a 500, where the client sent a bad request (400)."""
    if body is None:
        return b""
    if not is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequestError("Request body is not valid base64") from error


def json_body_bytes(
    headers: Mapping[str, str], body: str | None, is_base64_encoded: bool, *, max_body_bytes: int
) -> bytes:
    """The raw body of a request declared as JSON and no larger than ``max_body_bytes``.

    Raises UnsupportedMediaType (415) or RequestEntityTooLargeError (413). ``headers`` must be
    case-insensitive, as Powertools' are.
    """
    if not is_json_media_type(headers.get("Content-Type")):
        raise UnsupportedMediaType("Content-Type must be application/json")
    raw = body_bytes(body, is_base64_encoded)
    if len(raw) > max_body_bytes:
        raise RequestEntityTooLargeError(f"Request body must not exceed {max_body_bytes} bytes")
    return raw


def _field_name(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def parse_json_model[ModelT: BaseModel](model: type[ModelT], raw: bytes) -> ModelT:
    """``raw`` parsed as JSON (else BadRequestError, 400) and validated strictly by its aliases as
    ``model`` (else RequestValidationFailed, 422, naming every invalid field)."""
    try:
        # RFC 8259 JSON only: NaN and Infinity are not JSON, whatever Python's parser accepts
        document: Any = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError as error:
        raise BadRequestError("Request body is not valid JSON") from error
    try:
        return model.model_validate(document, strict=True, by_alias=True, by_name=False)
    except ValidationError as error:
        raise RequestValidationFailed(
            [
                {"field": _field_name(detail["loc"]), "message": detail["msg"]}
                for detail in error.errors(include_url=False, include_input=False)
            ]
        ) from error
