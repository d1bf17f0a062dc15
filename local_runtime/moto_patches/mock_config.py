"""Step Functions Local's mocked-responses contract, on the embedded engine.

A MockConfigFile (AWS's format) names, per state machine, test cases; a test case maps state
names to mocked responses; a mocked response maps invocation numbers (``"0"``, ``"1-2"``: the
state's first attempt, then its retries) to a ``Return`` (the task's result, for a Lambda task
the whole Invoke response) or a ``Throw`` (``Error``, ``Cause``). ``StartExecution`` with
``<stateMachineArn>#<TestCaseName>`` runs the state machine with those states answered from the
file, a ``.waitForTaskToken`` task included, and every other state for real.

moto's engine (ported from LocalStack) evaluates mocked responses, but its loader is a stub that
loads nothing and its StartExecution never reads the ``#TestCase`` suffix: this module parses
the file (``SFN_MOCK_CONFIG`` names it, as for Step Functions Local, or `use_mock_config`), and
`moto_patches` hands the test case to the execution.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.mocking.mock_config import MockTestCase, _mock_test_case_from_raw
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, model_validator

ENV_VARIABLE = "SFN_MOCK_CONFIG"


class MockConfigError(ValueError):
    """The mock configuration, or the test case asked for, is unusable; says why."""


class _Return(RootModel[Any]):
    """A mocked result (moto's evaluator reads it with ``model_dump``)."""


class _Throw(BaseModel):
    model_config = ConfigDict(extra="forbid")
    Error: str = Field(min_length=1)
    Cause: str = ""


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")
    Return: _Return | None = None
    Throw: _Throw | None = None

    @model_validator(mode="after")
    def _one_of(self) -> _Response:
        if (self.Return is None) == (self.Throw is None):
            raise ValueError("a mocked response holds exactly one of Return and Throw")
        return self


class _TestCase(RootModel[dict[str, str]]):
    """State name -> mocked response name."""


class _StateMachine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    TestCases: dict[str, _TestCase]


class MockConfig(BaseModel):
    """A MockConfigFile, as Step Functions Local reads it."""

    model_config = ConfigDict(extra="forbid")
    StateMachines: dict[str, _StateMachine]
    MockedResponses: dict[str, dict[str, _Response]]

    @model_validator(mode="after")
    def _responses_exist(self) -> MockConfig:
        for machine, mocks in self.StateMachines.items():
            for case, states in mocks.TestCases.items():
                for state, response in states.root.items():
                    if response not in self.MockedResponses:
                        raise ValueError(
                            f"{machine}#{case}: state {state} names no mocked response {response!r}"
                        )
        return self


class _InForce:
    """The configuration given through the API (else SFN_MOCK_CONFIG's), and parsed files."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.given: MockConfig | None = None
        self.files: dict[str, tuple[float, MockConfig]] = {}


_in_force = _InForce()


def use_mock_config(config: MockConfig | dict[str, Any] | str | Path | None) -> None:
    """Use this configuration (a document, or a file's path) instead of ``SFN_MOCK_CONFIG``'s;
    None goes back to the environment variable."""
    if config is None or isinstance(config, MockConfig):
        parsed = config
    elif isinstance(config, dict):
        parsed = parse(config)
    else:
        parsed = load_file(Path(config))
    with _in_force.lock:
        _in_force.given = parsed


def parse(document: dict[str, Any]) -> MockConfig:
    try:
        return MockConfig.model_validate(document)
    except ValidationError as error:
        raise MockConfigError(f"invalid mock configuration: {error}") from error


def load_file(path: Path) -> MockConfig:
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        if isinstance(error, MockConfigError):
            raise
        raise MockConfigError(f"cannot read the mock configuration {path}: {error}") from error


def current() -> MockConfig | None:
    """The configuration in force: the one given, else the file SFN_MOCK_CONFIG names."""
    with _in_force.lock:
        if _in_force.given is not None:
            return _in_force.given
        name = os.environ.get(ENV_VARIABLE)
        if not name:
            return None
        path = Path(name)
        stamp = path.stat().st_mtime if path.exists() else -1.0
        cached = _in_force.files.get(name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_file(path))
            _in_force.files[name] = cached
        return cached[1]


def test_case_for(state_machine_name: str, test_case_name: str, definition: str) -> MockTestCase:
    """The test case, checked against the definition: MockConfigError naming what is missing."""
    config = current()
    if config is None:
        raise MockConfigError(
            f"no mock configuration: set {ENV_VARIABLE} to a MockConfigFile to run {test_case_name!r}"
        )
    machine = config.StateMachines.get(state_machine_name)
    if machine is None or test_case_name not in machine.TestCases:
        raise MockConfigError(f"no test case {test_case_name!r} for state machine {state_machine_name!r}")
    states = _state_names(json.loads(definition))
    unknown = sorted(set(machine.TestCases[test_case_name].root) - states)
    if unknown:
        raise MockConfigError(
            f"test case {test_case_name!r} mocks states the definition of {state_machine_name!r} lacks: "
            + ", ".join(unknown)
        )
    try:
        return _mock_test_case_from_raw(
            state_machine_name=state_machine_name, test_case_name=test_case_name, raw_mock_config=config
        )
    except (RuntimeError, ValueError) as error:
        raise MockConfigError(str(error)) from error


def _state_names(definition: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for name, state in definition.get("States", {}).items():
        names.add(name)
        for nested in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                names |= _state_names(nested)
    return names
