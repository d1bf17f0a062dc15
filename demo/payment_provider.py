"""The payment provider's side of the callback, played locally.

On AWS an external provider calls `POST /payments/webhook` when it has decided.
Here the provider is the payments ledger (its adapter decides by rule when the
saga asks) plus this small driver, which delivers the ledger's decision through
the real webhook route: on time, late, twice, or never, as a scenario needs.

It is an outside party on the app's virtual clock (`LocalApp.add_party`): each
time the app is quiet it looks for new requests and answers each one
`answer_after` (virtual) seconds after it saw it, or never (`None`). A provider
answering after 4 minutes is waited for; one answering after 6 minutes finds the
saga's 300 s heartbeat expired, whatever the machine's load.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from local_runtime import LocalApp
from local_runtime.clock import as_seconds

_deserializer = TypeDeserializer()
WEBHOOK_PATH = "/payments/webhook"


class PaymentProvider:
    def __init__(self, app: LocalApp, answer_after: float | timedelta | None = 2.0) -> None:
        self._app = app
        self.answer_after = answer_after
        self.answers: list[tuple[str, str, int]] = []
        self._seen: set[str] = set()

    def ledger(self) -> list[dict[str, Any]]:
        table = self._app.output("PaymentsTableName")
        items = self._app.client("dynamodb").scan(TableName=table)["Items"]
        return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in items]

    def requested(self) -> list[dict[str, Any]]:
        """Authorization requests still waiting for the provider's answer (filtered by the scan
        itself: the provider looks at every quiet instant, and the ledger grows with the orders)."""
        pages = (
            self._app.client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self._app.output("PaymentsTableName"),
                FilterExpression="#status = :requested",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":requested": {"S": "REQUESTED"}},
            )
        )
        return [
            {k: _deserializer.deserialize(v) for k, v in item.items()}
            for item in pages.build_full_result()["Items"]
        ]

    def answer(self, authorization_id: str, outcome: str, reason: str | None = None) -> int:
        """Deliver one webhook call; returns the HTTP status the platform answered."""
        body: dict[str, Any] = {"authorizationId": authorization_id, "outcome": outcome}
        if reason:
            body["reason"] = reason
        response = self._app.api.request(
            "POST", WEBHOOK_PATH, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        self.answers.append((authorization_id, outcome, response.status))
        return response.status

    def decide(self, entry: dict[str, Any]) -> int:
        """Answer one request with the decision the ledger's rules recorded."""
        if entry.get("decision") == "DECLINE":
            return self.answer(
                entry["authorizationId"], "DECLINED", str(entry.get("declineReason", "declined"))
            )
        return self.answer(entry["authorizationId"], "AUTHORIZED")

    def answer_pending(self) -> int:
        """Answer every pending request once; returns how many were answered."""
        pending = self.requested()
        for entry in pending:
            self.decide(entry)
        return len(pending)

    def act(self, app: LocalApp) -> int:
        """As a party: take every request not seen yet and answer it `answer_after` from now."""
        if self.answer_after is None:
            return 0
        new = [entry for entry in self.requested() if entry["authorizationId"] not in self._seen]
        delay = as_seconds(self.answer_after)
        for entry in new:
            self._seen.add(entry["authorizationId"])
            if delay <= 0:
                self.decide(entry)
            else:
                app.after(delay, lambda entry=entry: self.decide(entry))
        return len(new)

    def settle(self, timeout: float = 120.0) -> None:
        """Run the platform until nothing waits on the provider, the provider answering each
        request `answer_after` after it appeared (by default 2 s: well inside the heartbeat)."""
        self._app.drain(timeout=timeout, each_round=lambda: self.act(self._app))
