"""What CloudFormation would do with a template, as far as the local runtime needs it.

Physical names for resources the template leaves unnamed, the order in which
resources can be created (every Ref / Fn::GetAtt / Fn::Sub / DependsOn is an
edge), and intrinsic functions resolved against the physical ids and attributes
of resources already created. Resolution is done here once, so Lambda
environments, state machine substitutions and pipe targets all see the same
values `cdk deploy` would produce.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from graphlib import TopologicalSorter
from typing import Any

_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")

# CloudFormation's own length limits for generated names, per resource type.
_NAME_LIMITS: Mapping[str, int] = {
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::Events::Rule": 64,
    "AWS::Pipes::Pipe": 64,
    "AWS::IAM::Role": 64,
    "AWS::SNS::Topic": 256,
    "AWS::DynamoDB::Table": 255,
}


class TemplateError(Exception):
    """The template uses something this runtime cannot resolve."""


def generated_name(stack_name: str, logical_id: str, resource_type: str) -> str:
    """A CloudFormation-style generated name: `<stack>-<logical id>-<suffix>`, within the type's limit.

    CloudFormation's suffix is random; here it is a hash of the logical id so a
    local run is reproducible. State machines and pipes omit the stack prefix,
    as CloudFormation does.
    """
    suffix = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
    limit = _NAME_LIMITS.get(resource_type, 128)
    prefix = (
        "" if resource_type in ("AWS::StepFunctions::StateMachine", "AWS::Pipes::Pipe") else f"{stack_name}-"
    )
    room = limit - len(prefix) - len(suffix) - 1
    head = f"{prefix}{logical_id}"[: len(prefix) + max(room, 1)] if room > 0 else logical_id[:1]
    return f"{head}-{suffix}"[:limit]


def references(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref, Fn::GetAtt, Fn::Sub variables)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text, variables = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
            for token in _SUB_TOKEN.findall(text):
                name = token.split(".", 1)[0]
                if name not in variables:
                    found.add(name)
            found |= references(variables)
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids in an order where every resource comes after what it references."""
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        deps = set([depends_on] if isinstance(depends_on, str) else depends_on)
        deps |= references(resource.get("Properties", {}))
        graph[logical_id] = {dep for dep in deps if dep in resources}
    return list(TopologicalSorter(graph).static_order())


class Resolver:
    """Resolves intrinsic functions once the referenced resources have physical ids and attributes."""

    def __init__(
        self,
        pseudo: Mapping[str, str],
        ref: Callable[[str], str],
        get_att: Callable[[str, str], Any],
        conditions: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        """``conditions`` is the template's Conditions section (evaluated when first used, each
        once); ``parameters`` the value of each template parameter (a Ref to one answers it)."""
        self._pseudo = dict(pseudo)
        self._ref = ref
        self._get_att = get_att
        self._condition_expressions = dict(conditions or {})
        self._parameters = dict(parameters or {})
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._intrinsics = self._functions()
        """Built once: resolving a template walks some ninety thousand values."""

    def condition(self, name: str) -> bool:
        """A condition of the template, as CloudFormation evaluates it (Fn::Equals, Fn::Not,
        Fn::And, Fn::Or, Condition, over parameters and pseudo parameters)."""
        if name not in self._conditions:
            if name not in self._condition_expressions:
                raise TemplateError(f"the template has no condition {name!r}")
            if name in self._evaluating:
                raise TemplateError(f"the conditions refer to each other in a circle: {self._evaluating}")
            self._evaluating.append(name)
            try:
                value = self.resolve(self._condition_expressions[name])
            finally:
                self._evaluating.pop()
            if not isinstance(value, bool):
                raise TemplateError(f"the condition {name!r} is not true or false: {value!r}")
            self._conditions[name] = value
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._intrinsics.get(key)
            if handler is not None:
                return handler(arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._fn_ref,
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Sub": self._fn_sub,
            "Fn::Join": lambda arg: str(arg[0]).join(str(v) for v in self.resolve(arg[1])),
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::Split": lambda arg: str(self.resolve(arg[1])).split(arg[0]),
            "Fn::If": self._fn_if,
            "Fn::Equals": lambda arg: self.resolve(arg[0]) == self.resolve(arg[1]),
            "Fn::Not": lambda arg: not self.resolve(arg[0]),
            "Fn::And": lambda arg: all(self.resolve(v) for v in arg),
            "Fn::Or": lambda arg: any(self.resolve(v) for v in arg),
            "Condition": self.condition,
            "Fn::Base64": self.resolve,
            "Fn::GetAZs": lambda _arg: [f"{self._pseudo['AWS::Region']}{z}" for z in "abc"],
        }

    def _fn_ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        return self._ref(name)

    def _fn_get_att(self, arg: Any) -> Any:
        logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        return self._get_att(logical_id, self.resolve(attribute))

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg[0], self.resolve(arg[1])) if isinstance(arg, list) else (arg, {})

        def substitute(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(variables[token])
            if "." in token and token not in self._pseudo:
                logical_id, attribute = token.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._fn_ref(token))

        return _SUB_TOKEN.sub(substitute, text).replace("${!", "${")

    def _fn_if(self, arg: list[Any]) -> Any:
        condition, when_true, when_false = arg
        return self.resolve(when_true if self.condition(condition) else when_false)


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Each template parameter's value: the one given, else its Default (a list type's default
    split on commas, as CloudFormation does). An SSM-typed parameter (CDK's BootstrapVersion)
    keeps its default, the parameter's name: nothing locally reads it but the bootstrap Rule."""
    values: dict[str, Any] = {}
    for name, declaration in template.get("Parameters", {}).items():
        if given and name in given:
            value = given[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        else:
            continue  # a Ref to it fails by name, as a deploy without the value would
        kind = str(declaration.get("Type", "String"))
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            value = [item.strip() for item in str(value).split(",")] if isinstance(value, str) else value
        values[name] = value
    return values
