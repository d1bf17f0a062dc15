"""Work done once per process (`local_runtime.once_per_process`) changes nothing a class, a
session or a handler sees: each dataclass still gets functions of its own, and every botocore
event still reaches the handlers registered for it, under botocore's aliases or not."""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any

import botocore.session
import pytest
from botocore import hooks

from local_runtime import once_per_process


@pytest.fixture(autouse=True)
def installed() -> None:
    once_per_process.install()


def _priced(default: int) -> Any:
    @dataclasses.dataclass(frozen=True)
    class Priced:
        sku: str
        amount: int = default

    return Priced


def test_each_dataclass_gets_its_own_functions_and_defaults_from_one_compilation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled: list[str] = []
    shipped = builtins.compile

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(source))
        return shipped(source, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    _priced(1)  # whatever this process compiled before, the text is known now
    compiled.clear()
    cheap, dear = _priced(1), _priced(100)
    assert compiled == []  # the same source text, not compiled again
    assert cheap.__init__ is not dear.__init__
    assert cheap("a").amount == 1 and dear("a").amount == 100
    assert cheap("a", 5) == cheap("a", 5) and hash(cheap("a", 5)) == hash(cheap("a", 5))
    assert cheap("a") != dear("a")  # eq compares the classes too
    with pytest.raises(dataclasses.FrozenInstanceError):
        cheap("a").amount = 2
    assert repr(dear("b")) == "_priced.<locals>.Priced(sku='b', amount=100)"


def test_every_session_delivers_events_under_botocore_aliases_and_its_own() -> None:
    heard: list[str] = []
    first, second = botocore.session.Session(), botocore.session.Session()
    # botocore's aliases: an event registered under an old service name reaches its emitter
    first.register("probe.runtime.sagemaker.Ping", lambda **_: heard.append("first"))
    second.register("probe.sagemaker-runtime.Ping", lambda **_: heard.append("second"))
    first.emit("probe.sagemaker-runtime.Ping")
    second.emit("probe.runtime.sagemaker.Ping")
    assert heard == ["first", "second"]
    # an event system with aliases of its own keeps its own translations
    own = hooks.EventAliaser(hooks.HierarchicalEmitter(), {"orders": "order-platform"})
    own.register("before-call.orders.Place", lambda **_: heard.append("own"))
    own.emit("before-call.order-platform.Place")
    assert heard[-1] == "own"
    assert own._alias_name_cache is not first._events._alias_name_cache
    assert first._events._alias_name_cache is second._events._alias_name_cache


def test_user_agent_components_are_cleaned_as_botocore_cleans_them() -> None:
    from botocore import useragent

    allowed = useragent._USERAGENT_ALLOWED_CHARACTERS
    cases = (("md/Botocore 1.44", False), ("app#id é", True), ("app#id é", False), ("", True))
    for raw, allow_hash in cases:  # the same text with and without "#" allowed: two answers
        expected = "".join(c if c in allowed or (allow_hash and c == "#") else "-" for c in raw)
        assert useragent.sanitize_user_agent_string_component(raw, allow_hash) == expected
        assert useragent.sanitize_user_agent_string_component(raw, allow_hash) == expected  # remembered
