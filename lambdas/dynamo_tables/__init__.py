"""The DynamoDB plumbing every adapter of the platform shares (orders, outbox, saga ledgers).

One low-level client per process (from ``aws_clients``: bounded calls), one item format
(boto3's TypeSerializer / TypeDeserializer: transactions exist only on the client), and one
mapping of failures: throttling, transient service errors and network errors become the
adapter's own ``*StoreUnavailable`` (which its workflow retries); a failed condition is
answered, never raised, by the conditional helpers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NoReturn

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

import aws_clients
from dynamo_tables.errors import CorruptRecord, StoreUnavailable

TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)
"""Error codes after which the same request may succeed: they map to a *StoreUnavailable error."""

_TRANSIENT_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)

_KEY_ATTRIBUTES = ("pk", "sk", "recordType")
_BATCH_GET_LIMIT = 100
_BATCH_GET_ATTEMPTS = 4
_BATCH_GET_BACKOFF_SECONDS = 0.05
CONDITION_FAILED = "ConditionalCheckFailed"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def dynamodb_client() -> Any:
    """One DynamoDB client per process, created at first use (not at import time)."""
    return aws_clients.client("dynamodb")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB attribute values; None means "attribute absent"."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values to plain values (numbers come back as Decimal)."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def error_code(error: ClientError) -> str:
    """The DynamoDB error code of a client error (``ConditionalCheckFailedException``...)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction, in request order (``"None"`` for items that
    passed), so a caller can tell which condition failed."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code") or "None") for reason in reasons]


class DynamoTable:
    """Shared plumbing of every DynamoDB adapter of the platform: the table name, the client and
    the one mapping of transient errors to the adapter's own ``*StoreUnavailable`` error (which
    its workflow retries). Adapters of other tables subclass it and set ``unavailable``."""

    unavailable: type[StoreUnavailable] = StoreUnavailable

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table_name = table_name
        self._client = client if client is not None else dynamodb_client()

    def _raise_unavailable(self, operation: str, error: Exception) -> NoReturn:
        raise self.unavailable(
            f"DynamoDB {operation} on {self._table_name} failed transiently: {error}"
        ) from error

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        """Run one client operation; transient failures become this table's Unavailable error,
        other client errors propagate unchanged for the caller to interpret."""
        try:
            response: dict[str, Any] = getattr(self._client, operation)(TableName=self._table_name, **request)
        except ClientError as error:
            if error_code(error) in TRANSIENT_ERROR_CODES:
                self._raise_unavailable(operation, error)
            raise
        except aws_clients.NETWORK_ERRORS as error:
            self._raise_unavailable(operation, error)
        return response

    def _get_model[ModelT: BaseModel](self, model: type[ModelT], key: Mapping[str, str]) -> ModelT | None:
        """Consistent read of one item into ``model`` (key attributes dropped); None when absent,
        CorruptRecord when the item does not match the model."""
        response = self._call("get_item", Key=to_item(key), ConsistentRead=True)
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        for attribute in _KEY_ATTRIBUTES:
            values.pop(attribute, None)
        try:
            return model.model_validate(values)
        except ValidationError as error:
            raise CorruptRecord(
                f"{dict(key)} in {self._table_name} does not match {model.__name__}: {error}"
            ) from error

    def _put_new(self, item: Mapping[str, Any]) -> bool:
        """Put ``item`` only if its key is free; False (nothing written) when it is taken."""
        return self._put_if(item, condition="attribute_not_exists(pk)")

    def _put_if(
        self,
        item: Mapping[str, Any],
        *,
        condition: str,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """A conditional put; False (nothing written) when the condition does not hold."""
        request: dict[str, Any] = {"Item": to_item(item), "ConditionExpression": condition}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = to_item(values)
        try:
            self._call("put_item", **request)
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def _update_if(
        self,
        key: Mapping[str, str],
        *,
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:
        """A conditional update; False (nothing written) when the condition does not hold."""
        try:
            self._call(
                "update_item",
                Key=to_item(key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def _batch_get(
        self, keys: list[dict[str, Any]], projection: str, *, consistent: bool = True
    ) -> list[dict[str, Any]]:
        """BatchGetItem of ``keys`` (unique, plain values), chunked to the API limit; consistent
        unless the caller can use a value a moment old (half the read units).

        Keys DynamoDB leaves unprocessed (throttling) are asked again a few times with a short
        backoff; if some are still unprocessed the read counts as a transient failure.
        """
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self._table_name: {
                    "Keys": [to_item(key) for key in keys[start : start + _BATCH_GET_LIMIT]],
                    "ConsistentRead": consistent,
                    "ProjectionExpression": projection,
                }
            }
            for attempt in range(_BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(_BATCH_GET_BACKOFF_SECONDS * 2**attempt)
                try:
                    response = self._client.batch_get_item(RequestItems=pending)
                except ClientError as error:
                    if error_code(error) in TRANSIENT_ERROR_CODES:
                        self._raise_unavailable("BatchGetItem", error)
                    raise
                except aws_clients.NETWORK_ERRORS as error:
                    self._raise_unavailable("BatchGetItem", error)
                items = response.get("Responses", {}).get(self._table_name, [])
                found.extend(from_item(item) for item in items)
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise self.unavailable(
                    f"DynamoDB BatchGetItem on {self._table_name} left keys unprocessed after"
                    f" {_BATCH_GET_ATTEMPTS} attempts"
                )
        return found

    def _transact(self, items: list[dict[str, Any]]) -> None:
        """TransactWriteItems; a cancelled transaction is re-raised for the caller unless it was
        cancelled for a transient reason."""
        addressed = [
            {operation: {**body, "TableName": self._table_name}}
            for item in items
            for operation, body in item.items()
        ]
        try:
            self._client.transact_write_items(TransactItems=addressed)
        except ClientError as error:
            code = error_code(error)
            if code in TRANSIENT_ERROR_CODES or (
                code == "TransactionCanceledException"
                and _TRANSIENT_CANCELLATION_CODES.intersection(cancellation_codes(error))
            ):
                self._raise_unavailable("TransactWriteItems", error)
            raise
        except aws_clients.NETWORK_ERRORS as error:
            self._raise_unavailable("TransactWriteItems", error)


def is_condition_failure(error: ClientError) -> bool:
    """True when a conditional write (or a transaction, through one of its items) failed its
    condition: the state was not what the caller expected, which is never transient."""
    return (
        error_code(error) == "TransactionCanceledException"
        and "ConditionalCheckFailed" in cancellation_codes(error)
    ) or error_code(error) == "ConditionalCheckFailedException"
