"""`LocalApp`: the whole synthesized app, up on moto, in this process.

    with LocalApp("cdk.out", time_scale=0.01) as app:
        response = app.api.request("POST", "/orders", body={...}, headers={...})
        app.drain()                      # pipes, executions, functions: until quiet
        app.executions("OutboxPublisher")

Start order matters: moto's `mock_aws` resets boto3's default session when it
starts, and the Step Functions engine creates its clients from that session, so
the Lambda hook is registered on the default session *after* the mock started.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from local_runtime import moto_patches
from local_runtime.api_gateway import RestApi
from local_runtime.assembly import AssemblyError, StackArtifact, load_stacks
from local_runtime.clock import Clock
from local_runtime.execution_events import StatusChangePublisher
from local_runtime.faults import EventBusProbe
from local_runtime.function_logs import FunctionLogs, stdout_router
from local_runtime.lambda_service import FunctionSpec, LambdaService
from local_runtime.pipes import PipeRunner, pipe_from_template
from local_runtime.resources import Provisioned, Provisioner, Resource

LOCAL_ACCOUNT = "123456789012"

# What the runtime's process needs so botocore talks to moto: fake credentials,
# and the classic DynamoDB Streams endpoint (botocore 1.44 otherwise routes
# stream calls to an account-based endpoint moto does not serve).
_PROCESS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


class _DropHandledFailureNoise(logging.Filter):
    """moto's interpreter logs an ERROR each time a Choice's `IsPresent` finds a path absent
    (the answer the Choice asked for) and each time a state fails (a Task error that Retry or
    Catch handles, a Fail state). Both are ordinary control flow and are in the execution
    history; anything else the interpreter logs stays visible."""

    _HANDLED = ("Exception=NoSuchJsonPathError", "Exception=FailureEventException")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self._HANDLED)


logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").addFilter(
    _DropHandledFailureNoise()
)


class RuntimeNotQuiet(Exception):
    """`drain` gave up: something was still running when its timeout expired."""


class LocalApp:
    def __init__(
        self,
        assembly_dir: str | Path = "cdk.out",
        *,
        stack: str | None = None,
        region: str = "eu-west-1",
        time_scale: float = 1.0,
        log_level: str | None = None,
        echo_logs: bool = False,
    ) -> None:
        stacks = load_stacks(assembly_dir)
        chosen = [s for s in stacks if stack is None or s.name == stack]
        if len(chosen) != 1:
            raise AssemblyError(f"choose one stack of {[s.name for s in stacks]}")
        self.stack: StackArtifact = chosen[0]
        self.region = region
        self.account = LOCAL_ACCOUNT
        self.time_scale = time_scale
        self.logs = FunctionLogs(echo=echo_logs)
        self.lambdas = LambdaService(region, self.logs, log_level=log_level)
        self.api = RestApi(self.lambdas, self.account)
        self.bus = EventBusProbe(self.account, region)
        self.pipes = PipeRunner(self.client, region, self.account, Clock)
        self.resources: Provisioned | None = None
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._unregister_status_events: Any = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LocalApp:
        env = {**_PROCESS_ENV, "AWS_DEFAULT_REGION": self.region}
        self._saved_env = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_patches.install()
        Clock.set_scale(self.time_scale)
        stdout_router()
        self.lambdas.install(boto3._get_default_session())
        deliver_unobserved = self.bus.install()
        self._unregister_status_events = moto_patches.on_execution_end(
            StatusChangePublisher(deliver_unobserved)
        )
        provisioner = Provisioner(
            self.stack,
            self.region,
            self.account,
            extra={
                "AWS::Lambda::Function": self._provision_function,
                "AWS::Pipes::Pipe": self._provision_pipe,
                "AWS::ApiGateway::RestApi": self.api.provision_api,
                "AWS::ApiGateway::Resource": self.api.provision_resource,
                "AWS::ApiGateway::Method": self.api.provision_method,
            },
        )
        self.resources = provisioner.provision_all()
        return self

    def stop(self) -> None:
        if self._unregister_status_events is not None:
            self._unregister_status_events()
            self._unregister_status_events = None
        if self._mock is not None:
            self.lambdas.uninstall(boto3._get_default_session())
            self._mock.stop()
            self._mock = None
        Clock.set_scale(1.0)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._clients.clear()

    def __enter__(self) -> LocalApp:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- claimed resource types -------------------------------------------------------------
    def _provision_function(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name = p.name_for(logical_id, "AWS::Lambda::Function", props.get("FunctionName"))
        arn = p.arn("lambda", f"function:{name}")
        code = props.get("Code", {})
        if "S3Key" not in code:
            raise AssemblyError(
                f"{logical_id}: only file-asset Lambda code runs locally (found {sorted(code)})"
            )
        self.lambdas.add(
            FunctionSpec(
                name=name,
                arn=arn,
                handler=props["Handler"],
                code_dir=self.stack.asset_dir(code["S3Key"]),
                environment={k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
                timeout_seconds=int(props.get("Timeout", 3)),
                memory_mb=int(props.get("MemorySize", 128)),
            )
        )
        return name, {"Arn": arn}

    def _provision_pipe(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name = p.name_for(logical_id, "AWS::Pipes::Pipe", props.get("Name"))
        self.pipes.add(pipe_from_template(name, props))
        return name, {"Arn": p.arn("pipes", f"pipe/{name}")}

    # -- lookups ----------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client bound to the local app (moto)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    def resource(self, resource_type: str, path_contains: str) -> Resource:
        """The resource of a type whose CDK construct path contains the given text."""
        if self.resources is None:
            raise RuntimeError("the app is not started")
        return self.resources.find(resource_type, path_contains)

    def output(self, name: str) -> Any:
        """A stack output's value, resolved as CloudFormation would (stable names for tests and scripts)."""
        if self.resources is None:
            raise RuntimeError("the app is not started")
        try:
            return self.resources.outputs[name]
        except KeyError as missing:
            raise LookupError(f"no output {name}; outputs: {sorted(self.resources.outputs)}") from missing

    def state_machine_arn(self, path_contains: str) -> str:
        """A state machine's ARN, given its ARN or a fragment of its CDK construct path."""
        if path_contains.startswith("arn:"):
            return path_contains
        return self.resource("AWS::StepFunctions::StateMachine", path_contains).ref

    def queue_url(self, path_contains: str) -> str:
        return self.resource("AWS::SQS::Queue", path_contains).ref

    def table_name(self, path_contains: str) -> str:
        return self.resource("AWS::DynamoDB::Table", path_contains).ref

    def function_name(self, path_contains: str) -> str:
        return self.resource("AWS::Lambda::Function", path_contains).ref

    # -- driving the app --------------------------------------------------------------------
    def pause_pipe(self, path_contains: str) -> None:
        """Stop a pipe from polling (like setting its DesiredState to STOPPED): its source keeps
        what arrives. Lets a test watch one workflow without the ones it would trigger."""
        self.pipes.pipes[self.resource("AWS::Pipes::Pipe", path_contains).ref].enabled = False

    def resume_pipe(self, path_contains: str) -> None:
        self.pipes.pipes[self.resource("AWS::Pipes::Pipe", path_contains).ref].enabled = True

    def drain(self, timeout: float = 60.0, *, each_round: Callable[[], int] | None = None) -> None:
        """Pump every pipe until nothing moves, no function is busy and every execution has
        ended or is parked waiting for a callback (a task token only an outside party answers:
        answer it, then drain again). `each_round` plays an outside party (a payment provider)
        during the drain: it is called every round and returns how many things it did."""
        deadline = time.monotonic() + timeout
        quiet_rounds = 0
        while quiet_rounds < 2:
            moved = self.pipes.pump() + (each_round() if each_round else 0)
            running = self._running_executions()
            if moved or running or self.lambdas.busy or moto_patches.executions_ending():
                quiet_rounds = 0
                if not moved:
                    time.sleep(0.005)
            else:
                quiet_rounds += 1
            if time.monotonic() > deadline:
                raise RuntimeNotQuiet(f"still busy after {timeout}s: running executions {running}")

    def _running_executions(self) -> list[str]:
        """Executions still making progress on their own (not parked on a callback)."""
        return [arn for arn in self._all_running() if not self._waiting_for_callback(arn)]

    def parked_executions(self) -> list[str]:
        """Executions waiting for a task token to be answered (SendTaskSuccess/Failure/Heartbeat)."""
        return [arn for arn in self._all_running() if self._waiting_for_callback(arn)]

    def _all_running(self) -> list[str]:
        sfn = self.client("stepfunctions")
        running = []
        for machine in sfn.list_state_machines()["stateMachines"]:
            page = sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
            running += [e["executionArn"] for e in page["executions"]]
        return running

    def _waiting_for_callback(self, execution_arn: str) -> bool:
        # moto ignores reverseOrder/maxResults: read the history and look at its last event.
        events = self.history(execution_arn)
        submitted = bool(events) and events[-1]["type"] == "TaskSubmitted"
        return submitted and moto_patches.awaiting_callback(self.account, self.region, execution_arn)

    def run_schedule(self, path_contains: str) -> list[str]:
        """Fire a scheduled rule now, as EventBridge would at its next tick; returns started executions."""
        rule = self.resource("AWS::Events::Rule", path_contains)
        scheduled_event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [rule.arn()],
            "detail": {},
        }
        started = []
        for target in rule.properties.get("Targets", []):
            payload = target.get("Input") or json.dumps(scheduled_event)
            if ":states:" not in target["Arn"]:
                raise NotImplementedError(f"scheduled target {target['Arn']} is not emulated")
            execution = self.client("stepfunctions").start_execution(
                stateMachineArn=target["Arn"], name=f"schedule-{uuid.uuid4().hex}", input=payload
            )
            started.append(execution["executionArn"])
        return started

    def subscribe(self, event_bus: str, pattern: dict[str, Any]) -> str:
        """A queue receiving every event of the bus that matches the pattern (what a consumer would see)."""
        name = f"local-tap-{uuid.uuid4().hex[:12]}"
        sqs, events = self.client("sqs"), self.client("events")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventBusName=event_bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=event_bus, Targets=[{"Id": "tap", "Arn": arn}])
        return str(url)

    def receive_all(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message currently in a queue, parsed as JSON when it is JSON, and deleted."""
        sqs = self.client("sqs")
        bodies: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                try:
                    bodies.append(json.loads(message["Body"]))
                except json.JSONDecodeError:
                    bodies.append({"raw": message["Body"]})
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    # -- reading executions -----------------------------------------------------------------
    def executions(self, state_machine: str) -> list[dict[str, Any]]:
        """Executions of a state machine (ARN or construct path fragment), oldest first, each described."""
        sfn = self.client("stepfunctions")
        arn = self.state_machine_arn(state_machine)
        listed = (
            sfn.get_paginator("list_executions")
            .paginate(stateMachineArn=arn)
            .build_full_result()["executions"]
        )
        described = [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]
        return sorted(described, key=lambda d: d["startDate"])

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.client("stepfunctions").get_execution_history(
            executionArn=execution_arn, maxResults=1000
        )["events"]
        return events

    def states_visited(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def wait_for(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until an execution leaves RUNNING; returns its description."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while (description := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeNotQuiet(f"{execution_arn} still RUNNING after {timeout}s")
            time.sleep(0.005)
        result: dict[str, Any] = description
        return result
