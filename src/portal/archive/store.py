"""What a build reads of the archive of published snapshots, and how the archive is checked.

The archive is a folder of months (``archive/YYYY-MM/``), each a complete
static site with a ``SHA256SUMS`` file that anyone can check with ``sha256sum
-c``, and ``index.json``, the record of what was published. Publishing lives in
:mod:`portal.archive.publish`; this module only reads.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from portal.i18n import format_month, label, message

INDEX = "index.json"
SUMS = "SHA256SUMS"
META = "snapshot.json"


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


def read_index(archive: Path) -> list[Record]:
    """The published months, as recorded."""
    path = archive / INDEX
    if not path.exists():
        return []
    return [Record(**r) for r in json.loads(path.read_text(encoding="utf-8"))["snapshots"]]


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
    for record in read_index(archive):
        folder = archive / record.month
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


def copy_archive(archive: Path, site_dir: Path, lang: str) -> None:
    """Copy published snapshots into the built site unchanged, with versions.json for Material's selector.

    The live portal is at the site's root and snapshots in archive/YYYY-MM/; Material looks for
    ../versions.json from each, so the root lists the months as archive/YYYY-MM and archive/ lists
    them as YYYY-MM, with the live portal reached as '..'.
    """
    records = sorted(read_index(archive), key=lambda r: r.month, reverse=True)
    if not records:
        return
    target = site_dir / "archive"
    for record in records:
        shutil.copytree(archive / record.month, target / record.month, dirs_exist_ok=True)
    shutil.copy2(archive / INDEX, target / INDEX)
    live = label(lang, "live_version")
    root_list = [{"version": ".", "title": live, "aliases": []}] + [
        {"version": f"archive/{r.month}", "title": format_month(r.month, lang), "aliases": []} for r in records]
    archive_list = [{"version": "..", "title": live, "aliases": []}] + [
        {"version": r.month, "title": format_month(r.month, lang), "aliases": []} for r in records]
    (site_dir / "versions.json").write_text(json.dumps(root_list, ensure_ascii=False), encoding="utf-8")
    (target / "versions.json").write_text(json.dumps(archive_list, ensure_ascii=False), encoding="utf-8")
