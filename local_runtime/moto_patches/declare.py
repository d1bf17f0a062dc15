"""How a patch of moto is declared: once, with the gaps it closes and the way to switch it off.

A patch is one change to moto (an attribute replaced or added, entries put in one of its tables,
or a change made by a function with its own undo). Each declares the AWS behaviour moto lacks
(its `Gap`s, each with the test that shows the gap on moto as shipped), the moto version it was
written for, and how it is applied and reverted, so that `moto_patches.without(key)` can switch
any one of them off while every other stays on, and the catalogue
(`python -m local_runtime.patch_catalogue`) is read from the declarations themselves rather than
kept beside them.

Why not `unittest.mock.patch`: a mock patch is scoped to a test and undone at its end; these stay
for the life of the process, are applied under one lock in a fixed order, must survive a
`without` of a neighbour, and carry what the catalogue prints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

PINNED_MOTO_VERSION = "5.2.5"

_ABSENT = object()


@dataclass(frozen=True)
class Gap:
    """What moto does that AWS does not (or lacks), and the pytest node that asserts it on moto as
    shipped (empty when the gap cannot be shown in isolation: `why_untested` says why)."""

    text: str
    test: str = ""
    why_untested: str = ""


class Patch:
    """One change to moto. Subclasses say how it is applied and reverted."""

    def __init__(self, key: str, service: str, gaps: Iterable[Gap], moto: str = PINNED_MOTO_VERSION) -> None:
        self.key = key
        self.service = service
        self.gaps = tuple(gaps)
        self.moto = moto
        self.applied = False

    def apply(self) -> None:
        if not self.applied:
            self._apply()
            self.applied = True

    def revert(self) -> None:
        if self.applied:
            self._revert()
            self.applied = False

    def _apply(self) -> None:
        raise NotImplementedError

    def _revert(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.service}:{self.key}>"


class Replace(Patch):
    """Replaces one attribute of moto (a method, a module's function, a class constant). The
    replacement is given with `@patch.by` (or `new=`); `original` is moto's own, as shipped, for
    the replacement to call."""

    def __init__(
        self,
        key: str,
        service: str,
        owner: Any,
        attribute: str,
        gaps: Iterable[Gap],
        *,
        new: Any = _ABSENT,
        wrap: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(key, service, gaps)
        self.owner = owner
        self.attribute = attribute
        self.shipped = inspect.getattr_static(owner, attribute)
        self.original: Any = getattr(owner, attribute)
        """moto's attribute as a caller gets it (a static method's function, a property object)."""
        self._new = new
        self._wrap = wrap

    def by(self, replacement: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: the function that replaces moto's attribute."""
        self._new = replacement
        return replacement

    def _apply(self) -> None:
        if self._new is _ABSENT:
            raise RuntimeError(f"{self!r} declares no replacement")
        setattr(self.owner, self.attribute, self._wrap(self._new) if self._wrap else self._new)

    def _revert(self) -> None:
        setattr(self.owner, self.attribute, self.shipped)


class Add(Patch):
    """Gives moto an attribute it lacks (an API operation moto's responses do not have)."""

    def __init__(
        self, key: str, service: str, owner: Any, attribute: str, value: Any, gaps: Iterable[Gap]
    ) -> None:
        super().__init__(key, service, gaps)
        if inspect.getattr_static(owner, attribute, _ABSENT) is not _ABSENT:
            raise RuntimeError(f"moto already has {owner!r}.{attribute}: re-check the gap {key}")
        self.owner = owner
        self.attribute = attribute
        self.value = value

    def _apply(self) -> None:
        setattr(self.owner, self.attribute, self.value)

    def _revert(self) -> None:
        delattr(self.owner, self.attribute)


class Entries(Patch):
    """Puts entries in one of moto's tables (a dict it looks names up in)."""

    def __init__(
        self,
        key: str,
        service: str,
        table: MutableMapping[Any, Any],
        entries: dict[Any, Any],
        gaps: Iterable[Gap],
    ) -> None:
        super().__init__(key, service, gaps)
        self.table = table
        self.entries = entries
        self._before: dict[Any, Any] = {}

    def _apply(self) -> None:
        self._before = {name: self.table.get(name, _ABSENT) for name in self.entries}
        self.table.update(self.entries)

    def _revert(self) -> None:
        for name, value in self._before.items():
            if value is _ABSENT:
                self.table.pop(name, None)
            else:
                self.table[name] = value


class Applied(Patch):
    """A change made by a function that returns its own undo (for changes spread over many of
    moto's modules, such as the engine's threads, or installed by a module of this package)."""

    def __init__(
        self, key: str, service: str, apply: Callable[[], Callable[[], None]], gaps: Iterable[Gap]
    ) -> None:
        super().__init__(key, service, gaps)
        self._do = apply
        self._undo: Callable[[], None] | None = None

    def _apply(self) -> None:
        self._undo = self._do()

    def _revert(self) -> None:
        if self._undo is not None:
            self._undo()
        self._undo = None


def node(path: str, name: str) -> str:
    """A pytest node id, as the catalogue names a gap test."""
    return f"{path}::{name}"
