"""Names, creation order and intrinsic functions, as CloudFormation resolves them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local_runtime.cloudformation import (
    Resolver,
    TemplateError,
    creation_order,
    generated_name,
    parameter_values,
)

ATTRIBUTES: dict[tuple[str, str], Any] = {("Fn", "Arn"): "arn:aws:lambda:eu-west-1:1:function:fn"}


def _resolver() -> Resolver:
    def get_att(logical_id: str, attribute: str) -> Any:
        try:
            return ATTRIBUTES[(logical_id, attribute)]
        except KeyError as missing:
            raise TemplateError(f"{logical_id}.{attribute}") from missing

    return Resolver(
        pseudo={"AWS::Region": "eu-west-1", "AWS::AccountId": "1", "AWS::Partition": "aws"},
        ref=lambda logical_id: {"Table": "orders-table"}[logical_id],
        get_att=get_att,
    )


@given(
    stack=st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,60}", fullmatch=True),
    logical_id=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,200}", fullmatch=True),
    resource_type=st.sampled_from(
        ["AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::StepFunctions::StateMachine"]
    ),
)
def test_generated_names_fit_the_type_limit_and_are_stable(
    stack: str, logical_id: str, resource_type: str
) -> None:
    name = generated_name(stack, logical_id, resource_type)
    limit = {"AWS::Lambda::Function": 64, "AWS::SQS::Queue": 80, "AWS::StepFunctions::StateMachine": 80}[
        resource_type
    ]
    assert 0 < len(name) <= limit
    assert name == generated_name(stack, logical_id, resource_type)


def test_distinct_logical_ids_get_distinct_names() -> None:
    long_prefix = "OrderPlatformOutboxPublisherClaimFunction" * 2
    assert generated_name("Stack", f"{long_prefix}A", "AWS::Lambda::Function") != generated_name(
        "Stack", f"{long_prefix}B", "AWS::Lambda::Function"
    )


def test_sub_join_select_split_and_pseudo_parameters() -> None:
    resolver = _resolver()
    assert resolver.resolve(
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"}
    ) == ("arn:aws:dynamodb:eu-west-1:1:table/orders-table")
    assert resolver.resolve({"Fn::Sub": ["${Name}-${Fn.Arn}", {"Name": {"Ref": "Table"}}]}) == (
        "orders-table-arn:aws:lambda:eu-west-1:1:function:fn"
    )
    assert resolver.resolve({"Fn::Join": ["/", ["a", {"Ref": "Table"}]]}) == "a/orders-table"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [":", {"Fn::GetAtt": ["Fn", "Arn"]}]}]}) == "aws"
    assert resolver.resolve({"Fn::Sub": "literal ${!NotAVariable}"}) == "literal ${NotAVariable}"


def test_no_value_removes_the_property() -> None:
    assert _resolver().resolve(
        {"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}, "List": [1, {"Ref": "AWS::NoValue"}]}
    ) == {
        "Keep": 1,
        "List": [1],
    }


def test_an_unknown_attribute_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        _resolver().resolve({"Fn::GetAtt": ["Fn", "Nope"]})


def test_creation_order_puts_every_resource_after_what_it_references() -> None:
    resources = {
        "Machine": {"Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}, "X": {"Fn::Sub": "${Fn.Arn}"}}},
        "Fn": {"Properties": {"Env": {"Ref": "Table"}}},
        "Role": {"Properties": {}},
        "Table": {"Properties": {}, "DependsOn": "Role"},
    }
    order = creation_order(resources)
    assert order.index("Table") < order.index("Fn") < order.index("Machine")
    assert order.index("Role") < order.index("Table")


CONDITIONS = {
    "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
    "InEurope": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": ["-", {"Ref": "AWS::Region"}]}]}, "eu"]},
    "ProdInEurope": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InEurope"}]},
    "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    "EitherWay": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "NotProd"}]},
    "Circular": {"Fn::Not": [{"Condition": "Circular"}]},
}


def _conditional(stage: str) -> Resolver:
    return Resolver(
        pseudo={"AWS::Region": "eu-west-1", "AWS::AccountId": "1", "AWS::Partition": "aws"},
        ref=lambda logical_id: {"Table": "orders-table"}[logical_id],
        get_att=lambda logical_id, attribute: "",
        conditions=CONDITIONS,
        parameters={"Stage": stage},
    )


@pytest.mark.parametrize(("stage", "prod"), [("prod", True), ("dev", False)])
def test_conditions_are_evaluated_as_cloudformation_does(stage: str, prod: bool) -> None:
    resolver = _conditional(stage)
    assert resolver.condition("IsProd") is prod
    assert resolver.condition("ProdInEurope") is prod
    assert resolver.condition("NotProd") is not prod
    assert resolver.condition("EitherWay") is True
    chosen = resolver.resolve(
        {
            "Retention": {"Fn::If": ["IsProd", 365, 7]},
            "Alarm": {"Fn::If": ["IsProd", "on", {"Ref": "AWS::NoValue"}]},
        }
    )
    assert chosen == ({"Retention": 365, "Alarm": "on"} if prod else {"Retention": 7})


def test_an_unknown_or_circular_condition_is_a_template_error() -> None:
    resolver = _conditional("dev")
    with pytest.raises(TemplateError, match="no condition 'Missing'"):
        resolver.resolve({"Fn::If": ["Missing", 1, 2]})
    with pytest.raises(TemplateError, match="circle"):
        resolver.condition("Circular")


def test_a_parameter_is_its_given_value_else_its_default() -> None:
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "Default": "dev"},
            "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
            "Required": {"Type": "String"},
        }
    }
    assert parameter_values(template) == {"Stage": "dev", "Zones": ["a", "b"]}
    assert parameter_values(template, {"Stage": "prod", "Required": "x"})["Stage"] == "prod"
