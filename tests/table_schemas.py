"""The deployed tables' schemas in CreateTable's shape, written once: the integration tests create
their moto tables from these, and an infra test holds them equal to the synthesized template
(so an adapter is never tested against a table the stack does not create)."""

from typing import Any

from workflows import constants as c

ORDERS_TABLE_SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "pendingShard", "AttributeType": "S"},
        {"AttributeName": "createdAt", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": c.PENDING_OUTBOX_INDEX,
            "KeySchema": [
                {"AttributeName": "pendingShard", "KeyType": "HASH"},
                {"AttributeName": "createdAt", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
}
ORDERS_TABLE_TTL_ATTRIBUTE = "expiresAt"

PK_TABLE_SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
}
"""The saga's tables (inventory, payments, shipments): partition key ``pk`` only, no stream."""
