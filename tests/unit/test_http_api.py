"""The HTTP plumbing both APIs share: body checks, JSON responses and the refusal handlers.

The APIs' own tests (test_orders_api_handler, test_payment_webhook) check the same behaviour
through their handlers; these pin the shared pieces and the parameters each API passes in.
"""

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    RequestEntityTooLargeError,
)
from pydantic import BaseModel

from http_api.errors import RequestValidationFailed, UnsupportedMediaType
from http_api.requests import body_bytes, is_json_media_type, json_body_bytes, parse_json_model
from http_api.responses import json_response, register_refusal_handlers, service_unavailable
from tests.unit.fakes import FakeLambdaContext
from tests.unit.samples import api_event

JSON = {"Content-Type": "application/json"}


class Probe(BaseModel):
    name: str
    count: int


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("application/json; charset=UTF-8", True),
        ('application/json; charset="utf8"', True),
        ("application/json; charset=latin-1", False),
        ("text/plain", False),
        ("application/json-patch+json", False),
        ("", False),
        (None, False),
    ],
)
def test_only_json_in_utf_8_is_a_json_media_type(content_type: str | None, accepted: bool) -> None:
    assert is_json_media_type(content_type) is accepted


def test_a_base64_body_is_decoded_and_an_invalid_one_is_malformed() -> None:
    assert body_bytes(base64.b64encode(b'{"a": 1}').decode(), True) == b'{"a": 1}'
    assert body_bytes("é", False) == "é".encode()
    assert body_bytes(None, False) == b""
    with pytest.raises(BadRequestError, match="base64"):
        body_bytes("not base64!", True)


def test_the_size_limit_is_the_callers() -> None:
    # Given a body of exactly 10 bytes
    raw = "x" * 10
    # Then a limit of 10 accepts it and a limit of 9 refuses it with 413 and the limit named
    assert json_body_bytes(JSON, raw, False, max_body_bytes=10) == raw.encode()
    with pytest.raises(RequestEntityTooLargeError, match="must not exceed 9 bytes") as refused:
        json_body_bytes(JSON, raw, False, max_body_bytes=9)
    assert refused.value.status_code == 413


def test_the_media_type_is_checked_before_the_size() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        json_body_bytes({"Content-Type": "text/plain"}, "x" * 100, False, max_body_bytes=1)
    assert refused.value.status_code == 415


@pytest.mark.parametrize("raw", [b'{"name": ', b"not json", b"", b'{"name": "a", "count": NaN}'])
def test_a_body_that_is_not_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(BadRequestError, match="not valid JSON") as refused:
        parse_json_model(Probe, raw)
    assert refused.value.status_code == 400


def test_a_json_body_is_validated_strictly_and_every_invalid_field_is_named() -> None:
    assert parse_json_model(Probe, b'{"name": "a", "count": 2}') == Probe(name="a", count=2)
    with pytest.raises(RequestValidationFailed) as refused:
        parse_json_model(Probe, b'{"count": "2"}')
    assert refused.value.status_code == 422
    assert refused.value.msg == "Request validation failed"
    assert sorted(error["field"] for error in refused.value.errors) == ["count", "name"]
    with pytest.raises(RequestValidationFailed) as not_an_object:
        parse_json_model(Probe, b"[]")
    assert [error["field"] for error in not_an_object.value.errors] == ["body"]


def test_a_json_response_and_the_503() -> None:
    response = json_response(201, {"a": 1}, {"Location": "/x"})
    assert (response.status_code, json.loads(str(response.body))) == (201, {"a": 1})
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Location"] == "/x"
    unavailable = service_unavailable()
    assert unavailable.status_code == 503
    assert json.loads(str(unavailable.body)) == {"message": "Service temporarily unavailable, retry later"}
    assert unavailable.headers["Retry-After"] == "1"


class Conflict(Exception):
    pass


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    metrics = Metrics(namespace="HttpApiTest", service="http-api-test")
    yield metrics
    metrics.clear_metrics()


@pytest.fixture
def app(metrics: Metrics) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    refusal = register_refusal_handlers(app, metrics, "ProbeRequestsRefused")

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict) -> Response:
        return refusal(409, {"message": "conflict"})

    @app.post("/probe")
    def probe() -> Response:
        raw = json_body_bytes(app.current_event.headers, app.current_event.body, False, max_body_bytes=64)
        parsed = parse_json_model(Probe, raw)
        if parsed.name == "taken":
            raise Conflict
        if parsed.name == "refused":
            raise BadRequestError("refused")
        return json_response(200, parsed.model_dump())

    return app


def _post(app: APIGatewayRestResolver, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = api_event("POST", "/probe", body=body, headers=headers or JSON)
    return app.resolve(event, FakeLambdaContext())  # type: ignore[arg-type]


def _refusals(metrics: Metrics) -> float:
    return sum(metrics.metric_set.get("ProbeRequestsRefused", {}).get("Value", []))


@pytest.mark.parametrize(
    ("body", "headers", "status", "expected"),
    [
        ('{"name": "refused", "count": 1}', JSON, 400, {"message": "refused"}),
        ("not json", JSON, 400, {"message": "Request body is not valid JSON"}),
        ("{}", {"Content-Type": "text/plain"}, 415, {"message": "Content-Type must be application/json"}),
        ("x" * 65, JSON, 413, {"message": "Request body must not exceed 64 bytes"}),
        ('{"name": "taken", "count": 1}', JSON, 409, {"message": "conflict"}),
    ],
)
def test_every_refusal_is_rendered_as_json_and_counted(
    app: APIGatewayRestResolver,
    metrics: Metrics,
    body: str,
    headers: dict[str, str],
    status: int,
    expected: dict[str, Any],
) -> None:
    response = _post(app, body, headers)
    assert response["statusCode"] == status
    assert json.loads(response["body"]) == expected
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert _refusals(metrics) == 1


def test_a_validation_failure_lists_the_fields(app: APIGatewayRestResolver, metrics: Metrics) -> None:
    response = _post(app, '{"name": "a"}')
    assert response["statusCode"] == 422
    body = json.loads(response["body"])
    assert body["message"] == "Request validation failed"
    assert [error["field"] for error in body["errors"]] == ["count"]
    assert _refusals(metrics) == 1


def test_an_accepted_request_is_not_counted_as_refused(app: APIGatewayRestResolver, metrics: Metrics) -> None:
    response = _post(app, '{"name": "a", "count": 1}')
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"name": "a", "count": 1})
    assert _refusals(metrics) == 0
