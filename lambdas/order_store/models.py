"""Pydantic models of what the order table stores.

Python attributes are snake_case; the table, the API and the events use camelCase, produced by
an alias generator so a field is named once. Numbers are integers in minor currency units:
DynamoDB returns numbers as ``Decimal`` and floats would lose cents.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from order_store.countries import ISO_3166_ALPHA2
from task_io.models import CamelModel

OrderStatus = Literal["PLACED", "CONFIRMED", "CANCELLED", "NEEDS_ATTENTION"]
SagaStatus = Literal["RUNNING", "COMPENSATING", "COMPLETED", "CANCELLED", "NEEDS_ATTENTION"]
"""The order saga's lock (``ORDER#<id>`` / ``SAGA``): RUNNING forward, COMPENSATING once it has
begun to undo (a confirmation can no longer commit), then how it ended."""
"""NEEDS_ATTENTION: the order saga could not undo a failed order by itself; an operator must."""
OutboxStatus = Literal["PENDING", "PUBLISHING", "PUBLISHED"]

MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = 100_000_000
MAX_ORDER_LINES = 50
"""With at most 50 lines, a total stays below 2**53: every JSON consumer reads it exactly."""
MAX_REASON_LENGTH = 1000

STATUS_DETAIL_FIELDS: dict[str, str] = {
    "cancellationReason": "cancellation_reason",
    "attentionReason": "attention_reason",
}
"""Order attributes a status change may set besides the status (attribute name -> model field).

Writers name them explicitly and nothing else may be set this way, so a status change can never
overwrite the order's facts (items, total, address) or its outbox sequence.
"""

ORDER_AGGREGATE_TYPE = "Order"


def _known_country(code: str) -> str:
    if code not in ISO_3166_ALPHA2:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. DE")
    return code


_CONTROL_CHARACTERS = frozenset(chr(code) for code in range(0x20)) - {"\t"}


def _printable(text: str) -> str:
    """Refuse C0 control characters (NUL, line breaks, escape...; a tab is allowed): they end up
    in labels, emails and logs, where they corrupt output or smuggle lines."""
    if any(character in _CONTROL_CHARACTERS for character in text):
        raise ValueError("must not contain control characters (only a tab is allowed)")
    return text


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_known_country)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")]
Text200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Text100 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_printable)
]
PostalCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(_printable)
]


class OrderLine(CamelModel):
    """One product line; ``unitPrice`` in minor units of the order currency."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: int = Field(ge=0, le=MAX_UNIT_PRICE)

    @property
    def amount(self) -> int:
        """Line amount in minor units."""
        return self.quantity * self.unit_price


class ShippingAddress(CamelModel):
    """Personal data: stored with the order, returned to its owner, never put on an event."""

    model_config = ConfigDict(extra="forbid")

    name: Text200
    line1: Text200
    line2: Text200 | None = None
    city: Text100
    postal_code: PostalCode
    country: CountryCode


def order_total(lines: list[OrderLine]) -> int:
    """Total of an order in minor units: the sum of its line amounts."""
    return sum(line.amount for line in lines)


class Order(CamelModel):
    """The order item (``ORDER#<id>`` / ``ORDER``) without its key attributes.

    ``outboxSequence`` is the last outbox sequence used for the order: appending an event is
    conditional on it, which serialises writers of the same aggregate. ``cancellationReason`` and
    ``attentionReason`` are set by the order saga with the CANCELLED / NEEDS_ATTENTION status.
    """

    order_id: str
    customer_id: str
    items: list[OrderLine] = Field(min_length=1)
    currency: CurrencyCode
    total_amount: int = Field(ge=0)
    shipping_address: ShippingAddress
    status: OrderStatus
    created_at: str
    idempotency_key: str
    request_hash: str
    outbox_sequence: int = Field(ge=0)
    cancellation_reason: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)
    attention_reason: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)

    @model_validator(mode="after")
    def _total_matches_lines(self) -> "Order":
        if self.total_amount != order_total(self.items):
            raise ValueError("totalAmount must equal the sum of quantity * unitPrice over the items")
        return self


class OutboxKey(CamelModel):
    """Identifies one outbox record; the event id guards against a key being reused."""

    pk: str = Field(min_length=1)
    sk: str = Field(min_length=1)
    event_id: str = Field(min_length=1)


class OutboxRecord(CamelModel):
    """An outbox item: one domain event waiting to be (or already) published to the bus.

    ``detail`` holds the event's business facts as a JSON string, so the record is stored
    exactly as it will be published. ``pendingShard`` exists only while the record is not
    PUBLISHED, which makes the PendingOutbox index sparse.
    """

    pk: str
    sk: str
    record_type: Literal["OUTBOX"] = "OUTBOX"
    event_id: str
    aggregate_type: str
    aggregate_id: str
    sequence: int = Field(ge=1)
    event_type: str = Field(min_length=1)
    event_version: str | None = None
    """The version of the event's contract ``detail`` follows (None: written before versioning)."""
    detail: str
    status: OutboxStatus
    created_at: str
    attempts: int = Field(default=0, ge=0)
    pending_shard: str | None = None
    claim_token: str | None = None
    claim_expires_at: int | None = None
    published_at: str | None = None
    expires_at: int | None = None
    last_error: str | None = None
    last_error_code: str | None = None
    last_error_message: str | None = None

    @property
    def key(self) -> OutboxKey:
        """The record's key as the publisher workflow carries it."""
        return OutboxKey(pk=self.pk, sk=self.sk, event_id=self.event_id)


MAX_ERROR_CODE_LENGTH = 128
MAX_ERROR_MESSAGE_LENGTH = 1000


def _bounded(limit: int, empty: str) -> AfterValidator:
    return AfterValidator(lambda value: value[:limit] or empty)


class PublishFailure(CamelModel):
    """Why the bus did not take a record's event, kept on the record when it is released so an
    operator sees why it is still PENDING.

    Both parts are cut to a bound on construction: a message can be a whole stack trace (the
    Cause of a failed task), and the record is read again on every claim.
    """

    code: Annotated[str, _bounded(MAX_ERROR_CODE_LENGTH, "Unknown")]
    message: Annotated[str, _bounded(MAX_ERROR_MESSAGE_LENGTH, "")]

    @property
    def summary(self) -> str:
        """Code and message on one line: the record's ``lastError``."""
        return f"{self.code}: {self.message}" if self.message else self.code


def status_detail_updates(attributes: Mapping[str, str] | None) -> dict[str, str]:
    """Validate the extra attributes of a status change: model field -> value.

    Raises ValueError for an attribute that is not a status detail, or a value that is empty or
    longer than the model allows, before anything is written.
    """
    updates: dict[str, str] = {}
    for attribute, value in (attributes or {}).items():
        field = STATUS_DETAIL_FIELDS.get(attribute)
        if field is None:
            raise ValueError(f"{attribute} is not an attribute a status change may set")
        if not value or len(value) > MAX_REASON_LENGTH:
            raise ValueError(f"{attribute} must be 1-{MAX_REASON_LENGTH} characters")
        updates[field] = value
    return updates


@dataclass(frozen=True)
class SagaLockChange:
    """A move of the order's saga lock, made in the same transaction as an order event.

    The event is written only if the lock is where the change expects it: that is how the
    saga's pivot is one atomic decision (a confirmation commits only while its execution's saga
    is RUNNING; compensation begins only by moving the lock away from RUNNING), and how an
    invalid event's cancellation checks that no saga owns the order in the same write.
    """

    status: SagaStatus
    owner: str | None
    """The execution that must hold the lock; None when no execution may hold it (no lock yet,
    or a lock in one of ``expected``): the lock is then written without an owner."""
    expected: tuple[SagaStatus, ...]
