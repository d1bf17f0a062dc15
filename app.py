#!/usr/bin/env python3
"""CDK entry point: one environment-agnostic stack, cdk-nag AwsSolutions checks always on.

Why env-agnostic: `cdk synth` must work offline (no account lookups, no STS), and the same
template is what the local runtime provisions on moto.
"""

from __future__ import annotations

from aws_cdk import App, Aspects
from cdk_nag import AwsSolutionsChecks

from workflows.stack import OrderPlatformStack


def build_app(app: App | None = None) -> App:
    """Build the app (tests pass an App carrying cdk.json's context)."""
    app = app or App()
    OrderPlatformStack(app)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True, reports=True))
    return app


if __name__ == "__main__":
    build_app().synth()
