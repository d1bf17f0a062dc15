"""The patch catalogue is the patches' own declarations: every gap test it names exists, every
gap test written is named, and every patch switches off alone and comes back (a newer moto is
judged by those tests: `python -m local_runtime.patch_catalogue unneeded`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from local_runtime import moto_patches, patch_catalogue
from local_runtime.patch_catalogue import CATALOGUE

REPO_ROOT = Path(__file__).resolve().parents[2]


def _test_functions(path: Path) -> set[str]:
    return set(re.findall(r"^def (test_\w+)\(", path.read_text(), re.MULTILINE))


def test_every_gap_has_a_test_or_says_why_not() -> None:
    assert [entry for entry in CATALOGUE if not entry.gap.test and not entry.gap.why_untested] == []


def test_every_gap_test_named_exists_and_every_gap_test_is_named() -> None:
    named = {entry.gap.test for entry in CATALOGUE if entry.gap.test}
    for node in named:
        path, _, name = node.partition("::")
        assert name.partition("[")[0] in _test_functions(REPO_ROOT / path), node
    named_functions = {node.partition("[")[0] for node in named}
    written = {
        f"{path.relative_to(REPO_ROOT)}::{name}"
        for path in (REPO_ROOT / "tests").rglob("test_*.py")
        for name in _test_functions(path)
        if name.startswith("test_without_the_patch_")
    }
    assert written - named_functions == set(), "a without-the-patch test the catalogue does not name"


def test_a_parametrized_gap_test_has_a_case_for_each_gap_naming_it() -> None:
    # test_patch_gaps' API cases are named by patch key: each named case is one the test runs
    source = (REPO_ROOT / "tests/local_runtime/test_patch_gaps.py").read_text()
    cases = {entry.gap.test.partition("[")[2].rstrip("]") for entry in CATALOGUE if "[" in entry.gap.test}
    tree = ast.parse(source)
    declared = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in cases
    }
    assert cases - declared == set()


def test_every_patch_has_one_key_and_no_two_patch_the_same_attribute() -> None:
    keys = [patch.key for patch in moto_patches.PATCHES]
    assert len(keys) == len(set(keys))
    targets = [
        (id(patch.owner), patch.attribute) for patch in moto_patches.PATCHES if hasattr(patch, "attribute")
    ]
    assert len(targets) == len(set(targets)), "two patches of one attribute: declare it once"


def test_every_patch_switches_off_alone_and_comes_back(tiny_app: object) -> None:
    for patch in moto_patches.PATCHES:
        assert patch.applied, patch
        with moto_patches.without(patch.key):
            assert not patch.applied, patch
            if hasattr(patch, "attribute"):
                current = getattr(patch.owner, patch.attribute, None)
                assert current is getattr(patch, "original", None) or not hasattr(patch, "original"), patch
            assert all(other.applied for other in moto_patches.PATCHES if other is not patch)
        assert patch.applied, patch


def test_an_unknown_key_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="no patch 'bogus'"), moto_patches.without("bogus"):
        pass


def test_the_catalogue_prints_every_patch_by_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert patch_catalogue.main([]) == 0
    table = capsys.readouterr().out
    for entry in CATALOGUE:
        assert entry.patch.key in table and entry.gap.text in table


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert patch_catalogue.main(["bogus"]) == 2
    assert "usage" in capsys.readouterr().err
