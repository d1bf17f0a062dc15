"""Every value the CDK code and the task code both know has one meaning: the template hands each
function exactly the values its code would assume by default, and names shared by both agree."""

from __future__ import annotations

from typing import Any

import pytest

from claim_check.models import CLAIM_CHECK_ISSUED, SCHEMA_VERSION
from claim_check.resolving import RESOLVED_TAG
from claim_check.settings import (
    DEFAULT_AFTER_SUCCESS,
    DEFAULT_RANGE_BYTES,
    DEFAULT_TTL_DAYS,
    FinishSettings,
    SplitSettings,
)
from claim_check.splitting import MANIFEST_PREFIX, REPORT_PREFIX
from observability import METRICS_NAMESPACE
from observability.slo import OBJECTIVES
from order_saga.settings import (
    DEFAULT_MAX_REDRIVES,
    DEFAULT_SUPPORTED_DESTINATIONS,
    BeginSettings,
    ShippingSettings,
)
from order_store.keys import PENDING_OUTBOX_INDEX
from outbox_publisher.settings import ClaimSettings, MarkSettings, RetrySettings
from task_io.settings import EnvironmentSettings
from tests.infra.synthesis import REPO_ROOT, Synthesized
from workflows import constants as c

pytestmark = pytest.mark.infra


def _environment(synthesized: Synthesized, handler: str) -> dict[str, Any]:
    (function,) = [
        f
        for f in synthesized.of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]
    return dict(function["Properties"]["Environment"]["Variables"])


def _defaults(model: type[EnvironmentSettings]) -> dict[str, Any]:
    """The environment variable -> default value of every setting that has a default."""
    return {
        str(field.alias): field.default
        for field in model.model_fields.values()
        if field.alias and field.default is not None and not field.is_required()
    }


@pytest.mark.parametrize(
    ("handler", "model"),
    [
        (c.OUTBOX_CLAIM_HANDLER, ClaimSettings),
        (c.OUTBOX_RETRY_HANDLER, RetrySettings),
        (c.OUTBOX_MARK_HANDLER, MarkSettings),
        (c.SAGA_BEGIN_HANDLER, BeginSettings),
        (c.SAGA_SHIP_HANDLER, ShippingSettings),
        ("claim_check.split_handler.lambda_handler", SplitSettings),
        ("claim_check.finish_handler.lambda_handler", FinishSettings),
    ],
)
def test_the_template_hands_each_function_the_values_its_code_defaults_to(
    synthesized: Synthesized, handler: str, model: type[EnvironmentSettings]
) -> None:
    environment = _environment(synthesized, handler)
    defaults = _defaults(model)
    assert defaults, model
    for variable, default in defaults.items():
        assert variable in environment, (handler, variable)
        given = model.model_validate(
            {**dict.fromkeys((), ""), **_required(model), variable: environment[variable]}
        )
        assert getattr(given, _field_of(model, variable)) == default, (handler, variable)


def _required(model: type[EnvironmentSettings]) -> dict[str, str]:
    return {str(f.alias): "xxx" for f in model.model_fields.values() if f.is_required()}


def _field_of(model: type[EnvironmentSettings], alias: str) -> str:
    return next(name for name, field in model.model_fields.items() if field.alias == alias)


def test_names_and_limits_both_sides_use_are_one() -> None:
    assert METRICS_NAMESPACE == c.METRICS_NAMESPACE
    assert PENDING_OUTBOX_INDEX == c.PENDING_OUTBOX_INDEX
    assert ",".join(c.SAGA_SUPPORTED_DESTINATIONS) == DEFAULT_SUPPORTED_DESTINATIONS
    assert DEFAULT_MAX_REDRIVES == c.SAGA_MAX_REDRIVES


def test_the_claim_check_and_its_infrastructure_agree(synthesized: Synthesized) -> None:
    # The code's defaults are the deployment's values
    assert (DEFAULT_RANGE_BYTES, DEFAULT_TTL_DAYS, DEFAULT_AFTER_SUCCESS) == (
        c.CLAIM_RANGE_BYTES,
        c.CLAIM_TTL_DAYS,
        c.CLAIM_AFTER_SUCCESS,
    )
    # The tag a kept payload gets is the one the bucket's lifecycle rule expires
    assert RESOLVED_TAG == {c.CLAIM_RESOLVED_TAG_KEY: c.CLAIM_RESOLVED_TAG_VALUE}
    (bucket,) = [
        b for path_id, b in synthesized.of_type("AWS::S3::Bucket").items() if "PayloadBucket" in path_id
    ]
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireResolvedPayloads"]["TagFilters"] == [
        {"Key": c.CLAIM_RESOLVED_TAG_KEY, "Value": c.CLAIM_RESOLVED_TAG_VALUE}
    ]
    assert rules["ExpirePayloads"]["ExpirationInDays"] == DEFAULT_TTL_DAYS
    # The prefixes the roles are scoped to are the ones the code writes
    text = str(synthesized.resources)
    assert f"/{MANIFEST_PREFIX}*" in text and f"{REPORT_PREFIX}*" in text
    # The split publishes (IssueClaim builds the entries) under the source and detail-type the
    # resolve's rule matches
    split = _environment(synthesized, "claim_check.split_handler.lambda_handler")
    assert split["EVENT_SOURCE"] == c.CLAIM_CHECK_EVENT_SOURCE
    assert CLAIM_CHECK_ISSUED == c.CLAIM_CHECK_ISSUED_DETAIL_TYPE
    assert '"Entries.$": "$.entries"' in (REPO_ROOT / "asl" / "claim_check_split.asl.json").read_text()
    assert SCHEMA_VERSION.startswith("order-import/")


def test_the_dashboard_draws_the_objectives_the_tasks_state() -> None:
    from workflows.slo_objectives import OBJECTIVES as DRAWN

    stated = [(o.metric, o.unit, o.statistic, o.target) for o in OBJECTIVES]
    assert [(o.metric, o.unit, o.statistic, o.target) for o in DRAWN] == stated
