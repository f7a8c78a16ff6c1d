"""Monthly snapshots on a scripted three-month git history: figures, immutability, kills, the report."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import signal
import subprocess
import time
from pathlib import Path

import docx
import pytest

from conftest import PORTAL, GitProject, run_build
from htmlq import parse
from portal.archive.publish import checksums, read_index

REGISTRY = "departments:\n  - name: 办公室\n  - name: 人教科\n  - name: 财务科\n"
HEAD = ("plan:\n  id: zx\n  title: 专项整治方案\n  year: 2020\nsections:\n"
        "  - id: s1\n    number: 一、\n    title: 整治作风\n    tasks:\n")


def task(tid: str, title: str, lead: str, deadline: str, status: str, extra: str = "") -> str:
    return (f"      - id: {tid}\n        title: {title}\n        lead: [{lead}]\n        deadline: {deadline}\n"
            f"        status: {status}\n{extra}")


def update(date: str, text: str) -> str:
    return f"        updates:\n          - date: {date}\n            text: {text}\n            by: 办公室\n"


T4 = task("t4", "坚持周例会", "人教科", "长期坚持", "长期坚持")


def september() -> str:
    return HEAD + "".join([
        task("t1", "清理工作群", "办公室", "9月底前", "未启动"),
        task("t2", "规范公务接待", "财务科", "10月底前", "进行中", update("2020-09-15", "已起草接待办法。")),
        task("t3", "修订考勤制度", "人教科", "11月底前", "未启动"),
        T4,
    ])


def october() -> str:
    return HEAD + "".join([
        task("t1", "清理工作群", "办公室", "9月底前", "已完成", "        percent: 100\n        closed: 2020-10-05\n"
             + update("2020-10-05", "已清理工作群12个。")),
        task("t2", "规范公务接待", "财务科", "10月底前", "进行中", update("2020-10-16", "接待办法已征求意见。")),
        task("t3", "修订考勤制度", "人教科", "12月底前", "未启动"),
        T4,
        task("t5", "开展专项检查", "办公室", "10月底前", "进行中", update("2020-10-20", "已制定检查方案。")),
    ])


def november() -> str:
    return HEAD + "".join([
        task("t1", "清理工作群", "办公室", "9月底前", "已完成", "        percent: 100\n        closed: 2020-10-05\n"
             + update("2020-10-05", "已清理工作群12个。")),
        task("t2", "规范公务接待", "财务科", "10月底前", "已完成", "        percent: 100\n        closed: 2020-11-12\n"
             + update("2020-11-12", "接待办法已印发。")),
        task("t3", "修订考勤制度", "人教科", "12月底前", "未启动"),
        T4,
        task("t5", "开展专项检查", "办公室", "10月底前", "进行中", update("2020-11-20", "已检查科室6个。")),
    ])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> GitProject:
    repo = GitProject(tmp_path_factory.mktemp("snap") / "repo", REGISTRY)
    repo.git("add", "mkdocs.yml", "departments.yaml", "content", "overrides", "hooks")
    repo.commit("项目初始化", "2020-09-01T09:00:00+08:00", "管理员")
    for text, when, subject in [(september(), "2020-09-10T10:00:00+08:00", "建立台账"),
                                (october(), "2020-10-20T10:00:00+08:00", "10月进展"),
                                (november(), "2020-11-25T10:00:00+08:00", "11月进展")]:
        repo.write(text)
        repo.commit(subject, when, "督查室", "tasks.yaml")
    # a commit after November's end must not reach November's snapshot
    repo.write(november().replace("status: 未启动", "status: 进行中"))
    repo.commit("12月进展", "2020-12-01T00:30:00+08:00", "督查室", "tasks.yaml")
    return repo


def portal(repo: GitProject, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(PORTAL), "snapshot", *args], cwd=repo.path, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def published(project: GitProject) -> Path:
    done = portal(project, "--from", "2020-08", "--to", "2020-11")
    assert done.returncode == 0, done.stderr
    assert "2020-08: 提交" in done.stdout and "时还没有台账文件" in done.stdout
    return project.path / "archive"


def test_three_snapshots_match_the_ledger_at_each_months_end(published: Path, project: GitProject) -> None:
    records = read_index(published)
    assert [r.month for r in records] == ["2020-09", "2020-10", "2020-11"]
    assert [(r.total, r.done, r.percent, r.overdue) for r in records] == [(4, 0, 0, 0), (5, 1, 20, 0), (5, 2, 40, 1)]
    subjects = [project.git("log", "-1", "--format=%s", r.commit).strip() for r in records]
    assert subjects == ["建立台账", "10月进展", "11月进展"]  # not the December commit
    for record in records:
        data = json.loads((published / record.month / "tasks.json").read_text(encoding="utf-8"))
        assert data["as_of"] == record.as_of
        assert len(data["tasks"]) == record.total
    nov = json.loads((published / "2020-11" / "tasks.json").read_text(encoding="utf-8"))
    assert {t["id"]: t["status"] for t in nov["tasks"]}["t3"] == "not_started"
    # each month's 红黑榜 is kept with the record and in snapshot.json (issue 15): nothing was due in September
    assert [r.ranking for r in records[:1]] == [[]]
    assert records[2].ranking == [{"dept": "财务科", "rank": 1, "flag": "red"},
                                  {"dept": "办公室", "rank": 2, "flag": "red"}]
    meta = json.loads((published / "2020-11" / "snapshot.json").read_text(encoding="utf-8"))
    assert meta["ranking"] == records[2].ranking


def test_every_page_carries_the_banner(published: Path) -> None:
    pages = list((published / "2020-10").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if "<article" not in html or page.name == "404.html":  # 404's links are site-absolute
            continue
        banner = parse(html).find(cls="pp-snapshot-banner")
        assert "2020年10月快照" in banner.text and "2020-10-31" in banner.text, page
        live, months = [a.attrs["href"] for a in banner.find_all("a")][:2]
        here = "archive/" + page.parent.relative_to(published).as_posix() + "/"
        assert posixpath.normpath(posixpath.join(here, live)) == "."  # the live portal, from any depth
        assert posixpath.normpath(posixpath.join(here, months)) == "archive"  # the list of all months


def test_month_over_month_page(published: Path) -> None:
    oct_page = parse((published / "2020-10" / "month" / "index.html").read_text(encoding="utf-8")).find("article")
    sections = {h.attrs["id"]: h for h in oct_page.find_all("h2")}
    assert "（1）" in sections["completed"].text and "（1）" in sections["postponed"].text
    assert "清理工作群" in oct_page.text and "修订考勤制度" in oct_page.text and "开展专项检查" in oct_page.text
    nov_page = parse((published / "2020-11" / "month" / "index.html").read_text(encoding="utf-8")).find("article")
    text = nov_page.text
    assert "规范公务接待" in text.split("本月完成")[1].split("新增逾期")[0]
    assert "开展专项检查" in text.split("新增逾期")[1].split("期限延后")[0]
    assert "各单位排名变化" in text


def test_publishing_again_changes_nothing(published: Path, project: GitProject) -> None:
    before = {m: checksums(published / m) for m in ("2020-09", "2020-10", "2020-11")}
    index = (published / "index.json").read_bytes()
    again = portal(project, "2020-10")
    assert again.returncode == 1 and "已于" in again.stderr and "--force" in again.stderr
    backfill = portal(project, "--from", "2020-09", "--to", "2020-11")
    assert backfill.returncode == 0 and backfill.stdout.count("已发布，跳过") == 3
    assert {m: checksums(published / m) for m in before} == before
    assert (published / "index.json").read_bytes() == index
    assert portal(project, "--verify").returncode == 0


def test_an_edited_snapshot_is_caught(published: Path, project: GitProject, tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(project.path, copy)
    page = copy / "archive" / "2020-10" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("20%", "90%"), encoding="utf-8")
    result = subprocess.run([str(PORTAL), "snapshot", "--verify"], cwd=copy, capture_output=True, text=True)
    assert result.returncode == 1 and "2020-10" in result.stderr


def test_report_page_and_word_document(published: Path) -> None:
    document = docx.Document(str(published / "2020-11" / "report.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    # issue 15: the title of a 公文 (it was 专项整治方案2020年11月进展情况报告)
    assert document.paragraphs[0].text == "关于《专项整治方案》2020年11月落实情况的报告"
    for heading in ("一、基本情况", "二、各项任务进展情况", "三、下一步工作", "四、红黑榜"):
        assert heading in text
    # every unfinished task with its latest update
    assert "修订考勤制度" in text and "暂无进展记录" in text
    assert "开展专项检查" in text and "11月20日：已检查科室6个。" in text
    assert "坚持周例会" in text
    assert "已完成2项" in text and "完成率40%" in text and "逾期1项" in text
    runs = [r for p in document.paragraphs for r in p.runs]
    fonts = {r._r.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
             for r in runs if r._r.rPr is not None and r._r.rPr.rFonts is not None}
    assert {"方正小标宋简体", "黑体", "仿宋_GB2312"} <= fonts
    assert len(document.tables) == 1 and document.tables[0].rows[0].cells[0].text == "名次"
    page = parse((published / "2020-11" / "report" / "index.html").read_text(encoding="utf-8")).find("article")
    assert "已检查科室6个" in page.text and "report.docx" in str([a.attrs for a in page.find_all("a")])


def test_live_portal_lists_and_carries_the_snapshots_unchanged(published: Path, project: GitProject,
                                                                tmp_path: Path) -> None:
    work = tmp_path / "repo"
    shutil.copytree(project.path, work)
    template = work / "overrides" / "portal" / "dashboard.html"  # the engine's templates change later
    template.write_text(template.read_text(encoding="utf-8").replace("pp-kpis", "pp-kpis pp-changed"),
                        encoding="utf-8")
    build = run_build(work, env={"PORTAL_AS_OF": "2020-12-31"})
    assert build.returncode == 0, build.stderr
    for month in ("2020-09", "2020-10", "2020-11"):
        assert checksums(build.site / "archive" / month) == checksums(published / month)
    assert "pp-changed" in build.page("index.html")
    assert "pp-changed" not in build.page("archive/2020-10/index.html")
    rows = parse(build.page("archive/index.html")).find("table", cls="pp-archive").find("tbody").find_all("tr")
    assert [r.find("a").attrs["href"] for r in rows] == ["2020-11/", "2020-10/", "2020-09/"]
    assert "40% （+20）" in rows[0].text and "1 （+1）" in rows[0].text
    versions = json.loads((build.site / "archive" / "versions.json").read_text(encoding="utf-8"))
    assert [v["version"] for v in versions] == ["..", "2020-11", "2020-10", "2020-09"]
    assert not (build.site / "versions.json").exists()  # the portal's selector reads archive/versions.json
    # the portal's selector, told where the live root is; Material's (which guesses it) is off
    assert 'portal-versions.js" data-base="./"\n          data-root="./"' in build.page("index.html")
    assert 'data-base="../"\n          data-root="../../../"' in build.page("archive/2020-10/zx/index.html")
    assert '"version": null}' in build.page("index.html")


def test_a_killed_publish_leaves_the_archive_and_a_rerun_completes(project: GitProject, tmp_path: Path) -> None:
    work = tmp_path / "repo"
    shutil.copytree(project.path, work)
    archive = work / "archive"
    shutil.rmtree(archive / "2020-11")
    records = json.loads((archive / "index.json").read_text(encoding="utf-8"))
    records["snapshots"] = [r for r in records["snapshots"] if r["month"] != "2020-11"]
    (archive / "index.json").write_text(json.dumps(records), encoding="utf-8")
    intact = {m: checksums(archive / m) for m in ("2020-09", "2020-10")}
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    for delay in (0.3, 0.9, 1.6, 2.4, 3.5):
        proc = subprocess.Popen([str(PORTAL), "snapshot", "2020-11"], cwd=work, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        months = [r.month for r in read_index(archive)]
        assert months[:2] == ["2020-09", "2020-10"]
        assert {m: checksums(archive / m) for m in intact} == intact
        if (archive / "2020-11").exists():  # only ever whole: renamed into place after it was complete
            assert checksums(archive / "2020-11") == (archive / "2020-11" / "SHA256SUMS").read_text(encoding="utf-8")
        if months == ["2020-09", "2020-10", "2020-11"]:
            break
    rerun = subprocess.run([str(PORTAL), "snapshot", "2020-11"], cwd=work, env=env, capture_output=True, text=True)
    if rerun.returncode != 0:  # the killed run finished before the kill: the month is published, as it should be
        assert "已于" in rerun.stderr
    assert [r.month for r in read_index(archive)] == ["2020-09", "2020-10", "2020-11"]
    assert not list(archive.glob(".tmp-*"))
    assert subprocess.run([str(PORTAL), "snapshot", "--verify"], cwd=work, capture_output=True).returncode == 0


def test_notices_of_a_past_month_read_that_months_ledger(published: Path, project: GitProject) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(PORTAL), "notices", "--month", "2020-11"], cwd=project.path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "统计截至 2020-11-30" in done.stdout
    folder = project.path / "notices" / "2020-11"
    # t5 (办公室, 10月底前) is overdue at November's end; the December commit does not reach it
    notice = docx.Document(str(folder / "2020-11 督办通知单 办公室.docx"))
    assert any("开展专项检查" in p.text for p in notice.paragraphs)
    # t3 was not started at November's end (the December commit starts it): behind the time elapsed
    staff = docx.Document(str(folder / "2020-11 督办通知单 人教科.docx"))
    assert any(p.text.startswith("存在问题：滞后：进度 0%") for p in staff.paragraphs)
