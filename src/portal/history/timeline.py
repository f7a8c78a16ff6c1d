"""The ledger's history: changes per commit, per task, postponements, and progress over time.

Walks each ledger file's versions (history), reads each version's state
(versions), diffs it against the version its parent had (changes) and keeps the
result on disk keyed by commit and blob ids, so that after one new commit a
rebuild reads one new version and looks up the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from portal.config import PortalConfig
from portal.deadlines.calendar import month_end
from portal.deadlines.due import Moved
from portal.history.cache import Cache
from portal.history.changes import Change, diff_states
from portal.history.git import Blobs, Commit, FileVersion, GitError, is_shallow, iterate_file_versions, repo_root
from portal.history.versions import LedgerState, StateReader, TaskState, VersionError
from portal.ledger.fields import task_from_fields
from portal.ledger.model import Task
from portal.survey import count_at

CACHE_VERSION = 1  # bump when the cached data changes shape
DEFAULT_TIMEZONE = "Asia/Shanghai"  # a plan's, unless it says another
WEEKLY_SPAN_DAYS = 120  # a shorter history is charted week by week, a longer one month by month


@dataclass(slots=True)
class Entry:
    """One commit's changes to one ledger file."""

    commit: Commit
    file: str
    changes: list[Change]


@dataclass(slots=True)
class Skipped:
    """A version that does not parse: reported, not fatal."""

    file: str
    commit: Commit
    message: str


@dataclass(slots=True)
class Unreadable:
    """A version git could not give (its object missing from the repository, or damaged): left out, and the
    history goes on from the other versions. Not cached: once the object is back, the next build reads it."""

    file: str
    commit: Commit
    reason: str  # git's words


@dataclass(slots=True)
class Point:
    """Counts at the end of a week or month."""

    date: dt.date
    done: int
    in_progress: int
    overdue: int
    total: int


@dataclass(slots=True)
class History:
    available: bool = False  # a git work tree in which the ledger was committed (or whose history failed)
    shallow: bool = False
    entries: list[Entry] = field(default_factory=list)  # oldest first
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)  # oldest first
    #: why the history could not be read at all ("" when it could): git failed, or no version could be read.
    #: Never "not committed yet": then ``available`` is False and this is empty.
    failed: str = ""
    points: list[Point] = field(default_factory=list)
    granularity: str = "month"
    timezone: str = DEFAULT_TIMEZONE

    def by_task(self) -> dict[str, list[tuple[Entry, Change]]]:
        """Each task's changes, newest first."""
        out: dict[str, list[tuple[Entry, Change]]] = {}
        for entry in reversed(self.entries):
            for change in entry.changes:
                out.setdefault(change.task, []).append((entry, change))
        return out

    def postponements(self, until: dt.datetime | None = None) -> Counter[str]:
        """How many times each task's deadline was moved later (by commits up to ``until``, when given)."""
        return Counter(c.task for e in self.entries if until is None or e.commit.committed <= until
                       for c in e.changes if c.postponed)

    def moves(self, until: dt.datetime | None = None) -> dict[str, list[Moved]]:
        """Each task's postponements with their dates (by commits up to ``until``, when given), oldest first."""
        out: dict[str, list[Moved]] = {}
        for entry in sorted(self.entries, key=lambda e: (e.commit.committed, e.commit.sha)):
            if until is not None and entry.commit.committed > until:
                continue
            for change in entry.changes:
                if change.postponed and change.old and change.new and change.old.get("due") and change.new.get("due"):
                    out.setdefault(change.task, []).append(Moved(
                        self.local(entry.commit.date).date(), dt.date.fromisoformat(change.old["due"]),
                        dt.date.fromisoformat(change.new["due"])))
        return out

    def by_month(self) -> list[tuple[str, list[Entry]]]:
        """Entries grouped by month (YYYY-MM, plan time zone), newest month and newest entry first."""
        groups: dict[str, list[Entry]] = {}
        for entry in sorted(self.entries, key=lambda e: e.commit.date, reverse=True):
            groups.setdefault(self.local(entry.commit.date).strftime("%Y-%m"), []).append(entry)
        return list(groups.items())

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(ZoneInfo(self.timezone))


Progress = Callable[[int, int], None]


def load_history(cfg: PortalConfig, timezone: str, progress: Progress | None = None, rev: str = "HEAD") -> History:
    """The history of every ledger in the settings up to ``rev``; an empty one outside git or before the first
    commit. A monthly snapshot reads it up to the month's last commit."""
    root = repo_root(cfg.root)
    history = History(timezone=timezone)
    if root is None:
        return history
    cache = Cache(cfg.path(cfg.cache_dir) / "history.sqlite" if cfg.cache_dir else None, lang=cfg.lang)
    try:
        with Blobs(root) as blobs:
            walker = _Walker(StateReader(cache), cache, blobs, history)
            paths = [(rel, cfg.path(rel)) for rel in cfg.ledgers]
            files = [(rel, path.relative_to(root).as_posix()) for rel, path in paths if path.is_relative_to(root)]
            versions = {rel: list(iterate_file_versions(root, path, rev)) for rel, path in files}
            todo = sum(len(v) for v in versions.values())
            for rel, file_versions in versions.items():
                walker.walk(rel, file_versions, progress, todo)
            history.available = bool(history.entries or history.skipped or history.unreadable)
            if history.unreadable and not (history.entries or history.skipped):
                first = history.unreadable[0]
                history.failed = f"{first.commit.sha[:8]}: {first.reason}"  # no version could be read
            history.shallow = is_shallow(root)
            history.points = walker.points(versions)
            history.granularity = walker.granularity
    except (GitError, OSError) as err:  # git itself failed (a damaged repository, git gone): say so, never
        return History(available=True, timezone=timezone, failed=str(err) or type(err).__name__)  # "no history"
    finally:
        cache.close()
    history.entries.sort(key=lambda e: (e.commit.date, e.commit.sha))
    return history


class _Walker:
    """Reads versions in order, remembering the last good state of each blob it needs again."""

    def __init__(self, reader: StateReader, cache: Cache, blobs: Blobs, history: History) -> None:
        self.reader, self.cache, self.blobs, self.history = reader, cache, blobs, history
        self._states: dict[str | None, LedgerState | None] = {None: None}
        self.done = 0
        self.granularity = "month"
        self._tasks: dict[str, Task] = {}
        self._kept: dict[str, Any] | None = None  # what the last build kept of the file walked (None: not looked up)
        self._kept_key = ""
        self._read_last: str | None = None  # the blob the reader read last in this walk, if any

    def state(self, blob: str | None, file: str) -> LedgerState | None:
        """The state of a blob (None: no file); VersionError when it does not parse."""
        if blob not in self._states:
            if len(self._states) > 64:  # only recent versions are asked for again
                self._states = {None: None}
            self._read_last = None  # until it reads
            self._states[blob] = self.reader.read_bytes(self.blobs.read(blob), file)  # type: ignore[arg-type]
            self._read_last = blob
        return self._states[blob]

    def _take_up(self, blob: str | None, file: str) -> None:
        """The state of the version the last build read last, from what it kept (``_keep``) instead of reading
        it whole: after one new commit, its parent is that version and only the new text is cut and read."""
        if blob is None or blob in self._states or not self._kept or self._kept.get("blob") != blob:
            return
        try:
            state = self.reader.take_up(self.blobs.read(blob), self._kept, file)
        except GitError:
            return  # read (and reported) as any version
        if state is not None:
            self._states[blob] = state
            self._read_last = blob

    def _keep(self, last_good: str | None) -> None:
        """Keep the cut and state of the file's last version when it was the last text read and is new."""
        if last_good is None or self._read_last != last_good or (self._kept or {}).get("blob") == last_good:
            return
        kept = self.reader.keep()
        if kept is not None:
            self.cache.put(self._kept_key, {"blob": last_good, **kept})

    def walk(self, file: str, versions: list[FileVersion], progress: Progress | None, todo: int) -> None:
        last_good: str | None = None  # blob of the last version that parsed
        self._kept, self._kept_key, self._read_last = None, f"k{CACHE_VERSION}:{file}", None
        keys = [f"v{CACHE_VERSION}:{version.commit.sha}:{version.blob}" for version in versions]
        known = self.cache.get_many(keys)
        for version, key in zip(versions, keys, strict=True):
            self.done += 1
            if progress:
                progress(self.done, todo)
            cached = known.get(key)
            if cached is None:
                try:
                    cached, exact = self._changes(version, last_good)
                except GitError as err:  # this version's object cannot be read: go on without it
                    self.history.unreadable.append(Unreadable(file, version.commit, str(err)))
                    continue
                if exact:  # compared with a stand-in for an unreadable parent: read again once it is back
                    self.cache.put(key, cached)
            if "error" in cached:
                self.history.skipped.append(Skipped(file, version.commit, cached["error"]))
                continue
            self.history.entries.append(Entry(version.commit, file, [Change.from_json(c) for c in cached["changes"]]))
            last_good = version.blob
        self._keep(last_good)
        self.cache.commit()

    def _changes(self, version: FileVersion, last_good: str | None) -> tuple[dict[str, object], bool]:
        """The version's changes, and whether they are exact (every parent read); GitError when the version
        itself cannot be read."""
        file = version.path  # messages name the file as it was called in that commit
        if self._kept is None:  # looked up once a version is to be read, not when every one is cached
            kept = self.cache.get(self._kept_key)
            self._kept = kept if isinstance(kept, dict) else {}
        for parent in version.parent_blobs:
            self._take_up(parent, file)
            # the parents read before the version, so that its text is cut taking up theirs and the version is the
            # text read last (``_keep``); a parent that fails fails again below, where it is handled
            with contextlib.suppress(VersionError, GitError):
                self.state(parent, file)
        try:
            new = self.state(version.blob, file)
        except VersionError as err:
            return {"error": str(err)}, True
        diffs = []
        exact = True
        for parent in version.parent_blobs or (None,):
            try:
                old = self.state(parent, file)
            except (VersionError, GitError) as err:  # a parent that does not parse, or that git cannot give:
                old = self.state(last_good, file)  # compare with the last version that was read
                exact = exact and isinstance(err, VersionError)
            diffs.append(diff_states(old, new))
        # a merge keeps only what it changed relative to every parent (its own conflict resolution)
        common = set.intersection(*({_key(c) for c in d} for d in diffs))
        return {"changes": [c.to_json() for c in diffs[0] if _key(c) in common]}, exact

    def points(self, versions: dict[str, list[FileVersion]]) -> list[Point]:
        """Done, in progress and overdue at each week's or month's end, summed over the ledgers.

        The last point is the day of the last commit, not today, so that the same history
        always gives the same chart.
        """
        commits = sorted(v.commit.committed for vs in versions.values() for v in vs)
        if not commits:
            return []
        tz = ZoneInfo(self.history.timezone)
        first, last = commits[0].astimezone(tz).date(), commits[-1].astimezone(tz).date()
        self.granularity = "week" if (last - first).days <= WEEKLY_SPAN_DAYS else "month"
        out: list[Point] = []
        latest = {file: _LastBy(vs) for file, vs in versions.items()}
        for end in _period_ends(first, last, self.granularity):
            when = min(end, last)
            instant = dt.datetime.combine(when, dt.time.max, tz)
            totals = Counter[str]()
            for file, file_versions in versions.items():
                current = latest[file].at(instant)
                if current is not None and file_versions[current].blob:
                    totals.update(self._counts(file_versions[current].blob, file, when))  # type: ignore[arg-type]
            out.append(Point(when, totals["done"], totals["in_progress"], totals["overdue"], totals["total"]))
        return out

    def _task(self, state: TaskState) -> Task:
        """The task of a state, made once for all the versions that have it (its digest)."""
        task = self._tasks.get(state.digest)
        if task is None:
            task = self._tasks[state.digest] = task_from_fields(state.data)
        return task

    def _counts(self, blob: str, file: str, when: dt.date) -> dict[str, int]:
        key = f"n{CACHE_VERSION}:{blob}:{when.isoformat()}"
        cached = self.cache.get(key)
        if cached is None:
            try:
                state = self.state(blob, file)
            except VersionError:
                return {}
            except GitError:
                return {}  # not cached: counted once the object is back
            tasks = [self._task(t) for t in (state.tasks.values() if state else [])]
            counts = count_at(tasks, when)  # the survey's counting rule, on this version at this date
            cached = {"total": counts.total, "overdue": counts.overdue, **counts.by_status}
            self.cache.put(key, cached)
        return cached


class _LastBy:
    """The last version, in history order, committed by a given time. Committer dates need not rise along the
    history (rebases, clocks set wrong), so it is not simply the last one before the time."""

    def __init__(self, versions: list[FileVersion]) -> None:
        pairs = sorted((v.commit.committed, n) for n, v in enumerate(versions))
        self._dates = [date for date, _ in pairs]
        self._last = list(accumulate((n for _, n in pairs), max))  # the latest in history order among the first k

    def at(self, instant: dt.datetime) -> int | None:
        k = bisect_right(self._dates, instant)
        return self._last[k - 1] if k else None


def _key(change: Change) -> tuple[str, str, str]:
    return (change.task, change.kind, repr(change.new))


def _period_ends(first: dt.date, last: dt.date, granularity: str) -> list[dt.date]:
    ends = []
    if granularity == "week":
        end = first + dt.timedelta(days=6 - first.weekday())
        while True:
            ends.append(end)
            if end >= last:
                return ends
            end += dt.timedelta(days=7)
    year, month = first.year, first.month
    while True:
        end = month_end(year, month)
        ends.append(end)
        if end >= last:
            return ends
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def terminal_progress(label: str) -> Progress | None:
    """A one-line progress bar on stderr when it is a terminal and the work is long enough to watch."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 50:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show

