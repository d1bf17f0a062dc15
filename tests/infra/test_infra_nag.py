"""cdk-nag AwsSolutions: no finding is left unaddressed, and every acknowledgement says why.

Why test it when synthesis already prints findings: a printed warning is easy to scroll
past; a failing test is not. The reason check keeps acknowledgements honest.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synthesis import Synthesized

pytestmark = pytest.mark.infra

_AWS_SOLUTIONS = r"AwsSolutions-"
_MIN_REASON_LENGTH = 60
_TRIVIAL_REASONS = {
    "ok",
    "fine",
    "n/a",
    "na",
    "todo",
    "not needed",
    "false positive",
    "by design",
    "suppressed",
}


def _suppressions(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    """(logical id, suppression) for every cdk-nag acknowledgement in the template metadata."""
    found = []
    sections = [("<template>", synthesized.template_json)]
    sections += [(lid, resource) for lid, resource in synthesized.resources.items()]
    for logical_id, section in sections:
        for suppression in section.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.append((logical_id, suppression))
    return found


def test_no_unacknowledged_aws_solutions_errors(synthesized: Synthesized) -> None:
    # Given the stack checked by AwsSolutionsChecks during synthesis
    # When we collect its error annotations
    errors = synthesized.annotated("error", _AWS_SOLUTIONS)
    # Then there are none
    assert errors == []


def test_no_unacknowledged_aws_solutions_warnings(synthesized: Synthesized) -> None:
    warnings = synthesized.annotated("warning", _AWS_SOLUTIONS)
    assert warnings == []


def test_every_acknowledgement_has_a_specific_reason(synthesized: Synthesized) -> None:
    # Given every cdk-nag suppression written into the template
    suppressions = _suppressions(synthesized)
    assert suppressions, "expected the documented acknowledgements (IAM5 X-Ray, L1, SQS3 DLQs...)"
    for logical_id, suppression in suppressions:
        reason = str(suppression.get("reason", "")).strip()
        # Then each one names a rule and explains itself in a real sentence
        assert suppression["id"].startswith("AwsSolutions-"), (logical_id, suppression)
        assert reason.lower() not in _TRIVIAL_REASONS, (logical_id, suppression)
        assert len(reason) >= _MIN_REASON_LENGTH, (logical_id, suppression)


def test_acknowledgements_are_resource_level_not_stack_wide(synthesized: Synthesized) -> None:
    # Then nothing is acknowledged for the whole stack ...
    assert not synthesized.template_json.get("Metadata", {}).get("cdk_nag")
    # ... and wildcard acknowledgements are limited to the findings they name
    for logical_id, suppression in _suppressions(synthesized):
        if suppression["id"] in {"AwsSolutions-IAM4", "AwsSolutions-IAM5"}:
            assert suppression.get("applies_to"), (logical_id, suppression)


def test_acknowledged_rules_are_the_reviewed_set(synthesized: Synthesized) -> None:
    # Given the acknowledged findings
    acknowledged = {suppression["id"] for _, suppression in _suppressions(synthesized)}
    # Then they are exactly the ones reviewed for this design (a new one needs a new review)
    assert acknowledged == {
        "AwsSolutions-IAM4",  # API Gateway account CloudWatch role: AWS-managed policy
        "AwsSolutions-IAM5",  # X-Ray and vended-logs actions without resource-level permissions
        "AwsSolutions-L1",  # python3.13 pinned together with the Powertools layer
        "AwsSolutions-SQS3",  # dead-letter queues have no DLQ of their own
        "AwsSolutions-APIG3",  # WAF not used on a SigV4-only API, nor on the signed-notice webhook
        "AwsSolutions-COG4",  # AWS_IAM authorization instead of Cognito; the webhook: signed notices
        "AwsSolutions-APIG4",  # the webhook: the provider has no AWS identity, its notices are signed
        "AwsSolutions-SMG4",  # the webhook secret rotates by hand: the provider must be given it
        "AwsSolutions-COG3",  # threat protection: PLUS feature plan (the rule checks the old setting)
        "AwsSolutions-S1",  # the payload bucket's access-log bucket does not log to itself
    }
