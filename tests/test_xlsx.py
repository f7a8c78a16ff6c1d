"""The Excel 台账: the sample ledger as a workbook, formulas neutralised, reproducible bytes."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from portal.config import read_config
from portal.deadlines.due import DueState
from portal.i18n import STATUS_LABELS
from portal.ledger import model
from portal.ledger.load import load, load_text
from portal.outputs.xlsx import SUMMARY_TITLES, cell_text, sheet_titles, to_xlsx
from portal.survey import DeptRow, Rules, Survey, survey

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2020, 9, 30)
OVERDUE = {"t03", "t18", "t32", "t33", "t44", "t45"}
HEADERS_ZH = ["板块", "序号", "任务", "具体内容", "责任领导", "牵头单位", "责任单位", "完成时限", "截止日期", "状态",
              "进度", "逾期临期", "最新进展", "销号日期"]
HEADERS_EN = ["Section", "No.", "Task", "Details", "Leader", "Lead", "Units", "Deadline", "Due", "Status",
              "Progress", "Due state", "Last update", "Closed"]
COL = {h: i for i, h in enumerate(HEADERS_ZH)}  # 0-based positions in a row tuple
RED, AMBER = "FFC7CE", "FFEB9C"


@dataclass
class Sample:
    ledger: model.Ledger
    states: dict[str, DueState]
    depts: list[DeptRow]
    as_of: dt.date
    data: bytes
    survey: Survey

    def workbook(self) -> Workbook:
        return load_workbook(io.BytesIO(self.data))


@pytest.fixture(scope="module")
def sample() -> Sample:
    cfg = read_config(REPO / "mkdocs.yml")
    loaded = load(cfg)
    assert loaded.as_of == AS_OF
    surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    return Sample(loaded.ledger, dict(surveyed.states), list(surveyed.departments), loaded.as_of, to_xlsx(surveyed),
                  surveyed)


@pytest.fixture(scope="module")
def book(sample: Sample) -> Workbook:
    return sample.workbook()


@pytest.fixture(scope="module")
def plan_sheet(book: Workbook, sample: Sample) -> Worksheet:
    return book[sample.ledger.plans[0].title]


def task_rows(ws: Worksheet) -> list[tuple[Cell, ...]]:
    return list(ws.iter_rows(min_row=3, max_row=ws.max_row))


def rgb(colour: object) -> str:
    """'C6EFCE' from openpyxl's 'FFC6EFCE' (alpha first)."""
    value = getattr(colour, "rgb", None)
    return value[-6:].upper() if isinstance(value, str) else ""


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two RGB hex colours."""

    def luminance(hex_: str) -> float:
        channels = [int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- the plan sheet ---------------------------------------------------------------------------------------------


def test_opens_with_plan_sheets_first_and_summary_last(book: Workbook, sample: Sample) -> None:
    assert book.sheetnames == [sample.ledger.plans[0].title, "按单位汇总"]
    assert book.active is not None and book.active.title == sample.ledger.plans[0].title


def test_every_task_once_in_plan_order(plan_sheet: Worksheet, sample: Sample) -> None:
    tasks = sample.ledger.tasks()
    assert len(tasks) == 52
    rows = task_rows(plan_sheet)
    assert len(rows) == 52
    assert [r[COL["任务"]].value for r in rows] == [t.title for t in tasks]
    assert [r[COL["序号"]].value for r in rows] == [t.number for t in tasks]
    titles = [r[COL["任务"]].value for r in rows]
    assert len(set(titles)) == 52  # each task id's title appears exactly once
    assert rows[0][COL["板块"]].value == "一、全面加强思想建设"


def test_title_line_header_freeze_filter(plan_sheet: Worksheet, sample: Sample) -> None:
    assert plan_sheet["A1"].value == f"{sample.ledger.plans[0].title}（统计截至 2020年9月30日）"
    assert "A1:N1" in {str(r) for r in plan_sheet.merged_cells.ranges}
    assert [c.value for c in plan_sheet[2]] == HEADERS_ZH
    assert all(c.font.bold for c in plan_sheet[2])
    assert plan_sheet.freeze_panes == "C3"
    assert plan_sheet.auto_filter.ref == "A2:N54"


def test_column_widths_and_wrapping(plan_sheet: Worksheet) -> None:
    widths = {h: plan_sheet.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(HEADERS_ZH)}
    assert all(w and w > 0 for w in widths.values())
    for wide in ("任务", "具体内容", "最新进展"):
        for narrow in ("序号", "截止日期", "状态", "进度", "销号日期"):
            assert widths[wide] > 2 * widths[narrow]
    row = task_rows(plan_sheet)[0]
    for name in ("任务", "具体内容", "最新进展"):
        assert row[COL[name]].alignment.wrap_text
        assert row[COL[name]].alignment.vertical == "top"


def test_print_setup(plan_sheet: Worksheet) -> None:
    setup = plan_sheet.page_setup
    assert setup.orientation == "landscape"
    assert str(setup.paperSize) == plan_sheet.PAPERSIZE_A4 == "9"
    # issue 15: a scale that keeps the text at 10 pt, no "fit to one page wide" (LibreOffice printed it all on one
    # page at 5 pt); the columns are made to fill the page's width at that scale
    assert not plan_sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(setup.scale) >= 90
    assert all(c.font.size * int(setup.scale) / 100 >= 9.9 for c in task_rows(plan_sheet)[0])
    assert plan_sheet.print_title_rows == "$1:$2"
    assert "&P" in plan_sheet.oddFooter.center.text and "&N" in plan_sheet.oddFooter.center.text


SOFFICE = shutil.which("soffice")


def _calc_renders() -> str:
    """Why LibreOffice cannot print the workbook here as an office would ('' when it can)."""
    if SOFFICE is None:
        return "LibreOffice is not installed (apt-get install libreoffice-calc-nogui fonts-crosextra-carlito)"
    if not Path("/usr/lib/libreoffice/program/libsclo.so").exists():
        return "LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)"
    match = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True).stdout
    if "Carlito" not in match:  # column widths are in Calibri's digits: another font's would not fit the page
        return "no font with Calibri's metrics (apt-get install fonts-crosextra-carlito)"
    return ""


def _body_size(page: object) -> float:
    """The median size, in points on paper, of the text on a PDF page."""
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.append(size * tm[0] * cm[0])

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return sorted(sizes)[len(sizes) // 2]


@pytest.mark.skipif(bool(_calc_renders()), reason=_calc_renders() or "-")
def test_libreoffice_prints_the_ledger_readably_over_several_pages(sample: Sample, tmp_path: Path) -> None:
    import pypdf

    (tmp_path / "tasks.xlsx").write_bytes(sample.data)
    done = subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "tasks.xlsx")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pages = pypdf.PdfReader(str(tmp_path / "tasks.pdf")).pages
    plan_pages = [p for p in pages if "板块" in p.extract_text()]
    assert len(plan_pages) >= 2  # 52 tasks run over pages (they were shrunk onto one)
    for page in plan_pages:
        text = page.extract_text()
        assert "板块" in text and "销号日期" in text  # every column on every page, the header repeated
        body = _body_size(page)
        assert body >= 9.5, body  # about 10 pt on paper (5 pt before)


def test_dates_and_progress_are_numbers(plan_sheet: Worksheet, sample: Sample) -> None:
    for task, row in zip(sample.ledger.tasks(), task_rows(plan_sheet), strict=True):
        due, closed, percent = row[COL["截止日期"]], row[COL["销号日期"]], row[COL["进度"]]
        expected_due = sample.states[task.id].due
        assert (due.value.date() if due.value else None) == expected_due
        assert due.number_format == "yyyy-mm-dd" and closed.number_format == "yyyy-mm-dd"
        assert (closed.value.date() if closed.value else None) == task.closed
        assert percent.number_format == "0%"
        assert percent.value == (None if task.percent is None else pytest.approx(task.percent / 100))
        deadline = row[COL["完成时限"]].value
        assert deadline == (task.deadline.text if task.deadline else None)
        last = task.latest_update
        update = row[COL["最新进展"]].value
        assert update == (f"{last.date.isoformat()} {last.text}" if last else None)


def test_status_in_words_and_a_fill_per_status(plan_sheet: Worksheet, sample: Sample) -> None:
    fills: dict[str, set[str]] = {}
    for task, row in zip(sample.ledger.tasks(), task_rows(plan_sheet), strict=True):
        cell = row[COL["状态"]]
        assert cell.value == STATUS_LABELS["zh"][task.status.value]
        fills.setdefault(task.status.value, set()).add(rgb(cell.fill.fgColor))
        assert contrast(rgb(cell.font.color), rgb(cell.fill.fgColor)) >= 4.5
        assert not cell.font.strike
    assert set(fills) == {s.value for s in model.Status}  # the sample has every status
    assert all(len(f) == 1 for f in fills.values())
    assert len({next(iter(f)) for f in fills.values()}) == len(model.Status)
    assert fills["done"] == {"C6EFCE"}


def test_exactly_the_overdue_tasks_are_highlighted(plan_sheet: Worksheet, sample: Sample) -> None:
    red: set[str] = set()
    amber: set[str] = set()
    for task, row in zip(sample.ledger.tasks(), task_rows(plan_sheet), strict=True):
        state_cell, task_cell = row[COL["逾期临期"]], row[COL["任务"]]
        colours = {rgb(state_cell.fill.fgColor), rgb(task_cell.fill.fgColor)}
        if colours == {RED}:
            assert state_cell.font.bold and task_cell.font.bold
            assert contrast(rgb(task_cell.font.color), RED) >= 4.5
            assert state_cell.value == f"逾期 {-sample.states[task.id].days} 天"  # the words, not only colour
            red.add(task.id)
        elif colours == {AMBER}:
            assert state_cell.value == "临期"
            amber.add(task.id)
        else:
            assert RED not in colours and AMBER not in colours
            assert state_cell.value is None
    assert red == OVERDUE
    assert red == {i for i, s in sample.states.items() if s.state == "overdue"}
    # t01 and t02 were due soon before issue 15: monthly duties met on 24 and 29 September showed as due that day
    assert amber == {i for i, s in sample.states.items() if s.state == "due_soon"} == {"t12"}


# --- the summary sheet ------------------------------------------------------------------------------------------


def test_summary_ranking_order_flags_and_totals(book: Workbook, sample: Sample) -> None:
    ws = book["按单位汇总"]
    assert ws["A1"].value == "按单位汇总（统计截至 2020年9月30日）"
    assert [c.value for c in ws[2]] == ["名次", "旗帜", "单位", "牵头任务", "已完成", "逾期", "完成率", "参与任务",
                                        "到期任务", "按期完成", "延期", "未报送", "到期任务完成率", "得分"]
    assert ws.freeze_panes == "A3"
    rows = list(ws.iter_rows(min_row=3, values_only=False))
    *dept_rows, total = rows
    assert ws.auto_filter.ref == f"A2:N{2 + len(dept_rows)}"  # the totals row stays out of sorting
    ranked = [d for d in sample.depts if d.rank is not None]
    assert [r[2].value for r in dept_rows[: len(ranked)]] == [d.dept.name for d in ranked]
    assert [r[0].value for r in dept_rows[: len(ranked)]] == [d.rank for d in ranked]
    assert [r[2].value for r in dept_rows] == [d.dept.name for d in sample.depts]
    flag_fills: dict[str, set[str]] = {}
    for d, r in zip(ranked, dept_rows, strict=False):
        assert r[1].value == {"red": "红旗", "yellow": "黄旗", "black": "黑旗"}[d.flag or ""]
        flag_fills.setdefault(r[1].value, set()).add(rgb(r[1].fill.fgColor))
        assert contrast(rgb(r[1].font.color), rgb(r[1].fill.fgColor)) >= 4.5
        assert r[6].number_format == "0%"
        assert r[6].value == pytest.approx(d.counts.percent / 100)
        assert (r[3].value, r[4].value, r[5].value) == (d.counts.total, d.counts.done, d.counts.overdue)
        # the ranking's own figures: the tasks due so far, and the score the page shows
        assert (r[8].value, r[9].value, r[13].value) == (d.basis.counted, d.basis.on_time, d.score)
        assert r[12].value == pytest.approx(d.basis.percent / 100)
    # issue 15: the sample at 2020-09-30 ranks 12 departments; six tie for places 7-12 and are all black
    assert flag_fills["红旗"] == {RED} and flag_fills["黑旗"] == {"262626"} and "黄旗" not in flag_fills
    unranked = dept_rows[len(ranked):]
    assert [r[2].value for r in unranked] == ["机关各科室", "直属各单位", "直属各党支部", "行政许可科",
                                              "信用监督管理科", "市局修复净化党内政治生态工作领导小组办公室"]
    assert all(r[0].value == "未排名" and r[1].value is None for r in unranked[:3])
    assert all(r[0].value == "无到期任务" and r[1].value is None for r in unranked[3:])
    assert unranked[1][7].value == 35  # a collective shares tasks it does not lead
    assert total[2].value.startswith("合计")
    assert (total[3].value, total[4].value, total[5].value) == (52, 28, 6)
    assert total[6].value == pytest.approx(0.55)  # 28 / 51 = 54.9%, rounded half up as the portal shows it (was 54)


# --- safety ------------------------------------------------------------------------------------------------------

INJECTION = """
plan:
  id: inj
  title: '@SUM(A1)'
  year: 2020
sections:
  - id: s1
    number: 一、
    title: '-2'
    lead: ['=cmd|x']
    tasks:
      - id: a1
        title: '=HYPERLINK("http://x")'
        details: '+1'
        leader: '@SUM(A1)'
        status: 进行中
        updates:
          - date: 2020-09-01
            text: '-2'
      - id: a2
        title: "\\t=1"
        details: "\\r=2"
        status: 未启动
        updates:
          - date: 2020-09-02
            text: '=HYPERLINK("http://x")'
"""


def test_formulas_are_neutralised() -> None:
    plan = load_text(INJECTION, as_of=AS_OF)
    plan.walk_tasks()[1].leader = "\x01=1\x07"  # a control character hiding a formula start
    led = model.Ledger([plan])
    data = to_xlsx(survey(led, AS_OF))
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    ws = book.worksheets[0]
    assert ws.title == "@SUM(A1)"
    first, second = task_rows(ws)
    assert ws["A1"].value.startswith("'@SUM(A1)")
    assert first[COL["板块"]].value == "一、-2"
    assert first[COL["任务"]].value == "'=HYPERLINK(\"http://x\")"
    assert first[COL["具体内容"]].value == "'+1"
    assert first[COL["责任领导"]].value == "'@SUM(A1)"
    assert first[COL["牵头单位"]].value == "'=cmd|x"
    assert first[COL["最新进展"]].value == "2020-09-01 -2"  # starts with the date: not a formula
    assert second[COL["任务"]].value == "'\t=1"
    assert second[COL["具体内容"]].value == "'\r=2"
    assert second[COL["责任领导"]].value == "'=1"
    assert second[COL["最新进展"]].value == '2020-09-02 =HYPERLINK("http://x")'
    summary = book[SUMMARY_TITLES["zh"]]
    assert summary["C3"].value == "'=cmd|x"


def test_cell_text() -> None:
    assert cell_text(None) is None and cell_text("") is None and cell_text("\x00") is None
    assert cell_text("-2") == "'-2"
    assert cell_text("a\x0bb\tc\nd") == "ab\tc\nd"
    long = cell_text("字" * 40000)
    assert long is not None and len(long) == 32767 and long.endswith("…")


def test_sheet_titles() -> None:
    titles = sheet_titles(["a/b\\c?d*e[f]g:h", "x" * 40, "x" * 40, "Plan", "PLAN", "history", "'quoted'", "[]",
                           "按单位汇总"], taken=["按单位汇总"], fallback="方案")
    assert titles[0] == "abcdefgh"
    assert titles[1] == "x" * 31 and titles[2] == "x" * 27 + " (2)"
    assert titles[3] == "Plan" and titles[4] == "PLAN (2)"
    assert titles[5] == "history (2)"
    assert titles[6] == "quoted"
    assert titles[7] == "方案"
    assert titles[8] == "按单位汇总 (2)"
    assert all(len(t) <= 31 for t in titles)
    assert len({t.casefold() for t in titles}) == len(titles)


# --- reproducible, English, edge cases ----------------------------------------------------------------------------


def test_same_inputs_same_bytes(sample: Sample, book: Workbook) -> None:
    again = to_xlsx(sample.survey)
    assert again == sample.data
    midnight = dt.datetime(2020, 9, 30)
    assert book.properties.created == midnight and book.properties.modified == midnight
    assert book.properties.creator == "Progress Portal"


def test_english(sample: Sample) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(sample.survey, lang="en")))
    assert book.sheetnames[-1] == "By department"
    ws = book.worksheets[0]
    assert [c.value for c in ws[2]] == HEADERS_EN
    assert ws["A1"].value.endswith(" (as of 2020-09-30)")
    words = {row[COL["状态"]].value for row in task_rows(ws)}
    assert words == set(STATUS_LABELS["en"].values())
    overdue = {row[COL["逾期临期"]].value for row in task_rows(ws)} - {None}
    assert "due soon" in overdue and "61 days overdue" in overdue
    summary = book["By department"]
    assert [c.value for c in summary[2]][:3] == ["Rank", "Flag", "Department"]


def test_empty_plan_and_empty_ledger() -> None:
    plan = model.Plan("p", "空方案", 2020, sections=[model.Section("s1", "板块")])
    book = load_workbook(io.BytesIO(to_xlsx(survey(model.Ledger([plan]), AS_OF))))
    assert book.sheetnames == ["空方案", "按单位汇总"]
    assert book.worksheets[0].auto_filter.ref == "A2:N2"
    total = list(book["按单位汇总"].iter_rows(min_row=3, values_only=True))
    assert total == [(None, None, "合计（全部任务，不重复计）", 0, 0, 0, *[None] * 8)]
    book = load_workbook(io.BytesIO(to_xlsx(survey(model.Ledger([]), AS_OF))))
    assert book.sheetnames == ["按单位汇总"]


def test_task_rows_written_as_openpyxl_writes_them(sample: Sample) -> None:
    """The task rows go into the sheets as XML written directly: byte for byte what openpyxl's cells give, for
    the sample and for text XML must escape (&, <, >, a carriage return, spaces at the ends, a character beyond
    the BMP), in two plans (two sheets spliced)."""
    assert to_xlsx(sample.survey, through_openpyxl=True) == sample.data
    assert to_xlsx(sample.survey, "en", through_openpyxl=True) == to_xlsx(sample.survey, "en")
    plan = load_text(INJECTION, as_of=AS_OF)
    odd = plan.walk_tasks()[0]
    odd.title, odd.details, odd.leader = "a & b <c> \"d\" 'e'", " 前后有空格 ", "\U0001F600 表情"
    odd.units = ["x\r\ny", "\t"]
    other = load_text(INJECTION.replace("id: inj", "id: inj2").replace("id: a", "id: b")
                      .replace("@SUM(A1)", "第二个方案"), as_of=AS_OF)
    surveyed = survey(model.Ledger([plan, other]), AS_OF)
    fast = to_xlsx(surveyed)
    assert fast == to_xlsx(surveyed, through_openpyxl=True)
    row = task_rows(load_workbook(io.BytesIO(fast)).worksheets[0])[0]
    assert row[COL["任务"]].value == "a & b <c> \"d\" 'e'"
    assert row[COL["具体内容"]].value == " 前后有空格 "
    assert row[COL["责任领导"]].value == "\U0001F600 表情"
    assert row[COL["责任单位"]].value == "x\r\ny、\t"


def test_cached_workbook_is_the_workbook_of_a_build_from_scratch(tmp_path: Path) -> None:
    """tasks.xlsx is kept in .cache/portal/exports.sqlite under the digest of its contents: a warm build writes
    what a build from scratch writes, reuses the kept bytes only for the same contents, and a ledger edit gives
    the edited workbook."""
    import base64
    import json
    import sqlite3

    from conftest import copy_project, run_build

    project = copy_project(tmp_path / "p")
    cold = run_build(project, tmp_path / "cold")
    warm = run_build(project, tmp_path / "warm")
    assert cold.returncode == warm.returncode == 0, cold.stderr + warm.stderr
    db_path = project / ".cache" / "portal" / "exports.sqlite"
    assert (warm.site / "tasks.xlsx").read_bytes() == (cold.site / "tasks.xlsx").read_bytes()
    # The kept bytes are what a warm build serves: changed behind the digest's back, they come out as they are.
    with sqlite3.connect(db_path) as db:
        (value,) = db.execute("SELECT value FROM kv WHERE key = 'xlsx:zh'").fetchone()
        kept = json.loads(value)
        db.execute("UPDATE kv SET value = ? WHERE key = 'xlsx:zh'",
                   (json.dumps({**kept, "data": base64.b64encode(b"kept").decode()}),))
    assert (run_build(project, tmp_path / "reused").site / "tasks.xlsx").read_bytes() == b"kept"
    # An edit changes the contents, so their digest: the workbook is written again, as from scratch.
    ledger = project / "tasks.yaml"
    old_title = load(read_config(project / "mkdocs.yml")).ledger.tasks()[0].title
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(old_title, "改过的任务名称", 1), encoding="utf-8")
    edited = run_build(project, tmp_path / "edited")
    assert edited.returncode == 0, edited.stderr
    data = (edited.site / "tasks.xlsx").read_bytes()
    assert data not in (b"kept", (cold.site / "tasks.xlsx").read_bytes())
    assert task_rows(load_workbook(io.BytesIO(data)).worksheets[0])[0][COL["任务"]].value == "改过的任务名称"
    shutil.rmtree(project / ".cache")
    scratch = run_build(project, tmp_path / "scratch")
    assert (scratch.site / "tasks.xlsx").read_bytes() == data
