"""Lambda packaging: a function's asset holds its own package, the packages it declares and
the shared packages, nothing else, and the bytecode of every module it ships.

Why: a package that ships its neighbours' code (or tests, or local caches) deploys code it
never runs, and the local runtime would import from the same staged directories. And Lambda
cannot write bytecode: a module shipped without usable bytecode is compiled at every cold start.
"""

from __future__ import annotations

import ast
import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.synthesis import Synthesized
from tests.unit.test_handler_init import HANDLER_MODULES
from workflows import constants as c
from workflows.function_code import LAMBDA_SOURCE_ROOT, asset_packages, stage_function_code

pytestmark = pytest.mark.infra


def _write(root: Path, *relative: str) -> None:
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# placeholder\n")


def _source_files(staged: Path) -> set[str]:
    return {str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file() and p.suffix != ".pyc"}


def _stage(tmp_path: Path, source: Path, package: str) -> Path:
    """Stage the code of a function of `package` from `source`, as a synth does."""
    return stage_function_code(package, source_root=source, cache_root=tmp_path / "cache")


def bytecode_faults(root: Path, deployed_at: str) -> list[str]:
    """What keeps the modules under `root` from loading their shipped bytecode on Lambda.

    Each module needs bytecode of the runtime's own version (the magic number), checked by hash
    and not against its source (flags 0b01: CDK's zip gives every file one fixed timestamp),
    naming its deployed path; and no bytecode without its module (a stale copy of a deleted one).
    """
    faults = []
    modules = {p for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    for module in sorted(modules):
        cached = Path(importlib.util.cache_from_source(str(module)))
        if not cached.is_file():
            faults.append(f"no bytecode: {module.relative_to(root)}")
            continue
        data = cached.read_bytes()
        if data[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(data[4:8], "little") != 0b01:
            faults.append(f"not unchecked-hash bytecode of this Python: {cached.relative_to(root)}")
        elif marshal.loads(data[16:]).co_filename != f"{deployed_at}/{module.relative_to(root)}":
            faults.append(f"names another path: {cached.relative_to(root)}")
    for cached in root.rglob("*.pyc"):
        source = Path(importlib.util.source_from_cache(str(cached)))
        if source not in modules:
            faults.append(f"bytecode without its module: {cached.relative_to(root)}")
    return faults


def test_asset_excludes_keep_only_own_and_shared_packages(tmp_path: Path) -> None:
    # Given a lambdas/ tree with two workflow packages, the shared package and noise
    source = tmp_path / "lambdas"
    _write(
        source,
        "orders_api/__init__.py",
        "orders_api/handler.py",
        "orders_api/tests/test_handler.py",
        "orders_api/__pycache__/handler.cpython-313.pyc",
        "order_store/__pycache__/deleted_module.cpython-313.pyc",
        "outbox_publisher/__init__.py",
        "outbox_publisher/claim_handler.py",
        "order_store/__init__.py",
        "order_store/repository.py",
        "order_store/__pycache__/repository.cpython-313.pyc",
        "observability/__init__.py",
        "conftest.py",
        "requirements.txt",
    )

    # When the orders function's code is staged
    staged = _stage(tmp_path, source, "orders_api")

    # Then the asset holds the orders package and the shared packages, nothing else
    assert _source_files(staged) == {
        "orders_api/__init__.py",
        "orders_api/handler.py",
        "order_store/__init__.py",
        "order_store/repository.py",
        "observability/__init__.py",
    }
    # And the bytecode of each of their modules, built for Lambda (not the local caches)
    assert bytecode_faults(staged, "/var/task") == []


def test_a_package_ships_the_workflow_packages_it_declares(tmp_path: Path) -> None:
    # Given a lambdas/ tree where the payment webhook imports the saga's package
    source = tmp_path / "lambdas"
    _write(
        source,
        "payment_webhook/__init__.py",
        "payment_webhook/handler.py",
        "payments/__init__.py",
        "payments/ledger.py",
        "payments/tests/test_ledger.py",
        "order_saga/__init__.py",
        "outbox_publisher/__init__.py",
        "order_store/__init__.py",
        "observability/__init__.py",
    )

    # When the webhook's code is staged
    staged = _stage(tmp_path, source, "payment_webhook")

    # Then the asset holds its own package, the declared ledger and HTTP packages and the shared
    # ones (not the saga's)
    assert asset_packages("payment_webhook") == (
        "payment_webhook",
        "payments",
        "http_api",
        "event_contracts",
        "order_store",
        "dynamo_tables",
        "observability",
        "aws_clients",
        "task_io",
    )
    assert _source_files(staged) == {
        "payment_webhook/__init__.py",
        "payment_webhook/handler.py",
        "payments/__init__.py",
        "payments/ledger.py",
        "order_store/__init__.py",
        "observability/__init__.py",
    }
    # And a package that declares nothing ships only itself and the shared packages
    assert asset_packages("outbox_publisher") == ("outbox_publisher", *c.LAMBDA_SHARED_PACKAGES)


def _top_level_names(source: str) -> set[str]:
    """What a module defines at its top level: functions, classes and assigned names (a handler is
    a ``def`` or, built by a shell, an assignment)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_every_function_asset_is_limited_to_its_packages(synthesized: Synthesized) -> None:
    # Given every function of the stack and its staged asset
    functions = synthesized.of_type("AWS::Lambda::Function")
    assert functions
    for logical_id, function in functions.items():
        props = function["Properties"]
        package = props["Handler"].split(".", 1)[0]
        key = props["Code"]["S3Key"]
        staged = synthesized.assembly_dir / f"asset.{key.removesuffix('.zip')}"
        assert staged.is_dir(), logical_id
        # Then its top-level entries are its own, its declared and the shared packages only
        allowed = set(asset_packages(package))
        top_level = {p.name for p in staged.iterdir()}
        assert top_level <= allowed, (logical_id, top_level - allowed)
        # And no tests were packaged, and every module has the bytecode Lambda will load
        assert not any("/tests/" in f for f in _source_files(staged)), logical_id
        assert bytecode_faults(staged, "/var/task") == [], logical_id
        # And the handler's module is in the asset, so the handler string resolves on AWS
        module, _, function_name = props["Handler"].rpartition(".")
        assert module in HANDLER_MODULES, (logical_id, "a handler the init test does not check")
        module_file = staged / (module.replace(".", "/") + ".py")
        assert module_file.is_file(), (logical_id, props["Handler"])
        assert function_name in _top_level_names(module_file.read_text()), (logical_id, props["Handler"])


def test_lambda_source_root_is_the_repository_lambdas_folder() -> None:
    assert LAMBDA_SOURCE_ROOT.name == c.LAMBDA_SOURCE_DIR
    assert LAMBDA_SOURCE_ROOT.parent == Path(__file__).resolve().parents[2]


def test_staged_code_runs_from_its_bytecode_with_the_zips_timestamps(tmp_path: Path) -> None:
    # Given a staged function whose files all carry one fixed timestamp (as CDK zips them)
    source = tmp_path / "lambdas"
    (source / "outbox_publisher").mkdir(parents=True)
    (source / "outbox_publisher" / "__init__.py").write_text("")
    (source / "outbox_publisher" / "handler.py").write_text("ANSWER = 42\n")
    staged = _stage(tmp_path, source, "outbox_publisher")
    for path in staged.rglob("*"):
        os.utime(path, (315532800, 315532800))  # 1980-01-01
    # And a source that no longer compiles, so an import that compiled it would fail
    (staged / "outbox_publisher" / "handler.py").write_text("this is not python\n")

    # When a read-only-like interpreter (no bytecode written) imports the handler module
    probe = "import outbox_publisher.handler as h; print(h.ANSWER)"
    run = subprocess.run(
        [sys.executable, "-B", "-c", probe], cwd=staged, capture_output=True, text=True, check=False
    )

    # Then it ran the shipped bytecode, not a fresh compilation of the source
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "42"


def test_staging_is_built_once_per_content_and_keeps_only_the_newest(tmp_path: Path) -> None:
    source = tmp_path / "lambdas"
    _write(source, "outbox_publisher/__init__.py", "outbox_publisher/handler.py")
    first = _stage(tmp_path, source, "outbox_publisher")
    # An unchanged source reuses the build; a changed one builds anew and drops the old one
    assert _stage(tmp_path, source, "outbox_publisher") == first
    (source / "outbox_publisher" / "handler.py").write_text("CHANGED = True\n")
    second = _stage(tmp_path, source, "outbox_publisher")
    assert second != first and second.is_dir() and not first.exists()
    assert (second / "outbox_publisher" / "handler.py").read_text() == "CHANGED = True\n"
    assert bytecode_faults(second, "/var/task") == []


def test_bytecode_for_another_python_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows import bytecode

    monkeypatch.setattr(bytecode, "runtime_python", lambda: "3.99")
    _write(tmp_path / "lambdas", "outbox_publisher/__init__.py")
    with pytest.raises(bytecode.BytecodeError, match=r"run Python 3\.99 but this synth runs .*make synth"):
        bytecode.compile_tree(tmp_path / "lambdas", "/var/task")
