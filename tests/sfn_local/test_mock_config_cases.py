"""Every test case of sfn_local/MockConfigFile.json: the states it visits and what it ends with."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sfn_local.conftest import ENDPOINT, MOCK_CONFIG, TEST_CASES, Target, definition_of

pytestmark = pytest.mark.workflow

CASES = [(machine, case) for machine, spec in TEST_CASES.items() for case in spec["cases"]]


def _contains(actual: Any, expected: Any) -> bool:
    """``expected`` is a part of ``actual`` (dict keys recursively, lists element by element)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(map(_contains, actual, expected))
        )
    return bool(actual == expected)


@pytest.mark.parametrize(("machine", "case"), CASES, ids=[f"{m}#{c}" for m, c in CASES])
def test_the_test_case_walks_its_path(
    target: Target, machines: dict[str, str], machine: str, case: str
) -> None:
    if machine not in machines:
        pytest.skip(TEST_CASES[machine]["stepFunctionsLocal"])
    spec = TEST_CASES[machine]
    expected = spec["cases"][case]
    started = target.client.start_execution(
        stateMachineArn=f"{machines[machine]}#{case}",
        name=f"{case}-{uuid.uuid4().hex[:8]}",
        input=json.dumps(spec["input"]),
    )
    described = target.wait(started["executionArn"])
    assert target.states_visited(started["executionArn"]) == expected["states"]
    assert described["status"] == expected["status"], described.get("cause")
    if expected["status"] == "SUCCEEDED":
        output = json.loads(described["output"])
        assert _contains(output, expected["output"]), output
    else:
        assert described.get("error") == expected["error"]


def _states_and_tasks(states: dict[str, Any]) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    tasks: set[str] = set()
    for name, state in states.items():
        names.add(name)
        if state["Type"] == "Task":
            tasks.add(name)
        nested = state.get("ItemProcessor") or state.get("Iterator")
        if nested:
            inner_names, inner_tasks = _states_and_tasks(nested["States"])
            names |= inner_names
            tasks |= inner_tasks
    return names, tasks


def test_every_mocked_state_exists_and_every_task_a_case_visits_is_mocked() -> None:
    config = json.loads(MOCK_CONFIG.read_text())
    for machine, spec in TEST_CASES.items():
        states, tasks = _states_and_tasks(json.loads(definition_of(spec["asl"]))["States"])
        for case, expected in spec["cases"].items():
            mocked = set(config["StateMachines"][machine]["TestCases"][case])
            assert mocked <= states, (machine, case, mocked - states)
            assert {s for s in expected["states"] if s in tasks} <= mocked, (machine, case)


@pytest.mark.skipif(bool(ENDPOINT), reason="the refusals are the embedded engine's contract")
@pytest.mark.parametrize(
    ("suffix", "message"),
    [("#NoSuchCase", "no test case 'NoSuchCase'"), ("", None)],
)
def test_an_unknown_test_case_is_refused_by_name(
    target: Target, machines: dict[str, str], suffix: str, message: str | None
) -> None:
    arn = machines["ClaimCheckSplit"] + suffix
    if message is None:
        return
    with pytest.raises(ClientError) as refused:
        target.client.start_execution(stateMachineArn=arn, name=f"x-{uuid.uuid4().hex[:8]}", input="[]")
    assert refused.value.response["Error"]["Code"] == "InvalidName"
    assert message in refused.value.response["Error"]["Message"]
