"""Provision a stack's resources on moto, in CloudFormation's dependency order.

Each supported type has one small provisioner that turns resolved template
properties into moto API calls and reports the attributes CloudFormation would
(Ref, Arn, StreamArn, QueueUrl...). Types the runtime does not emulate (IAM,
KMS, log groups, alarms, API Gateway deployment plumbing...) still get
CloudFormation-shaped ids and ARNs, so everything that references them resolves;
they are listed in `Provisioned.not_emulated`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore import xform_name

from local_runtime.assembly import StackArtifact
from local_runtime.cloudformation import (
    Resolver,
    TemplateError,
    generated_name,
    parameter_values,
)
from local_runtime.moto_patches import backends


@dataclass
class Resource:
    """A created (or merely named) resource: its physical id and CloudFormation attributes."""

    logical_id: str
    type: str
    ref: str
    attributes: dict[str, Any]
    properties: dict[str, Any]
    path: str

    def arn(self) -> str:
        return str(self.attributes["Arn"])


@dataclass
class Provisioned:
    stack: StackArtifact
    region: str
    account: str
    resources: dict[str, Resource] = field(default_factory=dict)
    not_emulated: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type == resource_type]

    def find(self, resource_type: str, path_contains: str) -> Resource:
        """The one resource of a type whose CDK construct path contains `path_contains`."""
        matches = [r for r in self.of_type(resource_type) if path_contains in r.path]
        if len(matches) != 1:
            names = [r.path for r in self.of_type(resource_type)]
            raise LookupError(f"{len(matches)} {resource_type} match {path_contains!r}; candidates: {names}")
        return matches[0]


ProvisionFn = Callable[["Provisioner", str, dict[str, Any]], tuple[str, dict[str, Any]]]


class Provisioner:
    """Walks the template in dependency order and creates what moto can run."""

    def __init__(
        self,
        stack: StackArtifact,
        region: str,
        account: str,
        extra: dict[str, ProvisionFn] | None = None,
        clients: Callable[[str], Any] | None = None,
    ) -> None:
        """`extra` lets runtime components (Lambda sandboxes, pipes, API routes) claim resource types;
        `clients` shares the caller's boto3 clients (creating clients is a good part of start-up)."""
        self.stack = stack
        self._provisioners = {**PROVISIONERS, **(extra or {})}
        self.region = region
        self.account = account
        self.result = Provisioned(stack=stack, region=region, account=account)
        self._shared_clients = clients
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self.resolver = Resolver(
            pseudo={
                "AWS::Region": region,
                "AWS::AccountId": account,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": stack.name,
                "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack.name}/local",
            },
            ref=self._ref,
            get_att=self._get_att,
            conditions=stack.template.get("Conditions", {}),
            parameters=parameter_values(stack.template),
        )

    def client(self, service: str) -> Any:
        if self._shared_clients is not None:
            return self._shared_clients(service)
        if service not in self._clients:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.region)
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def backend(self, service: str, region: str | None = None) -> Any:
        """moto's backend of a service for the app's account and region (or the named region:
        S3's is "global").

        Provisioners call the backends directly, as the API's responses would, where the
        request is plain: provisioning is single-threaded and the template is CloudFormation-
        valid, so what botocore and moto's response layer add (serializing, dispatching,
        parsing: about a millisecond a request, six sevenths of an app start's provisioning
        time, measured) buys nothing there. The user pool and its client still go through the
        API, whose parsing of their many settings is the point. Everything an app does after its
        start goes through the API, as the handlers' calls do."""
        return backends.backend(service, self.account, region or self.region)

    def name_for(self, logical_id: str, resource_type: str, explicit: str | None) -> str:
        return explicit or generated_name(self.stack.name, logical_id, resource_type)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"
        )

    def provision_all(self) -> Provisioned:
        resources = self.stack.resources
        for logical_id in self.stack.creation_order:
            spec = resources[logical_id]
            resource_type = spec["Type"]
            if resource_type == "AWS::CDK::Metadata":
                continue
            if "Condition" in spec and not self.resolver.condition(spec["Condition"]):
                continue  # not created, as CloudFormation skips it
            properties = self.resolver.resolve(spec.get("Properties", {}))
            provision = self._provisioners.get(resource_type)
            if provision is None:
                ref, attributes = _synthetic(self, logical_id, resource_type, properties)
                self.result.not_emulated.append(f"{logical_id} ({resource_type})")
            else:
                ref, attributes = provision(self, logical_id, properties)
            path = spec.get("Metadata", {}).get("aws:cdk:path", logical_id)
            self.result.resources[logical_id] = Resource(
                logical_id, resource_type, ref, attributes, properties, path
            )
        for name, output in self.stack.template.get("Outputs", {}).items():
            if "Condition" not in output or self.resolver.condition(output["Condition"]):
                self.result.outputs[name] = self.resolver.resolve(output["Value"])
        return self.result

    def _ref(self, logical_id: str) -> str:
        try:
            return self.result.resources[logical_id].ref
        except KeyError as missing:
            raise TemplateError(
                f"Ref to {logical_id}, which is not created yet or not in the template"
            ) from missing

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.result.resources.get(logical_id)
        if resource is None:
            raise TemplateError(
                f"Fn::GetAtt on {logical_id}, which is not created yet or not in the template"
            )
        if attribute not in resource.attributes:
            raise TemplateError(f"{logical_id} ({resource.type}) has no attribute {attribute} locally")
        return resource.attributes[attribute]


def _synthetic(
    p: Provisioner, logical_id: str, resource_type: str, props: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """CloudFormation-shaped ids for a resource the runtime does not run."""
    _, service, kind = resource_type.split("::")
    service = service.lower()
    name = str(
        props.get(f"{kind}Name")
        or props.get("Name")
        or generated_name(p.stack.name, logical_id, resource_type)
    )
    attributes: dict[str, Any] = {}
    if resource_type == "AWS::IAM::Role":
        attributes = {
            "Arn": p.arn("iam", f"role/{name}", region=False),
            "RoleId": f"AROA{logical_id.upper()[:16]}",
        }
    elif resource_type == "AWS::KMS::Key":
        key_id = generated_name(p.stack.name, logical_id, resource_type)[-12:].lower()
        name = f"00000000-0000-4000-8000-{key_id}"
        attributes = {"Arn": p.arn("kms", f"key/{name}"), "KeyId": name}
    elif resource_type == "AWS::EventSchemas::Registry":
        attributes = {"RegistryArn": p.arn("schemas", f"registry/{name}"), "RegistryName": name}
    elif resource_type == "AWS::EventSchemas::Schema":
        registry = props["RegistryName"]
        attributes = {
            "SchemaArn": p.arn("schemas", f"schema/{registry}/{name}"),
            "SchemaName": name,
            "SchemaVersion": "1",
        }
    elif resource_type == "AWS::ApiGateway::RestApi":
        name = generated_name(p.stack.name, logical_id, resource_type)[-10:].lower()
        attributes = {"RootResourceId": f"{name}-root"}
    else:
        attributes = {"Arn": p.arn(service, f"{kind.lower()}/{name}")}
    return name, attributes


def _table(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = p.name_for(logical_id, "AWS::DynamoDB::Table", props.get("TableName"))
    billing_mode = props.get("BillingMode", "PROVISIONED")
    throughput = None
    if billing_mode == "PROVISIONED":
        throughput = props.get("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    streams = props.get("StreamSpecification")
    backend = p.backend("dynamodb")
    table = backend.create_table(
        name,
        schema=props["KeySchema"],
        throughput=throughput,
        attr=props["AttributeDefinitions"],
        global_indexes=props.get("GlobalSecondaryIndexes") or [],
        indexes=[],
        streams={"StreamEnabled": True, **streams} if streams else None,
        billing_mode=billing_mode,
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        backend.update_time_to_live(name, ttl)
    description = table.describe()["TableDescription"]
    attributes = {"Arn": description["TableArn"]}
    if "LatestStreamArn" in description:
        attributes["StreamArn"] = description["LatestStreamArn"]
    return name, attributes


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def _queue(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = p.name_for(logical_id, "AWS::SQS::Queue", props.get("QueueName"))
    if props.get("FifoQueue") and not name.endswith(".fifo"):
        name = f"{name[:75]}.fifo"
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in _QUEUE_ATTRIBUTES
        if key in props
    }
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    p.backend("sqs").create_queue(name, None, **attributes)
    # The URL a boto3 client is given (moto names a queue's URL after the endpoint asked)
    url = f"https://sqs.{p.region}.amazonaws.com/{p.account}/{name}"
    arn = p.arn("sqs", name)
    return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}


def _event_bus(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = props["Name"]
    arn = p.backend("events").create_event_bus(name=name).arn
    return name, {"Arn": arn, "Name": name}


def _archive(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An event archive on its bus: moto archives every matching event (never a replayed one)."""
    name = p.name_for(logical_id, "AWS::Events::Archive", props.get("ArchiveName"))
    archive = p.backend("events").create_archive(
        name,
        props["SourceArn"],
        props.get("Description", ""),
        json.dumps(props.get("EventPattern", {})),
        int(props.get("RetentionDays", 0)),
    )
    return name, {"Arn": archive.arn, "ArchiveName": name}


_TARGET_KEYS = (
    "Id",
    "Arn",
    "RoleArn",
    "Input",
    "InputPath",
    "InputTransformer",
    "DeadLetterConfig",
    "RetryPolicy",
    "SqsParameters",
)


def _rule(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = p.name_for(logical_id, "AWS::Events::Rule", props.get("Name"))
    bus = props.get("EventBusName", "default")
    bus_name = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
    backend = p.backend("events")
    rule = backend.put_rule(
        name,
        event_bus_arn=bus_name,
        event_pattern=json.dumps(props["EventPattern"]) if "EventPattern" in props else None,
        scheduled_expression=props.get("ScheduleExpression"),
        state=props.get("State", "ENABLED"),
        description=props.get("Description"),
    )
    arn = rule.arn
    targets = [
        {key: target[key] for key in _TARGET_KEYS if key in target} for target in props.get("Targets", [])
    ]
    if targets:
        backend.put_targets(name, bus_name, targets)
    ref = name if bus_name == "default" else f"{bus_name}|{name}"
    return ref, {"Arn": arn}


def _topic(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = p.name_for(logical_id, "AWS::SNS::Topic", props.get("TopicName"))
    arn = p.backend("sns").create_topic(name).arn
    return arn, {"TopicArn": arn, "TopicName": name}


def _subscription(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    arn = p.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes={"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()},
    )["SubscriptionArn"]
    return arn, {"Arn": arn}


def _bucket(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = props.get("BucketName") or generated_name(p.stack.name, logical_id, "AWS::S3::Bucket").lower()[:63]
    s3 = p.backend("s3", region="global")  # S3's namespace is global; the bucket has a region
    s3.create_bucket(name, p.region)
    if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(name, "Enabled")
    notifications = props.get("NotificationConfiguration", {})
    if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        # moto then puts "Object Created" (and the rest) on the default bus, as S3 does
        s3.put_bucket_notification_configuration(name, {"EventBridgeConfiguration": {}})
    return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}


def _logging_configuration(template: dict[str, Any] | None) -> dict[str, Any]:
    """The template's LoggingConfiguration in the API's shape (what DescribeStateMachine shows)."""
    if not template:
        return {"level": "OFF", "includeExecutionData": False}
    return {
        "level": template.get("Level", "OFF"),
        "includeExecutionData": bool(template.get("IncludeExecutionData", False)),
        "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
            for d in template.get("Destinations", [])
            if "CloudWatchLogsLogGroup" in d
        ],
    }


def _state_machine(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = p.name_for(logical_id, "AWS::StepFunctions::StateMachine", props.get("StateMachineName"))
    definition = props.get("DefinitionString")
    if definition is None:
        definition = json.dumps(props["Definition"])
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace(f"${{{key}}}", str(value))
    # The backend the API answers with (the executing one, as the app configures moto)
    machine = backends.stepfunctions_backend(p.account, p.region).create_state_machine(
        name=name,
        definition=definition,
        roleArn=props["RoleArn"],
        sm_type=props.get("StateMachineType", "STANDARD"),
        loggingConfiguration=_logging_configuration(props.get("LoggingConfiguration")),
        tracingConfiguration={"enabled": bool(props.get("TracingConfiguration", {}).get("Enabled", False))},
    )
    arn = machine.arn
    return arn, {"Arn": arn, "Name": name}


def _user_pool(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A user pool with the template's sign-in, password, verification and MFA settings (moto
    refuses, or asks for, what they say)."""
    name = props.get("UserPoolName") or generated_name(p.stack.name, logical_id, "AWS::Cognito::UserPool")
    request: dict[str, Any] = {"PoolName": name}
    for key in (
        "UsernameAttributes",
        "AutoVerifiedAttributes",
        "Schema",
        "Policies",
        "MfaConfiguration",
        "AdminCreateUserConfig",
        "AccountRecoverySetting",
    ):
        if key in props:
            request[key] = props[key]
    client = p.client("cognito-idp")
    pool = client.create_user_pool(**request)["UserPool"]
    if "SOFTWARE_TOKEN_MFA" in props.get("EnabledMfas", []):
        client.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=props.get("MfaConfiguration", "OPTIONAL"),
        )
    return pool["Id"], {
        "Arn": pool["Arn"],
        "ProviderName": f"cognito-idp.{p.region}.amazonaws.com/{pool['Id']}",
        "UserPoolId": pool["Id"],
    }


_CLIENT_OPTIONS = (
    "ExplicitAuthFlows",
    "GenerateSecret",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
)


def _user_pool_client(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An app client of a pool; its Ref, as CloudFormation's, is the client id."""
    name = props.get("ClientName") or generated_name(p.stack.name, logical_id, "AWS::Cognito::UserPoolClient")
    request = {key: props[key] for key in _CLIENT_OPTIONS if key in props}
    client = p.client("cognito-idp").create_user_pool_client(
        UserPoolId=props["UserPoolId"], ClientName=name, **request
    )["UserPoolClient"]
    return client["ClientId"], {"ClientSecret": client.get("ClientSecret", ""), "Name": name}


def _email_identity(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An SES identity, verified at once (locally nobody clicks the verification link)."""
    identity = str(props["EmailIdentity"])
    p.backend("sesv2").create_email_identity(identity, None, None, None)
    if "@" in identity:
        p.backend("ses").verify_email_identity(identity)
    else:
        p.backend("ses").verify_domain(identity)
    return identity, {}


_PASSWORD_DEFAULTS: dict[str, Any] = {
    "PasswordLength": 32,
    "ExcludeCharacters": "",
    "ExcludeNumbers": False,
    "ExcludePunctuation": False,
    "ExcludeUppercase": False,
    "ExcludeLowercase": False,
    "IncludeSpace": False,
    "RequireEachIncludedType": True,
}
"""GetRandomPassword's options with the defaults Secrets Manager documents for each."""


def _secret(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A secret, its value generated as CloudFormation would (Secrets Manager's GetRandomPassword
    with the template's options) or taken as given. The platform key is not run locally, so
    the secret is created without it; its Ref, as CloudFormation's, is the ARN."""
    secrets = p.backend("secretsmanager")
    name = str(props.get("Name") or generated_name(p.stack.name, logical_id, "AWS::SecretsManager::Secret"))
    value = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if value is None and generate is not None:
        options = {key: generate.get(key, default) for key, default in _PASSWORD_DEFAULTS.items()}
        answer = secrets.get_random_password(**{xform_name(key): option for key, option in options.items()})
        password = json.loads(answer)["RandomPassword"]
        template, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
        value = json.dumps({**json.loads(template), key: password}) if template and key else password
    created = secrets.create_secret(
        name=name,
        secret_string=None if value is None else str(value),
        secret_binary=None,
        description=str(props.get("Description", "")),
        tags=[],
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    arn = json.loads(created)["ARN"]
    return arn, {"Id": arn}


def _log_group(p: Provisioner, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A log group with its retention, where the functions and state machines that name it write
    (`cloudwatch_logs`), readable through the endpoint."""
    name = p.name_for(logical_id, "AWS::Logs::LogGroup", props.get("LogGroupName"))
    backend = p.backend("logs")
    tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
    backend.create_log_group(name, tags)
    if props.get("RetentionInDays") is not None:
        backend.put_retention_policy(name, int(props["RetentionInDays"]))
    return name, {"Arn": p.arn("logs", f"log-group:{name}:*")}


PROVISIONERS: dict[str, ProvisionFn] = {
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::SES::EmailIdentity": _email_identity,
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _rule,
    "AWS::Events::Archive": _archive,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::S3::Bucket": _bucket,
    "AWS::StepFunctions::StateMachine": _state_machine,
}
