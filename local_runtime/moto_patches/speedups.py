"""Six of moto's repeated costs, paid once per process instead of on every request or backend.

None changes what moto answers; each changes only how often it works the answer out. They
are measured by `make bench` ("moto's per-request costs") and by the suite's profile, and their
tests (tests/local_runtime/test_moto_speedups.py) check that every answer is the same with them.

* The response serializer looks up every member of every output shape through six alias
  providers, each built anew for each lookup (a DynamoDB GetItem walks ~250 of them: more
  than a third of the request's time). For a plain dict, which is what DynamoDB, Step
  Functions and most services hand it, the aliases depend only on the shape and the key, so
  they are worked out once per shape member and service; and a plain dict's member is then
  looked up by those keys directly, without the picking context moto builds for each member
  (with the member's path joined into a string: 5 % of the suite's CPU went to serializing).
* The Step Functions engine parses every JSONPath (InputPath, Choice variables, Parameters'
  ``.$`` fields, ResultPath) again on each evaluation, and jsonpath-ng builds a new LALR
  parser for each parse (~0.3 ms each, a few dozen per execution). A parsed path is an
  immutable tree that `find` only reads, so each distinct path is parsed once.
* EventBridge parses its input paths (the default ones when a target has no transformer) for
  every event delivered to every target, through `jsonpath_ng.ext.parse`, which it imports at
  call time; that function is cached the same way.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import jsonpath_ng.ext
from moto.core import base_backend, responses, serialize
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

from local_runtime.moto_patches.declare import Applied, Gap, Patch, Replace, node

_PARSE_CACHE_SIZE = 4096
"""Distinct JSONPaths kept parsed: the project's definitions hold a few hundred."""

_ENGINE_PARSERS = (json_path, result_path)
"""The engine's modules that parse JSONPaths, each through its own `parse`."""

_alias_keys: dict[tuple[Any, ...], tuple[str, ...]] = {}
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

ALIASES = Replace(
    "possible_keys",
    "all",
    serialize.XFormedAttributePicker,
    "get_possible_keys",
    (
        Gap(
            "every response member is looked up through six alias providers built anew each time",
            node(_GAP_TESTS, "test_without_the_patch_every_member_walks_the_alias_providers"),
        ),
    ),
)


def _member_key(service_name: str | None, key: str, shape: Any) -> tuple[Any, ...]:
    """What a member's possible keys depend on when the value is a plain dict: the service, the
    member and its shape, and the structure it belongs to."""
    parent = getattr(shape, "parent", None)
    return (
        service_name,
        key,
        shape.name,
        shape.type_name,
        shape.serialization.get("name"),
        getattr(parent, "name", None),
        getattr(parent, "type_name", None),
    )


@ALIASES.by
def _possible_keys(picker: serialize.XFormedAttributePicker, context: Any) -> Iterable[str]:
    """The keys to try for a member: worked out once per service, shape member and parent when
    the value is a plain dict (no `Meta` aliases, class name `dict`); else as moto does."""
    original: Callable[[Any, Any], Iterable[str]] = ALIASES.original
    if (
        type(context.obj) is not dict
        or type(picker) is not serialize.XFormedAttributePicker
        or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS
    ):
        return original(picker, context)
    service = context.service_model.service_name if context.service_model is not None else None
    key = _member_key(service, context.key, context.shape)
    keys = _alias_keys.get(key)
    if keys is None:
        keys = _alias_keys[key] = tuple(original(picker, context))
    return keys


MEMBERS = Replace(
    "member_values",
    "all",
    serialize.ResponseSerializer,
    "get_value",
    (
        Gap(
            "every response member builds a picking context and joins its path to look one key up",
            node(_GAP_TESTS, "test_without_the_patch_every_member_builds_a_picking_context"),
        ),
    ),
)


_plain_keys: dict[tuple[Any, ...], tuple[str, ...]] = {}
"""The possible keys of each member whose keys are all plain (no dotted path), as `_alias_keys`
has them; an empty tuple for a member that has a dotted one."""


@MEMBERS.by
def _member_value(serializer: serialize.ResponseSerializer, value: Any, key: str, shape: Any) -> Any:
    """A member of a plain dict, looked up by the keys its member was found to have (`ALIASES`)
    without building moto's picking context for it; anything else (an object, a picker with
    aliases or transformers of its own, a member not seen yet) as moto does."""
    picker = serializer._value_picker
    if (
        type(value) is dict
        and ALIASES.applied
        and type(picker) is serialize.XFormedAttributePicker
        and picker.alias_providers is serialize.DEFAULT_ALIAS_PROVIDERS
        and not picker.response_transformers
    ):
        model = serializer.operation_model
        service = model.service_model.service_name if model is not None else None
        member = _member_key(service, key, shape)
        keys = _plain_keys.get(member)
        if keys is None and member in _alias_keys:
            found = _alias_keys[member]
            # a key with a dot is a path into nested values: moto's own lookup follows it
            keys = _plain_keys[member] = () if any("." in possible for possible in found) else found
        if keys:
            for possible in keys:
                if possible in value:
                    return value[possible]
            return None
    return MEMBERS.original(serializer, value, key, shape)


ACTIONS = Replace(
    "action_names",
    "all",
    responses,
    "method_names_from_class",
    (
        Gap(
            "every request reads every attribute of its response class to find its action",
            node(_GAP_TESTS, "test_without_the_patch_every_request_reads_its_response_class_again"),
        ),
    ),
)

_action_names: dict[tuple[type, tuple[str, ...]], frozenset[str]] = {}


@ACTIONS.by
def _method_names(clazz: type) -> frozenset[str]:
    """The names of the class's plain functions (what moto dispatches an action to), worked out
    once per class and per set of attribute names of the class and its bases: a patch that adds
    or removes an operation changes the names, and so asks again."""
    key = (clazz, tuple(name for base in clazz.__mro__ for name in vars(base)))
    names = _action_names.get(key)
    if names is None:
        functions = inspect.getmembers(clazz, inspect.isfunction)
        names = _action_names[key] = frozenset(name for name, _ in functions)
    return names


REGIONS = Replace(
    "service_regions",
    "all",
    base_backend.AccountSpecificBackend,
    "_generate_regions",
    (
        Gap(
            "every new backend of a service walks botocore's endpoint data for its regions again",
            node(_GAP_TESTS, "test_without_the_patch_every_new_backend_lists_its_regions_again"),
        ),
    ),
)

_service_regions: dict[str, tuple[str, ...]] = {}


@REGIONS.by
def _regions(backend: Any, service_name: str) -> list[str]:
    """The regions botocore knows for the service in every partition, listed once per service
    (through moto's own function, without its per-backend cache)."""
    regions = _service_regions.get(service_name)
    if regions is None:
        regions = _service_regions[service_name] = tuple(REGIONS.original.__wrapped__(backend, service_name))
    return list(regions)


def _cached_parses() -> Callable[[], None]:
    shipped = {module: module.parse for module in _ENGINE_PARSERS}  # type: ignore[attr-defined]
    for module, parse in shipped.items():
        module.parse = functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)(parse)  # type: ignore[attr-defined]

    def undo() -> None:
        for module, parse in shipped.items():
            module.parse = parse  # type: ignore[attr-defined]

    return undo


def _cached_event_path_parses() -> Callable[[], None]:
    shipped = jsonpath_ng.ext.parse
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)(shipped)

    def undo() -> None:
        jsonpath_ng.ext.parse = shipped

    return undo


PATCHES: tuple[Patch, ...] = (
    ALIASES,
    MEMBERS,
    ACTIONS,
    REGIONS,
    Applied(
        "jsonpath_parse",
        "stepfunctions",
        _cached_parses,
        (
            Gap(
                "every evaluation parses its JSONPath again (a new LALR parser each time)",
                node(_GAP_TESTS, "test_without_the_patch_every_jsonpath_is_parsed_again"),
            ),
        ),
    ),
    Applied(
        "event_input_path_parse",
        "events",
        _cached_event_path_parses,
        (
            Gap(
                "every event delivered to a target parses the input paths again (a new LALR parser each)",
                node(_GAP_TESTS, "test_without_the_patch_every_event_parses_its_input_paths_again"),
            ),
        ),
    ),
)
