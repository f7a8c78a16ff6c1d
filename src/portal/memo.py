"""What one `mkdocs serve` rebuild keeps from the one before: the fragments whose inputs did not change.

A save changes a task or two; the other cards, table rows and search entries of a 1,000-task portal come out the
same. Each is remembered under a key with the inputs it was made from (plain values, compared by equality, never by
a digest that could collide), and a build-wide *frame*: everything a fragment may show that is not in its inputs
(settings, as-of date, templates, the pages and their addresses). The next build takes a fragment when the frame is
equal and the same key comes with equal inputs, and makes it again otherwise. Only what a build asks for is kept for
the next one, so a memo never holds more than one build's worth.

Nothing is kept on disk: a memo lives as long as the `mkdocs serve` process, and a plain `mkdocs build` has none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Fragments of the last build by key, with the inputs each was made from."""

    def __init__(self) -> None:
        self._frame: Any = None
        self._last: dict[Hashable, tuple[Any, Any]] = {}
        self._now: dict[Hashable, tuple[Any, Any]] = {}
        self.taken = 0  # fragments reused in the current build (for the log and the tests)
        self.made = 0

    def start(self, frame: Any) -> None:
        """A new build over ``frame``: the last build's fragments stay usable only when its frame was equal."""
        self._last = self._now if self._frame is not None and frame == self._frame else {}
        self._now = {}
        self._frame = frame
        self.taken = self.made = 0

    def recall(self, key: Hashable, inputs: Any, make: Callable[[], T]) -> T:
        """The fragment ``key`` the last build made from equal ``inputs``, else ``make()``; kept for the next."""
        kept = self._last.get(key)
        if kept is not None and kept[0] == inputs:
            value: T = kept[1]
            self.taken += 1
        else:
            value = make()
            self.made += 1
        self._now[key] = (inputs, value)
        return value

    def forget(self) -> None:
        """Nothing kept: the next build makes every fragment (after a build that failed half way, say)."""
        self._frame = None
        self._last = {}
        self._now = {}


def plain_toc(toc: Any) -> tuple[Any, ...]:
    """A page's table of contents (MkDocs' anchor links) as plain values, to compare two builds' pages."""
    return tuple((a.title, a.id, a.level, plain_toc(a.children)) for a in toc)


def plain_meta(meta: Any) -> str | None:
    """A page's front matter as one plain value, to compare two builds' pages; None when it has none (keys of
    mixed kinds, a value that refers to itself): such a page is made anew each time."""
    try:
        return json.dumps(meta, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return None
