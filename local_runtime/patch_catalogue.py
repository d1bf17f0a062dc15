"""The catalogue of every change the runtime makes to moto, read from the patches' own
declarations (`moto_patches.declare`): the gap each closes, the moto it was written for, how to
switch it off, and the test that shows the gap without it.

Why a catalogue: moto moves on, and a patch written for one version may be dead weight, or
wrong, on the next. A patch's gap test switches that one patch off (`moto_patches.without`) and
asserts the gap itself on moto as shipped, so when moto closes a gap that test starts failing,
and the patch is no longer needed:

    python -m local_runtime.patch_catalogue            # the catalogue, by service
    python -m local_runtime.patch_catalogue unneeded   # run the gap tests: which gaps moto closed

``tests/local_runtime/test_patch_catalogue.py`` holds the declarations to the code: every gap
test named exists, every gap test written is named, every patch switches off alone and back.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from local_runtime.moto_patches import PATCHES, PINNED_MOTO_VERSION, Gap, Patch


@dataclass(frozen=True)
class Entry:
    """One gap of one patch: a line of the catalogue."""

    patch: Patch
    gap: Gap

    @property
    def switch_off(self) -> str:
        return f'moto_patches.without("{self.patch.key}")'


CATALOGUE: tuple[Entry, ...] = tuple(Entry(patch, gap) for patch in PATCHES for gap in patch.gaps)


def _table() -> str:
    rows = [("service", "patch", "gap", "moto", "switch off", "gap test")]
    rows += [
        (
            entry.patch.service,
            entry.patch.key,
            entry.gap.text,
            entry.patch.moto,
            entry.switch_off,
            entry.gap.test.split("::")[-1] or f"(none: {entry.gap.why_untested})",
        )
        for entry in sorted(CATALOGUE, key=lambda entry: (entry.patch.service, entry.patch.key))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)) for row in rows
    )


def unneeded(repo: Path) -> list[tuple[Entry, str]]:
    """Each gap with a test, and what that test says on the installed moto: ``gap`` (still
    there: the patch is needed) or ``closed`` (moto behaves as AWS: the patch can go)."""
    tested = [entry for entry in CATALOGUE if entry.gap.test]
    nodes = sorted({entry.gap.test for entry in tested})
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *nodes],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 0: all passed, 1: some failed; anything else judged nothing
        raise RuntimeError(f"the gap tests did not run (pytest exit {run.returncode}):\n{run.stdout[-2000:]}")
    passed = {line.split()[1] for line in run.stdout.splitlines() if line.startswith("PASSED ")}
    return [(entry, "gap" if entry.gap.test in passed else "closed") for entry in tested]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["unneeded"]:
        import moto

        results = unneeded(Path(__file__).resolve().parent.parent)
        print(f"moto {moto.__version__} (patches written for {PINNED_MOTO_VERSION}):")
        for entry, state in results:
            verdict = "still needed" if state == "gap" else "NO LONGER NEEDED: moto closed the gap"
            print(f"  {entry.patch.service:<13} {entry.patch.key:<34} {verdict}: {entry.gap.text}")
        untested = [entry for entry in CATALOGUE if not entry.gap.test]
        if untested:
            print(f"{len(untested)} gaps have no gap test, so the command cannot judge their patches:")
            for entry in untested:
                print(f"  {entry.patch.key} ({entry.gap.text}): {entry.gap.why_untested}")
        return 0
    if args:
        print("usage: python -m local_runtime.patch_catalogue [unneeded]", file=sys.stderr)
        return 2
    print(_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
