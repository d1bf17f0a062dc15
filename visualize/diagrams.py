"""Mermaid state diagrams of every state machine, and each one's retry table (`retries.py`),
generated from `asl/` (the single source of truth) and kept in the README between markers,
where GitHub renders them.

    python -m visualize.diagrams           rewrite the README's diagrams and retry tables
    python -m visualize.diagrams --check   exit 1 (naming them) if any is stale

Why generated and not drawn: a drawn diagram drifts from the definition the first time a state
is added; this one is rebuilt by a command, and a test fails when the README's copy is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visualize.retries import retry_table

REPO_ROOT = Path(__file__).resolve().parent.parent
ASL_DIR = REPO_ROOT / "asl"
README = REPO_ROOT / "README.md"
_BLOCK = re.compile(
    r"<!-- (?P<kind>diagram|retries):(?P<name>[a-z_]+) -->\n.*?<!-- /(?P=kind) -->", re.DOTALL
)
_COMPARISONS = {
    "BooleanEquals": "==",
    "StringEquals": "==",
    "NumericEquals": "==",
    "NumericGreaterThan": ">",
    "NumericGreaterThanEquals": ">=",
    "NumericLessThan": "<",
    "NumericLessThanEquals": "<=",
    "StringMatches": "matches",
    "IsPresent": "present",
    "IsNull": "null",
    "IsString": "text",
    "IsNumeric": "a number",
}


_TYPE_TESTS = ("IsString", "IsNumeric", "IsBoolean", "IsTimestamp")


def _guards(part: dict[str, Any], compared: set[Any]) -> bool:
    """A type test on a variable that another part of the same `And` compares."""
    return any(part.get(t) is True for t in _TYPE_TESTS) and part.get("Variable") in compared


def _conjunction(parts: list[dict[str, Any]]) -> str:
    """An `And` reads as its comparisons: a type test guarding a comparison of the same
    variable says nothing a reader needs, and a run of presence tests reads as one."""
    compared = {p.get("Variable") for p in parts if not any(t in p for t in _TYPE_TESTS)}
    kept = [p for p in parts if not _guards(p, compared)]
    if kept and all(p.get("IsPresent") is True for p in kept):
        names = [str(p["Variable"]).removeprefix("$.") for p in kept]
        return f"{', '.join(names[:1] + [n.rsplit('.', 1)[-1] for n in names[1:]])} present"
    return " and ".join(_condition(part) for part in kept)


def _test(variable: str, key: str, value: Any, by_path: bool) -> str:
    """One comparison or type test, as a reader would say it."""
    operator = _COMPARISONS[key]
    negation = "" if value else "not "
    if key in ("IsString", "IsNumeric"):
        return f"{variable} is {negation}{operator}"
    if key in ("IsPresent", "IsNull"):
        return f"{variable} {negation}{operator}"
    return f"{variable} {operator} {str(value).removeprefix('$.') if by_path else json.dumps(value)}"


def _condition(rule: dict[str, Any]) -> str:
    """A short label for a Choice rule."""
    if "And" in rule:
        return _conjunction(rule["And"])
    if "Or" in rule:
        return " or ".join(_condition(part) for part in rule["Or"])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    variable = str(rule.get("Variable", "")).removeprefix("$.")
    for key in _COMPARISONS:
        for suffix in ("", "Path"):
            if key + suffix in rule:
                return _test(variable, key, rule[key + suffix], by_path=bool(suffix))
    return variable or "rule"


def _label(text: str) -> str:
    """Mermaid edge labels may not hold ':' or quotes; a long one is cut at a word, visibly."""
    text = re.sub(r"[:\"]", " ", text).replace("  ", " ").strip()
    if len(text) <= 200:
        return text
    return text[:199].rsplit(" ", 1)[0].rstrip(",") + "…"


def _nested(state: dict[str, Any], me: str, indent: str) -> Iterator[str]:
    """A Map's or Parallel's branches, as a composite state."""
    branches = [b for b in (state.get("ItemProcessor"), state.get("Iterator")) if b]
    branches += list(state.get("Branches", []))
    yield f"{indent}state {me} {{"
    for number, branch in enumerate(branches):
        if number:
            yield f"{indent}    --"
        yield from _lines(branch["States"], branch["StartAt"], f"{me}_{number}_", indent + "    ")
    yield f"{indent}}}"


def _transitions(state: dict[str, Any], me: str, ids: dict[str, str], indent: str) -> Iterator[str]:
    """Next, Choice rules and Default, the end, the first retrier, and every Catch."""
    for rule in state.get("Choices", []):
        yield f"{indent}{me} --> {ids[rule['Next']]}: {_label(_condition(rule))}"
    if "Default" in state:
        yield f"{indent}{me} --> {ids[state['Default']]}: otherwise"
    if "Next" in state:
        yield f"{indent}{me} --> {ids[state['Next']]}"
    if state.get("End") or state["Type"] in ("Succeed", "Fail"):
        yield f"{indent}{me} --> [*]"
    retriers = [r for r in state.get("Retry", []) if r.get("MaxAttempts", 3) > 0]
    if retriers:
        yield f"{indent}note right of {me}: retries {_label(', '.join(retriers[0]['ErrorEquals'][-2:]))}"
    for catcher in state.get("Catch", []):
        errors = _label(", ".join(catcher["ErrorEquals"]))
        yield f"{indent}{me} --> {ids[catcher['Next']]}: catch {errors}"


def _lines(states: dict[str, Any], start_at: str, prefix: str, indent: str) -> Iterator[str]:
    ids = {name: f"{prefix}{name}" for name in states}
    if prefix:  # a nested state shows its own name, not its unique id
        for name, state_id in ids.items():
            yield f'{indent}state "{name}" as {state_id}'
    yield f"{indent}[*] --> {ids[start_at]}"
    for name, state in states.items():
        me = ids[name]
        if state["Type"] in ("Map", "Parallel"):
            yield from _nested(state, me, indent)
        yield from _transitions(state, me, ids, indent)
        if state["Type"] in ("Fail", "Succeed"):
            yield f"{indent}class {me} {'failed' if state['Type'] == 'Fail' else 'succeeded'}"


def mermaid(definition: dict[str, Any]) -> str:
    """The definition as a Mermaid state diagram (nested Map/Parallel states as composites)."""
    body = "\n".join(_lines(definition["States"], definition["StartAt"], "", "    "))
    return (
        "```mermaid\nstateDiagram-v2\n"
        "    classDef failed fill:#fdd,stroke:#c00\n"
        "    classDef succeeded fill:#dfd,stroke:#080\n"
        f"{body}\n```"
    )


def diagrams() -> dict[str, str]:
    """Every `asl/<name>.asl.json` as its README block."""
    return {
        path.name.removesuffix(".asl.json"): (
            f"<!-- diagram:{path.name.removesuffix('.asl.json')} -->\n"
            f"{mermaid(json.loads(path.read_text(encoding='utf-8')))}\n<!-- /diagram -->"
        )
        for path in sorted(ASL_DIR.glob("*.asl.json"))
    }


def retry_tables() -> dict[str, str]:
    """Every `asl/<name>.asl.json`'s retry table as its README block."""
    return {
        path.name.removesuffix(".asl.json"): (
            f"<!-- retries:{path.name.removesuffix('.asl.json')} -->\n"
            f"{retry_table(json.loads(path.read_text(encoding='utf-8')))}\n<!-- /retries -->"
        )
        for path in sorted(ASL_DIR.glob("*.asl.json"))
    }


def _blocks() -> dict[str, str]:
    """Every generated block, by ``kind:name``."""
    return {
        **{f"diagram:{name}": block for name, block in diagrams().items()},
        **{f"retries:{name}": block for name, block in retry_tables().items()},
    }


def refreshed(readme: str) -> tuple[str, list[str]]:
    """The README with every generated block regenerated, and the stale ones (``kind:name``; a
    definition without its blocks in the README is stale too)."""
    wanted = _blocks()
    found = {f"{match.group('kind')}:{match.group('name')}" for match in _BLOCK.finditer(readme)}
    stale = sorted(key for key in wanted if key not in found)

    def replace(match: re.Match[str]) -> str:
        key = f"{match.group('kind')}:{match.group('name')}"
        if key not in wanted:
            stale.append(key)
            return ""
        if match.group(0) != wanted[key]:
            stale.append(key)
        return wanted[key]

    text = _BLOCK.sub(replace, readme)
    return text, sorted(set(stale))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README's state machine diagrams from asl/.")
    parser.add_argument("--check", action="store_true", help="only report stale diagrams (exit 1 if any)")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    text, stale = refreshed(readme)
    missing = [key for key in stale if f"<!-- {key} -->" not in readme]
    if args.check:
        if stale:
            print(f"stale diagrams: {', '.join(stale)} (run: python -m visualize.diagrams)", file=sys.stderr)
            return 1
        return 0
    if missing:
        print(
            f"README.md has no <!-- KIND:NAME --> block for {', '.join(missing)}: add one",
            file=sys.stderr,
        )
        return 1
    README.write_text(text, encoding="utf-8")
    print(f"diagrams and retry tables: {len(_blocks())} written, {len(stale)} were stale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
