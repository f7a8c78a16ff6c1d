"""The history as the pages tell it: each commit's stamp and each change's words, worked out once per build.

The changelog page, every card's change record and the feed show the same commits and changes. Each commit's
local time, short id and link, and each change's words (:func:`portal.history.changes.describe`), are made
here once and shared, instead of once per row of each template (2,000 commits, 11,000 changes, two places).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.history.changes import Change, describe
from portal.history.timeline import Entry, History


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the pages show of a commit: its local time (ISO, day, minute), author, subject, short id, link."""

    iso: str
    day: str  # YYYY-MM-DD
    minute: str  # YYYY-MM-DD HH:MM
    author: str
    subject: str
    sha: str  # the first 8 characters
    url: str  # '' without a repository link


@dataclass(slots=True)
class Said:
    """A change with its words; its kind and whether it postponed, as the templates ask for them on every row."""

    change: Change
    text: str
    kind: str
    postponed: bool


@dataclass(frozen=True, slots=True)
class Told:
    """One entry (a commit's changes to one ledger file) as the pages show it: its changes by task."""

    entry: Entry
    stamp: Stamp
    said: list[Said]  # in the entry's order
    groups: list[tuple[str, str, list[Said]]]  # (task id, '（5）title', its changes), tasks as they first come


class Telling:
    """Every entry of a history told once: by month for the changelog, by task for the cards."""

    def __init__(self, history: History, lang: str, commit_url: Callable[[str], str]) -> None:
        self.history = history
        self._told: dict[int, Told] = {}  # id(entry) -> its telling; the history keeps the entries alive
        words = Words(lang)
        for entry in history.entries:
            self._told[id(entry)] = tell(entry, history, words, commit_url)
        self.tasks = self.by_task()  # what each card's change record shows

    def told(self, entry: Entry) -> Told:
        return self._told[id(entry)]

    def by_month(self) -> list[tuple[str, list[Told]]]:
        """:meth:`History.by_month`, each entry told."""
        return [(month, [self._told[id(e)] for e in entries]) for month, entries in self.history.by_month()]

    def by_task(self) -> dict[str, list[tuple[Stamp, Said]]]:
        """Each task's changes with their commit's stamp, newest first (:meth:`History.by_task`)."""
        out: dict[str, list[tuple[Stamp, Said]]] = {}
        for entry in reversed(self.history.entries):
            told = self._told[id(entry)]
            for said in told.said:
                out.setdefault(said.change.task, []).append((told.stamp, said))
        return out


class Words:
    """:func:`describe` in one language, each change of plain values (a status, a percentage: most of them) worded
    once however many tasks make it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._said: dict[tuple[object, ...], str] = {}

    def __call__(self, change: Change) -> str:
        old, new = change.old, change.new
        key = (change.kind, type(old), old, type(new), new, change.postponed)  # 1 and 1.0 are equal, not alike
        try:
            text = self._said.get(key)
        except TypeError:  # lists and mappings (updates, deadlines): worded each time
            return describe(change, self.lang)
        if text is None:
            text = self._said[key] = describe(change, self.lang)
        return text


def tell(entry: Entry, history: History, words: Callable[[Change], str], commit_url: Callable[[str], str]) -> Told:
    """One entry's stamp and its changes, worded (``words``) and grouped by task."""
    commit = entry.commit
    when = history.local(commit.date)
    stamp = Stamp(when.isoformat(), when.strftime("%Y-%m-%d"), when.strftime("%Y-%m-%d %H:%M"), commit.author,
                  commit.subject, commit.sha[:8], commit_url(commit.sha))
    said = [Said(change, words(change), change.kind, change.postponed) for change in entry.changes]
    groups: dict[str, tuple[str, str, list[Said]]] = {}
    for one in said:
        change = one.change
        groups.setdefault(change.task, (change.task, f"{change.number}{change.title}", []))[2].append(one)
    return Told(entry, stamp, said, list(groups.values()))
