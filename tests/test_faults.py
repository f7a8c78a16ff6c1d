"""Faults of the machine, not of the input: builds killed at the worst moment, builds racing, a full disk, a
site folder that is a mount point, a damaged or shared history cache, git objects gone missing.

Every test runs on a real file system with real processes: killed with SIGKILL, racing for real, on a tmpfs
mounted for the test (skipped, saying why, where mounting is not permitted).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PORTAL, copy_project
from portal import sitedir

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


@pytest.mark.parametrize("umask", [0o022, 0o027])
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
