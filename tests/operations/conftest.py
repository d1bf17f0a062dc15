"""Operator commands run against the AWS APIs on moto, as an operator's shell would call them."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

REGION = "eu-west-1"


@pytest.fixture
def aws_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account, reached with fake credentials from the environment (as boto3 finds
    them in a shell), so nothing can reach a real account."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield
