"""Hostile repositories and races around the archive and the pages: nothing from outside published, nothing lost.

Real repositories, real snapshots, real builds, two processes started together.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import PORTAL, GitProject, run_build
from portal.archive.store import index_text, read_index

REGISTRY = "departments:\n  - name: 办公室\n  - name: 人教科\n"


def ledger(status: str) -> str:
    return ("plan:\n  id: zx\n  title: 专项方案\n  year: 2020\nsections:\n  - id: s1\n    number: 一、\n"
            "    title: 作风\n    tasks:\n"
            f"      - id: t1\n        title: 清理工作群\n        lead: [办公室]\n        deadline: 9月底前\n"
            f"        status: {status}\n")


def env() -> dict[str, str]:
    out = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    out.pop("SOURCE_DATE_EPOCH", None)
    out.pop("PORTAL_OWNS_SOURCE_DATE_EPOCH", None)
    return out


def portal(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PORTAL), *args], cwd=repo, env=env(), capture_output=True, text=True, timeout=600)


def history(path: Path) -> GitProject:
    repo = GitProject(path, REGISTRY)
    for status, when in (("未启动", "2020-07-10"), ("进行中", "2020-08-10"), ("已完成", "2020-09-10")):
        repo.write(ledger(status))
        repo.commit(f"{when[5:7]}月进展", f"{when}T10:00:00+08:00", "督查室", "tasks.yaml")
    return repo


@pytest.fixture()
def published(tmp_path: Path) -> GitProject:
    repo = history(tmp_path / "repo")
    done = portal(repo.path, "snapshot", "2020-09")
    assert done.returncode == 0, done.stderr
    return repo


def no_secret(site: Path) -> bool:
    return not any(p.is_file() and b"root:x:0:0" in p.read_bytes() for p in site.rglob("*"))


# --- links out of the project -------------------------------------------------------------------------------------


def test_a_link_inside_a_published_month_is_not_published(published: GitProject) -> None:
    (published.path / "archive" / "2020-09" / "leak.txt").symlink_to("/etc/passwd")
    strict = run_build(published.path)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert strict.stderr.count("快照 2020-09 中有 1 个链接或特殊文件（leak.txt）") == 1
    lenient = portal(published.path, "build", "-d", str(published.path / "site"))
    assert lenient.returncode == 0, lenient.stderr
    site = published.path / "site"
    assert not (site / "archive" / "2020-09").exists() and no_secret(site)
    verify = portal(published.path, "snapshot", "--verify")
    assert verify.returncode == 1 and "leak.txt" in verify.stderr


def test_a_linked_month_folder_with_a_hand_added_record_is_not_published(published: GitProject) -> None:
    archive = published.path / "archive"
    outside = published.path.parent / "elsewhere"
    outside.mkdir()
    (outside / "passwd").write_bytes(Path("/etc/passwd").read_bytes())
    (archive / "2020-10").symlink_to(outside, target_is_directory=True)
    records = read_index(archive)
    forged = dataclasses.replace(records[0], month="2020-10")
    (archive / "index.json").write_text(index_text([*records, forged]), encoding="utf-8")
    strict = run_build(published.path)
    assert strict.returncode == 1 and "快照 2020-10 不是普通文件夹" in strict.stderr
    lenient = portal(published.path, "build", "-d", str(published.path / "site"))
    assert lenient.returncode == 0, lenient.stderr
    site = published.path / "site"
    assert (site / "archive" / "2020-09" / "index.html").is_file()  # the good month is still there
    assert not (site / "archive" / "2020-10").exists() and no_secret(site)


def test_a_record_month_that_climbs_out_of_the_archive_is_refused(published: GitProject) -> None:
    archive = published.path / "archive"
    records = read_index(archive)
    forged = dataclasses.replace(records[0], month="../../etc")
    (archive / "index.json").write_text(index_text([*records, forged]), encoding="utf-8")
    strict = run_build(published.path)
    assert strict.returncode == 1 and "“../../etc”不是 YYYY-MM" in strict.stderr
    assert not (published.path / "site").exists() or no_secret(published.path / "site")


def test_a_link_in_content_that_leaves_the_project_is_not_published(tmp_path: Path) -> None:
    repo = history(tmp_path / "repo")
    (repo.path / "content" / "leak.md").symlink_to("/etc/passwd")
    (repo.path / "content" / "inside.md").symlink_to(repo.path / "content" / "guide.md")  # inside: fine
    strict = run_build(repo.path)
    assert strict.returncode == 1 and strict.stderr.count("leak.md 是指向项目之外的链接") == 1
    assert "inside.md" not in strict.stderr
    lenient = portal(repo.path, "build", "-d", str(repo.path / "site"))
    assert lenient.returncode == 0 and no_secret(repo.path / "site")
    assert (repo.path / "site" / "inside" / "index.html").is_file()


# --- races on the archive ------------------------------------------------------------------------------------------


def together(repo: Path, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen([str(PORTAL), *c], cwd=repo, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for c in commands]
    out = []
    for proc, command in zip(procs, commands, strict=True):
        stdout, stderr = proc.communicate(timeout=600)
        out.append(subprocess.CompletedProcess(command, proc.returncode, stdout, stderr))
    return out


def test_two_months_published_at_once_are_both_recorded(tmp_path: Path) -> None:
    repo = history(tmp_path / "repo")
    first, second = together(repo.path, ["snapshot", "2020-08"], ["snapshot", "2020-09"])
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    assert [r.month for r in read_index(repo.path / "archive")] == ["2020-08", "2020-09"]
    assert portal(repo.path, "snapshot", "--verify").returncode == 0


def test_the_same_month_twice_at_once_publishes_once_and_raises_no_false_alarm(tmp_path: Path) -> None:
    repo = history(tmp_path / "repo")
    runs = together(repo.path, ["snapshot", "2020-09"], ["snapshot", "2020-09"])
    assert sorted(r.returncode for r in runs) == [0, 1]
    refused = next(r for r in runs if r.returncode == 1)
    assert "已于" in refused.stderr and "Traceback" not in refused.stderr
    assert [r.month for r in read_index(repo.path / "archive")] == ["2020-09"]
    assert portal(repo.path, "snapshot", "--verify").returncode == 0
    assert not list((repo.path / "archive").glob(".tmp-*"))


# --- scale: a snapshot reuses the history cache; many departments --------------------------------------------------


def test_a_snapshot_reuses_the_history_cache_of_the_builds(tmp_path: Path) -> None:
    repo = history(tmp_path / "repo")
    assert run_build(repo.path).returncode == 0
    db = repo.path / ".cache" / "portal" / "history.sqlite"

    def versions_read() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM kv WHERE key LIKE 'v%'").fetchone()[0])

    before = versions_read()
    assert before >= 3
    assert portal(repo.path, "snapshot", "2020-09").returncode == 0
    assert versions_read() == before  # every version the month needs was read by the build already


def test_a_thousand_departments_do_not_each_ride_in_every_pages_navigation(tmp_path: Path) -> None:
    n = 1000
    names = [f"第{i}科" for i in range(n)]
    (tmp_path / "repo").mkdir()
    repo = GitProject(tmp_path / "repo", "departments:\n" + "".join(f"  - name: {x}\n" for x in names))
    tasks = "".join(f"      - id: t{i}\n        title: 任务{i}\n        lead: [{x}]\n        status: 进行中\n"
                    for i, x in enumerate(names))
    repo.write("plan:\n  id: zx\n  title: 专项方案\n  year: 2020\nsections:\n  - id: s1\n    title: 作风\n"
               "    tasks:\n" + tasks)
    build = run_build(repo.path)
    assert build.returncode == 0, build.stderr
    page = (build.site / "departments" / "第7科" / "index.html").read_text(encoding="utf-8")
    assert page.count("第99") <= 2  # not listed in the navigation: its own page mentions only itself
    listing = (build.site / "departments" / "index.html").read_text(encoding="utf-8")
    assert all(f">{x}<" in listing for x in names[:: n // 10])  # the list page links them all
    assert len(list((build.site / "departments").iterdir())) == n + 1


def test_a_full_disk_during_a_publication_leaves_the_archive_as_it_was(tmp_path: Path) -> None:
    from test_faults import tmpfs

    repo = history(tmp_path / "repo")
    assert portal(repo.path, "snapshot", "2020-08").returncode == 0
    archive = repo.path / "archive"
    before = {p.relative_to(archive): p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    # the archive on a disk with room for one month's record, not for a month's site
    holding = tmp_path / "holding"
    archive.rename(holding)
    archive.mkdir()
    with tmpfs(archive, "4500k"):  # one month is about 3 MB: room for it, not for another
        for path, data in before.items():
            (archive / path).parent.mkdir(parents=True, exist_ok=True)
            (archive / path).write_bytes(data)
        done = portal(repo.path, "snapshot", "2020-09")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-1500:]
        assert "磁盘空间不足" in done.stderr
        after = {p.relative_to(archive): p.read_bytes() for p in archive.rglob("*") if p.is_file()}
        assert after == before and not list(archive.glob(".tmp-*"))
        assert [r.month for r in read_index(archive)] == ["2020-08"]


def test_a_plan_id_on_the_address_of_a_hand_written_page_is_named(tmp_path: Path) -> None:
    repo = history(tmp_path / "repo")
    (repo.path / "tasks.yaml").write_text(ledger("进行中").replace("id: zx", "id: guide"), encoding="utf-8")
    build = run_build(repo.path)
    assert build.returncode == 1 and "Traceback" not in build.stderr
    assert build.stderr.count("门户页面 guide/index.md 与手写页面 guide.md 的网址相同（guide/）") == 1
