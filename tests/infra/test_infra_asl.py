"""ASL files: valid per asl-validator, and deployed byte-for-byte with matching substitutions.

Why: `asl/` is the single source of truth. The template must carry exactly that text as its
DefinitionString (no S3 asset, no rewriting), and every `${Placeholder}` must be substituted
with a resource of this stack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.synthesis import REPO_ROOT, Synthesized
from visualize.trace import failure_path_states
from workflows import constants
from workflows.asl import ASL_DIR, asl_path, load_definition, placeholders

pytestmark = pytest.mark.infra

ASL_FILES = sorted(ASL_DIR.glob("*.asl.json"))

# Transient Lambda service errors every Lambda task retries (AWS's recommended set).
LAMBDA_TRANSIENT_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# Business outcomes of the saga: retrying them cannot change the answer, only repeat effects.
SAGA_BUSINESS_ERRORS = {"OutOfStock", "PaymentDeclined", "UnsupportedDestination", "InvalidOrderEvent"}


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, including those of Parallel branches and Map processors."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor["States"])


def _lambda_tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for name, state in _states(definition["States"])
        if state["Type"] == "Task" and state["Resource"].startswith("arn:aws:states:::lambda:invoke")
    }


def test_asl_directory_is_the_repository_one() -> None:
    assert ASL_DIR == REPO_ROOT / "asl"
    assert ASL_FILES, "no ASL files found"


def test_asl_validator_accepts_every_definition() -> None:
    # Given every ASL file and the pinned npm asl-validator
    npx = shutil.which("npx")
    assert npx, "npx is not installed (run `make deps`)"
    assert (REPO_ROOT / "node_modules" / "asl-validator").is_dir(), "asl-validator missing (run `make deps`)"
    # When it validates them, in one run (one Node start instead of one per file)
    paths = [arg for path in ASL_FILES for arg in ("--json-path", str(path))]
    result = subprocess.run(
        [npx, "--no-install", "asl-validator", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # Then each one is valid (the validator names every file, and why one is not)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in ASL_FILES:
        assert f'"{path}" is valid' in result.stdout, result.stdout


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_every_lambda_task_retries_lambda_service_errors_with_full_jitter(path: Path) -> None:
    # Given every Task of a definition that invokes Lambda
    tasks = _lambda_tasks(json.loads(path.read_text(encoding="utf-8")))
    for name, task in tasks.items():
        # Then a retrier covers the transient Lambda errors (named, or through States.ALL on
        # compensation steps that retry everything) ...
        covering = [
            retrier
            for retrier in task.get("Retry", [])
            if set(retrier["ErrorEquals"]) >= LAMBDA_TRANSIENT_ERRORS
            or "States.ALL" in retrier["ErrorEquals"]
        ]
        assert covering, (path.name, name)
        # ... with full jitter, so retries of many executions do not arrive in lockstep
        assert all(retrier.get("JitterStrategy") == "FULL" for retrier in covering), (path.name, name)
        # ... bounded, with a backoff that grows and a cap on it
        for retrier in covering:
            assert 1 <= retrier["MaxAttempts"] <= 10 and retrier.get("BackoffRate", 2.0) > 1, (
                path.name,
                name,
            )
            assert "MaxDelaySeconds" in retrier or "States.ALL" in retrier["ErrorEquals"], (path.name, name)
        # ... and a timed-out invocation is retried too: every such task is idempotent
        retried = {error for retrier in covering for error in retrier["ErrorEquals"]}
        assert "Sandbox.Timedout" in retried or "States.ALL" in retried, (path.name, name)
        if "HeartbeatSeconds" not in task:
            # (a callback task's States.Timeout is the other party's silence, not a transient fault)
            assert "States.Timeout" in retried or "States.ALL" in retried, (path.name, name)


def test_saga_forward_steps_never_retry_business_errors() -> None:
    # Given the saga's forward path (every state but the failure path: on from a Catch, or only into it)
    definition = json.loads(load_definition("order_saga"))
    forward = set(definition["States"]) - failure_path_states(definition)
    tasks = _lambda_tasks(definition)
    forward_tasks = {name: task for name, task in tasks.items() if name in forward}
    assert set(forward_tasks) == {
        "BeginSaga",
        "ReserveInventory",
        "AuthorizePayment",
        "ArrangeShipment",
        "ConfirmOrder",
    }
    for name, task in forward_tasks.items():
        retried = {error for retrier in task.get("Retry", []) for error in retrier["ErrorEquals"]}
        # Then no forward step retries a business error, not even through a catch-all
        assert not retried & (SAGA_BUSINESS_ERRORS | {"States.ALL", "States.TaskFailed"}), (name, retried)
        # And each retries the transient Lambda errors by name
        assert retried >= LAMBDA_TRANSIENT_ERRORS, name
        # And every failure of a forward step goes to compensation (or ends the saga early)
        assert task["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name


def test_placeholders_finds_substitution_tokens_only() -> None:
    # Given a definition with placeholders, JSONPath and an intrinsic function
    text = '{"A": "${FirstArn}", "B.$": "$.x", "C.$": "States.Format(\'{}\', $.y)", "D": "${Second_Arn2}"}'
    # Then only the ${Name} tokens are placeholders
    assert placeholders(text) == {"FirstArn", "Second_Arn2"}


def test_load_definition_returns_the_file_text() -> None:
    assert load_definition("outbox_publisher") == (ASL_DIR / "outbox_publisher.asl.json").read_text()
    with pytest.raises(FileNotFoundError):
        asl_path("no_such_workflow")


def test_state_machines_deploy_the_asl_files_verbatim(synthesized: Synthesized) -> None:
    # Given every state machine in the template and every ASL file's text
    texts = {path.name: path.read_text(encoding="utf-8") for path in ASL_FILES}
    machines = synthesized.of_type("AWS::StepFunctions::StateMachine")
    assert machines
    deployed = set()
    for logical_id, machine in machines.items():
        props = machine["Properties"]
        # Then the definition is inline text (never an S3 asset) equal to one ASL file
        assert "DefinitionS3Location" not in props, logical_id
        assert isinstance(props["DefinitionString"], str), logical_id
        matches = [name for name, text in texts.items() if text == props["DefinitionString"]]
        assert len(matches) == 1, f"{logical_id} does not deploy an asl/ file verbatim"
        deployed.add(matches[0])
        # And its substitutions are exactly the file's placeholders ...
        substitutions = props.get("DefinitionSubstitutions", {})
        assert set(substitutions) == placeholders(props["DefinitionString"]), logical_id
        # ... each resolved from a resource of this stack
        for name, value in substitutions.items():
            assert isinstance(value, dict) and len(value) == 1, (logical_id, name, value)
            ((function, argument),) = value.items()
            assert function in {"Ref", "Fn::GetAtt"}, (logical_id, name, value)
            target = argument if function == "Ref" else argument[0]
            assert target in synthesized.resources, (logical_id, name, value)
    # And every ASL file is deployed: a definition nothing deploys would rot
    assert deployed == set(texts)


def test_notification_skips_what_retrying_cannot_fix_and_retries_only_what_it_can() -> None:
    # Given asl/account_change_notification.asl.json
    definition = json.loads(load_definition("account_change_notification"))
    states = definition["States"]

    def catches(name: str) -> dict[str, str]:
        return {error: c["Next"] for c in states[name].get("Catch", []) for error in c["ErrorEquals"]}

    def retried(name: str) -> set[str]:
        return {error for r in states[name].get("Retry", []) for error in r["ErrorEquals"]}

    # Then an unreadable record fails the execution by name (the pipe retries it, then parks it)
    assert catches("DiffImages")["InvalidAccountChange"] == "InvalidAccountChange"
    assert states["InvalidAccountChange"] == {**states["InvalidAccountChange"], "Type": "Fail"}
    assert "InvalidAccountChange" not in retried("DiffImages")
    # And an unknown user or an unverified address is recorded as skipped, never retried
    assert catches("LookUpUser")["CognitoIdentityProvider.UserNotFoundException"] == "RecordSkipped"
    assert catches("ComposeNotice")["NoVerifiedEmail"] == "RecordSkipped"
    assert states[states["RecordSkipped"]["Next"]]["Type"] == "Succeed"
    # And SES throttling is retried with backoff and jitter; a refusal is not retried
    (throttled,) = [r for r in states["SendNotice"]["Retry"] if "EmailThrottled" in r["ErrorEquals"]]
    assert throttled["BackoffRate"] > 1 and throttled["JitterStrategy"] == "FULL"
    assert "EmailRejected" not in retried("SendNotice") and "States.ALL" not in retried("SendNotice")
    assert states[catches("SendNotice")["States.ALL"]]["Type"] == "Fail"
    # And a change that is not security-relevant ends quietly
    assert states[states["AnySecurityChange"]["Default"]]["Type"] == "Succeed"


_LIMIT_FIELDS = (
    "MaxConcurrency",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
    "MaxItemsPerBatch",
    "MaxInputBytesPerBatch",
    "MaxItems",
)
_LIMITS = {
    ("claim_check_resolve", "ImportLines", "MaxConcurrency"): constants.CLAIM_MAP_MAX_CONCURRENCY,
    ("claim_check_resolve", "ImportLines", "ToleratedFailurePercentage"): (
        constants.CLAIM_MAP_TOLERATED_FAILURE_PERCENTAGE
    ),
    ("order_saga", "AuthorizePayment", "TimeoutSeconds"): constants.SAGA_PAYMENT_TIMEOUT_SECONDS,
    ("order_saga", "AuthorizePayment", "HeartbeatSeconds"): constants.SAGA_PAYMENT_HEARTBEAT_SECONDS,
    ("outbox_publisher", "PublishBatches", "MaxConcurrency"): constants.OUTBOX_PUBLISH_MAX_CONCURRENCY,
}


def _limits_in(states: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for name, state in states.items():
        for holder in (
            state,
            state.get("ItemBatcher") or {},
            (state.get("ItemReader") or {}).get("ReaderConfig") or {},
        ):
            for field in _LIMIT_FIELDS:
                if field in holder:
                    yield name, field, holder[field]
        for inner in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if inner:
                yield from _limits_in(inner["States"])


def test_every_limit_in_the_asl_is_its_constant() -> None:
    """A limit is a product decision with a name in workflows/constants.py: the ASL (which JSON
    keeps from taking a placeholder for a number) must say what the constant says, and a new
    limit must be named before it lands."""
    found = {
        (path.name.removesuffix(".asl.json"), state, field): value
        for path in sorted(ASL_DIR.glob("*.asl.json"))
        for state, field, value in _limits_in(json.loads(path.read_text())["States"])
    }
    assert found == _LIMITS


SAGA_UNRETRIABLE = {
    "InvalidSagaInput",
    "CorruptRecord",
    "OrderAlreadyConfirmed",
    "SagaLockConflict",
    "OrderNotFound",
    "InvalidConfiguration",  # a function deployed without a setting it needs: retrying cannot fix it
}


def test_saga_compensations_never_retry_what_retrying_cannot_fix() -> None:
    # Given every step of the saga's failure path that calls a function
    definition = json.loads(load_definition("order_saga"))
    failure_path = failure_path_states(definition)
    tasks = {name: task for name, task in _lambda_tasks(definition).items() if name in failure_path}
    assert {
        "Compensate",
        "CancelShipment",
        "VoidPayment",
        "ReleaseInventory",
        "CancelOrder",
        "ParkOrder",
    } <= set(tasks)
    for name, task in tasks.items():
        retriers = task.get("Retry", [])
        # Then its first retrier lets every such error through at once, ahead of any catch-all
        assert retriers and retriers[0].get("MaxAttempts") == 0, name
        assert set(retriers[0]["ErrorEquals"]) >= SAGA_UNRETRIABLE, (
            name,
            SAGA_UNRETRIABLE - set(retriers[0]["ErrorEquals"]),
        )
