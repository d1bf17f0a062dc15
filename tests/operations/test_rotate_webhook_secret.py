"""`python -m operations.rotate_webhook_secret`: a rotation keeps the replaced value valid."""

import json
from pathlib import Path

import boto3
import pytest

from operations.rotate_webhook_secret import main
from workflows import constants as c


@pytest.fixture
def deployed(tmp_path: Path, aws_account: None) -> tuple[str, str, Path]:
    """A deployed secret (its ARN, its first value) and the outputs file naming it."""
    arn = boto3.client("secretsmanager").create_secret(Name="webhook", SecretString="first")["ARN"]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({c.STACK_NAME: {c.OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN: arn}}))
    return arn, "first", outputs


def _stage(arn: str, stage: str) -> str:
    answer = boto3.client("secretsmanager").get_secret_value(SecretId=arn, VersionStage=stage)
    return str(answer["SecretString"])


def test_a_rotation_makes_a_new_current_value_and_keeps_the_old_one_previous(
    deployed: tuple[str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arn, first, outputs = deployed
    assert main(["--outputs", str(outputs), "--show"]) == 0
    new = capsys.readouterr().out.strip().splitlines()[-1]
    assert (_stage(arn, "AWSCURRENT"), _stage(arn, "AWSPREVIOUS")) == (new, first)
    assert len(new) == c.PAYMENT_WEBHOOK_SECRET_LENGTH and new.isalnum()
    # The next rotation retires the first value
    assert main(["--outputs", str(outputs)]) == 0
    assert _stage(arn, "AWSPREVIOUS") == new
    assert new not in capsys.readouterr().out  # shown only when asked


@pytest.mark.parametrize("document", ["{}", '{"S": {"OrdersApiUrl": "x"}}', "nope"])
def test_bad_outputs_are_a_usage_error_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(document)
    assert main(["--outputs", str(path)]) == 2
    assert "rotate_webhook_secret:" in capsys.readouterr().err


def test_a_secret_that_is_not_there_is_a_failure_with_a_message(
    deployed: tuple[str, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "gone.json"
    gone = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"
    outputs.write_text(json.dumps({c.STACK_NAME: {c.OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN: gone}}))
    assert main(["--outputs", str(outputs)]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err
