"""Forms out: one Excel workbook per department for the period's report (报送表), written with openpyxl.

A form has two sheets: the open tasks the department leads, and the open tasks where it is a 责任单位. Each row
shows the task as the ledger has it (number, title, deadline as worded and as a date, current status, percent,
latest update) and has five empty, unlocked, light-yellow cells for the period: 本月进展, 状态 (a drop-down of the
status words), 进度(%) (a whole number 0–100), 佐证材料 and 填报人. Everything else is locked by sheet protection
without a password (nothing is lost if someone has to unlock it). A hidden column keeps each task's id, and a
very hidden sheet records what :mod:`portal.round.collect` checks a returned form against: the marker of this
portal, the department, the period and the ids of each sheet in order. A header block names the department, the
period, the day the report is due and how to fill the form in; a 填报日期 cell may carry the date of the report.

Every text from the ledger goes through :func:`portal.outputs.xlsx.cell_text` (formulas neutralised, characters
Excel refuses removed). Sheets print on A4 landscape, one page wide, with the column headers repeated. The same
survey gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from portal.i18n import LABELS, STATUS_LABELS, format_date
from portal.ledger import model
from portal.outputs.tables import reproducible_zip
from portal.outputs.xlsx import FONTS, cell_text
from portal.round.periods import CLOSED, Period
from portal.survey import DeptRow, Survey

#: What the hidden sheet's first cell says, and the layout version: a form of another version is refused.
MARKER = "progress-portal-form"
VERSION = "1"
META_SHEET = "portal"
KINDS = ("lead", "shared")  # the two task sheets, in order

# Rows of a task sheet (1-based).
TITLE_ROW, NOTE_ROW, INFO_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 4, 5
#: The cell of the form's 填报日期 (row 3), unlocked.
DATE_CELL = "K3"
FONT_SIZE = 11  # 宋体 11 pt: readable when a sheet one page wide prints at about 90 %
INPUT_FILL = "FFF2CC"  # light yellow: the cells to fill in
HEADER_FILL = "D9E1F2"
BORDER_COLOUR = "808080"


@dataclass(frozen=True, slots=True)
class Col:
    key: str  # a LABELS key
    width: float  # in Excel's character units (a Chinese character is about 2)
    style: str
    answer: bool = False


#: The columns of a task sheet; widths add up to one A4 landscape page at about 90 %.
COLUMNS = (
    Col("number", 6, "pf-center"),
    Col("task", 24, "pf-text"),
    Col("deadline", 10, "pf-text"),
    Col("col_due", 10.5, "pf-date"),
    Col("round_col_status_now", 7, "pf-center"),
    Col("round_col_percent_now", 6, "pf-percent"),
    Col("last_update", 20, "pf-text"),
    Col("round_col_progress", 28, "pf-input", True),
    Col("round_col_status", 9, "pf-input-center", True),
    Col("round_col_percent", 6, "pf-input-number", True),
    Col("round_col_evidence", 12, "pf-input", True),
    Col("round_col_by", 8, "pf-input-center", True),
    Col("col_id", 8, "pf-text"),
)
COL_PROGRESS, COL_STATUS, COL_PERCENT, COL_EVIDENCE, COL_BY, COL_ID = 8, 9, 10, 11, 12, 13
LAST_VISIBLE = COL_BY


@dataclass(frozen=True, slots=True)
class Form:
    """One department's form: its file name and bytes, and how many tasks each sheet lists."""

    dept: model.Department
    file_name: str
    data: bytes
    lead: int
    shared: int


def open_tasks(tasks: tuple[model.Task, ...]) -> list[model.Task]:
    """The tasks a form lists: those still open (neither done nor cancelled), in plan order."""
    return [t for t in tasks if t.status not in CLOSED]


def form_departments(survey: Survey) -> list[DeptRow]:
    """The departments that get a form: not collectives, with at least one open task they lead or share."""
    return [r for r in survey.departments if r.dept.ranked and (open_tasks(r.lead_tasks) or open_tasks(r.shared_tasks))]


def file_name(dept: model.Department, period: Period, lang: str) -> str:
    """'2020年9月进展报送表-机关党委.xlsx': the slug keeps Chinese and drops what a file name cannot hold."""
    return LABELS[lang]["round_file"].format(period=period.label(lang), dept=dept.slug) + ".xlsx"


def make_forms(survey: Survey, period: Period, lang: str = "zh") -> Iterator[Form]:
    """One form per department that has open tasks, in the survey's department order."""
    for row in sorted(form_departments(survey), key=_registry_order(survey)):
        lead, shared = open_tasks(row.lead_tasks), open_tasks(row.shared_tasks)
        data = form_bytes(survey, row.dept, lead, shared, period, lang)
        yield Form(row.dept, file_name(row.dept, period, lang), data, len(lead), len(shared))


def _registry_order(survey: Survey) -> Callable[[DeptRow], tuple[int, str]]:
    order = {d.name: i for i, d in enumerate(survey.ledger.registry.departments)}
    return lambda r: (order.get(r.dept.name, len(order)), r.dept.name)


# ---------------------------------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------------------------------


def form_bytes(survey: Survey, dept: model.Department, lead: list[model.Task], shared: list[model.Task],
               period: Period, lang: str = "zh") -> bytes:
    """The .xlsx form of ``dept`` for ``period``: the lead sheet, the shared sheet and the hidden record."""
    L = LABELS[lang]
    wb = Workbook()
    _add_styles(wb, lang)
    sheets = []
    for i, (kind, tasks) in enumerate(zip(KINDS, (lead, shared), strict=True)):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = L[f"round_sheet_{kind}"]
        _task_sheet(ws, survey, dept, kind, tasks, period, lang)
        sheets.append((kind, ws.title, tasks))
    _meta_sheet(wb.create_sheet(META_SHEET), dept, period, survey, sheets)
    wb.active = 0
    stamp = dt.datetime.combine(survey.as_of, dt.time())
    wb.properties.creator = wb.properties.lastModifiedBy = "Progress Portal"
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title = cell_text(L["round_title"].format(period=period.label(lang), dept=dept.name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not Workbook.save, which stamps the current time
    return reproducible_zip(buffer.getvalue())


def _add_styles(wb: Workbook, lang: str) -> None:
    name = FONTS.get(lang, FONTS["zh"])
    side = Side(style="thin", color=BORDER_COLOUR)
    border = Border(left=side, right=side, top=side, bottom=side)
    plain = Font(name=name, size=FONT_SIZE)
    bold = Font(name=name, size=FONT_SIZE, bold=True)
    top = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    unlocked = Protection(locked=False)

    def fill(rgb: str) -> PatternFill:
        return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)

    def add(style_name: str, font: Font = plain, alignment: Alignment = top, fill_rgb: str | None = None,
            number_format: str = "General", with_border: bool = True, protection: Protection | None = None) -> None:
        style = NamedStyle(style_name, font=font, alignment=alignment, number_format=number_format,
                           border=border if with_border else Border())
        if fill_rgb:
            style.fill = fill(fill_rgb)
        if protection is not None:
            style.protection = protection
        wb.add_named_style(style)

    add("pf-title", Font(name=name, size=16, bold=True), Alignment(horizontal="center", vertical="center"),
        with_border=False)
    add("pf-note", Font(name=name, size=FONT_SIZE), Alignment(wrap_text=True, vertical="top"), with_border=False)
    add("pf-label", bold, Alignment(horizontal="right", vertical="center"), with_border=False)
    add("pf-value", bold, Alignment(horizontal="left", vertical="center", wrap_text=True), with_border=False)
    add("pf-date-input", plain, Alignment(horizontal="center", vertical="center"), INPUT_FILL,
        number_format="yyyy-mm-dd", protection=unlocked)
    add("pf-header", bold, Alignment(horizontal="center", vertical="center", wrap_text=True), HEADER_FILL)
    add("pf-header-input", bold, Alignment(horizontal="center", vertical="center", wrap_text=True), INPUT_FILL)
    add("pf-text")
    add("pf-center", alignment=centre)
    add("pf-date", alignment=centre, number_format="yyyy-mm-dd")
    add("pf-percent", alignment=centre, number_format='0"%"')
    add("pf-input", fill_rgb=INPUT_FILL, protection=unlocked)
    add("pf-input-center", alignment=centre, fill_rgb=INPUT_FILL, protection=unlocked)
    add("pf-input-number", alignment=centre, fill_rgb=INPUT_FILL, protection=unlocked, number_format="0")


def _put(ws: Worksheet, row: int, column: int, value: object, style: str) -> None:
    cell = ws.cell(row=row, column=column)
    cell.style = style  # before the value: a date keeps the style's format
    cell.value = value


def _task_sheet(ws: Worksheet, survey: Survey, dept: model.Department, kind: str, tasks: list[model.Task],
                period: Period, lang: str) -> None:
    L = LABELS[lang]
    statuses = STATUS_LABELS[lang]
    last_col = get_column_letter(LAST_VISIBLE)
    # The header block: title, how to fill it in, department / period / due date / 填报日期, column headers.
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    _put(ws, TITLE_ROW, 1, cell_text(L[f"round_title_{kind}"].format(period=period.label(lang), dept=dept.name)),
         "pf-title")
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.merge_cells(f"A{NOTE_ROW}:{last_col}{NOTE_ROW}")
    note = L["round_how"].format(due=format_date(period.due, lang), statuses=L["list_sep"].join(statuses.values()))
    if kind == "shared":
        note = L["round_how_shared"] + note
    _put(ws, NOTE_ROW, 1, cell_text(note), "pf-note")
    ws.row_dimensions[NOTE_ROW].height = 64
    # Department, period and due date, each one text in merged cells wide enough for it; then the 填报日期 input.
    info = [("A", "C", cell_text(L["round_dept"] + dept.name), "pf-value"),
            ("D", "F", L["round_period"] + period.label(lang), "pf-value"),
            ("G", "H", L["round_due"] + format_date(period.due, lang), "pf-value"),
            ("I", "J", L["round_date"], "pf-label"),
            ("K", "L", None, "pf-date-input")]
    for first, last, value, style in info:
        ws.merge_cells(f"{first}{INFO_ROW}:{last}{INFO_ROW}")
        _put(ws, INFO_ROW, column_index_from_string(first), value, style)
        if style == "pf-date-input":  # the merged cells around the input share its fill and border
            for c in range(column_index_from_string(first) + 1, column_index_from_string(last) + 1):
                ws.cell(row=INFO_ROW, column=c).style = style
    ws.row_dimensions[INFO_ROW].height = 30
    for i, col in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
        _put(ws, HEADER_ROW, i, L[col.key], "pf-header-input" if col.answer else "pf-header")
    ws.column_dimensions[get_column_letter(COL_ID)].hidden = True
    # One row per task.
    row = FIRST_ROW - 1
    for task in tasks:
        row += 1
        state = survey.states[task.id]
        last = task.latest_update
        values: list[object] = [
            cell_text(task.number),
            cell_text(task.title),
            cell_text(task.deadline.text if task.deadline else ""),
            state.due,
            statuses[task.status.value],
            task.percent,
            cell_text(f"{last.date.isoformat()} {last.text}") if last else None,
            None, None, None, None, None,
            task.id,
        ]
        for column, (value, col) in enumerate(zip(values, COLUMNS, strict=True), 1):
            _put(ws, row, column, value, col.style)
    if not tasks:
        row += 1
        ws.merge_cells(f"A{row}:{last_col}{row}")
        _put(ws, row, 1, L[f"round_none_{kind}"], "pf-center")
    else:
        first, last_row = FIRST_ROW, row
        words = ",".join(statuses.values())
        status = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True, showErrorMessage=True,
                                errorTitle=L["round_col_status"], error=L["round_dv_status"],
                                promptTitle=L["round_col_status"], prompt=L["round_dv_status"], showInputMessage=True)
        status.add(f"{get_column_letter(COL_STATUS)}{first}:{get_column_letter(COL_STATUS)}{last_row}")
        percent = DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True,
                                 showErrorMessage=True, errorTitle=L["round_col_percent"], error=L["round_dv_percent"])
        percent.add(f"{get_column_letter(COL_PERCENT)}{first}:{get_column_letter(COL_PERCENT)}{last_row}")
        for dv in (status, percent):
            ws.add_data_validation(dv)
    day = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True, showErrorMessage=True,
                         errorTitle=L["round_date"], error=L["round_dv_date"])
    day.add(DATE_CELL)
    ws.add_data_validation(day)
    # Locked but for the answers; no password, so that the office can always unlock it.
    ws.protection.sheet = True
    ws.protection.formatRows = False  # rows may be made taller to read a long answer
    ws.protection.formatColumns = True
    ws.freeze_panes = f"C{FIRST_ROW}"
    # Print: A4 landscape, one page wide, the department line and the column headers on every page.
    ws.print_title_rows = f"{INFO_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{last_col}{max(row, HEADER_ROW)}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = L["page_footer"]


def _meta_sheet(ws: Worksheet, dept: model.Department, period: Period, survey: Survey,
                sheets: list[tuple[str, str, list[model.Task]]]) -> None:
    """The record a returned form is checked against; very hidden (only a macro or the file's XML shows it)."""
    rows: list[tuple[object, ...]] = [
        (MARKER, VERSION),
        ("department", dept.name),
        ("period", period.key),
        ("cadence", period.cadence),
        ("due", period.due.isoformat()),
        ("as_of", survey.as_of.isoformat()),
        ("plans", " ".join(p.id for p in survey.ledger.plans)),
    ]
    rows += [(f"sheet:{kind}", title, len(tasks)) for kind, title, tasks in sheets]
    for r, values in enumerate(rows, 1):
        for c, value in enumerate(values, 1):
            ws.cell(row=r, column=c, value=cell_text(value) if isinstance(value, str) else value)
    # The ids of each sheet in order, one per row below the record: column A the lead sheet, B the shared one.
    start = len(rows) + 2
    ws.cell(row=start - 1, column=1, value="ids")
    for c, (_, _, tasks) in enumerate(sheets, 1):
        for r, task in enumerate(tasks, start):
            ws.cell(row=r, column=c, value=task.id)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
