"""DynamoDB adapter for the order table (implements OrderRepository and OutboxRepository).

It uses the low-level client with boto3's TypeSerializer/TypeDeserializer, because the
transactional write (order + outbox record) is only available on the client, and one item
format for every call keeps the code uniform. Every state change of an outbox record is a
conditional write, so concurrent executions (a pipe delivery and a sweep, or a duplicate
delivery) can never both own or both settle a record.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from botocore.exceptions import ClientError
from pydantic import ValidationError

from dynamo_tables import (
    CONDITION_FAILED,
    DynamoTable,
    cancellation_codes,
    dynamodb_client,
    error_code,
    from_item,
    is_condition_failure,
    to_item,
)
from dynamo_tables.errors import CorruptRecord, StoreUnavailable
from order_store.errors import (
    OrderAlreadyExists,
    OrderNotFound,
    OrderStoreUnavailable,
    OutboxSequenceConflict,
    OutboxStoreUnavailable,
    SagaLockConflict,
)
from order_store.events import new_order_event
from order_store.keys import (
    ORDER_RECORD_TYPE,
    ORDER_SK,
    PENDING_OUTBOX_INDEX,
    SAGA_RECORD_TYPE,
    SAGA_SK,
    order_pk,
    pending_shards,
)
from order_store.models import (
    STATUS_DETAIL_FIELDS,
    Order,
    OrderStatus,
    OutboxKey,
    OutboxRecord,
    PublishFailure,
    SagaLockChange,
    status_detail_updates,
)
from order_store.timestamps import epoch_seconds, iso_timestamp


def _lock_change_item(order_id: str, change: SagaLockChange, moment: str) -> dict[str, Any]:
    """The transaction item that moves the saga lock, conditional on its owner and status."""
    expected = {f":expected{i}": status for i, status in enumerate(change.expected)}
    in_expected = f"#status IN ({', '.join(expected)})"
    key = {"pk": order_pk(order_id), "sk": SAGA_SK}
    if change.owner is not None:
        return {
            "Update": {
                "Key": to_item(key),
                "UpdateExpression": "SET #status = :new, #updatedAt = :now",
                "ConditionExpression": f"#executionId = :owner AND {in_expected}",
                "ExpressionAttributeNames": {
                    "#status": "status",
                    "#updatedAt": "updatedAt",
                    "#executionId": "executionId",
                },
                "ExpressionAttributeValues": to_item(
                    {":new": change.status, ":now": moment, ":owner": change.owner, **expected}
                ),
            }
        }
    return {
        "Put": {
            "Item": to_item(
                {
                    **key,
                    "recordType": SAGA_RECORD_TYPE,
                    "orderId": order_id,
                    "status": change.status,
                    "updatedAt": moment,
                }
            ),
            "ConditionExpression": f"attribute_not_exists(pk) OR {in_expected}",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(expected),
        }
    }


_AFTER_ALL = "9999-12-31T23:59:59.999Z"
"""A createdAt later than any record's: a cutoff that keeps every pending record."""


class DynamoOrderRepository(DynamoTable):
    """OrderRepository on the order table."""

    unavailable: type[StoreUnavailable] = OrderStoreUnavailable

    def create_order(self, order: Order, first_event: OutboxRecord) -> None:
        """One transaction: the order and its first outbox record, each only if absent."""
        order_item = {
            "pk": order_pk(order.order_id),
            "sk": ORDER_SK,
            "recordType": ORDER_RECORD_TYPE,
            **order.model_dump(exclude_none=True),
        }
        try:
            self._transact(
                [
                    {"Put": {"Item": to_item(order_item), "ConditionExpression": "attribute_not_exists(pk)"}},
                    {
                        "Put": {
                            "Item": to_item(first_event.model_dump(exclude_none=True)),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise OrderAlreadyExists(order.order_id) from error
            raise

    def get_order(self, order_id: str) -> Order | None:
        """Consistent read, so a replayed POST sees the order its first attempt just wrote."""
        return self._get_model(Order, {"pk": order_pk(order_id), "sk": ORDER_SK})

    def append_event(
        self,
        order_id: str,
        expected_sequence: int,
        event_type: str,
        data: Mapping[str, Any],
        status_update: OrderStatus | None = None,
        *,
        now: datetime | None = None,
        event_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
        lock_change: SagaLockChange | None = None,
    ) -> OutboxRecord:
        """Bump ``outboxSequence`` from ``expected_sequence`` (optionally setting the status and
        its detail attributes, and moving the saga lock) and put outbox record
        ``expected_sequence + 1``, in one transaction."""
        moment = now if now is not None else datetime.now(UTC)
        details = status_detail_updates(attributes)
        record = new_order_event(
            order_id=order_id,
            sequence=expected_sequence + 1,
            event_type=event_type,
            data=data,
            now=moment,
            event_id=event_id if event_id is not None else str(uuid4()),
        )
        set_clauses = ["#sequence = :next"]
        values: dict[str, Any] = {":next": record.sequence, ":expected": expected_sequence}
        names = {"#sequence": "outboxSequence"}
        condition = "attribute_exists(pk) AND #sequence = :expected"
        if status_update is not None or expected_status is not None:
            names["#status"] = "status"
        if status_update is not None:
            set_clauses.append("#status = :status")
            values[":status"] = status_update
        if expected_status is not None:
            condition += " AND #status = :expectedStatus"
            values[":expectedStatus"] = expected_status
        for position, (attribute, value) in enumerate(_detail_attributes(details).items()):
            set_clauses.append(f"#detail{position} = :detail{position}")
            names[f"#detail{position}"] = attribute
            values[f":detail{position}"] = value
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "Key": to_item({"pk": order_pk(order_id), "sk": ORDER_SK}),
                    "UpdateExpression": "SET " + ", ".join(set_clauses),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": to_item(values),
                }
            },
            {
                "Put": {
                    "Item": to_item(record.model_dump(exclude_none=True)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if lock_change is not None:
            items.append(_lock_change_item(order_id, lock_change, iso_timestamp(moment)))
        try:
            self._transact(items)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            codes = cancellation_codes(error)
            current = self.get_order(order_id)
            if current is None:
                raise OrderNotFound(order_id) from error
            if codes:
                order_failed = codes[0] == CONDITION_FAILED
            else:  # no reasons given: judge the order's own condition from what it is now
                order_failed = current.outbox_sequence != expected_sequence or (
                    expected_status is not None and current.status != expected_status
                )
            if lock_change is not None and not order_failed:
                raise SagaLockConflict(
                    f"the saga lock of order {order_id} is not {'/'.join(lock_change.expected)}"
                    f"{'' if lock_change.owner is None else ' under ' + lock_change.owner}"
                ) from error
            raise OutboxSequenceConflict(order_id, expected_sequence, current.outbox_sequence) from error
        return record

    def update_status(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
    ) -> bool:
        """Set the status (and its detail attributes) of an existing order, without an event;
        only if it is ``expected_status`` when given (False otherwise)."""
        details = _detail_attributes(status_detail_updates(attributes))
        names = {"#status": "status", **{f"#detail{i}": name for i, name in enumerate(details)}}
        values: dict[str, Any] = {
            ":status": status,
            **{f":detail{i}": value for i, value in enumerate(details.values())},
        }
        update = "SET " + ", ".join(f"{name} = :{name[1:]}" for name in names)
        condition = "attribute_exists(pk)"
        if expected_status is not None:
            condition += " AND #status = :expectedStatus"
            values[":expectedStatus"] = expected_status
        try:
            self._call(
                "update_item",
                Key=to_item({"pk": order_pk(order_id), "sk": ORDER_SK}),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            if expected_status is None or self.get_order(order_id) is None:
                raise OrderNotFound(order_id) from error
            return False
        return True


def _detail_attributes(details: Mapping[str, str]) -> dict[str, str]:
    """Model fields of status details back to their attribute names (camelCase)."""
    attribute_of = {field: attribute for attribute, field in STATUS_DETAIL_FIELDS.items()}
    return {attribute_of[field]: value for field, value in details.items()}


class DynamoOutboxRepository(DynamoTable):
    """OutboxRepository on the order table and its sparse PendingOutbox index."""

    unavailable = OutboxStoreUnavailable

    def claim(
        self, key: OutboxKey, claim_token: str, now: datetime, lease_seconds: int
    ) -> OutboxRecord | None:
        """Conditional claim; the same token may claim again, so a retried claim step of one
        execution gets back the records its first attempt already claimed."""
        moment = epoch_seconds(now)
        try:
            response = self._call(
                "update_item",
                Key=to_item({"pk": key.pk, "sk": key.sk}),
                UpdateExpression="SET #status = :publishing, #token = :token, #leaseEnd = :leaseEnd",
                ConditionExpression=(
                    "#eventId = :eventId AND (#status = :pending OR (#status = :publishing"
                    " AND (#leaseEnd < :now OR #token = :token)))"
                ),
                ExpressionAttributeNames={
                    "#status": "status",
                    "#token": "claimToken",
                    "#leaseEnd": "claimExpiresAt",
                    "#eventId": "eventId",
                },
                ExpressionAttributeValues=to_item(
                    {
                        ":publishing": "PUBLISHING",
                        ":pending": "PENDING",
                        ":token": claim_token,
                        ":leaseEnd": moment + lease_seconds,
                        ":now": moment,
                        ":eventId": key.event_id,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        try:
            return OutboxRecord.model_validate(from_item(response["Attributes"]))
        except ValidationError as error:
            raise CorruptRecord(
                f"outbox record {key.pk}/{key.sk} does not match the model: {error}"
            ) from error

    def find_stale(self, created_before: datetime, limit: int) -> list[OutboxKey]:
        """Query every pending shard for records older than the cutoff; merge oldest first."""
        cutoff = iso_timestamp(created_before)
        found: list[tuple[str, OutboxKey]] = []
        for shard in pending_shards():
            found.extend(self._stale_in_shard(shard, cutoff, limit))
        found.sort(key=lambda pair: pair[0])
        return [key for _, key in found[:limit]]

    def oldest_pending_created_at(self) -> str | None:
        """The first record of each pending shard (the index sorts by createdAt); the oldest."""
        firsts = [
            created for shard in pending_shards() for created, _ in self._stale_in_shard(shard, _AFTER_ALL, 1)
        ]
        return min(firsts, default=None)

    def _stale_in_shard(self, shard: str, cutoff: str, limit: int) -> list[tuple[str, OutboxKey]]:
        results: list[tuple[str, OutboxKey]] = []
        request: dict[str, Any] = {
            "IndexName": PENDING_OUTBOX_INDEX,
            "KeyConditionExpression": "#shard = :shard AND #createdAt < :cutoff",
            "ExpressionAttributeNames": {
                "#shard": "pendingShard",
                "#createdAt": "createdAt",
                "#pk": "pk",
                "#sk": "sk",
                "#eventId": "eventId",
            },
            "ExpressionAttributeValues": to_item({":shard": shard, ":cutoff": cutoff}),
            "ProjectionExpression": "#pk, #sk, #eventId, #createdAt",
            "ScanIndexForward": True,
        }
        while len(results) < limit:
            response = self._call("query", Limit=limit - len(results), **request)
            for item in response.get("Items", []):
                values = from_item(item)
                results.append(
                    (
                        str(values["createdAt"]),
                        OutboxKey(pk=values["pk"], sk=values["sk"], event_id=values["eventId"]),
                    )
                )
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return results

    def mark_published(self, key: OutboxKey, claim_token: str, now: datetime, expires_at: int) -> bool:
        """PUBLISHED, TTL set, leaves the sparse index; if_not_exists keeps a re-run from moving
        the first publication time."""
        return self._conditional_update(
            key,
            update=(
                "SET #status = :published, #publishedAt = if_not_exists(#publishedAt, :publishedAt),"
                " #expiresAt = if_not_exists(#expiresAt, :expiresAt)"
                " REMOVE #shard, #token, #leaseEnd"
            ),
            condition="#token = :token OR #status = :published",
            names={
                "#status": "status",
                "#publishedAt": "publishedAt",
                "#expiresAt": "expiresAt",
                "#shard": "pendingShard",
                "#token": "claimToken",
                "#leaseEnd": "claimExpiresAt",
            },
            values={
                ":published": "PUBLISHED",
                ":publishedAt": iso_timestamp(now),
                ":expiresAt": expires_at,
                ":token": claim_token,
            },
        )

    def unclaim(self, key: OutboxKey, claim_token: str) -> bool:
        """Back to PENDING without counting an attempt: the record was never sent."""
        return self._conditional_update(
            key,
            update="SET #status = :pending REMOVE #token, #leaseEnd",
            condition="#token = :token",
            names={"#status": "status", "#token": "claimToken", "#leaseEnd": "claimExpiresAt"},
            values={":pending": "PENDING", ":token": claim_token},
        )

    def release(self, key: OutboxKey, claim_token: str, failure: PublishFailure) -> bool:
        """Back to PENDING (still in the sparse index) with the attempt counted and the reason kept:
        code and message apart for operators and queries, and together in lastError, the one
        attribute records released before carry."""
        return self._conditional_update(
            key,
            update=(
                "SET #status = :pending, #attempts = if_not_exists(#attempts, :zero) + :one,"
                " #lastError = :error, #lastErrorCode = :code, #lastErrorMessage = :message"
                " REMOVE #token, #leaseEnd"
            ),
            condition="#token = :token",
            names={
                "#status": "status",
                "#attempts": "attempts",
                "#lastError": "lastError",
                "#lastErrorCode": "lastErrorCode",
                "#lastErrorMessage": "lastErrorMessage",
                "#token": "claimToken",
                "#leaseEnd": "claimExpiresAt",
            },
            values={
                ":pending": "PENDING",
                ":zero": 0,
                ":one": 1,
                ":error": failure.summary,
                ":code": failure.code,
                ":message": failure.message,
                ":token": claim_token,
            },
        )

    def _conditional_update(
        self, key: OutboxKey, *, update: str, condition: str, names: dict[str, str], values: dict[str, Any]
    ) -> bool:
        return self._update_if(
            {"pk": key.pk, "sk": key.sk}, update=update, condition=condition, names=names, values=values
        )


def order_repository(table_name: str) -> DynamoOrderRepository:
    """The order repository on the process-wide client."""
    return DynamoOrderRepository(table_name, dynamodb_client())


def outbox_repository(table_name: str) -> DynamoOutboxRepository:
    """The outbox repository on the process-wide client."""
    return DynamoOutboxRepository(table_name, dynamodb_client())
