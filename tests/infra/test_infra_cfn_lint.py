"""cfn-lint on the synthesized template: CloudFormation schema, intrinsic and ASL checks.

Why cfn-lint as well as CDK's own validation: it also validates each DefinitionString
against the Step Functions schema and IAM actions against the service authorization data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.synthesis import Synthesized

pytestmark = pytest.mark.infra

# CDK writes DependsOn on a function's role although the Role property already references it.
_ACCEPTED_WARNINGS = {"W3005"}


def test_cfn_lint_reports_no_errors(synthesized: Synthesized, tmp_path: Path) -> None:
    # Given the synthesized template written to a file
    template = tmp_path / "template.json"
    template.write_text(json.dumps(synthesized.template_json, indent=1))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    # When cfn-lint checks it
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", str(template)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    findings = json.loads(result.stdout or "[]")

    # Then there are no errors, and no warnings beyond the known CDK redundancy
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], result.stdout
    unexpected = [
        f for f in findings if f["Level"] == "Warning" and f["Rule"]["Id"] not in _ACCEPTED_WARNINGS
    ]
    assert unexpected == [], json.dumps(unexpected, indent=1)
