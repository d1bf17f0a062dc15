"""Failures of the orders API besides the request refusals of ``http_api.errors`` (a caller acting
for another customer is Powertools' ForbiddenError, raised by the handler).

The domain error (a reused idempotency key) stays HTTP-agnostic and is mapped in the handler.
"""


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used by this customer for a different request."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"Idempotency-Key already used for a different request (order {order_id})")
        self.order_id = order_id
