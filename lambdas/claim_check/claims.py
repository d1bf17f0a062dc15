"""The claims table (DynamoDB): one item per claim, ``CLAIM#<claimId>``, expiring by TTL.

The status moves ISSUED -> RESOLVING (one execution owns the resolve: the idempotency gate)
-> RESOLVED or FAILED, each move conditional on where it comes from, so a duplicate claim
event finds the claim taken and ends without processing anything. A claim that FAILED for a
reason a retry can cure (not missing, tampered or expired) may be taken again by a redrive.
"""

from datetime import datetime

from claim_check.errors import ClaimStoreUnavailable
from claim_check.models import Claim, ClaimRecord
from dynamo_tables import DynamoTable, dynamodb_client
from order_store.timestamps import iso_timestamp

MAX_CAUSE_LENGTH = 2048
FINAL_FAILURES = {"notfound": "ClaimNotFound", "integrity": "ClaimIntegrityError", "expired": "ClaimExpired"}
"""Failures no redrive can cure: the payload is gone, is not the claimed one, or came too late."""


def claim_pk(claim_id: str) -> str:
    """The claim's partition key."""
    return f"CLAIM#{claim_id}"


class DynamoClaims(DynamoTable):
    """Claims on the claims table."""

    unavailable = ClaimStoreUnavailable

    @staticmethod
    def _key(claim_id: str) -> dict[str, str]:
        return {"pk": claim_pk(claim_id)}

    def issue(self, claim: Claim) -> bool:
        """Store a new ISSUED claim; False (nothing written) when the claim exists."""
        record = ClaimRecord(**claim.model_dump(), status="ISSUED")
        return self._put_new({**self._key(claim.claim_id), **record.model_dump(exclude_none=True)})

    def get(self, claim_id: str) -> ClaimRecord | None:
        """The claim, read consistently, or None."""
        return self._get_model(ClaimRecord, self._key(claim_id))

    def begin(self, claim_id: str, execution_id: str) -> bool:
        """ISSUED -> RESOLVING for ``execution_id`` (or again for the same execution, on a retried
        task), or FAILED -> RESOLVING when the failure was not final (the import kept failing:
        a redrive of the parked message resumes it, and every line already placed replays);
        False when another execution holds it, it was resolved, or it failed for good."""
        return self._update_if(
            self._key(claim_id),
            update="SET #status = :resolving, #execution = :execution REMOVE #error, #cause",
            condition=(
                "#status = :issued OR (#status = :resolving AND #execution = :execution)"
                " OR (#status = :failed AND NOT #error IN (:notfound, :integrity, :expired))"
            ),
            names={
                "#status": "status",
                "#execution": "executionId",
                "#error": "failureError",
                "#cause": "failureCause",
            },
            values={
                ":issued": "ISSUED",
                ":resolving": "RESOLVING",
                ":failed": "FAILED",
                ":execution": execution_id,
                **{f":{key}": name for key, name in FINAL_FAILURES.items()},
            },
        )

    def resolve(
        self,
        claim_id: str,
        execution_id: str,
        accepted: int,
        rejected: int,
        report_key: str | None,
        now: datetime,
    ) -> bool:
        """RESOLVING -> RESOLVED with the import's result; False when not ours (or done)."""
        names = {
            "#status": "status",
            "#execution": "executionId",
            "#accepted": "accepted",
            "#rejected": "rejected",
            "#resolvedAt": "resolvedAt",
        }
        values: dict[str, object] = {
            ":resolving": "RESOLVING",
            ":resolved": "RESOLVED",
            ":execution": execution_id,
            ":accepted": accepted,
            ":rejected": rejected,
            ":now": iso_timestamp(now),
        }
        update = "SET #status = :resolved, #accepted = :accepted, #rejected = :rejected, #resolvedAt = :now"
        if report_key is not None:
            update += ", #report = :report"
            names["#report"] = "reportKey"
            values[":report"] = report_key
        return self._update_if(
            self._key(claim_id),
            update=update,
            condition="#status = :resolving AND #execution = :execution",
            names=names,
            values=values,
        )

    def fail(self, claim_id: str, execution_id: str, error: str, cause: str, now: datetime) -> bool:
        """Record why the claim could not be resolved, unless it was RESOLVED or another
        execution owns it; False then."""
        return self._update_if(
            self._key(claim_id),
            update=(
                "SET #status = :failed, #execution = :execution, #error = :error, #cause = :cause, #at = :now"
            ),
            condition=(
                "attribute_exists(pk) AND #status <> :resolved"
                " AND (#status = :issued OR #execution = :execution OR #status = :failed)"
            ),
            names={
                "#status": "status",
                "#execution": "executionId",
                "#error": "failureError",
                "#cause": "failureCause",
                "#at": "resolvedAt",
            },
            values={
                ":failed": "FAILED",
                ":resolved": "RESOLVED",
                ":issued": "ISSUED",
                ":execution": execution_id,
                ":error": error[:256],
                ":cause": cause[:MAX_CAUSE_LENGTH],
                ":now": iso_timestamp(now),
            },
        )


def claims_table(table_name: str) -> DynamoClaims:
    """The claims table on the process-wide client."""
    return DynamoClaims(table_name, dynamodb_client())
