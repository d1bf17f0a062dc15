"""The patch catalogue is the code's own list: every patch moto_patches makes is in it, and every
gap test it names exists (a newer moto is judged by those tests: `python -m
local_runtime.patch_catalogue unneeded`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local_runtime import patch_catalogue
from local_runtime.patch_catalogue import CATALOGUE

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE_INSTALLS = {"sfn_api", "http_task", "moto_speedups"}
"""Modules moto_patches installs that patch moto on their own."""


def _patched_by_moto_patches() -> set[str]:
    source = (REPO_ROOT / "local_runtime" / "moto_patches.py").read_text()
    keys = set(re.findall(r'_originals\["(\w+)"\] = ', source))
    looped = re.search(r"for operation in \(([^)]*)\):\n\s+_originals\[operation\] = ", source)
    if looped:
        keys.update(re.findall(r'"(\w+)"', looped.group(1)))
    return keys


def test_every_patch_of_moto_patches_is_catalogued() -> None:
    patched = _patched_by_moto_patches()
    catalogued = {patch.key for patch in CATALOGUE}
    assert patched - catalogued == set()
    assert catalogued - patched - MODULE_INSTALLS == set()


def test_every_gap_test_named_exists_and_every_gap_test_is_named() -> None:
    named = {patch.test for patch in CATALOGUE if patch.test}
    for node in named:
        path, _, name = node.partition("::")
        assert f"def {name}(" in (REPO_ROOT / path).read_text(), node
    written = {
        f"{path.relative_to(REPO_ROOT)}::{name}"
        for path in (REPO_ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_without_the_patch_\w+)\(", path.read_text(), re.MULTILINE)
    }
    assert written - named == set(), "a without-the-patch test the catalogue does not name"


def test_every_patch_that_switches_off_alone_is_catalogued_and_restored(tiny_app: object) -> None:
    from local_runtime import moto_patches

    assert moto_patches.switchable() <= {patch.key for patch in CATALOGUE}
    for key in sorted(moto_patches.switchable()):
        owner, attribute = moto_patches._switches()[key]
        patched = getattr(owner, attribute)
        with moto_patches.without(key):
            assert getattr(owner, attribute) is not patched, key
        assert getattr(owner, attribute) is patched, key


def test_the_catalogue_prints_every_patch_by_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert patch_catalogue.main([]) == 0
    table = capsys.readouterr().out
    for patch in CATALOGUE:
        assert patch.key in table and patch.gap in table


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert patch_catalogue.main(["bogus"]) == 2
    assert "usage" in capsys.readouterr().err
