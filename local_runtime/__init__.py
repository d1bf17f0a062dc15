"""Embedded local runtime: brings the synthesized CDK app up on moto, in-process.

The cloud assembly (`cdk.out`) that `cdk deploy` would deploy is the only input:
tables, queues, buses, rules, state machines (their DefinitionString with the
DefinitionSubstitutions resolved to local ARNs), Lambda functions (handler and
environment) and pipes are provisioned from it, so what runs locally is what
deploys. See `LocalApp` for the API used by the tests, the demo and the benches.
"""

from local_runtime.app import LocalApp, RuntimeNotQuiet

__all__ = ["LocalApp", "RuntimeNotQuiet"]
