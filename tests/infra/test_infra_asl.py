"""ASL files: valid per asl-validator, and deployed byte-for-byte with matching substitutions.

Why: `asl/` is the single source of truth. The template must carry exactly that text as its
DefinitionString (no S3 asset, no rewriting), and every `${Placeholder}` must be substituted
with a resource of this stack.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.synthesis import REPO_ROOT, Synthesized
from workflows.asl import ASL_DIR, asl_path, load_definition, placeholders

pytestmark = pytest.mark.infra

ASL_FILES = sorted(ASL_DIR.glob("*.asl.json"))


def test_asl_directory_is_the_repository_one() -> None:
    assert ASL_DIR == REPO_ROOT / "asl"
    assert ASL_FILES, "no ASL files found"


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_asl_validator_accepts_every_definition(path: Path) -> None:
    # Given an ASL file and the pinned npm asl-validator
    npx = shutil.which("npx")
    assert npx, "npx is not installed (run `make deps`)"
    assert (REPO_ROOT / "node_modules" / "asl-validator").is_dir(), "asl-validator missing (run `make deps`)"
    # When it validates the file
    result = subprocess.run(
        [npx, "--no-install", "asl-validator", "--json-path", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # Then it is valid
    assert result.returncode == 0, result.stdout + result.stderr


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
