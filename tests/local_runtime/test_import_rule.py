"""The runtime is a library: it imports nothing of the app it runs (its task packages, its
infrastructure, its demo). An app comes in through its cloud assembly; outside parties through
`--party MODULE:FACTORY`."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME = REPO_ROOT / "local_runtime"
APP_PACKAGES = frozenset(
    {"demo", "workflows", "bench", "operations", "visualize", "tests", "app"}
    | {path.name for path in (REPO_ROOT / "lambdas").iterdir() if (path / "__init__.py").exists()}
)


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_the_runtime_imports_nothing_of_the_app() -> None:
    offending = {
        str(path.relative_to(REPO_ROOT)): sorted(_imported(ast.parse(path.read_text())) & APP_PACKAGES)
        for path in sorted(RUNTIME.rglob("*.py"))
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_rule_sees_an_import_of_the_app() -> None:
    # the check itself: an import inside a function counts as much as one at the top
    tree = ast.parse(
        "def f():\n    from demo.payment_provider import PaymentProvider\nimport order_saga.begin\n"
    )
    assert _imported(tree) & APP_PACKAGES == {"demo", "order_saga"}


PATCHES_PACKAGE = RUNTIME / "moto_patches"
MOTO_PUBLIC = frozenset({"moto", "moto.server"})
"""What of moto any module may import: the package itself (``mock_aws``) and its server."""


def _moto_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.partition(".")[0] == "moto"}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.partition(".")[0] == "moto"
        ):
            names.add(node.module)
    return names


def test_moto_internals_are_reached_only_from_the_patches() -> None:
    # Every change to moto, and every read of its state, goes through local_runtime.moto_patches:
    # when moto moves something, that package is the one place to follow it
    outside = {
        str(path.relative_to(REPO_ROOT)): sorted(_moto_modules(ast.parse(path.read_text())) - MOTO_PUBLIC)
        for path in sorted(RUNTIME.rglob("*.py"))
        if PATCHES_PACKAGE not in path.parents
    }
    assert {path: names for path, names in outside.items() if names} == {}


def test_the_moto_rule_sees_an_internal_import() -> None:
    tree = ast.parse(
        "def f():\n    import moto.sqs.models\nfrom moto import mock_aws\nfrom moto.core import utils\n"
    )
    assert _moto_modules(tree) - MOTO_PUBLIC == {"moto.sqs.models", "moto.core"}
