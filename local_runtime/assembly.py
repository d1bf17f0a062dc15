"""Read a synthesized CDK cloud assembly (`cdk.out`).

Why not import the CDK app instead: the assembly is what `cdk deploy` ships, so
reading it keeps the local runtime honest (asset packaging mistakes, wrong
handler strings and unresolved substitutions show up locally too), and the
runtime stays independent of aws_cdk and of Node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from local_runtime.cloudformation import creation_order


class AssemblyError(Exception):
    """The cloud assembly is missing, stale or not what the runtime expects."""


@dataclass(frozen=True)
class StackArtifact:
    """One CloudFormation stack of the assembly and where its assets were staged."""

    name: str
    template: dict[str, Any]
    assembly_dir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    @cached_property
    def creation_order(self) -> tuple[str, ...]:
        """Its logical ids in an order where each comes after what it references. Worked out
        once, as the template is read once: every app started from it provisions in this order."""
        return tuple(creation_order(self.resources))

    def asset_dir(self, s3_key: str) -> Path:
        """Staged directory of a file asset, from the S3 object key CDK put in the template.

        CDK names the staged copy `asset.<hash>` and the uploaded object `<hash>.zip`,
        so the key alone leads back to the exact bytes that would be uploaded.
        """
        asset_hash = s3_key.rsplit("/", 1)[-1].removesuffix(".zip")
        path = self.assembly_dir / f"asset.{asset_hash}"
        if not path.is_dir():
            raise AssemblyError(f"asset {asset_hash} is not staged in {self.assembly_dir}; run `make synth`")
        return path


_loaded: dict[tuple[Path, int], list[StackArtifact]] = {}


def load_stacks(assembly_dir: str | Path) -> list[StackArtifact]:
    """Every CloudFormation stack artifact listed in the assembly's manifest (read once per
    synthesis: parsing the template was a third of an app's start; nothing writes to it)."""
    root = Path(assembly_dir).resolve()
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"no cloud assembly at {root}: run `make synth` (npx cdk synth) first")
    key = (root, manifest_path.stat().st_mtime_ns)
    if key not in _loaded:
        _loaded[key] = _read_stacks(root, manifest_path)
    return _loaded[key]


def _read_stacks(root: Path, manifest_path: Path) -> list[StackArtifact]:
    manifest = json.loads(manifest_path.read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = artifact["properties"]["templateFile"]
        stack_name = artifact["properties"].get("stackName", artifact_id)
        template = json.loads((root / template_file).read_text())
        stacks.append(StackArtifact(name=stack_name, template=template, assembly_dir=root))
    if not stacks:
        raise AssemblyError(f"the assembly at {root} holds no CloudFormation stack")
    return stacks
