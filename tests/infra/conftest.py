"""Synthesize the stack once per session; every infrastructure test reads that one result.

Why once: synthesis (jsii + cdk-nag + asset staging) is the expensive part of this tier.
The app is built exactly as `cdk synth` builds it: `app.build_app` with cdk.json's context.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.infra.synthesis import REPO_ROOT, Synthesized

# jsii prints a banner on every start under Node 20; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from app import build_app
    from workflows import constants as c

    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    # The CDK CLI records each resource's construct path in its metadata; so do we, so tests
    # (and the local runtime) can tell the outbox's pipe from the saga's by where it was built.
    context["aws:cdk:enable-path-metadata"] = True
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(App(context=context, outdir=str(outdir)))
    app.synth()
    stack = app.node.find_child(c.STACK_NAME)
    assert isinstance(stack, Stack)
    template_path = outdir / f"{c.STACK_NAME}.template.json"
    yield Synthesized(
        stack=stack,
        template=Template.from_stack(stack),
        template_json=json.loads(template_path.read_text()),
        template_path=template_path,
        assembly_dir=outdir,
    )
