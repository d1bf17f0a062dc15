"""The workflow contract: each task's input (the ASL ``Payload``) and output (stored by the state
machine at ``$.<step>.value``), as in asl/order_saga.asl.json.

A contract drift fails loudly with InvalidSagaInput instead of acting on the wrong order.
"""

import json
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

import task_io
from order_saga.errors import InvalidSagaInput
from order_saga.models import OrderRef, ReservedLine, SagaOrder
from order_store.models import MAX_REASON_LENGTH, CurrencyCode
from task_io.models import CamelModel

# --- shared pieces ------------------------------------------------------------------------------


class TaskFailure(BaseModel):
    """A Catch's error output, spelled as Step Functions writes it: ``{"Error", "Cause"}``."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True, defer_build=True)

    error: str = Field(alias="Error", min_length=1)
    cause: str | None = Field(default=None, alias="Cause")

    def reason(self) -> str:
        """The error name, plus the Lambda ``errorMessage`` when the cause is a Lambda error
        (``{"errorMessage", "errorType", ...}``); other causes (a callback's free text, a
        timeout) contribute nothing, so the reason never carries a stack trace."""
        message = _lambda_error_message(self.cause)
        reason = f"{self.error}: {message}" if message else self.error
        return reason[:MAX_REASON_LENGTH]


def _lambda_error_message(cause: str | None) -> str | None:
    if not cause:
        return None
    try:
        document = json.loads(cause)
    except ValueError:
        return None
    if not isinstance(document, dict) or "errorType" not in document:
        return None
    message = document.get("errorMessage")
    if not isinstance(message, str) or not message.strip():
        return None
    return message.strip()


class ReservationResult(CamelModel):
    """What ReserveInventory reserved, one line per SKU."""

    reservation_id: str = Field(min_length=1)
    lines: list[ReservedLine]


class ShipmentResult(CamelModel):
    """The booked shipment."""

    shipment_id: str = Field(min_length=1)
    carrier: str = Field(min_length=1)


# --- inputs -------------------------------------------------------------------------------------


class BeginRequest(CamelModel):
    """BeginSaga: the execution input (the raw Pipe batch) and the execution's id."""

    records: Any = Field(default=None)
    execution_id: str = Field(min_length=1)


class OrderRequest(CamelModel):
    """ReserveInventory and ArrangeShipment: the order."""

    order: SagaOrder


class PaymentRequest(CamelModel):
    """AuthorizePayment: the order and the task token the webhook answers."""

    order: SagaOrder
    task_token: str = Field(min_length=1)


class AuthorizedPayment(CamelModel):
    """The payment step's result: the output the webhook sent with SendTaskSuccess."""

    authorization_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
    currency: CurrencyCode
    status: Literal["AUTHORIZED"]


class ConfirmRequest(CamelModel):
    """ConfirmOrder: the order, the results of the three forward steps (the reservation is
    checked for shape only: OrderConfirmed names the payment and the shipment) and the
    execution, whose saga lock the confirmation requires."""

    order: SagaOrder
    reservation: ReservationResult
    payment: AuthorizedPayment
    shipment: ShipmentResult
    execution_id: str = Field(min_length=1)
    execution_start_time: datetime | None = None
    """When the saga started (``$$.Execution.StartTime``): its completion time is an SLO."""


class CompensationStartRequest(CamelModel):
    """Compensate: the order and the execution whose saga is to be fenced."""

    order: OrderRef
    execution_id: str = Field(min_length=1)


class CompensationRequest(CamelModel):
    """CancelShipment, VoidPayment, ReleaseInventory: the order (the step's own output, also in
    the payload, is not needed: the stored record says what to undo)."""

    order: OrderRef


class CancelOrderRequest(CamelModel):
    """CancelOrder: ``{"order", "failure"}`` after compensation, or ``{"records", "failure"}``
    when the event itself was invalid (then the order id is read from the raw batch)."""

    order: OrderRef | None = None
    records: Any = None
    failure: TaskFailure
    execution_id: str = Field(min_length=1)
    execution_start_time: datetime | None = None
    """When the saga started (``$$.Execution.StartTime``): its completion time is an SLO."""

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.order is None) == (self.records is None):
            raise ValueError("exactly one of order and records is required")
        return self


class ParkRequest(CamelModel):
    """ParkOrder: the order, the failure that started compensation and the one that stopped it."""

    order: OrderRef
    failure: TaskFailure
    compensation_failure: TaskFailure
    execution_id: str = Field(min_length=1)


# --- outputs ------------------------------------------------------------------------------------


class BeginResult(CamelModel):
    """``duplicate``: another execution owns this order's saga; ``order`` feeds every step."""

    duplicate: bool
    order: SagaOrder


class PaymentRequested(CamelModel):
    """AuthorizePayment's Lambda result (the state's result is the webhook's answer instead)."""

    authorization_id: str
    status: str


class Confirmation(CamelModel):
    """ConfirmOrder's result: the id of the OrderConfirmed event."""

    status: Literal["CONFIRMED"] = "CONFIRMED"
    event_id: str


class CompensationStarted(CamelModel):
    """Compensate's result: ``confirmed`` when the order turned out CONFIRMED (nothing is undone)."""

    confirmed: bool


class CompensationResult(CamelModel):
    """A compensation's result."""

    compensated: bool
    previous_status: str | None


class CancellationResult(CamelModel):
    """CancelOrder's result: ``reason`` is the cancellation reason, or why nothing was cancelled."""

    cancelled: bool
    reason: str


class ParkResult(CamelModel):
    """ParkOrder's result: the saga NEEDS_ATTENTION, and why."""

    status: Literal["NEEDS_ATTENTION"] = "NEEDS_ATTENTION"
    reason: str = ""


def parse_task_input[RequestT: BaseModel](model: type[RequestT], event: Any) -> RequestT:
    """Validate a task's event, turning a contract mismatch into InvalidSagaInput."""
    return task_io.parse(model, event, InvalidSagaInput)


task_output = task_io.task_output
