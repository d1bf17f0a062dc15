"""The HTTPS payment gateway: what the provider is sent, and how each answer maps to the named
errors the saga retries or compensates on. The provider is played through the runtime's
outside world (no network); the stall test uses a real socket that never answers."""

import json
import socket
from collections.abc import Iterator

import pytest

from local_runtime.outside_http import OutsideRequest, OutsideResponse, OutsideWorld, install
from payments.errors import InvalidProviderEndpoint, PaymentProviderUnavailable, PaymentRequestRejected
from payments.gateway import HttpsPaymentGateway
from payments.models import AuthorizationRequest

ENDPOINT = "https://psp.test/v1/authorizations"
REQUEST = AuthorizationRequest(authorization_id="auth-1", order_id="order-1", amount=3499, currency="EUR")


@pytest.fixture
def world() -> Iterator[OutsideWorld]:
    outside = OutsideWorld()
    restore = install(outside)
    yield outside
    restore()


def _answering(world: OutsideWorld, status: int, body: bytes = b"{}") -> list[OutsideRequest]:
    seen: list[OutsideRequest] = []

    def provider(request: OutsideRequest) -> OutsideResponse:
        seen.append(request)
        return OutsideResponse(status=status, body=body)

    world.serve(ENDPOINT, provider)
    return seen


def test_the_request_is_a_json_post_keyed_by_the_authorization_id(world: OutsideWorld) -> None:
    seen = _answering(world, 202)
    HttpsPaymentGateway(ENDPOINT).request_authorization(REQUEST)
    (request,) = seen
    assert (request.method, request.url) == ("POST", ENDPOINT)
    assert request.header("Idempotency-Key") == "auth-1"
    assert request.header("Content-Type") == "application/json"
    assert json.loads(request.body) == {
        "authorizationId": "auth-1",
        "orderId": "order-1",
        "amount": 3499,
        "currency": "EUR",
    }


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_busy_or_failing_provider_is_unavailable(world: OutsideWorld, status: int) -> None:
    _answering(world, status, b'{"message": "try later"}')
    with pytest.raises(PaymentProviderUnavailable, match=f"{status}.*try later"):
        HttpsPaymentGateway(ENDPOINT).request_authorization(REQUEST)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_refused_request_is_rejected_not_retried(world: OutsideWorld, status: int) -> None:
    _answering(world, status, b'{"message": "unknown merchant"}')
    with pytest.raises(PaymentRequestRejected, match=f"{status}.*unknown merchant"):
        HttpsPaymentGateway(ENDPOINT).request_authorization(REQUEST)


@pytest.mark.parametrize("failure", [TimeoutError("read timed out"), ConnectionResetError("reset")])
def test_a_lost_connection_is_unavailable(world: OutsideWorld, failure: Exception) -> None:
    def provider(_: OutsideRequest) -> OutsideResponse:
        raise failure

    world.serve(ENDPOINT, provider)
    with pytest.raises(PaymentProviderUnavailable):
        HttpsPaymentGateway(ENDPOINT).request_authorization(REQUEST)


def test_an_unreachable_provider_is_unavailable(world: OutsideWorld) -> None:
    with pytest.raises(PaymentProviderUnavailable, match="unreachable"):
        HttpsPaymentGateway(ENDPOINT).request_authorization(REQUEST)


def test_a_stalled_provider_times_out_as_unavailable() -> None:
    # Given an endpoint that accepts the connection and never answers (a real socket)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        gateway = HttpsPaymentGateway(f"https://127.0.0.1:{port}/authorize", timeout_seconds=0.2)
        # When a request is sent / Then it ends as the retried error, not as a Lambda timeout
        with pytest.raises(PaymentProviderUnavailable):
            gateway.request_authorization(REQUEST)


@pytest.mark.parametrize("endpoint", ["http://psp.test/authorize", "psp.test/authorize", "https:///x", ""])
def test_only_https_endpoints_are_accepted(endpoint: str) -> None:
    with pytest.raises(InvalidProviderEndpoint):
        HttpsPaymentGateway(endpoint)
