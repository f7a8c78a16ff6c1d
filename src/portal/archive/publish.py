"""Monthly snapshots: build the portal as the ledger stood at a month's end and publish it, once.

A month is published in this process: the ledger and registry of the month's
last main-line commit are read from git and loaded once, the history is read up
to that commit (through the same cache as every build), and one survey of the
month feeds the comparison with the month before, the build of the snapshot's
pages (handed over directly, see :mod:`portal.build`), the Word report and the
record. The snapshot is built into a temporary folder beside the archive and
renamed into place, then the record is replaced in one rename: a kill at any
point leaves the archive as it was, and a rerun completes the month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.archive.store import (
    INDEX,
    META,
    SUMS,
    ArchiveError,
    Record,
    archive_lock,
    checksums,
    index_text,
    lock_file,
    month_problems,
    past_flags,
    read_index,
)
from portal.build import Given, build_site
from portal.config import PortalConfig
from portal.deadlines.calendar import month_end
from portal.history.git import file_at, git, repo_root, show
from portal.history.timeline import History, load_history
from portal.i18n import message
from portal.ledger.load import load
from portal.month import MonthBuild, compare
from portal.outputs.docx import write_docx
from portal.outputs.report import build_report
from portal.problems import LedgerError
from portal.sitedir import os_error_message
from portal.survey import Rules, Survey, survey

DEFAULT_TIMEZONE = "Asia/Shanghai"


class SnapshotError(Exception):
    """A snapshot cannot be published; the message says why and what to do."""


Log = Callable[[str], None]


def month_of(text: str, lang: str = "zh") -> str:
    """'2020-10' from '2020-10' or '2020-1'; SnapshotError otherwise."""
    try:
        d = dt.datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise SnapshotError(message(lang, "month_bad", {"text": text})) from None
    return f"{d.year:04d}-{d.month:02d}"


def months(start: str, end: str, lang: str = "zh") -> list[str]:
    y, m = map(int, month_of(start, lang).split("-"))
    last = month_of(end, lang)
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def previous_month(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def last_complete_month(tz: str) -> str:
    """The month that ended most recently in the plan's time zone."""
    today = dt.datetime.now(ZoneInfo(tz)).date()
    return previous_month(f"{today.year:04d}-{today.month:02d}")


def month_end_date(month: str) -> dt.date:
    y, m = map(int, month.split("-"))
    return month_end(y, m)


def commit_at(root: Path, when: dt.datetime) -> str | None:
    """The last commit on the main line (first parents of HEAD) at or before ``when``."""
    out = git(root, "rev-list", "-1", "--first-parent", f"--before={when.isoformat()}", "HEAD", check=False)
    return out.strip() or None


_TIMEZONE_RE = re.compile(r"^[ \t]+timezone:[ \t]*['\"]?([A-Za-z_/+\-0-9]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def plan_timezone(cfg: PortalConfig) -> str:
    """The plan's time zone from the first ledger's header, without loading the ledger (Asia/Shanghai by default).

    Which commit ends a month depends on the time zone, so it is read before any month's ledger is loaded.
    """
    try:
        with cfg.path(cfg.ledgers[0]).open(encoding="utf-8-sig", errors="replace") as f:
            head = f.read(8192)
    except (OSError, IndexError):
        return DEFAULT_TIMEZONE
    header = head.split("\nsections:", 1)[0]
    found = _TIMEZONE_RE.search(header)
    if not found:
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(found.group(1))
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIMEZONE
    return found.group(1)


def published_now() -> dt.datetime:
    """When a month is published: now, or SOURCE_DATE_EPOCH when the user set it (a reproducible backfill)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit() and not os.environ.get("PORTAL_OWNS_SOURCE_DATE_EPOCH"):
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# --- the archive's record ------------------------------------------------------------------------------------


def _write_index(archive: Path, records: list[Record]) -> None:
    tmp = archive / f".{INDEX}.{os.getpid()}.tmp"
    tmp.write_text(index_text(records), encoding="utf-8")
    os.replace(tmp, archive / INDEX)  # the record changes in one step


def _remove(path: Path) -> None:
    """Remove a folder, or a link standing where one should be (never what the link points at)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _clean_leftovers(archive: Path) -> None:
    """Temporary folders of a build that was killed: never part of the archive."""
    for path in [*archive.glob(".tmp-*"), *archive.glob(".old-*")]:
        _remove(path)


def _recover(archive: Path, month: str) -> Record | None:
    """A month folder renamed into place but not yet recorded (killed in between): record it if intact."""
    folder = archive / month
    if not folder.is_dir() and not folder.is_symlink():
        return None
    sums, meta = folder / SUMS, folder / META
    if (not month_problems(archive, month) and sums.exists() and meta.exists()
            and checksums(folder) == sums.read_text(encoding="utf-8")):
        return _record(folder, json.loads(meta.read_text(encoding="utf-8")))
    _remove(folder)  # not intact, or not a plain folder of files: build it again
    return None


def _record(folder: Path, meta: dict[str, object]) -> Record:
    """The record of a finished snapshot folder: its meta file plus what its files add up to."""
    sums = (folder / SUMS).read_bytes()
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    return Record(**meta, files=files, sums=hashlib.sha256(sums).hexdigest())  # type: ignore[arg-type]


# --- publishing ----------------------------------------------------------------------------------------------


def publish(cfg: PortalConfig, month: str, *, force: bool = False, log: Log = print) -> Record:
    """Publish one month. SnapshotError if it is published already (unless ``force``) or cannot be built.

    The whole publication holds the archive exclusively: two publications at once run one after the other,
    and the second reads the record the first wrote.
    """
    month = month_of(month, cfg.lang)
    archive = cfg.path(cfg.archive_dir)
    archive.mkdir(parents=True, exist_ok=True)
    with archive_lock(lock_file(cfg), exclusive=True, lang=cfg.lang, log=log):
        try:
            return _publish_locked(cfg, archive, month, force, log)
        except ArchiveError as err:
            raise SnapshotError(str(err)) from None


def _publish_locked(cfg: PortalConfig, archive: Path, month: str, force: bool, log: Log) -> Record:
    _clean_leftovers(archive)
    records = read_index(archive, cfg.lang)
    existing = next((r for r in records if r.month == month), None)
    if existing and not force:
        raise SnapshotError(message(cfg.lang, "snap_exists", {"month": month, "published": existing.published}))
    recovered = None if existing else _recover(archive, month)
    if recovered:
        _write_index(archive, [*records, recovered])
        log(message(cfg.lang, "snap_recovered", {"month": month}))
        return recovered
    record = _build(cfg, archive, month, log, records)
    _write_index(archive, [r for r in records if r.month != month] + [record])
    log(message(cfg.lang, "snap_published", {"month": month, "commit": record.commit[:8], "percent": record.percent,
                                             "overdue": record.overdue}))
    return record


def publish_range(cfg: PortalConfig, start: str, end: str, log: Log = print) -> list[Record]:
    """Backfill: publish every month from ``start`` to ``end`` that is not published yet."""
    try:
        done = {r.month for r in read_index(cfg.path(cfg.archive_dir), cfg.lang)}
    except ArchiveError as err:
        raise SnapshotError(str(err)) from None
    out = []
    for month in months(start, end, cfg.lang):
        if month in done:
            log(message(cfg.lang, "snap_skip", {"month": month}))
            continue
        try:
            out.append(publish(cfg, month, log=log))
        except SnapshotError as err:
            log(f"{month}: {err}")
    return out


@dataclass(frozen=True, slots=True)
class _MonthEnd:
    """A month's end as git recorded it: the commit and the ledger surveyed at that date."""

    commit: str
    survey: Survey


def _build(cfg: PortalConfig, archive: Path, month: str, log: Log, records: list[Record]) -> Record:
    root = repo_root(cfg.root)
    if root is None:
        raise SnapshotError(message(cfg.lang, "snap_not_git", {}))
    tz = plan_timezone(cfg)
    end = month_end_date(month)
    commit = commit_at(root, dt.datetime.combine(end, dt.time.max, ZoneInfo(tz)))
    if commit is None:
        raise SnapshotError(message(cfg.lang, "snap_nothing", {}))
    history = load_history(cfg, tz, rev=commit)
    past = past_flags([r for r in records if r.month < month])  # the quarters before, for the streaks
    now = _month_end(cfg, root, month, commit, history, tz, past)
    if now is None:
        raise SnapshotError(message(cfg.lang, "snap_no_ledger", {"commit": commit[:8]}))
    prev_month = previous_month(month)
    prev_end = month_end_date(prev_month)
    prev_commit = commit_at(root, dt.datetime.combine(prev_end, dt.time.max, ZoneInfo(tz)))
    prev = _month_end(cfg, root, prev_month, prev_commit, history, tz) if prev_commit else None
    mom = compare(prev.survey if prev else None, now.survey, month, prev_month)
    out = archive / f".tmp-{month}-{os.getpid()}"
    log(message(cfg.lang, "snap_building", {"month": month, "commit": commit[:8], "as_of": end.isoformat()}))
    try:
        build_site(cfg.root / cfg.config_file, out, given=Given(now.survey, history, MonthBuild(month, commit, mom)))
        write_docx(build_report(now.survey, mom, cfg.lang, cfg.report), out / "report.docx", end)
        c = now.survey.counts
        meta = {"month": month, "commit": commit, "as_of": end.isoformat(),
                "published": published_now().isoformat(),
                "percent": c.percent, "overdue": c.overdue, "done": c.done, "total": c.total,
                "ranking": [{"dept": r.dept.name, "rank": r.rank, "flag": r.flag} for r in now.survey.ranked]}
        (out / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (out / SUMS).write_text(checksums(out), encoding="utf-8")
        record = _record(out, meta)
        _swap_in(archive, month, out)
    except OSError as err:  # a full disk above all: one sentence, the archive as it was, nothing left behind
        _remove(out)
        raise SnapshotError(os_error_message(err, archive, cfg.lang)) from None
    except BaseException:
        _remove(out)
        raise
    return record


def month_survey(cfg: PortalConfig, month: str) -> Survey:
    """The ledger as it stood at ``month``'s end, surveyed on its last day as its snapshot is (its commit, the
    history up to it, the flags of the months published before): for the notices of a past month."""
    month = month_of(month, cfg.lang)
    root = repo_root(cfg.root)
    if root is None:
        raise SnapshotError(message(cfg.lang, "snap_not_git", {}))
    tz = plan_timezone(cfg)
    commit = commit_at(root, dt.datetime.combine(month_end_date(month), dt.time.max, ZoneInfo(tz)))
    if commit is None:
        raise SnapshotError(message(cfg.lang, "snap_nothing", {}))
    try:
        records = read_index(cfg.path(cfg.archive_dir), cfg.lang)
    except ArchiveError:
        records = []
    now = _month_end(cfg, root, month, commit, load_history(cfg, tz, rev=commit), tz,
                     past_flags([r for r in records if r.month < month]))
    if now is None:
        raise SnapshotError(message(cfg.lang, "snap_no_ledger", {"commit": commit[:8]}))
    return now.survey


def _swap_in(archive: Path, month: str, built: Path) -> None:
    final = archive / month
    if final.exists():  # --force: the old folder leaves in one rename, the new one arrives in another
        old = archive / f".old-{month}-{os.getpid()}"
        os.replace(final, old)
        os.replace(built, final)
        _remove(old)
    else:
        os.replace(built, final)


def _month_end(cfg: PortalConfig, root: Path, month: str, commit: str, history: History,
               tz: str, past: dict[str, dict[str, str]] | None = None) -> _MonthEnd | None:
    """The ledger at ``commit`` surveyed on the last day of ``month``, loaded once; None before the ledger
    existed. Postponements count the commits up to the month's end."""
    sources = _sources(cfg, root, commit)
    if not any(rel in sources for rel in cfg.ledgers):
        return None
    end = month_end_date(month)
    try:
        loaded = load(cfg.replace(as_of=end), sources)
    except LedgerError as err:
        raise SnapshotError(message(cfg.lang, "snap_invalid", {"month": month, "commit": commit[:8],
                                                               "report": err.report()})) from None
    until = dt.datetime.combine(end, dt.time.max, ZoneInfo(tz))
    return _MonthEnd(commit, survey(loaded.ledger, end, Rules.of(cfg), history.postponements(until),
                                    history.moves(until), past))


def _sources(cfg: PortalConfig, root: Path, commit: str) -> dict[str, bytes]:
    """The ledgers (following their renames) and the registry as they were in ``commit``; absent ones left out."""
    out: dict[str, bytes] = {}
    for rel in cfg.ledgers:
        data = file_at(root, cfg.path(rel).relative_to(root).as_posix(), commit)
        if data is not None:
            out[rel] = data
    if cfg.registry:  # the registry of that time when there was one, else today's (load reads it)
        data = show(root, commit, cfg.path(cfg.registry).relative_to(root).as_posix())
        if data is not None:
            out[cfg.registry] = data
    return out
