"""Faults of the machine, not of the input: builds killed at the worst moment, builds racing, a full disk, a
site folder that is a mount point, a damaged or shared history cache, git objects gone missing.

Every test runs on a real file system with real processes: killed with SIGKILL, racing for real, on a tmpfs
mounted for the test (skipped, saying why, where mounting is not permitted).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import PORTAL, GitProject, copy_project, run_build
from portal import sitedir
from portal.config import PortalConfig
from portal.history import cache
from portal.history.changes import describe
from portal.history.timeline import History, load_history

PYTHON = sys.executable
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


# --- helpers ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` for the duration."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or proc.returncode}): the test needs root "
                    "with CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def portal_build(project: Path, site: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PORTAL), "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(site)],
                          cwd=project, env=ENV, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its contents."""
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def leftovers(site: Path) -> list[str]:
    """What builds left beside the site (and inside it): anything but the site and its lock file."""
    beside = [p.name for p in site.parent.iterdir() if p.name not in (site.name, f".{site.name}.lock")]
    inside = [p.name for p in site.iterdir() if p.name.startswith(f".{site.name}.")] if site.is_dir() else []
    return sorted(beside + inside)


# A process that publishes a small site of ``files`` files all saying LABEL, and kills itself with SIGKILL at the
# KILL_AT-th file system call of the swap (counted through audit hooks, so the real calls run unchanged). With
# NO_EXCHANGE it runs as on a system without renameat2. With HOLD it keeps the build going for that many seconds.
PUBLISHER = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    from portal import sitedir

    site, label, kill_at, hold = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if os.environ.get("NO_EXCHANGE"):
        sitedir._RENAMEAT2[:] = [None]
    WATCHED = {"os.rename", "os.replace", "ctypes.call_function", "shutil.rmtree", "os.remove", "os.rmdir",
               "os.chmod"}
    state = {"armed": False, "count": 0}

    def hook(event, args):
        if state["armed"] and event in WATCHED:
            state["count"] += 1
            if state["count"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)

    def build(tmp):
        mark = site.parent / "building"
        if mark.exists():
            sys.exit("two builds at once into one folder")
        mark.write_text(label)
        time.sleep(hold)
        for i in range(12):
            (tmp / f"page{i}.html").write_text(label)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "deep.html").write_text(label)
        (tmp / "index.html").write_text(label)
        mark.unlink()
        state["armed"] = True

    sitedir.publish(site, build, wait=float(os.environ.get("WAIT", "60")))
""")


def publisher(site: Path, label: str, kill_at: int = 0, hold: float = 0.0,
              env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([PYTHON, "-c", PUBLISHER, str(site), label, str(kill_at), str(hold)],
                            env={**ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def publish(site: Path, label: str, kill_at: int = 0, env: dict[str, str] | None = None) -> int:
    proc = publisher(site, label, kill_at, env=env)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, -signal.SIGKILL), err
    return proc.returncode


def whole_site(site: Path) -> str:
    """The label of a complete site of the publisher, every file saying the same; fails on a partial one."""
    files = tree(site)
    assert len(files) == 14, sorted(files)
    labels = set(files.values())
    assert len(labels) == 1, labels
    return labels.pop().decode()


# --- A. the site swap -------------------------------------------------------------------------------------------


def test_a_build_killed_at_any_moment_of_the_swap_leaves_a_whole_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert publish(site, "old") == 0
    current, killed = "old", 0
    for kill_at in range(1, 200):
        label = f"new{kill_at}"
        if publish(site, label, kill_at) == 0:
            break
        killed += 1
        # at every moment there is a site, and it is all the last one or all the new one
        assert whole_site(site) in (current, label)
        current = whole_site(site)
        assert len(leftovers(site)) <= 1, leftovers(site)  # what earlier killed runs left is gone
    assert killed >= 3  # the exchange, and the removal of the old tree, were each interrupted
    assert whole_site(site) == label
    assert leftovers(site) == []


def test_without_the_exchange_a_build_killed_between_the_renames_is_repaired_by_the_next(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {"NO_EXCHANGE": "1"}
    assert publish(site, "old", env=env) == 0
    seen_gap = False
    for kill_at in range(1, 200):
        label = f"new{kill_at}"
        if publish(site, label, kill_at, env=env) == 0:
            break
        if not site.exists():  # killed between the two renames: the old site waits, whole, beside
            seen_gap = True
            aside = [p for p in tmp_path.iterdir() if p.name.startswith(".site.old-")]
            assert len(aside) == 1 and whole_site(aside[0])
            with sitedir._locked(site, "zh", 5, print):
                sitedir.clean_leftovers(site)
        assert whole_site(site)
    assert seen_gap
    assert whole_site(site) == label
    assert leftovers(site) == []


def test_builds_into_one_folder_take_turns_and_all_succeed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    procs = [publisher(site, f"b{i}", hold=0.4) for i in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    assert sum("另一个构建" in err for _, err in outs) >= 1  # the ones that waited said so
    assert whole_site(site) in {"b0", "b1", "b2"}
    assert leftovers(site) == []


def test_a_build_that_cannot_get_the_folder_in_time_says_so_and_changes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert publish(site, "old") == 0
    holder = publisher(site, "slow", hold=3.0)
    deadline = time.monotonic() + 10
    while not (tmp_path / "building").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    built: list[Path] = []
    with pytest.raises(sitedir.SiteDirError) as caught:
        sitedir.publish(site, built.append, wait=0.5)
    assert not built
    assert str(caught.value).startswith(f"另一个构建（进程 {holder.pid}）正在生成 {site}，等待 0.5 秒后仍未结束")
    assert whole_site(site) == "old"
    holder.communicate(timeout=30)
    assert holder.returncode == 0
    assert whole_site(site) == "slow" and leftovers(site) == []


def test_two_real_builds_at_once_both_succeed(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    site = tmp_path / "out" / "site"
    cmd = [str(PORTAL), "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(site)]
    procs = [subprocess.Popen(cmd, cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert not any("Traceback" in err for _, err in outs)
    assert (site / "index.html").is_file() and (site / "changelog" / "index.html").is_file()
    assert leftovers(site) == []


@pytest.mark.parametrize("umask", [0o027])  # not the usual 0o022: the mode follows the umask
def test_site_folder_gets_the_permissions_the_umask_gives(tmp_path: Path, umask: int) -> None:
    project = copy_project(tmp_path / "p")
    site = tmp_path / "site"
    done = portal_build(project, site, umask=umask)
    assert done.returncode == 0, done.stderr[-2000:]
    assert site.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (site / "changelog").stat().st_mode & 0o777 == 0o777 & ~umask


def test_site_folder_that_is_a_mount_point_is_replaced_in_place(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    with tmpfs(tmp_path / "out" / "site", "64m") as site:
        (site / "stale.html").write_text("from an earlier site")
        for _ in range(2):
            done = portal_build(project, site)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "Traceback" not in done.stderr
            assert os.path.ismount(site)
            assert (site / "index.html").is_file() and (site / "changelog" / "index.html").is_file()
            assert not (site / "stale.html").exists()
            assert leftovers(site) == []


def test_full_disk_gives_one_message_and_keeps_the_old_site(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    with tmpfs(tmp_path / "disk", "64m") as disk:
        site = disk / "site"
        done = portal_build(project, site)
        assert done.returncode == 0, done.stderr[-2000:]
        before = tree(site)
        size = sum(len(b) for b in before.values())
        used = int(subprocess.run(["df", "--output=used", "-B1", str(disk)], capture_output=True, text=True,
                                  check=True).stdout.split()[-1])
        # room for half a site more: the next build cannot fit
        subprocess.run(["mount", "-o", f"remount,size={used + size // 2}", str(disk)], check=True)
        done = portal_build(project, site)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if "构建失败" in line]
        assert lines == [f"构建失败：磁盘空间不足，无法写入 {site}。原网站保持不变，临时文件已删除；请清理磁盘后重试。"]
        assert tree(site) == before
        assert leftovers(site) == []


# --- B. the history cache ---------------------------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # scripts/ is not a package

import synth  # noqa: E402

LOGGER = "mkdocs.hooks.portal"


def summary(history: History) -> dict[str, object]:
    """What a history says, as JSON data: equal summaries, equal changelogs."""
    return json.loads(json.dumps({
        "entries": [(e.commit.sha, e.file, [describe(c) for c in e.changes]) for e in history.entries],
        "skipped": [(s.commit.sha, s.message) for s in history.skipped],
        "unreadable": [(u.commit.sha, u.reason) for u in history.unreadable],
        "points": [(p.date.isoformat(), p.done, p.in_progress, p.overdue, p.total) for p in history.points],
        "failed": history.failed,
    }))


def read(root: Path, cached: bool = True) -> History:
    return load_history(PortalConfig(root=root, cache_dir=".cache/portal" if cached else ""), "Asia/Shanghai")


@contextlib.contextmanager
def log_lines() -> Iterator[list[str]]:
    """The portal's log lines while the block runs."""
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# A process that reads a repository's history through its cache and prints the summary. PAUSE_AT: at that
# version, say so (a file 'paused') and wait for a file 'go'; SLEEP_AT: sleep 1.2 s there; KILL_AT: SIGKILL there.
READER = textwrap.dedent("""
    import json, logging, os, signal, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    logging.basicConfig(level=logging.INFO, format="LOG %(message)s", stream=sys.stderr)
    from portal.config import PortalConfig
    from portal.history import cache
    from portal.history.timeline import load_history
    from test_faults import summary

    root = Path(sys.argv[1])
    cache.LOCK_WAIT = float(os.environ.get("LOCK_WAIT", cache.LOCK_WAIT))
    pause_at, sleep_at, kill_at = (int(os.environ.get(k, "0")) for k in ("PAUSE_AT", "SLEEP_AT", "KILL_AT"))

    def progress(done, total):
        if done == pause_at:
            (root / "paused").write_text("")
            while not (root / "go").exists():
                time.sleep(0.02)
        if done == sleep_at:
            time.sleep(1.2)
        if done == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    print(json.dumps(summary(load_history(PortalConfig(root=root), "Asia/Shanghai", progress))))
""")


def reader(root: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PYTHON, "-c", READER, str(root), str(Path(__file__).parent)], env={**ENV, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(proc: subprocess.Popen[str]) -> tuple[dict[str, object], list[str]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
    return json.loads(out), [line[4:] for line in err.splitlines() if line.startswith("LOG ")]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A ledger with 60 commits, one per working day."""
    return synth.make_history(tmp_path / "repo", 40, 60, seed=5, sections=3, departments=8).repo


def cache_file(root: Path) -> Path:
    return root / ".cache" / "portal" / "history.sqlite"


def test_two_cold_history_reads_at_once_neither_fails(repo: Path) -> None:
    expected = summary(read(repo, cached=False))
    first = reader(repo, PAUSE_AT="3")  # holds the cache, half way through its first read
    deadline = time.monotonic() + 60
    while not (repo / "paused").exists():
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()[1]
        time.sleep(0.02)
    started = time.monotonic()
    second, lines = outcome(reader(repo, LOCK_WAIT="1"))
    assert time.monotonic() - started < 30  # bounded: waited a second, then read without the cache
    assert second == expected
    assert lines == [f"portal: 历史缓存 {cache_file(repo)} 正被另一个构建使用（等待 1 秒仍未释放），"
                     "本次不用缓存读取历史"]
    (repo / "go").write_text("")
    again, lines = outcome(first)
    assert again == expected and lines == []
    with log_lines() as lines:
        assert summary(read(repo)) == expected  # the first one's cache, complete
    assert lines == []


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 256)


def _truncated(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _unversioned(path: Path) -> None:  # the layout of portal versions before the layout was recorded
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 0")
        db.commit()


def _other_tables(path: Path) -> None:  # an older layout: other names for the columns
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)")
        db.execute("INSERT INTO kv VALUES ('x', 'y')")
        db.execute("PRAGMA user_version = 1")
        db.commit()


def _newer(path: Path) -> None:  # written by a later portal
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
        db.commit()


def _not_json(path: Path) -> None:  # the right layout, values damaged
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE kv SET value = '{not json' WHERE key LIKE 'v%'")
        db.commit()


@pytest.mark.parametrize("damage", [_garbage, _truncated, _unversioned, _other_tables, _newer, _not_json],
                         ids=["garbage", "truncated", "unversioned", "other_tables", "newer_layout", "not_json"])
def test_a_cache_that_is_not_usable_is_set_aside_and_made_anew(repo: Path, damage: Callable[[Path], None]) -> None:
    expected = summary(read(repo, cached=False))
    assert summary(read(repo)) == expected  # a warm cache
    path = cache_file(repo)
    damage(path)
    with log_lines() as lines:
        assert summary(read(repo)) == expected
    assert len(lines) == 1 and lines[0].startswith(f"portal: 历史缓存 {path} 无法使用（"), lines
    assert lines[0].endswith("），已改名为 history.sqlite.broken 并重新建立")
    assert path.with_name("history.sqlite.broken").exists()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == cache.LAYOUT
        assert db.execute("SELECT count(*) FROM kv WHERE key LIKE 'v%'").fetchone()[0] == 60
    with log_lines() as lines:
        assert summary(read(repo)) == expected  # the new cache serves the next build, silently
    assert lines == []


def test_a_read_only_cache_is_read_around(repo: Path) -> None:
    assert read(repo).entries  # a warm cache ...
    with tmpfs(repo / ".cache", "16m") as mount:
        read(repo)  # ... on its own file system
        synth.git(repo, "commit", "-q", "--allow-empty", "-m", "空提交")
        ledger = (repo / "tasks.yaml").read_text(encoding="utf-8")
        (repo / "tasks.yaml").write_text(ledger.replace("进行中", "已完成", 1), encoding="utf-8")
        synth.git(repo, "commit", "-q", "-am", "新的进展")
        expected = summary(read(repo, cached=False))
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with log_lines() as lines:
            assert summary(read(repo)) == expected
        assert len(lines) == 1 and lines[0].startswith(f"portal: 历史缓存 {cache_file(repo)} 无法写入（"), lines


def test_a_read_killed_half_way_keeps_what_it_read(repo: Path) -> None:
    expected = summary(read(repo, cached=False))
    killed = reader(repo, SLEEP_AT="20", KILL_AT="50")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    with contextlib.closing(sqlite3.connect(f"file:{cache_file(repo)}?mode=ro", uri=True)) as db:
        kept = db.execute("SELECT count(*) FROM kv WHERE key LIKE 'v%'").fetchone()[0]
    assert kept >= 19  # everything before the pause, committed when the second had passed
    with log_lines() as lines:
        assert summary(read(repo)) == expected
    assert lines == []  # a cache left by a killed build is not damaged


# --- C. git objects missing or damaged --------------------------------------------------------------------------

REGISTRY = "departments:\n  - name: 办公室\n"
LEDGER = ("plan:\n  id: demo\n  title: 演示方案\n  year: 2020\nsections:\n  - id: s1\n    title: 作风建设\n"
          "    lead: [办公室]\n    tasks:\n")


def ledger(*statuses: str) -> str:
    return LEDGER + "".join(f"      - id: t{i}\n        title: 任务{i}\n        deadline: 6月底前\n"
                            f"        status: {s}\n" for i, s in enumerate(statuses, 1))


@pytest.fixture()
def five(tmp_path: Path) -> GitProject:
    """A ledger with five commits, each moving one task on."""
    repo = GitProject(tmp_path / "repo", REGISTRY)
    for n, (subject, statuses) in enumerate([("建立台账", ("未启动", "未启动", "未启动")),
                                             ("任务1启动", ("进行中", "未启动", "未启动")),
                                             ("任务2启动", ("进行中", "进行中", "未启动")),
                                             ("任务1完成", ("已完成", "进行中", "未启动")),
                                             ("任务3启动", ("已完成", "进行中", "进行中"))], 1):
        repo.write(ledger(*statuses))
        repo.commit(subject, f"2020-0{n + 2}-02T10:00:00+08:00", "张三", "tasks.yaml")
    return repo


def loose(repo: GitProject, rev: str) -> Path:
    sha = repo.git("rev-parse", rev).strip()
    path = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    assert path.is_file()  # loose, not packed
    return path


def test_one_missing_blob_leaves_out_one_version_not_the_history(five: GitProject, tmp_path: Path,
                                                                  capfd: pytest.CaptureFixture[str]) -> None:
    whole = summary(read(five.path, cached=False))
    blob = loose(five, "HEAD~3:tasks.yaml")  # the ledger as '任务1启动' left it
    kept = tmp_path / "kept"
    shutil.move(blob, kept)
    h = read(five.path)
    assert h.available and not h.failed and not h.skipped
    assert [e.commit.subject for e in h.entries] == ["建立台账", "任务2启动", "任务1完成", "任务3启动"]
    assert [(u.commit.subject, u.file) for u in h.unreadable] == [("任务1启动", "tasks.yaml")]
    assert h.unreadable[0].reason == f"missing object {blob.parent.name}{blob.name}"
    # the next version is compared with the last one read: both tasks' moves show there
    assert [describe(c) for c in h.entries[1].changes] == ["状态：未启动 → 进行中", "状态：未启动 → 进行中"]
    assert [describe(c) for c in h.entries[2].changes] == ["状态：进行中 → 已完成"]
    assert "missing" not in capfd.readouterr().err
    # once the object is back (a fetch, a restore), the next read is whole again: nothing wrong was cached
    shutil.move(kept, blob)
    assert summary(read(five.path)) == whole


def test_a_missing_first_version_still_leaves_the_rest(five: GitProject) -> None:
    loose(five, "HEAD~4:tasks.yaml").unlink()  # git log --follow needs it to look for a rename: it fails
    h = read(five.path)
    assert not h.failed
    assert [u.commit.subject for u in h.unreadable] == ["建立台账"]
    assert [e.commit.subject for e in h.entries] == ["任务1启动", "任务2启动", "任务1完成", "任务3启动"]
    assert [describe(c) for c in h.entries[0].changes] == ["新增任务"] * 3  # compared with no ledger


def test_a_damaged_blob_is_named_with_gits_words_and_git_says_nothing_on_the_terminal(
        five: GitProject, capfd: pytest.CaptureFixture[str]) -> None:
    blob = loose(five, "HEAD~2:tasks.yaml")
    blob.chmod(0o644)
    blob.write_bytes(b"not zlib at all")
    h = read(five.path)
    assert not h.failed
    assert [u.commit.subject for u in h.unreadable] == ["任务2启动"]
    assert "inflate" in h.unreadable[0].reason or "corrupt" in h.unreadable[0].reason, h.unreadable[0].reason
    assert [e.commit.subject for e in h.entries] == ["建立台账", "任务1启动", "任务1完成", "任务3启动"]
    assert capfd.readouterr().err == ""


def test_a_history_git_cannot_read_at_all_is_marked_failed_not_empty(five: GitProject) -> None:
    for rev in ("HEAD~4", "HEAD~3", "HEAD~2", "HEAD~1", "HEAD"):
        loose(five, f"{rev}:tasks.yaml").unlink()
    h = read(five.path)
    assert h.available and not h.entries and len(h.unreadable) == 5
    assert "missing object" in h.failed  # git's own words: no version could be read

    loose(five, "HEAD~2").unlink()  # a commit object gone: git log itself fails
    h = read(five.path)
    assert h.available and not h.entries
    assert "Could not read" in h.failed or "bad object" in h.failed, h.failed


def test_a_build_whose_history_cannot_be_read_warns_and_fails_when_strict(five: GitProject, tmp_path: Path) -> None:
    for rev in ("HEAD~4", "HEAD~3", "HEAD~2", "HEAD~1", "HEAD"):
        loose(five, f"{rev}:tasks.yaml").unlink()
    strict = run_build(five.path, tmp_path / "strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert strict.stderr.count("无法读取台账的 git 历史（") == 1
    lenient = subprocess.run([str(PORTAL), "build", "-f", str(five.path / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                             cwd=five.path, env=ENV, capture_output=True, text=True, timeout=600)
    assert lenient.returncode == 0, lenient.stderr
    page = (tmp_path / "site" / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "无法读取台账的 git 历史（" in page and "暂无历史记录" not in page
    assert page.count("<li><code>") >= 5  # the versions git could not give are listed


def test_a_build_with_a_missing_blob_does_not_claim_there_is_no_history(five: GitProject, tmp_path: Path) -> None:
    loose(five, "HEAD~3:tasks.yaml").unlink()
    done = run_build(five.path, tmp_path / "site")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    text = done.page("changelog/index.html")
    assert "暂无历史记录" not in text and "任务3启动" in text and "任务2启动" in text
