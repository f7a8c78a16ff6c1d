"""What a build reads of the archive of published snapshots, and how the archive is checked.

The archive is a folder of months (``archive/YYYY-MM/``), each a complete
static site with a ``SHA256SUMS`` file that anyone can check with ``sha256sum
-c``, and ``index.json``, the record of what was published. Publishing lives in
:mod:`portal.archive.publish`; this module only reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Container, Iterator, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal.i18n import format_month, label, message

if TYPE_CHECKING:
    from portal.config import PortalConfig

try:
    import fcntl
except ImportError:  # not on POSIX: publications are not serialised there
    fcntl = None  # type: ignore[assignment]

INDEX = "index.json"
SUMS = "SHA256SUMS"
META = "snapshot.json"
MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")
LOCK_WAIT_SECONDS = 600.0  # a publication of a large ledger takes minutes; past this, say who holds the archive


class ArchiveError(Exception):
    """The archive cannot be read or used; the message says why and what to do."""


class ArchiveBusy(ArchiveError):
    """Another process holds the archive longer than we wait; the message says so."""


def lock_file(cfg: PortalConfig) -> Path:
    """The archive's lock: in the cache folder, so it is never committed or published."""
    return cfg.path(cfg.cache_dir or ".cache/portal") / "archive.lock"


@contextlib.contextmanager
def archive_lock(lock_file: Path, *, exclusive: bool, lang: str = "zh", wait: float = LOCK_WAIT_SECONDS,
                 log: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the archive: exclusively to publish, shared to read (verify, copy into a build).

    One lock file (in the cache folder, never published) serialises publications and keeps readers from
    seeing a month half renamed. A second process waits up to ``wait`` seconds, saying once that it waits,
    then gives up with :class:`ArchiveBusy`. Where the lock file cannot be created (a read-only checkout),
    readers go on without it: nobody can publish there either.
    """
    if fcntl is None:
        yield
        return
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ArchiveBusy(message(lang, "archive_busy", {"seconds": int(wait)})) from None
                if not told and log is not None:
                    log(message(lang, "archive_waiting", {}))
                    told = True
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def unsafe_entries(folder: Path) -> list[str]:
    """Paths in ``folder`` that are not plain files or folders (symlinks above all), relative, sorted.

    A snapshot is copied into the published site as it is: a link in it would publish whatever it points at.
    """
    found: list[str] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(top) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def month_problems(archive: Path, month: str, lang: str = "zh") -> list[str]:
    """Why a recorded month may not be read or published ([] when its folder is a plain folder of files)."""
    folder = archive / month
    if not MONTH_RE.fullmatch(month):
        return [message(lang, "archive_bad_month", {"month": month})]
    if folder.is_symlink() or not folder.is_dir():
        return [message(lang, "archive_not_folder", {"month": month})]
    unsafe = unsafe_entries(folder)
    if unsafe:
        shown = label(lang, "list_sep").join(unsafe[:5]) + ("…" if len(unsafe) > 5 else "")
        return [message(lang, "archive_links", {"month": month, "paths": shown, "n": len(unsafe)})]
    return []


@dataclass(frozen=True, slots=True)
class Record:
    """What was published for one month."""

    month: str
    commit: str
    as_of: str
    published: str  # UTC, ISO 8601
    files: int
    sums: str  # sha256 of SHA256SUMS
    percent: int
    overdue: int
    done: int
    total: int
    #: the month's 红黑榜: {dept, rank, flag} of each ranked department (none in records before issue 15)
    ranking: list[dict[str, object]] = field(default_factory=list)

    def flags(self) -> dict[str, str]:
        """Department -> flag in this month's ranking."""
        return {str(r["dept"]): str(r["flag"]) for r in self.ranking if r.get("flag")}


def past_flags(records: list[Record]) -> dict[str, dict[str, str]]:
    """The flags of each published month ('YYYY-MM' -> department -> flag), for the survey's streaks."""
    return {r.month: r.flags() for r in records if r.ranking}


def read_index(archive: Path, lang: str = "zh") -> list[Record]:
    """The published months, as recorded (a record that is a link is not read: it is not the archive's own).

    ArchiveError when the record cannot be read (not JSON, not a list of records).
    """
    path = archive / INDEX
    if not path.is_file() or path.is_symlink():
        return []
    try:
        return [Record(**r) for r in json.loads(path.read_text(encoding="utf-8"))["snapshots"]]
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise ArchiveError(message(lang, "archive_index_bad", {"file": path.name, "reason": type(exc).__name__})) \
            from None


def publishable(archive: Path, lang: str = "zh") -> list[Record]:
    """The recorded months whose folders may be read and published."""
    return [r for r in read_index(archive, lang) if not month_problems(archive, r.month, lang)]


def checksums(folder: Path) -> str:
    """The SHA256SUMS text of every file in ``folder`` (sorted, paths relative, sha256sum's format)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return "\n".join(lines) + "\n"


def verify(archive: Path, lang: str = "zh") -> list[str]:
    """Problems found re-checking every published snapshot against its record; [] when all are intact."""
    problems = []
    for record in read_index(archive, lang):
        folder = archive / record.month
        unsafe = month_problems(archive, record.month, lang)
        if unsafe:
            problems += unsafe
            continue
        sums = folder / SUMS
        if not sums.exists():
            problems.append(message(lang, "verify_sums_missing", {"month": record.month, "sums": SUMS}))
            continue
        if hashlib.sha256(sums.read_bytes()).hexdigest() != record.sums:
            problems.append(message(lang, "verify_sums_changed", {"month": record.month, "sums": SUMS}))
        if checksums(folder) != sums.read_text(encoding="utf-8"):
            problems.append(message(lang, "verify_files_changed", {"month": record.month, "sums": SUMS}))
    return problems


def snapshot_banner(month: str, commit: str, as_of: str, lang: str) -> dict[str, str]:
    """The words of the banner every page of a snapshot carries."""
    return {"banner": label(lang, "snapshot_banner", month=format_month(month, lang), as_of=as_of,
                            commit=commit[:8]),
            "live_label": label(lang, "live_link"), "all_label": label(lang, "all_months")}


def copy_archive(archive: Path, site_dir: Path, lang: str) -> list[str]:
    """Copy published snapshots into the built site unchanged, with archive/versions.json for the selector.

    A month whose folder holds a link or anything but plain files and folders is left out, and the
    problems are returned (the build warns, and fails under --strict): nothing from outside the project is
    published. The live portal is at the site's root and snapshots in archive/YYYY-MM/; the list names them
    relative to archive/ (YYYY-MM, the live portal '..'). The portal's selector reads it from the live root
    (:func:`take_version_selector`); snapshots published with Material's selector read it as ../versions.json.
    """
    problems: list[str] = []
    records = []
    for record in sorted(read_index(archive, lang), key=lambda r: r.month, reverse=True):
        refused = month_problems(archive, record.month, lang)
        problems += refused
        if not refused:
            records.append(record)
    if not records:
        return problems
    target = site_dir / "archive"
    for record in records:
        shutil.copytree(archive / record.month, target / record.month, symlinks=True, dirs_exist_ok=True)
    (target / INDEX).write_text(index_text(records), encoding="utf-8")
    archive_list = [{"version": "..", "title": label(lang, "live_version"), "aliases": []}] + [
        {"version": r.month, "title": format_month(r.month, lang), "aliases": []} for r in records]
    (target / "versions.json").write_text(json.dumps(archive_list, ensure_ascii=False), encoding="utf-8")
    return problems


def take_version_selector(extra: MutableMapping[str, Any], plugins: Container[str]) -> bool:
    """Whether the portal shows its own version selector; if so, Material's is switched off in ``extra``.

    ``extra.version.provider: mike`` asks for Material's selector, which looks for ../versions.json above
    the site: the host's root when the portal is served under a sub-path (http://host/portal/). The portal's
    (overrides/assets/javascripts/portal-versions.js) is told where the live root is, so it works at any
    path. A project that versions its site with the mike plugin itself keeps Material's.
    """
    version = extra.get("version")
    if not isinstance(version, dict) or version.get("provider") != "mike" or "mike" in plugins:
        return False
    del extra["version"]
    return True


def index_text(records: list[Record]) -> str:
    """The text of index.json for ``records``, in month order."""
    ordered = sorted(records, key=lambda r: r.month)
    return json.dumps({"snapshots": [asdict(r) for r in ordered]}, ensure_ascii=False, indent=1) + "\n"
