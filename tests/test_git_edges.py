"""History from git in the awkward cases: a force push, a deleted ledger, a moved ledger, odd commit metadata,
and commits whose ledger does not validate.

Merges, renames in place and an unparsable version are in tests/test_history.py; the outcomes here are listed
in docs/bad-input.md.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import Build, GitProject, run_build
from htmlq import parse
from portal.config import read_config
from portal.history.changes import describe
from portal.history.timeline import History, load_history

REGISTRY = "departments:\n  - name: 办公室\n  - name: 人教科\n"
HEAD = ("plan:\n  id: demo\n  title: 演示方案\n  year: 2020\nsections:\n  - id: s1\n    number: 一、\n"
        "    title: 作风建设\n    lead: [办公室]\n    tasks:\n")


def task(tid: str, title: str, status: str = "未启动", deadline: str = "6月底前") -> str:
    return f"      - id: {tid}\n        title: {title}\n        deadline: {deadline}\n        status: {status}\n"


def ledger(*tasks: str) -> str:
    return HEAD + "".join(tasks)


def history_of(repo: GitProject) -> History:
    return load_history(read_config(repo.path / "mkdocs.yml", environ={}), "Asia/Shanghai")


def words(history: History) -> list[tuple[str, str, str]]:
    return [(e.commit.subject, c.task, describe(c)) for e in history.entries for c in e.changes]


def build(repo: GitProject, tmp: Path) -> Build:
    done = run_build(repo.path, tmp / "site")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def changelog_text(site: Build) -> str:
    return parse(site.page("changelog/index.html")).find("article").text


def feed_titles(site: Build) -> list[str]:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(site.site / "feed.xml").getroot()  # well-formed, whatever the commits carried
    return [e.findtext("a:title", namespaces=ns) or "" for e in root.findall("a:entry", ns)]


# --- history rewritten by a force push ------------------------------------------------------------------------------


def test_force_push_rewrite_shows_exactly_the_new_history_with_the_cache_in_place(tmp_path: Path) -> None:
    repo = GitProject(tmp_path / "repo", REGISTRY)
    repo.write(ledger(task("t1", "制定计划"), task("t2", "开展整治")))
    base = repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", "进行中"), task("t2", "开展整治")))
    dropped = [repo.commit("将被丢弃：开始推进", "2020-04-02T10:00:00+08:00", "张三", "tasks.yaml")]
    rewritten = ledger(task("t1", "制定计划", "进行中"), task("t2", "开展整治", deadline="9月底前"))
    repo.write(rewritten)
    dropped.append(repo.commit("将被丢弃：整治延期", "2020-05-02T10:00:00+08:00", "张三", "tasks.yaml"))
    before = history_of(repo)  # warms the cache on disk
    assert [e.commit.subject for e in before.entries][-1] == "将被丢弃：整治延期"
    cache = repo.path / ".cache" / "portal" / "history.sqlite"
    assert cache.exists()

    # as after `git push --force`: the last two commits are gone, two others take their place. The first new
    # one leaves the ledger exactly as the dropped last one did (same blob), but its parent is the base.
    repo.git("reset", "-q", "--hard", base)
    repo.write(rewritten)
    new = [repo.commit("重写：推进并延期", "2020-04-15T10:00:00+08:00", "李四", "tasks.yaml")]
    repo.write(ledger(task("t1", "制定计划", "已完成"), task("t2", "开展整治", deadline="9月底前")))
    new.append(repo.commit("重写：计划完成", "2020-05-15T10:00:00+08:00", "李四", "tasks.yaml"))

    after = history_of(repo)
    assert [e.commit.subject for e in after.entries] == ["建立台账", "重写：推进并延期", "重写：计划完成"]
    assert not {e.commit.sha for e in after.entries} & set(dropped)
    assert words(after)[2:] == [
        ("重写：推进并延期", "t1", "状态：未启动 → 进行中"),  # compared with its own parent, not with what the
        ("重写：推进并延期", "t2", "期限：6月底前（6月30日） → 9月底前（9月30日）（延期）"),  # same blob had before
        ("重写：计划完成", "t1", "状态：进行中 → 已完成"),
    ]
    assert after.postponements() == {"t2": 1}
    with sqlite3.connect(cache) as db:  # the dropped commits' results are still cached, and were not used
        stale = db.execute("SELECT count(*) FROM kv WHERE key LIKE ?", (f"%{dropped[1]}%",)).fetchone()[0]
    assert stale == 1

    site = build(repo, tmp_path)
    text = changelog_text(site)
    assert "重写：推进并延期" in text and "重写：计划完成" in text
    assert "将被丢弃" not in text and not any(sha[:8] in text for sha in dropped)
    assert "将被丢弃" not in (site.site / "feed.xml").read_text(encoding="utf-8")
    assert feed_titles(site) == ["重写：计划完成", "重写：推进并延期", "建立台账"]


# --- the ledger deleted, then added again ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deleted(tmp_path_factory: pytest.TempPathFactory) -> GitProject:
    repo = GitProject(tmp_path_factory.mktemp("deleted") / "repo", REGISTRY)
    repo.write(ledger(task("t1", "制定计划"), task("t2", "开展整治")))
    repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", deadline="7月底前"), task("t2", "开展整治")))
    repo.commit("计划延期", "2020-04-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.git("rm", "-q", "tasks.yaml")
    repo.commit("误删台账", "2020-05-02T10:00:00+08:00", "李四")
    repo.write(ledger(task("t1", "制定计划", deadline="8月底前"), task("t2", "开展整治")))
    repo.commit("恢复台账", "2020-06-02T10:00:00+08:00", "李四", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", deadline="9月底前"), task("t2", "开展整治", "进行中")))
    repo.commit("恢复后再延期", "2020-07-02T10:00:00+08:00", "王五", "tasks.yaml")
    return repo


def test_deleted_ledger_shows_tasks_removed_then_added(deleted: GitProject) -> None:
    h = history_of(deleted)
    assert [e.commit.subject for e in h.entries] == ["建立台账", "计划延期", "误删台账", "恢复台账", "恢复后再延期"]
    got = words(h)
    assert ("误删台账", "t1", "删除任务") in got and ("误删台账", "t2", "删除任务") in got
    assert ("恢复台账", "t1", "新增任务") in got and ("恢复台账", "t2", "新增任务") in got
    assert ("恢复后再延期", "t1", "期限：8月底前（8月31日） → 9月底前（9月30日）（延期）") in got
    # Postponements survive the gap. The move from 7月底前 to 8月底前 happened while there was no ledger: the
    # restored file is compared with no file, so it reads as new tasks and that move is not counted.
    assert h.postponements() == {"t1": 2}
    assert not h.skipped


def test_deleted_ledger_builds_with_the_whole_timeline(deleted: GitProject, tmp_path: Path) -> None:
    site = build(deleted, tmp_path)
    text = changelog_text(site)
    assert "误删台账" in text and "恢复台账" in text and "删除任务" in text
    card = next(c for c in parse(site.page("demo/s1/index.html")).find_all("article", cls="pp-card")
                if c.attrs["data-task"] == "t1")
    timeline = [li.text for li in card.find("details", cls="pp-history").find_all("li")]
    assert len(timeline) == 5 and "新增任务" in timeline[-1] and "删除任务" in timeline[2]
    assert "延期 2 次" in card.find("details", cls="pp-history").text


# --- the ledger moved into another folder ----------------------------------------------------------------------------


def test_ledger_moved_into_another_folder_keeps_its_history(tmp_path: Path) -> None:
    repo = GitProject(tmp_path / "repo", REGISTRY)
    repo.write(ledger(task("t1", "制定计划"), task("t2", "开展整治")))
    repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", deadline="7月底前"), task("t2", "开展整治")))
    repo.commit("计划延期", "2020-04-02T10:00:00+08:00", "张三", "tasks.yaml")
    (repo.path / "ledgers").mkdir()
    repo.git("mv", "tasks.yaml", "ledgers/tasks.yaml")
    cfg = (repo.path / "mkdocs.yml").read_text(encoding="utf-8")
    assert "      - tasks.yaml\n" in cfg
    repo.write(cfg.replace("      - tasks.yaml\n", "      - ledgers/tasks.yaml\n"), "mkdocs.yml")
    repo.commit("台账移入 ledgers/", "2020-05-02T10:00:00+08:00", "李四", "mkdocs.yml", "ledgers/tasks.yaml")
    # moved again and edited in the same commit: still one file to git (-M), and the edit shows
    (repo.path / "ledgers" / "2020").mkdir()
    repo.git("mv", "ledgers/tasks.yaml", "ledgers/2020/tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", deadline="8月底前"), task("t2", "开展整治")), "ledgers/2020/tasks.yaml")
    cfg = (repo.path / "mkdocs.yml").read_text(encoding="utf-8")
    repo.write(cfg.replace("      - ledgers/tasks.yaml\n", "      - ledgers/2020/tasks.yaml\n"), "mkdocs.yml")
    repo.commit("按年度归档并延期", "2020-06-02T10:00:00+08:00", "李四", "mkdocs.yml", "ledgers/2020/tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", "进行中", "8月底前"), task("t2", "开展整治")), "ledgers/2020/tasks.yaml")
    repo.commit("开始推进", "2020-07-02T10:00:00+08:00", "王五", "ledgers/2020/tasks.yaml")

    h = history_of(repo)
    assert [e.commit.subject for e in h.entries] == ["建立台账", "计划延期", "台账移入 ledgers/", "按年度归档并延期",
                                                      "开始推进"]
    moved = next(e for e in h.entries if e.commit.subject == "台账移入 ledgers/")
    assert moved.changes == []  # a pure move changes no task
    assert ("按年度归档并延期", "t1", "期限：7月底前（7月31日） → 8月底前（8月31日）（延期）") in words(h)
    assert h.postponements() == {"t1": 2}
    assert not h.skipped
    site = build(repo, tmp_path)
    text = changelog_text(site)
    assert "建立台账" in text and "开始推进" in text and "暂无历史记录" not in text


# --- commit messages and author names that are not UTF-8, or carry control characters -----------------------------


def commit_raw(repo: GitProject, message: bytes, date: str, author: bytes, *config: str) -> None:
    """A commit made by git with bytes as they come: the message from a file, the author name from the
    environment."""
    (repo.path / ".msg").write_bytes(message)
    env = {k.encode(): v.encode() for k, v in os.environ.items()}
    env.update({b"GIT_CONFIG_GLOBAL": b"/dev/null", b"GIT_CONFIG_SYSTEM": b"/dev/null", b"GIT_AUTHOR_NAME": author,
                b"GIT_AUTHOR_EMAIL": b"a@example.gov.cn", b"GIT_AUTHOR_DATE": date.encode(),
                b"GIT_COMMITTER_DATE": date.encode()})
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.gov.cn", *config, "commit", "-q",
                    "-F", ".msg", "tasks.yaml"], cwd=repo.path, env=env, check=True, capture_output=True)
    (repo.path / ".msg").unlink()


def commit_object(repo: GitProject, message: bytes, date: str, author: bytes) -> None:
    """A commit object written byte for byte, as another tool may write it: git's own commit command would
    have re-read undeclared non-UTF-8 bytes as Latin-1, this keeps them raw."""
    repo.git("add", "tasks.yaml")
    tree, parent = repo.git("write-tree").strip(), repo.git("rev-parse", "HEAD").strip()
    stamp = int(dt.datetime.fromisoformat(date).timestamp())
    body = (f"tree {tree}\nparent {parent}\n".encode() + b"author " + author
            + f" <a@example.gov.cn> {stamp} +0800\ncommitter T <t@example.gov.cn> {stamp} +0800\n\n".encode()
            + message + b"\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], input=body, cwd=repo.path,
                         check=True, capture_output=True).stdout.decode().strip()
    repo.git("update-ref", "HEAD", sha)


GBK_DECLARED = "进展（GBK，已声明）"
GBK_UNDECLARED = "进展（GBK，未声明）"
GBK_RAW = "进展（GBK，其他工具写入）"


@pytest.fixture(scope="module")
def odd_commits(tmp_path_factory: pytest.TempPathFactory) -> GitProject:
    repo = GitProject(tmp_path_factory.mktemp("encodings") / "repo", REGISTRY)
    # as on many Chinese Windows machines: git would print logs in GBK unless asked for UTF-8
    repo.git("config", "i18n.logOutputEncoding", "gbk")
    repo.write(ledger(task("t1", "制定计划"), task("t2", "开展整治")))
    repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")

    def step(n: int) -> str:
        repo.write(ledger(task("t1", "制定计划", deadline=f"{6 + n}月底前"), task("t2", "开展整治")))
        return f"2020-{3 + n:02d}-02T10:00:00+08:00"

    # declared: git records 'encoding GBK' and re-encodes for the reader
    commit_raw(repo, GBK_DECLARED.encode("gbk"), step(1), "李四".encode("gbk"), "-c", "i18n.commitEncoding=GBK")
    # undeclared, through git: the realistic case of `git commit -F file` with a GBK file
    commit_raw(repo, GBK_UNDECLARED.encode("gbk"), step(2), "王五".encode("gbk"))
    # undeclared and kept raw, as a tool other than git may write it
    commit_object(repo, GBK_RAW.encode("gbk"), step(3), "孙八".encode("gbk"))
    # a Latin-1 author name
    commit_raw(repo, "Latin-1 作者".encode(), step(4), "José García".encode("latin-1"))
    # control characters, among them the ones that used to separate git's fields
    commit_raw(repo, "控制\x1e字符\x1f提交\x01".encode(), step(5), "赵\x1f六\x01七".encode())
    return repo


def test_odd_commit_metadata_is_read_never_fatal(odd_commits: GitProject) -> None:
    h = history_of(odd_commits)
    subjects = [e.commit.subject for e in h.entries]
    authors = [e.commit.author for e in h.entries]
    assert len(subjects) == 6 and not h.skipped
    assert (subjects[1], authors[1]) == (GBK_DECLARED, "李四")  # declared: decoded
    # undeclared through git: git itself re-read the bytes that are not UTF-8 as Latin-1 when it committed, so
    # they show as that mojibake
    assert subjects[2].startswith("½ø") and "GBK" in subjects[2] and subjects[2] != GBK_UNDECLARED
    assert authors[2] == "王五".encode("gbk").decode("latin-1")
    # raw bytes: replacement characters where they do not decode, never a crash
    assert "\ufffd" in subjects[3] and "GBK" in subjects[3] and "\ufffd" in authors[3]
    assert authors[4] == "José García"
    assert (subjects[5], authors[5]) == ("控制\ufffd字符\ufffd提交\ufffd", "赵\ufffd六\ufffd七")
    # every commit still carries its change
    assert [c.new["text"] for e in h.entries[1:] for c in e.changes] == [f"{m}月底前" for m in range(7, 12)]


def test_odd_commit_metadata_builds_and_the_feed_stays_xml(odd_commits: GitProject, tmp_path: Path) -> None:
    site = build(odd_commits, tmp_path)
    text = changelog_text(site)
    assert GBK_DECLARED in text and "José García" in text and "控制\ufffd字符" in text and "GBK" in text
    titles = feed_titles(site)  # parses: no control character reached the XML
    assert titles[0] == "控制\ufffd字符\ufffd提交\ufffd" and GBK_DECLARED in titles


# --- commits whose ledger does not validate ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def invalid_commits(tmp_path_factory: pytest.TempPathFactory) -> GitProject:
    repo = GitProject(tmp_path_factory.mktemp("invalid") / "repo", REGISTRY)
    repo.write(ledger(task("t1", "制定计划"), task("t2", "开展整治")))
    repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", "进行中"), task("t2", "开展整治")))
    repo.commit("开始推进", "2020-04-02T10:00:00+08:00", "张三", "tasks.yaml")
    repo.write("plan:\n  id: demo\n  title: [未闭合\n")
    repo.commit("格式写坏", "2020-05-02T10:00:00+08:00", "李四", "tasks.yaml")
    # valid YAML, but not a valid ledger: an unknown status, with a real postponement in the same commit
    repo.write(ledger(task("t1", "制定计划", "完结"), task("t2", "开展整治", deadline="9月底前")))
    repo.commit("状态写错", "2020-06-02T10:00:00+08:00", "王五", "tasks.yaml")
    # valid YAML, a required field missing
    repo.write(ledger(task("t1", "制定计划", "已完成").replace("        title: 制定计划\n", ""),
                      task("t2", "开展整治", deadline="9月底前")))
    repo.commit("漏了标题", "2020-07-02T10:00:00+08:00", "王五", "tasks.yaml")
    repo.write(ledger(task("t1", "制定计划", "已完成"), task("t2", "开展整治", deadline="9月底前")))
    repo.commit("全部改正", "2020-08-02T10:00:00+08:00", "王五", "tasks.yaml")
    return repo


def test_unparsable_version_is_skipped_and_an_invalid_one_is_read_leniently(invalid_commits: GitProject) -> None:
    h = history_of(invalid_commits)
    assert [(s.commit.subject, s.message.split(": ")[0]) for s in h.skipped] == [("格式写坏", "tasks.yaml:3:10")]
    got = words(h)
    assert [e.commit.subject for e in h.entries] == ["建立台账", "开始推进", "状态写错", "漏了标题", "全部改正"]
    # The lenient reader keeps what it can read: the real postponement in the same commit is kept ...
    assert ("状态写错", "t2", "期限：6月底前（6月30日） → 9月底前（9月30日）（延期）") in got
    # ... and a value it cannot read takes its default: the unknown status reads as 未启动 for that commit,
    # and a task without its title is not read at all, so it shows as removed and then added again.
    assert ("状态写错", "t1", "状态：进行中 → 未启动") in got
    assert ("漏了标题", "t1", "删除任务") in got and ("全部改正", "t1", "新增任务") in got
    assert h.postponements() == {"t2": 1}


def test_invalid_commits_still_build_and_the_skipped_one_is_named(invalid_commits: GitProject,
                                                                  tmp_path: Path) -> None:
    site = build(invalid_commits, tmp_path)
    page = parse(site.page("changelog/index.html")).find("article")
    skipped = page.find("h2", id="skipped")
    assert skipped
    assert "格式写坏" in page.text and "tasks.yaml:3:10" in page.text
    assert "全部改正" in page.text and "状态写错" in page.text
    assert "skipped" in site.stderr
