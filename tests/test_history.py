"""History from a real git repository with a scripted history, through the engine and a real build."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import Build, GitProject, copy_project, run_build
from htmlq import parse
from portal.config import read_config
from portal.history import versions
from portal.history.changes import describe
from portal.history.timeline import History, load_history
from portal.outputs.changelog import Telling

REGISTRY = """\
departments:
  - name: 办公室
  - name: 人教科
  - name: 食品安全协调科
  - name: 食品安全科
"""

HEAD = """\
plan:
  id: demo
  title: 演示方案
  year: 2020
sections:
  - id: s1
    number: 一、
    title: 作风建设
    lead: [{lead}]
    tasks:
"""


def task(tid: str, title: str, status: str = "未启动", deadline: str = "6月底前", extra: str = "") -> str:
    return (f"      - id: {tid}\n        title: {title}\n        deadline: {deadline}\n        status: {status}\n"
            + extra)


Repo = GitProject


def ledger(lead: str, *tasks: str) -> str:
    return HEAD.format(lead=lead) + "".join(tasks)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("history") / "repo", REGISTRY)
    t1 = task("t1", "制定学习计划")
    repo.write(ledger("食品安全协调科", t1, task("t2", "开展专项整治", deadline="5月底前"),
                      task("t3", "健全工作机制", "进行中", "年底前")))
    repo.commit("建立台账", "2020-03-02T10:00:00+08:00", "张三", "tasks.yaml")
    update = ("        updates:\n          - date: 2020-04-09\n"
              "            text: 已起草学习计划。\n            by: 办公室\n")
    repo.write(ledger("食品安全协调科", task("t1", "制定学习计划", "进行中", extra=update),
                      task("t2", "开展专项整治", deadline="5月底前"), task("t3", "健全工作机制", "进行中", "年底前"),
                      task("t4", "清理工作群", deadline="9月底前")))
    repo.commit("4月进展", "2020-04-10T16:00:00+08:00", "李四", "tasks.yaml")
    repo.write(ledger("食品安全协调科", task("t1", "制定学习计划", "进行中", extra=update),
                      task("t2", "开展专项整治", deadline="7月底前"), task("t3", "健全工作机制", "进行中", "年底前"),
                      task("t4", "清理工作群", deadline="9月底前")))
    repo.commit("专项整治延期", "2020-05-20T11:00:00+08:00", "李四", "tasks.yaml")
    repo.write("plan:\n  id: demo\n  title: [broken\n")
    repo.commit("误提交", "2020-06-15T09:00:00+08:00", "王五", "tasks.yaml")
    base = ledger("食品安全科", task("t1", "制定学习计划", "进行中", extra=update),
                  task("t2", "开展专项整治", deadline="9月底前"), task("t3", "健全工作机制", "进行中", "年底前"),
                  task("t4", "清理工作群", deadline="9月底前"))
    repo.write(base)
    repo.commit("修复格式；再次延期；科室更名", "2020-06-16T09:30:00+08:00", "王五", "tasks.yaml")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(base.replace("status: 进行中\n        updates", "status: 已完成\n        updates", 1))
    repo.commit("学习计划完成", "2020-07-01T10:00:00+08:00", "赵六", "tasks.yaml")
    repo.git("checkout", "-q", "main")
    repo.write(base.replace(task("t4", "清理工作群", deadline="9月底前"), ""))
    repo.commit("删除重复任务", "2020-07-02T10:00:00+08:00", "钱七", "tasks.yaml")
    repo.git("merge", "-q", "--no-ff", "-m", "合并：学习计划完成", "feature",
             env={"GIT_AUTHOR_DATE": "2020-07-03T10:00:00+08:00", "GIT_COMMITTER_DATE": "2020-07-03T10:00:00+08:00"})
    repo.git("mv", "tasks.yaml", "ledger.yaml")
    cfg = (repo.path / "mkdocs.yml").read_text(encoding="utf-8")
    cfg = cfg.replace("      - tasks.yaml\n", "      - ledger.yaml\n")
    cfg = cfg.replace("    as_of: 2020-09-30\n", "    as_of: 2020-08-31\n")
    repo.write(cfg, "mkdocs.yml")
    repo.commit("台账改名", "2020-08-05T10:00:00+08:00", "孙八", "mkdocs.yml", "ledger.yaml")
    return repo


def history_of(repo: Repo) -> History:
    return load_history(read_config(repo.path / "mkdocs.yml", environ={}), "Asia/Shanghai")


def words(history: History) -> list[tuple[str, str, str]]:
    return [(e.commit.subject, c.task, describe(c)) for e in history.entries for c in e.changes]


def test_changes_per_commit_in_words(scripted: Repo) -> None:
    h = history_of(scripted)
    got = words(h)
    assert ("建立台账", "t1", "新增任务") in got and ("建立台账", "t3", "新增任务") in got
    assert ("4月进展", "t1", "状态：未启动 → 进行中") in got
    assert ("4月进展", "t1", "新增进展：2020-04-09 已起草学习计划。") in got
    assert ("4月进展", "t4", "新增任务") in got
    assert ("专项整治延期", "t2", "期限：5月底前（5月31日） → 7月底前（7月31日）（延期）") in got
    assert ("修复格式；再次延期；科室更名", "t2", "期限：7月底前（7月31日） → 9月底前（9月30日）（延期）") in got
    # the section's lead department renamed: every task under it changes lead
    assert ("修复格式；再次延期；科室更名", "t3", "牵头单位：食品安全协调科 → 食品安全科") in got
    assert ("删除重复任务", "t4", "删除任务") in got
    assert ("学习计划完成", "t1", "状态：进行中 → 已完成") in got


def test_broken_version_is_reported_and_skipped(scripted: Repo) -> None:
    h = history_of(scripted)
    assert [s.commit.subject for s in h.skipped] == ["误提交"]
    assert "tasks.yaml:3:10" in h.skipped[0].message
    # the next commit is compared with the last version that parsed, so nothing is lost or doubled
    fix = [c for e in h.entries if e.commit.subject.startswith("修复格式") for c in e.changes]
    assert sorted((c.task, c.kind) for c in fix) == [("t1", "lead"), ("t2", "deadline"), ("t2", "lead"),
                                                     ("t3", "lead"), ("t4", "lead")]


def test_merge_adds_nothing_the_branches_did_not(scripted: Repo) -> None:
    h = history_of(scripted)
    done = [(e.commit.subject, e.commit.author) for e in h.entries for c in e.changes
            if c.task == "t1" and c.kind == "status" and c.new == "done"]
    assert done == [("学习计划完成", "赵六")]  # once, by its author, not again by the merge
    assert all(not e.changes for e in h.entries if e.commit.subject.startswith("合并"))


def test_rename_is_followed(scripted: Repo) -> None:
    h = history_of(scripted)
    subjects = [e.commit.subject for e in h.entries]
    assert subjects[0] == "建立台账" and subjects[-1] == "台账改名"


def test_postponements_counted_per_task(scripted: Repo) -> None:
    assert history_of(scripted).postponements() == {"t2": 2}


def test_second_read_parses_nothing_and_one_commit_parses_one_task(scripted: Repo, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo.__new__(Repo)
    repo.path = tmp_path / "clone"
    shutil.copytree(scripted.path, repo.path)
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)  # start cold
    calls: list[str] = []
    real = versions._parse_chunk

    def spy(text: str, year: int, file: str) -> dict:
        calls.append(text)
        return real(text, year, file)

    monkeypatch.setattr(versions, "_parse_chunk", spy)
    history_of(repo)
    assert calls  # the cold run parses
    calls.clear()
    history_of(repo)
    assert calls == []  # warm: every version comes from the cache on disk
    text = (repo.path / "ledger.yaml").read_text(encoding="utf-8")
    repo.write(text.replace("title: 健全工作机制\n        deadline: 年底前\n        status: 进行中",
                            "title: 健全工作机制\n        deadline: 年底前\n        status: 已完成"), "ledger.yaml")
    repo.commit("机制健全", "2020-08-20T10:00:00+08:00", "孙八", "ledger.yaml")
    h = history_of(repo)
    assert len(calls) == 1 and "健全工作机制" in calls[0]  # one changed task, one parse
    assert words(h)[-1] == ("机制健全", "t3", "状态：进行中 → 已完成")


def _commit_one_change(repo: Repo) -> None:
    text = (repo.path / "ledger.yaml").read_text(encoding="utf-8")
    repo.write(text.replace("title: 健全工作机制\n        deadline: 年底前\n        status: 进行中",
                            "title: 健全工作机制\n        deadline: 年底前\n        status: 已完成"), "ledger.yaml")
    repo.commit("机制健全", "2020-08-20T10:00:00+08:00", "孙八", "ledger.yaml")


def _whole_cuts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the texts cut whole (without an earlier version's cut to take up) from now on."""
    whole: list[int] = []
    real = versions.cut

    def spy(data: bytes, base: versions.Cut | None = None) -> versions.Cut:
        if base is None:
            whole.append(len(data))
        return real(data, base)

    monkeypatch.setattr(versions, "cut", spy)
    return whole


def _told(history: History) -> list[object]:
    return [words(history), [(e.commit.sha, e.file) for e in history.entries], history.points,
            history.postponements(), [s.commit.sha for s in history.skipped]]


@pytest.mark.parametrize("damage", [False, True])
def test_one_new_commit_takes_up_the_version_the_last_build_kept(scripted: Repo, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch, damage: bool) -> None:
    repo = Repo.__new__(Repo)
    repo.path = tmp_path / "clone"
    shutil.copytree(scripted.path, repo.path)
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)
    history_of(repo)  # cold: every version read, the last one's cut and state kept
    db_path = repo.path / ".cache" / "portal" / "history.sqlite"
    with sqlite3.connect(db_path) as db:
        (key, text), = db.execute("SELECT key, value FROM kv WHERE key LIKE 'k%'").fetchall()
        if damage:  # a kept cut that does not fit the text: read the parent whole, as without it
            kept = json.loads(text)
            kept["segments"][0][0] += 1
            db.execute("UPDATE kv SET value = ? WHERE key = ?", (json.dumps(kept, ensure_ascii=False), key))
    db.close()
    _commit_one_change(repo)
    whole = _whole_cuts(monkeypatch)
    warm = history_of(repo)
    assert len(whole) == (1 if damage else 0)  # the parent taken up, the new version cut from it
    monkeypatch.undo()
    shutil.rmtree(repo.path / ".cache")
    cold = history_of(repo)
    assert _told(warm) == _told(cold)
    assert words(warm)[-1] == ("机制健全", "t3", "状态：进行中 → 已完成")


def test_progress_points_by_month(scripted: Repo) -> None:
    h = history_of(scripted)
    assert h.granularity == "month"  # March to August: longer than WEEKLY_SPAN_DAYS
    assert [p.date.isoformat() for p in h.points] == ["2020-03-31", "2020-04-30", "2020-05-31", "2020-06-30",
                                                      "2020-07-31", "2020-08-05"]
    last = h.points[-1]
    assert (last.done, last.total) == (1, 3)  # t1 done; t4 removed
    assert h.points[0].total == 3


@pytest.fixture(scope="module")
def scripted_site(scripted: Repo, tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = run_build(scripted.path, tmp_path_factory.mktemp("site") / "site")
    assert build.returncode == 0, build.stderr
    return build


def test_changelog_page_by_month_newest_first(scripted_site: Build) -> None:
    page = parse(scripted_site.page("changelog/index.html")).find("article")
    months = [h.text.strip() for h in page.find_all("h2") if h.attrs.get("id", "").startswith("m")]
    assert months == ["2020年8月", "2020年7月", "2020年6月", "2020年5月", "2020年4月", "2020年3月"]
    text = page.text
    assert "状态：未启动 → 进行中" in text and "（延期）" in text and "删除任务" in text
    assert "误提交" in text  # the skipped version is named
    links = [a.attrs["href"] for a in page.find_all("a") if "#t2" in a.attrs.get("href", "")]
    assert links, "changes link to the task's card"


def test_card_timeline_and_department_postponements(scripted_site: Build) -> None:
    s1 = parse(scripted_site.page("demo/s1/index.html"))
    card = next(c for c in s1.find_all("article", cls="pp-card") if c.attrs["data-task"] == "t2")
    history = card.find("details", cls="pp-history")
    assert "延期 2 次" in history.text
    items = history.find_all("li")
    assert "9月底前" in items[0].text and "新增任务" in items[-1].text  # newest first
    dept = parse(scripted_site.page("departments/食品安全科/index.html")).find("article")
    assert "牵头任务期限共延后 2 次" in dept.text


def test_feed_lists_commits_with_changes(scripted_site: Build) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(scripted_site.site / "feed.xml").getroot()
    titles = [e.find("a:title", ns).text for e in root.findall("a:entry", ns)]
    assert titles[0] == "台账改名" and "建立台账" in titles and "误提交" not in titles
    content = root.findall("a:entry", ns)[-1].find("a:content", ns).text
    assert "<li>" in content and "新增任务" in content  # HTML inside, escaped in the XML


def test_dashboard_chart(scripted_site: Build) -> None:
    page = parse(scripted_site.page("index.html"))
    chart = page.find("svg", cls="pp-chart")
    assert len(chart.find_all("polyline")) == 3


def test_portal_diff_markdown_and_exit_code(scripted: Repo, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(scripted.path, work)
    text = (work / "ledger.yaml").read_text(encoding="utf-8")
    (work / "ledger.yaml").write_text(text.replace("deadline: 9月底前", "deadline: 10月底前", 1), encoding="utf-8")
    out = run_build(work, command="diff")
    assert out.returncode == 0, out.stderr
    assert "### 台账变更：`ledger.yaml`" in out.stdout
    assert "**期限：9月底前（9月30日） → 10月底前（10月31日）（延期）**" in out.stdout
    assert "1 项任务，1 处变更" in out.stdout
    (work / "ledger.yaml").write_text(text.replace("status: 已完成", "status: 已完结", 1), encoding="utf-8")
    bad = run_build(work, command="diff")
    assert bad.returncode == 1 and "已完结" in bad.stderr


def test_shallow_clone_is_said(scripted: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{scripted.path}", str(clone)], check=True)
    for name in ("content", "overrides", "hooks"):
        assert (clone / name).exists()
    build = run_build(clone)
    assert build.returncode == 0, build.stderr
    assert "浅克隆" in build.page("changelog/index.html") and "shallow clone" in build.stderr


def test_no_git_and_never_committed_still_build(tmp_path: Path) -> None:
    plain = copy_project(tmp_path / "plain")
    build = run_build(plain)
    assert build.returncode == 0, build.stderr
    assert "暂无历史记录" in build.page("changelog/index.html")
    subprocess.run(["git", "init", "-q"], cwd=plain, check=True)
    again = run_build(plain, tmp_path / "site2")
    assert again.returncode == 0, again.stderr
    assert "暂无历史记录" in again.page("changelog/index.html")
    assert json.loads((again.site / "tasks.json").read_text(encoding="utf-8"))["as_of"] == "2020-09-30"


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_warm_history_build_is_byte_identical_to_a_cold_one(scripted: Repo, tmp_path: Path) -> None:
    repo = Repo.__new__(Repo)
    repo.path = tmp_path / "clone"
    shutil.copytree(scripted.path, repo.path)
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)
    first = run_build(repo.path, tmp_path / "first")  # fills the history cache
    assert first.returncode == 0, first.stderr
    cache = repo.path / ".cache" / "portal" / "history.sqlite"
    assert cache.exists()
    text = (repo.path / "ledger.yaml").read_text(encoding="utf-8")
    # two tasks changed far apart, one task added: the new version is cut and read from its parent's
    text = text.replace("status: 进行中\n        updates", "status: 已完成\n        updates", 1)
    text = text.replace("title: 健全工作机制", "title: 健全长效工作机制", 1)
    text += task("t5", "补充任务", deadline="12月底前")
    repo.write(text, "ledger.yaml")
    repo.commit("月底更新", "2020-08-25T10:00:00+08:00", "孙八", "ledger.yaml")
    warm = run_build(repo.path, tmp_path / "warm")
    assert warm.returncode == 0, warm.stderr
    shutil.rmtree(repo.path / ".cache")
    cold = run_build(repo.path, tmp_path / "cold")
    assert cold.returncode == 0, cold.stderr
    warm_files, cold_files = site_files(warm.site), site_files(cold.site)
    assert warm_files.keys() == cold_files.keys()
    assert [name for name in warm_files if warm_files[name] != cold_files[name]] == []
    changelog = warm.page("changelog/index.html")
    assert "月底更新" in changelog and "补充任务" in changelog
    assert "任务名称：健全工作机制 → 健全长效工作机制" in changelog
    # the changelog only repeats what the cards say: search leaves it out
    index = json.loads((warm.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["docs"] and not any(doc["location"].startswith("changelog/") for doc in index["docs"])


def test_a_plan_in_another_time_zone_dates_its_history_there(tmp_path: Path) -> None:
    """The build reads the history while the ledger is read, in the usual time zone; a plan that names another one
    has it read again in its own (commit times, months, chart)."""
    repo = Repo(tmp_path / "repo", REGISTRY)
    text = ledger("食品安全协调科", task("t1", "制定学习计划")).replace("  year: 2020\n",
                                                                       "  year: 2020\n  timezone: Europe/London\n")
    repo.write(text)
    repo.commit("建立台账", "2020-04-01T02:30:00+08:00", "张三", "tasks.yaml")  # 31 March, 19:30 in London
    build = run_build(repo.path, tmp_path / "site")
    assert build.returncode == 0, build.stderr
    changelog = build.page("changelog/index.html")
    assert '<time datetime="2020-03-31T19:30:00+01:00">2020-03-31 19:30</time>' in changelog
    assert 'id="m2020-03"' in changelog and 'id="m2020-04"' not in changelog


def test_told_once_as_describe_words_each_change(scripted: Repo) -> None:
    """The changelog's, the cards' and the feed's words and stamps are made once per build (outputs/changelog.py):
    each change as describe words it, in both languages; each task's changes newest first, as History.by_task."""
    h = history_of(scripted)
    assert h.entries
    for lang in ("zh", "en"):
        telling = Telling(h, lang, lambda sha: f"https://git.example/c/{sha}")
        told = [telling.told(e) for e in h.entries]
        assert [s.text for t in told for s in t.said] == [describe(c, lang) for e in h.entries for c in e.changes]
        by_task = telling.by_task()
        assert {task: [said.change for _, said in rows] for task, rows in by_task.items()} == {
            task: [change for _, change in rows] for task, rows in h.by_task().items()}
        stamp = told[0].stamp
        assert (stamp.iso, stamp.minute, stamp.sha, stamp.url) == (
            "2020-03-02T10:00:00+08:00", "2020-03-02 10:00", h.entries[0].commit.sha[:8],
            f"https://git.example/c/{h.entries[0].commit.sha}")
        assert [month for month, _ in telling.by_month()] == [month for month, _ in h.by_month()]


OLDER_CHANGELOG = """\
{% for entry in site.history.entries %}{% for task_id, title, changes in site.grouped_changes(entry) %}
<p class="older">{{ local(entry.commit.date).strftime('%Y-%m-%d') }} {{ title }}：
{%- for c in changes %}{{ describe(c) }}{% endfor %}</p>
{% endfor %}{% endfor %}
{% for task_id, rows in site.task_history.items() %}<p class="record">{{ task_id }} {{ rows | length }}</p>{% endfor %}
"""


def test_a_project_copy_of_an_older_template_still_builds(scripted: Repo, tmp_path: Path) -> None:
    """A project's own copy of a template of the portal before its history was told once per build (changes
    grouped as Change objects, worded with describe(); site.task_history) builds as it did."""
    repo = Repo.__new__(Repo)
    repo.path = tmp_path / "clone"
    shutil.copytree(scripted.path, repo.path)
    (repo.path / "overrides" / "portal" / "changelog.html").write_text(OLDER_CHANGELOG, encoding="utf-8")
    build = run_build(repo.path, tmp_path / "site")
    assert build.returncode == 0, build.stderr
    page = build.page("changelog/index.html")
    assert '<p class="older">2020-05-20 开展专项整治：期限：5月底前（5月31日） → 7月底前（7月31日）（延期）</p>' in page
    assert '<p class="record">t2 ' in page
