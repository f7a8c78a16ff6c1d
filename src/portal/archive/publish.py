"""Monthly snapshots: build the portal as the ledger stood at a month's end and publish it, once.

A snapshot is a complete static site in ``<archive>/YYYY-MM/`` with a
``SHA256SUMS`` file that anyone can check with ``sha256sum -c``; the archive's
``index.json`` records what was published (month, commit, as-of date, when, the
checksum of SHA256SUMS, headline figures). Publishing builds into a temporary
folder beside the archive and renames it into place, then replaces the record
in one rename: a kill at any point leaves the archive as it was, and a rerun
completes the month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from portal.build import build_site
from portal.config import PortalConfig, read_config
from portal.deadlines.calendar import month_end
from portal.history.git import file_at, git, repo_root, show
from portal.i18n import LABELS
from portal.ledger.load import load
from portal.month import MonthOverMonth, MonthState, build_report, compare
from portal.outputs.docx import write_docx
from portal.problems import LedgerError

INDEX = "index.json"
SUMS = "SHA256SUMS"
META = "snapshot.json"
SKIP_COPY = {".git", ".venv", ".cache", "site", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}


class SnapshotError(Exception):
    """A snapshot cannot be published; the message says why and what to do."""


class NoLedger(SnapshotError):
    """The month's commit has no ledger file yet."""


@dataclass(slots=True)
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


Log = Callable[[str], None]


def month_of(text: str) -> str:
    """'2020-10' from '2020-10' or '2020-1'; SnapshotError otherwise."""
    try:
        d = dt.datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise SnapshotError(f"月份“{text}”格式不对：请写成 YYYY-MM，例如 2020-10") from None
    return f"{d.year:04d}-{d.month:02d}"


def months(start: str, end: str) -> list[str]:
    y, m = map(int, month_of(start).split("-"))
    last = month_of(end)
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


# --- the archive ---------------------------------------------------------------------------------------------


def read_index(archive: Path) -> list[Record]:
    path = archive / INDEX
    if not path.exists():
        return []
    return [Record(**r) for r in json.loads(path.read_text(encoding="utf-8"))["snapshots"]]


def _write_index(archive: Path, records: list[Record]) -> None:
    records = sorted(records, key=lambda r: r.month)
    text = json.dumps({"snapshots": [asdict(r) for r in records]}, ensure_ascii=False, indent=1) + "\n"
    tmp = archive / f".{INDEX}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, archive / INDEX)  # the record changes in one step


def checksums(folder: Path) -> str:
    """The SHA256SUMS text of every file in ``folder`` (sorted, paths relative, sha256sum's format)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return "\n".join(lines) + "\n"


def verify(archive: Path) -> list[str]:
    """Problems found re-checking every published snapshot against its record; [] when all are intact."""
    problems = []
    for record in read_index(archive):
        folder = archive / record.month
        sums = folder / SUMS
        if not sums.exists():
            problems.append(f"{record.month}: {SUMS} 缺失")
            continue
        if hashlib.sha256(sums.read_bytes()).hexdigest() != record.sums:
            problems.append(f"{record.month}: {SUMS} 与发布记录不符（发布后被改动）")
        if checksums(folder) != sums.read_text(encoding="utf-8"):
            problems.append(f"{record.month}: 文件与 {SUMS} 不符（发布后被改动）")
    return problems


# --- publishing ----------------------------------------------------------------------------------------------


def publish(cfg: PortalConfig, month: str, *, force: bool = False, log: Log = print) -> Record:
    """Publish one month. SnapshotError if it is published already (unless ``force``) or cannot be built."""
    month = month_of(month)
    archive = cfg.path(cfg.archive_dir)
    archive.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(archive)
    records = read_index(archive)
    existing = next((r for r in records if r.month == month), None)
    if existing and not force:
        raise SnapshotError(f"{month} 已于 {existing.published} 发布，发布后不能改动；确需重发请加 --force")
    recovered = None if existing else _recover(archive, month)
    if recovered:
        _write_index(archive, [*records, recovered])
        log(f"{month}: 完成上次中断的发布")
        return recovered
    record = _build(cfg, archive, month, log)
    _write_index(archive, [r for r in records if r.month != month] + [record])
    log(f"{month}: 已发布（提交 {record.commit[:8]}，完成率 {record.percent}%，逾期 {record.overdue} 项）")
    return record


def publish_range(cfg: PortalConfig, start: str, end: str, log: Log = print) -> list[Record]:
    """Backfill: publish every month from ``start`` to ``end`` that is not published yet."""
    done = {r.month for r in read_index(cfg.path(cfg.archive_dir))}
    out = []
    for month in months(start, end):
        if month in done:
            log(f"{month}: 已发布，跳过")
            continue
        try:
            out.append(publish(cfg, month, log=log))
        except SnapshotError as err:
            log(f"{month}: {err}")
    return out


def _clean_leftovers(archive: Path) -> None:
    """Temporary folders of a build that was killed: never part of the archive."""
    for path in archive.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in archive.glob(".old-*"):
        shutil.rmtree(path, ignore_errors=True)


def _recover(archive: Path, month: str) -> Record | None:
    """A month folder renamed into place but not yet recorded (killed in between): record it if intact."""
    folder = archive / month
    if not folder.is_dir():
        return None
    sums, meta = folder / SUMS, folder / META
    if sums.exists() and meta.exists() and checksums(folder) == sums.read_text(encoding="utf-8"):
        return _record(folder, json.loads(meta.read_text(encoding="utf-8")))
    shutil.rmtree(folder)  # not intact: build it again
    return None


def _record(folder: Path, meta: dict[str, object]) -> Record:
    """The record of a finished snapshot folder: its meta file plus what its files add up to."""
    sums = (folder / SUMS).read_bytes()
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    return Record(**meta, files=files, sums=hashlib.sha256(sums).hexdigest())  # type: ignore[arg-type]


def _build(cfg: PortalConfig, archive: Path, month: str, log: Log) -> Record:
    root = repo_root(cfg.root)
    if root is None:
        raise SnapshotError("这里不是 git 仓库：月度快照按 git 历史取各月月底的台账")
    tz = plan_timezone(cfg)  # once per publish: it validates the whole current ledger
    now = _month_state(cfg, root, month, tz)
    if now is None:
        raise SnapshotError("该月月底前台账还没有提交，无可发布的内容")
    try:
        prev = _month_state(cfg, root, previous_month(month), tz)
    except NoLedger:
        prev = None  # the ledger did not exist yet: nothing to compare with
    mom = compare(prev[1] if prev else None, now[1])
    commit, state = now
    out = archive / f".tmp-{month}-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="portal-snapshot-") as work:
        data = Path(work) / "month.json"
        data.write_text(json.dumps(mom.to_json(), ensure_ascii=False), encoding="utf-8")
        project, ledgers = _materialize(cfg, root, commit, Path(work) / "project")
        snapshot = {"month": month, "as_of": state.as_of.isoformat(), "commit": commit, "repo": str(root),
                    "source": str(cfg.root), "data": str(data), "ledgers": ledgers}
        log(f"{month}: 构建（提交 {commit[:8]}，统计截至 {state.as_of.isoformat()}）")
        build_site(project / cfg.config_file, out, env={"PORTAL_SNAPSHOT": json.dumps(snapshot)})
    write_docx(build_report(state, mom, cfg.lang), out / "report.docx", state.as_of)
    c = state.counts
    meta = {"month": month, "commit": commit, "as_of": state.as_of.isoformat(),
            "published": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "percent": c.percent, "overdue": c.overdue, "done": c.done, "total": c.total}
    (out / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / SUMS).write_text(checksums(out), encoding="utf-8")
    record = _record(out, meta)
    _swap_in(archive, month, out)
    return record


def _swap_in(archive: Path, month: str, built: Path) -> None:
    final = archive / month
    if final.exists():  # --force: the old folder leaves in one rename, the new one arrives in another
        old = archive / f".old-{month}-{os.getpid()}"
        os.replace(final, old)
        os.replace(built, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(built, final)


def _month_state(cfg: PortalConfig, root: Path, month: str, tz: str) -> tuple[str, MonthState] | None:
    """The commit and the loaded ledger at the end of ``month``; None before the first commit."""
    end = month_end_date(month)
    commit = commit_at(root, dt.datetime.combine(end, dt.time.max, ZoneInfo(tz)))
    if commit is None:
        return None
    with tempfile.TemporaryDirectory(prefix="portal-month-") as work:
        project, ledgers = _materialize(cfg, root, commit, Path(work) / "project")
        month_cfg = read_config(project / cfg.config_file, environ={"PORTAL_AS_OF": end.isoformat()})
        month_cfg.ledgers = ledgers
        try:
            loaded = load(month_cfg)
        except LedgerError as err:
            raise SnapshotError(f"{month} 月底的台账（提交 {commit[:8]}）校验未通过：\n{err.report()}") from None
    return commit, MonthState.of(month, end, loaded.ledger, cfg)


def _materialize(cfg: PortalConfig, root: Path, commit: str, dest: Path) -> tuple[Path, list[str]]:
    """The project as it is now (settings, pages, templates) with the ledgers and registry of ``commit``,
    and the ledgers that existed then."""
    archive_name = Path(cfg.archive_dir).parts[0] if cfg.archive_dir else ""
    skip = SKIP_COPY | {archive_name} | {p.name for p in cfg.root.glob(".site.*")}
    shutil.copytree(cfg.root, dest, ignore=lambda d, names: [n for n in names if (Path(d) == cfg.root and n in skip)
                                                            or n == "__pycache__"])
    for rel in cfg.ledgers:  # a ledger may have had another name then: follow its renames
        data = file_at(root, cfg.path(rel).relative_to(root).as_posix(), commit)
        if data is None:
            (dest / rel).unlink(missing_ok=True)
        else:
            (dest / rel).write_bytes(data)
    if cfg.registry:  # the registry of that time when there was one, else today's
        data = show(root, commit, cfg.path(cfg.registry).relative_to(root).as_posix())
        if data is not None:
            (dest / cfg.registry).write_bytes(data)
    present = [rel for rel in cfg.ledgers if (dest / rel).exists()]
    if not present:
        raise NoLedger(f"提交 {commit[:8]} 时还没有台账文件，无可发布的内容")
    return dest, present


def plan_timezone(cfg: PortalConfig) -> str:
    """The plan's time zone, read from the first ledger's header (Asia/Shanghai when it cannot be read)."""
    try:
        return load(cfg).ledger.plans[0].timezone
    except (LedgerError, IndexError):
        return "Asia/Shanghai"


def snapshot_banner(cfg: PortalConfig, as_of: dt.date) -> dict[str, str]:
    """The words of the banner every page of a snapshot carries."""
    snap = cfg.snapshot or {}
    L = LABELS[cfg.lang]
    month = f"{snap['month'][:4]}年{int(snap['month'][5:])}月" if cfg.lang == "zh" else snap["month"]
    return {"banner": L["snapshot_banner"].format(month=month, as_of=as_of.isoformat(), commit=snap["commit"][:8]),
            "live_label": L["live_link"], "all_label": L["all_months"]}


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
    live = LABELS[lang]["live_version"]

    def title(month: str) -> str:
        return f"{month[:4]}年{int(month[5:])}月" if lang == "zh" else month

    root_list = [{"version": ".", "title": live, "aliases": []}] + [
        {"version": f"archive/{r.month}", "title": title(r.month), "aliases": []} for r in records]
    archive_list = [{"version": "..", "title": live, "aliases": []}] + [
        {"version": r.month, "title": title(r.month), "aliases": []} for r in records]
    (site_dir / "versions.json").write_text(json.dumps(root_list, ensure_ascii=False), encoding="utf-8")
    (target / "versions.json").write_text(json.dumps(archive_list, ensure_ascii=False), encoding="utf-8")


def month_data(cfg: PortalConfig) -> MonthOverMonth | None:
    """The month-over-month figures a snapshot build was given, or None for the live portal."""
    if not cfg.snapshot or not cfg.snapshot.get("data"):
        return None
    return MonthOverMonth.from_json(json.loads(Path(cfg.snapshot["data"]).read_text(encoding="utf-8")))
