"""The account-change notification, played locally: a user in the pool, an account whose
address changes, and the email that goes out, printed from the local SES outbox."""

from __future__ import annotations

from typing import Any, Protocol

from moto.ses.models import ses_backends

from demo.customers import CustomerAccount, customers
from local_runtime import LocalApp


class Expectations(Protocol):
    def expect(self, condition: bool, problem: str) -> None: ...


CUSTOMER = "grace"
PROFILE = {"given_name": "Grace", "family_name": "Hopper"}


def sign_up_grace(app: LocalApp) -> CustomerAccount:
    """Grace, who registers in the stack's user pool herself (and sets up TOTP at her first
    sign-in) unless she has: the customer who places orders and the user whose account changes
    notify her are one."""
    if CUSTOMER in customers(app):
        return customers(app)[CUSTOMER]
    return customers(app).register(CUSTOMER, **PROFILE)


def _sent(app: LocalApp) -> list[Any]:
    return list(ses_backends[app.account][app.region].sent_messages)


def run_account_change(app: LocalApp, checks: Expectations) -> None:
    """Grace's account (keyed by her sub, the customer id of her orders): a nickname change (no
    email), then an address change (one email, to the address she signed up with)."""
    print("\n== Account-change notification (accounts stream -> pipe, MODIFY only -> workflow -> SES)")
    sub = sign_up_grace(app).customer_id
    table = app.output("AccountsTableName")
    dynamodb = app.client("dynamodb")
    address = {"line1": {"S": "1 Navy Yard"}, "city": {"S": "Arlington"}}
    item = {
        "pk": {"S": sub},
        "sub": {"S": sub},
        "address": {"M": address},
        "nickname": {"S": "amazing grace"},
    }
    dynamodb.put_item(TableName=table, Item=item)
    app.drain()
    before = len(_sent(app))
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": sub}},
        UpdateExpression="SET nickname = :n",
        ExpressionAttributeValues={":n": {"S": "grandma COBOL"}},
    )
    app.drain()
    checks.expect(len(_sent(app)) == before, "a nickname change sent an email")
    print("   nickname changed: no email (not a security setting)")
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": sub}},
        UpdateExpression="SET address.line1 = :l",
        ExpressionAttributeValues={":l": {"S": "500 Harbor Road"}},
    )
    app.drain()
    sent = _sent(app)[before:]
    checks.expect(len(sent) == 1, f"the address change sent {len(sent)} emails")
    for message in sent:
        recipients = ", ".join(message.destinations["ToAddresses"])
        print(f"   address changed: email from {message.source} to {recipients}")
        print(f"   Subject: {message.subject}")
        for line in message.body.splitlines():
            print(f"   | {line}")
    executions = app.executions(app.output("AccountChangeNotificationStateMachineArn"))
    for execution in executions:
        print(
            f"   workflow {execution['status']}: {' -> '.join(app.states_visited(execution['executionArn']))}"
        )
    checks.expect(
        len(executions) == 2, f"{len(executions)} notification executions (the insert must not start one)"
    )
