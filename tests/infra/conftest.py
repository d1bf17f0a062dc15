"""The cloud assembly `cdk synth` wrote, read once per session by every infrastructure test.

`make test` synthesizes with the pinned CDK CLI before the tests run (and the `assembly_dir`
fixture synthesizes again if a source is newer): the tests read exactly what `cdk deploy` would
deploy, cdk-nag's findings included, without synthesizing the app a second time in-process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.infra.synthesis import Synthesized

# jsii prints a banner on every start under Node 20; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synthesized(assembly_dir: Path) -> Synthesized:
    from workflows import constants as c

    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    artifact = manifest["artifacts"][c.STACK_NAME]
    metadata_file = artifact.get("additionalMetadataFile")
    annotations = json.loads((assembly_dir / metadata_file).read_text()) if metadata_file else {}
    annotations = {**annotations, **artifact.get("metadata", {})}
    template_path = assembly_dir / artifact["properties"]["templateFile"]
    return Synthesized(
        stack_name=c.STACK_NAME,
        artifact=artifact,
        annotations=annotations,
        template_json=json.loads(template_path.read_text()),
        template_path=template_path,
        assembly_dir=assembly_dir,
    )
