"""The README's state machine diagrams are generated from asl/ and never stale."""

from __future__ import annotations

import json
import re
from typing import Any

from visualize.diagrams import ASL_DIR, README, diagrams, mermaid, refreshed


def test_the_readme_holds_a_fresh_diagram_of_every_state_machine() -> None:
    _, stale = refreshed(README.read_text(encoding="utf-8"))
    assert stale == [], f"run `make diagrams`: {stale} are stale"
    assert set(diagrams()) == {path.name.removesuffix(".asl.json") for path in ASL_DIR.glob("*.asl.json")}


def test_a_changed_definition_makes_its_diagram_stale() -> None:
    readme = README.read_text(encoding="utf-8")
    edited = readme.replace("OrderConfirmed --> [*]", "OrderConfirmed --> Elsewhere", 1)
    assert edited != readme
    text, stale = refreshed(edited)
    assert stale == ["diagram:order_saga"] and text == readme


def _assert_drawn(states: dict[str, Any], prefix: str, edges: set[tuple[str, str]], where: str) -> None:
    for name, state in states.items():
        me = prefix + name
        targets = [state.get("Next"), state.get("Default")]
        targets += [rule["Next"] for rule in state.get("Choices", [])]
        targets += [catcher["Next"] for catcher in state.get("Catch", [])]
        for target in filter(None, targets):
            assert (me, prefix + target) in edges, (where, me, target)
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            assert (me, "[*]") in edges, (where, me)
        nested = state.get("ItemProcessor") or state.get("Iterator")
        if nested:
            _assert_drawn(nested["States"], f"{me}_0_", edges, where)


def test_every_state_and_transition_of_a_definition_is_drawn() -> None:
    for path in ASL_DIR.glob("*.asl.json"):
        definition = json.loads(path.read_text(encoding="utf-8"))
        drawn = mermaid(definition)
        edges = set(re.findall(r"^\s*(\w+) --> (\w+|\[\*\])", drawn, re.MULTILINE))
        _assert_drawn(definition["States"], "", edges, path.name)
