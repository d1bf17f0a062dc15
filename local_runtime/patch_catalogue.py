"""Every change the runtime makes to moto, declared once: the gap it closes, the moto it was
written for, how to switch it off, and the test that shows the gap without it.

Why a catalogue: moto moves on, and a patch written for one version may be dead weight, or
wrong, on the next. A patch's without-the-patch test asserts the gap itself on moto as shipped,
so when moto closes a gap that test starts failing, and the patch is no longer needed:

    python -m local_runtime.patch_catalogue            # the catalogue, by service
    python -m local_runtime.patch_catalogue unneeded   # run the gap tests: which gaps moto closed

A patch without such a test yet is listed as such (the command cannot tell whether it is still
needed). ``tests/local_runtime/test_patch_catalogue.py`` holds the catalogue to the code: every
patch `moto_patches.install` makes is listed, every listed test exists.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from local_runtime.moto_patches import PINNED_MOTO_VERSION, switchable

_PATCHES_TESTS = "tests/local_runtime/test_moto_patches.py"


@dataclass(frozen=True)
class Patch:
    key: str
    """The name `moto_patches` keeps moto's original under (what `uninstall` puts back), or the
    module it installs that patches on its own (`sfn_api`, `http_task`, `moto_speedups`). Several
    gaps can share one key: the definition's parse closes the ASL gaps too."""
    service: str
    gap: str
    test: str = ""
    """The pytest node that asserts the gap on moto as shipped; empty: none yet."""
    moto: str = PINNED_MOTO_VERSION


def _t(path: str, name: str) -> str:
    return f"{path}::{name}"


CATALOGUE: tuple[Patch, ...] = (
    # --- Step Functions: the engine ---------------------------------------------------------
    Patch(
        "virtualized",
        "stepfunctions",
        "a Wait state sleeps in real time",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_wait_state_sleeps_in_real_time"),
    ),
    Patch(
        "virtualized",
        "stepfunctions",
        "a Retry's interval sleeps in real time",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_retry_interval_sleeps_in_real_time"),
    ),
    Patch(
        "evaluate_with_timeout",
        "stepfunctions",
        "a task's TimeoutSeconds runs in real time",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_task_timeout_runs_in_real_time"),
    ),
    Patch(
        "heartbeat_wait",
        "stepfunctions",
        "a task token answered while its invocation still runs is lost; the state times out",
        _t(_PATCHES_TESTS, "test_without_the_patch_an_early_answer_is_lost_and_the_heartbeat_times_out"),
    ),
    Patch(
        "stop_execution",
        "stepfunctions",
        "StopExecution leaves an execution waiting on a task token until its timeout",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_stopped_callback_waits_out_its_timeout"),
    ),
    Patch(
        "set_error",
        "stepfunctions",
        "an execution stopped while it waits on a task token ends FAILED instead of ABORTED",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_stopped_callback_ends_failed"),
    ),
    Patch(
        "stop_execution_response",
        "stepfunctions",
        "StopExecution drops the caller's error and cause",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_stop_drops_the_callers_error_and_cause"),
    ),
    Patch(
        "send_task_failure",
        "stepfunctions",
        "SendTaskFailure drops the caller's cause",
        _t(_PATCHES_TESTS, "test_without_the_patch_send_task_failure_loses_its_cause"),
    ),
    Patch(
        "terminated",
        "stepfunctions",
        "no Execution Status Change event on the default bus when an execution ends",
        _t(_PATCHES_TESTS, "test_without_the_patch_no_status_change_event_is_emitted"),
    ),
    Patch("start_execution", "stepfunctions", "an execution's start is not seen by the clock (quiescence)"),
    Patch("parse", "stepfunctions", "every execution parses its definition again (~0.15 s for the saga)"),
    Patch(
        "extract_json",
        "stepfunctions",
        "a definite JSONPath through an index ($.lines[0].sku) gives a one-element list",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_definite_path_through_an_index_is_a_list"),
    ),
    Patch(
        "mocked_throw",
        "stepfunctions",
        "a mocked Throw of a States error (States.Timeout) fails the state with States.Runtime",
        _t(
            "tests/local_runtime/test_mock_config.py",
            "test_without_the_patch_a_mocked_throw_of_a_states_error_is_a_runtime_error",
        ),
    ),
    Patch(
        "boto_overrides",
        "stepfunctions",
        "aws-sdk:eventbridge and aws-sdk:cognitoidentityprovider tasks name an unknown service",
        _t(_PATCHES_TESTS, "test_without_the_patch_sdk_eventbridge_is_an_unknown_service"),
    ),
    Patch(
        "error_names", "stepfunctions", "SDK task errors of EventBridge and Cognito lack their service prefix"
    ),
    Patch(
        "boto_client_for",
        "stepfunctions",
        "the engine's SDK integrations bypass the runtime's shared clients",
    ),
    Patch(
        "map_run",
        "stepfunctions",
        "a Distributed Map whose children failed succeeds, with null results",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_failed_child_is_a_null_result"),
    ),
    Patch(
        "eval_item_input",
        "stepfunctions",
        "ItemBatcher is a syntax error",
        _t(
            "tests/local_runtime/test_asl_extensions.py",
            "test_without_the_patch_an_item_batcher_is_a_syntax_error",
        ),
    ),
    Patch(
        "backend_start_execution",
        "stepfunctions",
        "StartExecution on <arn>#<TestCase> (Step Functions Local's mock test cases) names no state machine",
        _t(
            "tests/local_runtime/test_mock_config.py",
            "test_without_the_patch_the_test_case_suffix_names_no_state_machine",
        ),
    ),
    Patch(
        "execution_worker", "stepfunctions", "a mock test case's responses never reach the execution's tasks"
    ),
    Patch(
        "dynamodb_from_error",
        "stepfunctions",
        "a mocked Throw on a DynamoDB task is renamed DynamoDB.AmazonDynamoDBException",
        _t(
            "tests/local_runtime/test_mock_config.py",
            "test_without_the_patch_a_mocked_throw_on_a_dynamodb_task_is_renamed",
        ),
    ),
    Patch(
        "sfn_api",
        "stepfunctions",
        "ListExecutions and GetExecutionHistory ignore their filters and paging parameters silently",
        _t(
            "tests/local_runtime/test_sfn_api.py",
            "test_without_the_patch_the_parameters_are_ignored_silently",
        ),
    ),
    Patch(
        "describe_execution", "stepfunctions", "DescribeExecution gives no stopDate for a TIMED_OUT execution"
    ),
    Patch("list_executions", "stepfunctions", "ListExecutions gives no stopDate for a TIMED_OUT execution"),
    Patch(
        "moto_speedups",
        "stepfunctions, all",
        "every response walks the serializer's alias providers again; every JSONPath is parsed again",
    ),
    # --- Step Functions: the ASL AWS accepts ------------------------------------------------
    Patch(
        "parse",
        "stepfunctions",
        "an integer ToleratedFailurePercentage is a syntax error",
        _t(
            "tests/local_runtime/test_asl_extensions.py",
            "test_without_the_patch_an_integer_tolerated_percentage_is_a_syntax_error",
        ),
    ),
    Patch(
        "parse",
        "stepfunctions",
        "a JSON Lines ItemReader is refused",
        _t(
            "tests/local_runtime/test_asl_extensions.py",
            "test_without_the_patch_a_json_lines_reader_is_refused",
        ),
    ),
    Patch(
        "http_task",
        "stepfunctions",
        "an HTTP Task (arn:aws:states:::http:invoke) cannot be created",
        _t("tests/local_runtime/test_http_task.py", "test_without_the_patch_an_http_task_cannot_be_created"),
    ),
    # --- EventBridge ---------------------------------------------------------------------------
    Patch(
        "send_to_targets",
        "events",
        "PutEvents fails (NotImplementedError) when a matching rule targets a state machine",
        _t(
            _PATCHES_TESTS,
            "test_without_the_patch_an_event_for_a_state_machine_target_fails_put_events",
        ),
    ),
    Patch("send_to_targets", "events", "a scheduled rule also matches events"),
    Patch(
        "event_template",
        "events",
        "an event delivered whole to a target lacks its account",
        _t(_PATCHES_TESTS, "test_without_the_patch_a_delivered_event_has_no_account"),
    ),
    # --- DynamoDB ------------------------------------------------------------------------------
    Patch(
        "transact_write_items",
        "dynamodb",
        "a failed transaction rolls back by restoring copies, taking another request's write with it",
        _t(
            "tests/local_runtime/test_transactions.py",
            "test_without_the_patch_a_failed_transaction_takes_another_requests_write_with_it",
        ),
    ),
    Patch(
        "add_stream_record",
        "dynamodb",
        "a stream record is not seen by the clock (a pipe polls in real time)",
    ),
    # --- SQS -------------------------------------------------------------------------------------
    Patch("add_message", "sqs", "a message's arrival does not wake a long poll on the virtual clock"),
    Patch("receive_message", "sqs", "a long poll (WaitTimeSeconds) waits in real time"),
    Patch("message_visible", "sqs", "a message's visibility timeout runs in real time"),
    # --- Cognito ---------------------------------------------------------------------------------
    Patch(
        "cognito_jwk",
        "cognito-idp",
        "every user pool builds the same RSA key again (~70 ms each)",
        _t(_PATCHES_TESTS, "test_without_the_patch_every_user_pool_builds_its_key_again"),
    ),
)


def switch_off(patch: Patch) -> str:
    """How to run without this patch: alone (every other patch on), or only with all of them."""
    if patch.key in switchable():
        return f'moto_patches.without("{patch.key}")'
    return "moto_patches.uninstall() (all)"


def _table() -> str:
    rows = [("service", "patch", "gap", "moto", "switch off", "gap test")]
    rows += [
        (
            patch.service,
            patch.key,
            patch.gap,
            patch.moto,
            switch_off(patch),
            patch.test.split("::")[-1] or "(none yet)",
        )
        for patch in sorted(CATALOGUE, key=lambda patch: (patch.service, patch.key))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)) for row in rows
    )


def unneeded(repo: Path) -> list[tuple[Patch, str]]:
    """Each patch with a gap test, and what that test says on the installed moto: ``gap`` (still
    there: the patch is needed) or ``closed`` (moto behaves as AWS: the patch can go)."""
    tested = [patch for patch in CATALOGUE if patch.test]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *(p.test for p in tested)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 0: all passed, 1: some failed; anything else judged nothing
        raise RuntimeError(f"the gap tests did not run (pytest exit {run.returncode}):\n{run.stdout[-2000:]}")
    passed = {line.split()[1] for line in run.stdout.splitlines() if line.startswith("PASSED ")}
    return [(patch, "gap" if patch.test in passed else "closed") for patch in tested]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["unneeded"]:
        import moto

        results = unneeded(Path(__file__).resolve().parent.parent)
        print(f"moto {moto.__version__} (patches written for {PINNED_MOTO_VERSION}):")
        for patch, state in results:
            verdict = "still needed" if state == "gap" else "NO LONGER NEEDED: moto closed the gap"
            print(f"  {patch.service:<13} {patch.key:<24} {verdict}: {patch.gap}")
        untested = [f"{patch.key} ({patch.gap})" for patch in CATALOGUE if not patch.test]
        print(f"{len(untested)} gaps have no gap test yet, so the command cannot judge their patches:")
        for line in untested:
            print(f"  {line}")
        return 0
    if args:
        print("usage: python -m local_runtime.patch_catalogue [unneeded]", file=sys.stderr)
        return 2
    print(_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
