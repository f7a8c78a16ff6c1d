"""Forms out (`portal forms`): one protected workbook per department, as the office sends it (issue 14)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import copy_project
from portal.config import PortalConfig, read_config
from portal.ledger.load import load
from portal.round.forms import (
    COL_BY,
    COL_EVIDENCE,
    COL_ID,
    COL_PERCENT,
    COL_PROGRESS,
    COL_STATUS,
    COLUMNS,
    FIRST_ROW,
    HEADER_ROW,
    LAST_VISIBLE,
    META_SHEET,
    make_forms,
)
from portal.round.periods import period_of
from portal.survey import Rules, Survey, survey
from roundkit import form_of, portal

ANSWERS = (COL_PROGRESS, COL_STATUS, COL_PERCENT, COL_EVIDENCE, COL_BY)


@pytest.fixture(scope="module")
def sample_forms(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    project = copy_project(tmp_path_factory.mktemp("forms"))
    from portal.cli import main

    assert main(["forms", "-f", str(project / "mkdocs.yml"), "--out", str(project / "out")]) == 0
    return project, project / "out"


def _surveyed(project: Path) -> tuple[PortalConfig, Survey]:
    cfg = read_config(project / "mkdocs.yml")
    loaded = load(cfg)
    return cfg, survey(loaded.ledger, loaded.as_of, Rules.of(cfg))


def test_one_workbook_per_department_with_open_tasks(sample_forms: tuple[Path, Path]) -> None:
    project, out = sample_forms
    _, surveyed = _surveyed(project)
    expected = {r.dept.name for r in surveyed.departments if r.dept.ranked
                and any(t.status.value not in ("done", "cancelled") for t in r.lead_tasks)}
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert len(names) == len(expected) == 14
    assert {n.removeprefix("2020年9月进展报送表-").removesuffix(".xlsx") for n in names} == expected
    assert "2020年9月进展报送表-机关党委.xlsx" in names


def test_a_form_lists_the_departments_open_tasks_with_the_ledgers_words(sample_forms: tuple[Path, Path]) -> None:
    project, out = sample_forms
    _, surveyed = _surveyed(project)
    wb = load_workbook(form_of(out, "机关党委"))
    assert wb.sheetnames == ["牵头任务", "参与任务", META_SHEET]
    ws = wb["牵头任务"]
    row = surveyed.dept("机关党委")
    assert row is not None
    open_ids = [t.id for t in row.lead_tasks if t.status.value not in ("done", "cancelled")]
    ids = [ws.cell(r, COL_ID).value for r in range(FIRST_ROW, ws.max_row + 1)]
    assert ids == open_ids
    t01 = next(t for t in row.lead_tasks if t.id == "t01")
    cells = [ws.cell(FIRST_ROW, c).value for c in range(1, LAST_VISIBLE + 1)]
    assert cells[:3] == ["（1）", t01.title, t01.deadline.text]
    due = surveyed.states["t01"].due  # t01's one milestone is met since issue 12 read 每月 as a frequency: no date
    assert cells[3] == (dt.datetime.combine(due, dt.time()) if due else None)  # the deadline as a date
    assert cells[4:6] == ["进行中", 75]
    assert cells[6].startswith("2020-09-24 9月份组织中心组集中学习1次")
    assert cells[7:] == [None] * 5  # the month's columns are empty
    headers = [ws.cell(HEADER_ROW, c).value for c in range(1, COL_ID + 1)]
    assert headers == ["序号", "任务", "完成时限", "截止日期", "当前状态", "当前进度", "最新进展",
                       "本月进展", "状态", "进度(%)", "佐证材料", "填报人", "编号"]
    # The header block: what to fill in, for whom, for which month and by when.
    block = " ".join(str(ws.cell(r, c).value) for r in range(1, HEADER_ROW) for c in range(1, LAST_VISIBLE + 1)
                     if ws.cell(r, c).value is not None)
    for words in ("2020年9月工作进展报送表（牵头任务）", "填写说明", "填报单位：", "机关党委", "报送期：", "2020年9月",
                  "报送截止：", "填报日期："):
        assert words in block
    assert [ws[c].value for c in ("A3", "D3", "G3", "I3")] == ["填报单位：机关党委", "报送期：2020年9月",
                                                              "报送截止：2020年9月25日", "填报日期："]
    shared = wb["参与任务"]
    assert shared.cell(FIRST_ROW, 1).value == "本单位本期没有参与的任务。"


def test_locked_but_the_answers_without_a_password_and_the_id_column_hidden(sample_forms: tuple[Path, Path]) -> None:
    _, out = sample_forms
    ws = load_workbook(form_of(out, "机关党委"))["牵头任务"]
    assert ws.protection.sheet and not ws.protection.password
    for r in range(FIRST_ROW, ws.max_row + 1):
        for c in range(1, COL_ID + 1):
            assert ws.cell(r, c).protection.locked is (c not in ANSWERS), (r, c)
    assert not ws["K3"].protection.locked  # 填报日期
    assert ws["A3"].protection.locked and ws["A1"].protection.locked
    assert ws.column_dimensions["M"].hidden
    meta = load_workbook(form_of(out, "机关党委"))[META_SHEET]
    assert meta.sheet_state == "veryHidden"


def test_drop_down_of_the_status_words_and_whole_percents(sample_forms: tuple[Path, Path]) -> None:
    _, out = sample_forms
    ws = load_workbook(form_of(out, "机关党委"))["牵头任务"]
    last = ws.max_row
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = rules[f"I{FIRST_ROW}:I{last}"]
    assert status.type == "list"
    assert status.formula1 == '"未启动,进行中,已完成,长期坚持,暂缓,已取消"'
    percent = rules[f"J{FIRST_ROW}:J{last}"]
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == ("whole", "between", "0", "100")
    assert rules["K3"].type == "date"


def test_prints_on_a4_landscape_one_page_wide_with_the_headers_repeated(sample_forms: tuple[Path, Path]) -> None:
    _, out = sample_forms
    ws = load_workbook(form_of(out, "机关党委"))["牵头任务"]
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$4"
    # One page wide at a readable size: the visible columns fit A4 landscape at 90 % or more.
    width = sum(c.width for c in COLUMNS[:LAST_VISIBLE])
    assert width <= 150
    cell = ws.cell(FIRST_ROW, 2)
    assert cell.alignment.wrap_text and cell.font.sz >= 11


def test_every_text_is_escaped_against_formula_injection(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    text = (project / "tasks.yaml").read_text(encoding="utf-8")
    text = text.replace("title: 4月份制定《2020年局党组理论学习中心组学习计划》\n",
                        'title: "=HYPERLINK(\\"http://evil.example\\",\\"x\\")"\n', 1)
    text = text.replace("text: 9月份组织中心组集中学习1次，专题学习党史和新中国史，全年累计开展集中学习9次。",
                        "text: \"@SUM(1+1)\"", 1)
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    cfg, surveyed = _surveyed(project)
    form = next(f for f in make_forms(surveyed, period_of(surveyed.as_of, cfg.reporting)) if f.dept.name == "机关党委")
    with zipfile.ZipFile(__import__("io").BytesIO(form.data)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # no formula anywhere
    path = tmp_path / "form.xlsx"
    path.write_bytes(form.data)
    ws = load_workbook(path)["牵头任务"]
    assert ws.cell(FIRST_ROW, 2).value.startswith("'=HYPERLINK")
    assert ws.cell(FIRST_ROW, 2).data_type == "s"


def test_the_same_survey_gives_the_same_bytes(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    cfg, surveyed = _surveyed(project)
    period = period_of(surveyed.as_of, cfg.reporting)
    first = [(f.file_name, f.data) for f in make_forms(surveyed, period)]
    again = [(f.file_name, f.data) for f in make_forms(surveyed, period)]
    assert first == again


def test_a_department_that_only_shares_tasks_gets_both_sheets(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "p")
    text = (project / "tasks.yaml").read_text(encoding="utf-8")
    text = text.replace("        lead: [机关党委]\n        units: [直属各党支部]\n",
                        "        lead: [机关党委]\n        units: [法规科]\n", 1)
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    out = project / "out"
    code, stdout, err = portal(capsys, project, "forms", "--out", str(out))
    assert code == 0, err
    assert "2020年9月进展报送表-法规科.xlsx：牵头任务 1 项，参与任务 1 项" in stdout
    ws = load_workbook(form_of(out, "法规科"))["参与任务"]
    assert ws.cell(FIRST_ROW, COL_ID).value == "t03"
    assert "责任单位" in ws["A2"].value


def test_forms_of_another_month_and_existing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "p")
    out = project / "out"
    code, stdout, _ = portal(capsys, project, "forms", "--out", str(out), "--month", "2020-10")
    assert code == 0 and "2020年10月，报送截止 2020年10月25日" in stdout
    assert form_of(out, "机关党委").name == "2020年10月进展报送表-机关党委.xlsx"
    code, _, err = portal(capsys, project, "forms", "--out", str(out), "--month", "2020-10")
    assert code == 1 and "已存在" in err  # a returned form saved under the same name is never overwritten
    assert portal(capsys, project, "forms", "--out", str(out), "--month", "2020-10", "--force")[0] == 0
    code, _, err = portal(capsys, project, "forms", "--month", "2020-13")
    assert code == 2 and "2020-13" in err
