"""Forms in (`portal collect`): filled workbooks into the ledger, every check on real .xlsx files (issue 14)."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import GitProject, copy_project
from portal.config import read_config
from portal.ledger.load import load, load_text
from portal.round.forms import COL_ID, COL_PROGRESS, FIRST_ROW
from roundkit import fill, form_of, make_forms, portal, rows_by_id

#: Comments an office writes into its ledger, around the tasks the tests fill in.
COMMENTS = [
    ("            status: 进行中\n            percent: 75\n",
     "            status: 进行中  # 中心组学习按月推进\n            percent: 75\n"),
    ("                url: https://oa.example.gov.cn/docs/2020-8\n",
     "                url: https://oa.example.gov.cn/docs/2020-8\n            # 佐证材料由办公室核实\n"),
    ("            status: 暂缓\n", "            status: 暂缓  # 疫情影响\n"),
    ("          - id: t09\n", "          # 第三季度重点\n          - id: t09\n"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "p")
    text = (project / "tasks.yaml").read_text(encoding="utf-8")
    for old, new in COMMENTS:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    return project


def _ledger(project: Path) -> str:
    return (project / "tasks.yaml").read_text(encoding="utf-8")


def _task_spans(text: str) -> dict[str, tuple[int, int]]:
    """Each task's lines (0-based, end exclusive) up to the next task or section item."""
    starts = [(i, m[1]) for i, line in enumerate(text.splitlines())
              if (m := re.match(r"\s*- id: (\S+)", line))]
    return {name: (i, starts[k + 1][0] if k + 1 < len(starts) else len(text.splitlines()))
            for k, (i, name) in enumerate(starts)}


def _touched(before: str, after: str) -> set[str]:
    """The tasks whose lines the change touches; KeyError-free: a change outside every task is 'outside'."""
    spans = _task_spans(before)
    touched = set()
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op == "equal":
            continue
        lines = range(i1, i2) if i2 > i1 else [i1 - 1]  # an insertion belongs to the line above it
        for line in lines:
            owner = next((t for t, (a, b) in spans.items() if a <= line < b and t.startswith("t")), "outside")
            touched.add(owner)
    return touched


def _comments(text: str) -> list[str]:
    """The comments of a ledger, in order (the sample's comments are all that has a ' #' or starts with '#')."""
    return [line[line.index("#"):] for line in text.splitlines()
            if line.lstrip().startswith("#") or "  # " in line]


def test_a_filled_form_goes_into_the_ledger_touching_only_its_tasks(project: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    before = _ledger(project)
    forms = make_forms(capsys, project)
    filled = fill(form_of(forms, "机关党委"), {
        "t01": {"progress": "9月份组织中心组集中学习1次，专题学习党史和新中国史。", "status": "进行中", "percent": 80,
                "by": "张三"},
        "t03": {"progress": "场馆恢复团体接待，9月完成现场教学三批次。", "status": "已完成",
                "evidence": "现场教学简报 https://oa.example.gov.cn/b/30", "by": "张三"},
        "t09": {"progress": "各支部完成换届选举准备。", "percent": 60},
    }, project / "机关党委.xlsx")
    code, out, err = portal(capsys, project, "collect", str(filled))
    assert code == 0, err
    assert "机关党委：3 项任务有新进展（机关党委.xlsx）" in out and "已写入 tasks.yaml" in out
    after = _ledger(project)
    assert _touched(before, after) == {"t01", "t03", "t09"}
    assert _comments(after) == _comments(before)  # every comment, in its place in the order
    diff = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert "-            percent: 75" in diff and "+            percent: 80" in diff
    assert "+            status: 已完成  # 疫情影响" in diff  # the comment on the line stays
    assert "+                text: 场馆恢复团体接待，9月完成现场教学三批次。" in diff
    assert diff.count("+                by: 机关党委") == 3
    assert "+                date: 2020-09-25" not in diff and diff.count("+              - date: 2020-09-25") == 3
    assert "+            evidence:" in diff and "+              - title: 现场教学简报" in diff
    # What the portal reads now.
    cfg = read_config(project / "mkdocs.yml")
    tasks = {t.id: t for t in load(cfg).ledger.tasks()}
    assert (tasks["t01"].status.value, tasks["t01"].percent) == ("in_progress", 80)
    assert (tasks["t03"].status.value, tasks["t03"].percent) == ("done", 100)  # 已完成 alone means 100
    assert tasks["t03"].evidence[-1].url == "https://oa.example.gov.cn/b/30"
    assert tasks["t09"].percent == 60 and tasks["t09"].updates[-1].by == "机关党委"
    assert tasks["t01"].updates[-1].date == dt.date(2020, 9, 25)  # the month's report day


def test_collecting_the_same_form_twice_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forms = make_forms(capsys, project)
    answer = {"progress": "对照检查材料已起草。", "status": "进行中", "percent": 40}
    filled = fill(form_of(forms, "办公室"), {"t38": answer}, project / "办公室.xlsx")
    assert portal(capsys, project, "collect", str(filled))[0] == 0
    once = (project / "tasks.yaml").read_bytes()
    code, out, err = portal(capsys, project, "collect", str(filled))
    assert code == 0
    assert "办公室.xlsx：这份表已经收集过：台账无变化" in err and "台账无变化" in out
    assert (project / "tasks.yaml").read_bytes() == once
    # and twice in one run: the second copy is the same form
    code, _, err = portal(capsys, project, "collect", str(filled), str(filled))
    assert code == 0 and (project / "tasks.yaml").read_bytes() == once


def test_a_wrong_form_is_refused_with_each_cell_named_and_nothing_written(project: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = (project / "tasks.yaml").read_bytes()
    forms = make_forms(capsys, project)
    wb = load_workbook(form_of(forms, "机关党委"))
    ws = wb["牵头任务"]
    ws.protection.sheet = False  # someone unlocked the sheet (no password) and changed what they should not
    rows = rows_by_id(ws)
    ws.cell(rows["t01"], 9).value = "完成了"  # not a status word
    ws.cell(rows["t01"], COL_PROGRESS).value = "学习计划已全部落实。"
    ws.cell(rows["t03"], COL_PROGRESS).value = "=CONCATENATE(\"已\",\"完成\")"  # a formula
    ws.cell(rows["t09"], COL_PROGRESS).value = "换届准备。"
    ws.cell(rows["t09"], COL_ID).value = "t10"  # a changed id
    extra = ws.max_row + 1
    ws.cell(extra, COL_ID).value = "t32"  # a task of another department, in a row added at the end
    ws.cell(extra, COL_PROGRESS).value = "代为填写。"
    ws.cell(rows["t11"], COL_PROGRESS).value = "述职评议方案已印发。"
    ws.cell(rows["t11"], 10).value = 130  # percent out of range
    ws.cell(rows["t39"], COL_PROGRESS).value = "已开展廉政学习4次。"
    ws.cell(rows["t39"], 9).value = "已完成"
    ws.cell(rows["t39"], 10).value = 60  # contradicts the status
    ws.cell(rows["t18"], 9).value = "进行中"  # a status without progress
    path = project / "错误.xlsx"
    wb.save(path)
    good = fill(form_of(forms, "办公室"), {"t38": {"progress": "材料起草中。"}}, project / "办公室.xlsx")
    code, out, err = portal(capsys, project, "collect", str(path), str(good))
    assert code == 1
    where = "错误.xlsx › 牵头任务 › "
    lines = err.splitlines()

    def line(cell: str) -> str:
        found = [x for x in lines if x.startswith(where + cell + "：")]
        assert len(found) == 1, (cell, err)
        return found[0]

    assert "“完成了”不是有效的状态（是不是“已完成”？）" in line(f"I{rows['t01']}")
    assert "公式“=CONCATENATE(\"已\",\"完成\")”" in line(f"H{rows['t03']}")
    assert "任务编号被改成了“t10”（原为“t09”）" in line(f"M{rows['t09']}")
    assert "“t32”是综合执法科、食品流通监管科" in line(f"M{extra}")
    assert "进度 130 超出范围" in line(f"J{rows['t11']}")
    assert "进度 60% 与状态“已完成”矛盾" in line(f"J{rows['t39']}")
    assert "填写了状态，但“本月进展”是空的" in line(f"H{rows['t18']}")
    assert "未写入台账：7 个错误" in err
    assert (project / "tasks.yaml").read_bytes() == before  # nothing written, not even the good form's row
    # --partial keeps the good rows: the other form's, and this form's rows without errors (none here)
    code, out, err = portal(capsys, project, "collect", "--partial", str(path), str(good))
    assert code == 1 and "办公室：1 项任务有新进展" in out and "有错误的 7 行未写入" in err
    assert _touched(before.decode("utf-8"), _ledger(project)) == {"t38"}


@pytest.mark.parametrize(("name", "make", "words"), [
    ("宏.xlsx", "macro", "含有宏"),
    ("加密.xlsx", "encrypted", "已加密"),
    ("旧版.xls", "legacy", "旧版 Excel"),
    ("损坏.xlsx", "corrupt", "已损坏"),
    ("截断.xlsx", "truncated", "已损坏"),
    ("别的表.xlsx", "foreign", "不是本系统生成的报送表"),
    ("炸弹.xlsx", "bomb", "压缩炸弹"),
    ("实体.xlsx", "entities", "已损坏"),
    ("缺失.xlsx", "missing", "找不到这个文件"),
])
def test_a_workbook_that_is_not_a_readable_form_is_refused(project: Path, capsys: pytest.CaptureFixture[str],
                                                           name: str, make: str, words: str) -> None:
    forms = make_forms(capsys, project)
    real = fill(form_of(forms, "机关党委"), {"t01": {"progress": "已学习。"}}, project / "real.xlsx").read_bytes()
    path = project / name
    if make == "macro":
        path.write_bytes(_with_member(real, "xl/vbaProject.bin", b"\x00" * 64))
    elif make == "encrypted":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptionInfo".encode("utf-16-le"))
    elif make == "legacy":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    elif make == "corrupt":
        path.write_bytes(b"PK\x03\x04 this is not a workbook")
    elif make == "truncated":
        path.write_bytes(real[: len(real) // 2])
    elif make == "foreign":
        wb = Workbook()
        wb.active.append(["序号", "任务", "本月进展"])
        wb.save(path)
    elif make == "bomb":
        path.write_bytes(_with_member(real, "xl/media/zeros.bin", b"\x00" * (256 * 1024 * 1024)))
        assert path.stat().st_size < 2 * 1024 * 1024  # a small file that unpacks to 256 MiB
    elif make == "entities":
        lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
               b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
        path.write_bytes(_with_member(real, "xl/sharedStrings.xml", lol, replace=True))
    before = (project / "tasks.yaml").read_bytes()
    code, _, err = portal(capsys, project, "collect", str(path))
    assert code == 1
    assert err.startswith(f"{name}：") and words in err, err
    assert (project / "tasks.yaml").read_bytes() == before


def _with_member(data: bytes, name: str, content: bytes, replace: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not (replace and info.filename == name):
                dst.writestr(info, src.read(info))
        dst.writestr(name, content)
    return out.getvalue()


def test_a_file_over_the_size_limit_is_not_read(project: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.round import collect

    forms = make_forms(capsys, project)
    monkeypatch.setattr(collect, "MAX_FORM_BYTES", 4096)
    code, _, err = portal(capsys, project, "collect", str(form_of(forms, "机关党委")))
    assert code == 1 and "文件过大" in err and "上限 4 KiB" in err


def test_a_form_of_another_month_or_a_report_date_outside_it(project: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    august = project / "aug"
    assert portal(capsys, project, "forms", "--out", str(august), "--month", "2020-08")[0] == 0
    filled = fill(form_of(august, "机关党委"), {"t01": {"progress": "8月份学习。"}}, project / "八月.xlsx")
    code, _, err = portal(capsys, project, "collect", str(filled))
    assert code == 1
    assert "八月.xlsx › 牵头任务 › D3：这是2020年8月的报送表，本次汇总的是2020年9月" in err
    # the same form collected for its own month is fine, dated that month's report day
    code, _, err = portal(capsys, project, "collect", "--month", "2020-08", str(filled))
    assert code == 0, err
    t01 = next(t for t in load(read_config(project / "mkdocs.yml")).ledger.tasks() if t.id == "t01")
    assert t01.updates[-1].date == dt.date(2020, 8, 25)
    forms = make_forms(capsys, project)
    dated = fill(form_of(forms, "机关党委"), {"t03": {"progress": "九月进展。"}}, project / "日期.xlsx",
                 date="2020年10月3日")
    code, _, err = portal(capsys, project, "collect", str(dated))
    assert code == 1 and "日期.xlsx › 牵头任务 › K3：填报日期 2020年10月3日 不在报送期2020年9月" in err
    dated = fill(form_of(forms, "机关党委"), {"t03": {"progress": "九月进展。"}}, project / "日期2.xlsx",
                 date=dt.datetime(2020, 9, 18))
    assert portal(capsys, project, "collect", str(dated))[0] == 0
    t03 = next(t for t in load(read_config(project / "mkdocs.yml")).ledger.tasks() if t.id == "t03")
    assert t03.updates[-1].date == dt.date(2020, 9, 18)  # the form's 填报日期


def test_two_lead_departments_that_disagree_and_an_answer_that_differs_from_one_collected(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forms = make_forms(capsys, project)
    # t38 is led by 办公室, 机关党委 and 人教科
    a = fill(form_of(forms, "办公室"), {"t38": {"progress": "已召开。", "status": "已完成"}}, project / "a.xlsx")
    b = fill(form_of(forms, "人教科"), {"t38": {"progress": "筹备中。", "status": "进行中", "percent": 50}},
             project / "b.xlsx")
    code, _, err = portal(capsys, project, "collect", str(a), str(b))
    assert code == 1
    assert re.search(r"b\.xlsx › 牵头任务 › I\d+：与 a\.xlsx › 牵头任务 › I\d+ 填报的状态（已完成）不一致", err), err
    assert portal(capsys, project, "collect", str(a))[0] == 0
    changed = fill(form_of(forms, "办公室"), {"t38": {"progress": "已召开，形成整改清单。"}}, project / "c.xlsx")
    code, _, err = portal(capsys, project, "collect", str(changed))
    assert code == 1 and "该任务已有 2020年9月25日 办公室报送的进展（“已召开。”）" in err


def test_accepted_text_passes_the_ledgers_validation(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forms = make_forms(capsys, project)
    filled = fill(form_of(forms, "机关党委"), {
        "t01": {"progress": "长" * 20_001},  # over the ledger's limit on one text
        "t03": {"progress": "材料见链接。", "evidence": "javascript:alert(1)"},  # not a link: joins the text
        "t09": {"progress": "yes"},  # YAML would read it as a boolean unquoted
        "t11": {"progress": "第一行\n第二行：有冒号 #和井号"},
    }, project / "f.xlsx")
    before = _ledger(project)
    code, _, err = portal(capsys, project, "collect", str(filled))
    assert code == 1
    assert re.search(r"f\.xlsx › 牵头任务 › H\d+：写入台账后校验未通过：这段文字有 20001 个字符", err), err
    assert _ledger(project) == before
    code, _, err = portal(capsys, project, "collect", "--partial", str(filled))
    assert code == 1
    text = _ledger(project)
    plan = load_text(text, as_of=dt.date(2020, 9, 30))
    tasks = {t.id: t for t in plan.walk_tasks()}
    assert tasks["t03"].updates[-1].text == "材料见链接。（佐证材料：javascript:alert(1)）"
    assert all(e.url.startswith("https://") for e in tasks["t03"].evidence)
    assert tasks["t09"].updates[-1].text == "yes"
    assert tasks["t11"].updates[-1].text == "第一行\n第二行：有冒号 #和井号"
    assert _comments(text) == _comments(before)


def test_collect_commits_once_per_department_on_a_new_branch(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = GitProject(tmp_path / "repo")
    repo.commit("台账", "2020-09-01T09:00:00+08:00", "Office", "tasks.yaml")
    forms = make_forms(capsys, repo.path)
    a = fill(form_of(forms, "机关党委"), {"t01": {"progress": "学习1次。", "percent": 80, "by": "张三"},
                                         "t03": {"progress": "已完成。", "status": "已完成", "by": "张三"}},
             tmp_path / "jg.xlsx")
    b = fill(form_of(forms, "办公室"), {"t38": {"progress": "材料起草中。", "by": "李四"}}, tmp_path / "bgs.xlsx")
    import os

    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "Office", "GIT_AUTHOR_EMAIL": "o@example.gov.cn",
           "GIT_COMMITTER_NAME": "Office", "GIT_COMMITTER_EMAIL": "o@example.gov.cn"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code, out, err = portal(capsys, repo.path, "collect", "--commit", str(b), str(a))
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert code == 0, err
    assert "已在新分支 round/2020-09 上提交 2 次" in out
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "round/2020-09"
    log = repo.git("log", "--format=%s", "main..HEAD").splitlines()
    assert log == ["办公室：2020年9月进展报送（1项）", "机关党委：2020年9月进展报送（2项）"]  # registry order
    body = repo.git("log", "-1", "--skip=1", "--format=%b")
    assert "报送表：jg.xlsx" in body and "填报人：张三" in body and "状态 暂缓 → 已完成；进度 20% → 100%" in body
    assert repo.git("status", "--porcelain", "--", "tasks.yaml").strip() == ""
    first = repo.git("show", "HEAD~1:tasks.yaml")
    assert "学习1次。" in first and "材料起草中。" not in first  # each commit holds its department's answers only
    # collecting again changes nothing and commits nothing; a ledger with uncommitted changes is refused
    assert portal(capsys, repo.path, "collect", "--commit", str(a))[0] == 0
    assert len(repo.git("log", "--format=%s", "main..HEAD").splitlines()) == 2
    c = fill(form_of(forms, "办公室"), {"t45": {"progress": "权力清单已公布。"}}, tmp_path / "c.xlsx")
    (repo.path / "tasks.yaml").write_text(_ledger(repo.path) + "\n", encoding="utf-8")
    code, _, err = portal(capsys, repo.path, "collect", "--commit", str(c))
    assert code == 1 and "台账文件有未提交的修改（tasks.yaml）" in err
    repo.git("checkout", "--", "tasks.yaml")
    code, out, err = portal(capsys, repo.path, "collect", "--commit", str(c))
    assert code == 0 and "round/2020-09-2" in out, err


def test_rows_without_answers_and_shared_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "p")
    text = _ledger(project).replace("        lead: [机关党委]\n        units: [直属各党支部]\n",
                                    "        lead: [机关党委]\n        units: [法规科]\n", 1)
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    forms = make_forms(capsys, project)
    filled = fill(form_of(forms, "法规科"), {"t03": {"progress": "配合做好场馆对接。"}}, project / "法规科.xlsx",
                  sheet=1)
    lead_id = load_workbook(filled)["牵头任务"].cell(FIRST_ROW, COL_ID).value
    fill(filled, {lead_id: {"by": "王五"}})  # a name in 填报人 alone reports nothing
    before = {t.id: t for t in load(read_config(project / "mkdocs.yml")).ledger.tasks()}[lead_id]
    code, _, err = portal(capsys, project, "collect", str(filled))
    assert code == 0, err
    after = {t.id: t for t in load(read_config(project / "mkdocs.yml")).ledger.tasks()}[lead_id]
    assert after.updates == before.updates
    t03 = next(t for t in load(read_config(project / "mkdocs.yml")).ledger.tasks() if t.id == "t03")
    assert (t03.updates[-1].by, t03.status.value) == ("法规科", "suspended")
