"""Lambda packaging: a function's asset holds its own package, the packages it declares and
the shared packages, nothing else.

Why: a package that ships its neighbours' code (or tests, or caches) deploys code it never
runs, and the local runtime would import from the same staged directories.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_

from tests.infra.synthesis import Synthesized
from workflows import constants as c
from workflows.lambda_factory import LAMBDA_SOURCE_ROOT, asset_excludes, asset_packages

pytestmark = pytest.mark.infra


def _write(root: Path, *relative: str) -> None:
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# placeholder\n")


def _staged_files(staged: Path) -> set[str]:
    return {str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()}


def _stage(tmp_path: Path, source: Path, package: str) -> Path:
    """Synthesize one function of `package` from `source` and return its staged asset directory."""
    outdir = tmp_path / "out"
    app = App(outdir=str(outdir))
    lambda_.Function(
        Stack(app, "AssetProbe"),
        "Probe",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler=f"{package}.handler.lambda_handler",
        code=lambda_.Code.from_asset(str(source), exclude=asset_excludes(package)),
    )
    app.synth()
    (staged,) = [p for p in outdir.iterdir() if p.name.startswith("asset.")]
    return staged


def test_asset_excludes_keep_only_own_and_shared_packages(tmp_path: Path) -> None:
    # Given a lambdas/ tree with two workflow packages, the shared package and noise
    source = tmp_path / "lambdas"
    _write(
        source,
        "orders_api/__init__.py",
        "orders_api/handler.py",
        "orders_api/tests/test_handler.py",
        "orders_api/__pycache__/handler.cpython-313.pyc",
        "outbox_publisher/__init__.py",
        "outbox_publisher/claim_handler.py",
        "order_store/__init__.py",
        "order_store/repository.py",
        "order_store/__pycache__/repository.cpython-313.pyc",
        "observability/__init__.py",
        "conftest.py",
        "requirements.txt",
    )

    # When the orders function's code is staged with the factory's exclude rules
    staged = _stage(tmp_path, source, "orders_api")

    # Then the asset holds the orders package and the shared packages, nothing else
    assert _staged_files(staged) == {
        "orders_api/__init__.py",
        "orders_api/handler.py",
        "order_store/__init__.py",
        "order_store/repository.py",
        "observability/__init__.py",
    }


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

    # When the webhook's code is staged with the factory's exclude rules
    staged = _stage(tmp_path, source, "payment_webhook")

    # Then the asset holds its own package, the declared ledger and HTTP packages and the shared
    # ones (not the saga's)
    assert asset_packages("payment_webhook") == (
        "payment_webhook",
        "payments",
        "http_api",
        "order_store",
        "dynamo_tables",
        "observability",
        "aws_clients",
        "task_io",
    )
    assert _staged_files(staged) == {
        "payment_webhook/__init__.py",
        "payment_webhook/handler.py",
        "payments/__init__.py",
        "payments/ledger.py",
        "order_store/__init__.py",
        "observability/__init__.py",
    }
    # And a package that declares nothing ships only itself and the shared packages
    assert asset_packages("outbox_publisher") == ("outbox_publisher", *c.LAMBDA_SHARED_PACKAGES)


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
        # And no caches or tests were packaged
        assert not any("__pycache__" in f or "/tests/" in f for f in _staged_files(staged)), logical_id
        # And the handler's module is in the asset, so the handler string resolves on AWS
        module, _, function_name = props["Handler"].rpartition(".")
        module_file = staged / (module.replace(".", "/") + ".py")
        assert module_file.is_file(), (logical_id, props["Handler"])
        assert f"def {function_name}(" in module_file.read_text(), (logical_id, props["Handler"])


def test_lambda_source_root_is_the_repository_lambdas_folder() -> None:
    assert LAMBDA_SOURCE_ROOT.name == c.LAMBDA_SOURCE_DIR
    assert LAMBDA_SOURCE_ROOT.parent == Path(__file__).resolve().parents[2]
