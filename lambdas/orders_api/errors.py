"""Failures of the orders API besides the request refusals of ``http_api.errors``.

The domain error (a reused idempotency key) stays HTTP-agnostic and is mapped in the handler.
"""

from http_api.errors import ApiError


class NotTheCustomer(ApiError):
    """The caller placed an order in the name of a customer it does not act for."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("The caller may not place orders for this customer")


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used by this customer for a different request."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"Idempotency-Key already used for a different request (order {order_id})")
        self.order_id = order_id
