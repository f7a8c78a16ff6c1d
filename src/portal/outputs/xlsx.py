"""The ledger as an Excel workbook: the 台账 an office prints and marks up.

One sheet per plan (a title line, the header, one row per task in plan order) and a summary sheet
"按单位汇总" with the 红黑榜 ranking, placed last so that the file opens on the ledger itself.
Status, overdue and due soon are shown in words first and colour second. Printed, each sheet fills the width of an
A4 page at a fixed scale (text at 10 pt, wrapped), title and header repeated on every page. Every text from the ledger
is neutralised as in the CSV (:func:`portal.outputs.tables.safe_cell`), so no cell is ever a formula.
The same inputs give the same bytes: fixed document dates and zip entry times.

openpyxl lays out each workbook (styles, sheets, title and header, print setup) but not the task rows of a plan
sheet: those are written as XML directly (:func:`_rows_xml`) and spliced into the sheet as it is zipped, in the
very form openpyxl writes them (a test compares the two); a Cell object per value took most of the time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from portal import __version__
from portal.deadlines.due import DueState
from portal.history.cache import Cache
from portal.i18n import LABELS, LANGS, STATUS_LABELS, format_date
from portal.ledger import model
from portal.outputs.tables import safe_cell
from portal.survey import Counts, Survey

__all__ = ["SUMMARY_TITLES", "to_xlsx"]

#: Title of the summary sheet by language.
SUMMARY_TITLES = {lang: LABELS[lang]["summary_sheet"] for lang in LANGS}

MAX_CELL = 32767  # Excel's limit on the characters of one cell
MAX_SHEET_TITLE = 31  # Excel's limit on a sheet title, in UTF-16 code units
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
RESERVED_SHEET_TITLES = {"history"}  # Excel keeps 'History' for its change tracking

# (fill, text) colours in RGB hex. Text colours are dark enough on their fill for WCAG AA (4.5:1):
# the test checks the ratios, so a new shade cannot quietly lose contrast on a grey office printer.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "done": ("C6EFCE", "006100"),  # green
    "in_progress": ("DDEBF7", "1F4E79"),  # blue
    "not_started": ("E7E6E6", "3A3838"),  # grey
    "ongoing": ("E4DFEC", "5B2C6F"),  # purple
    "suspended": ("FFF2CC", "7F6000"),  # amber
    "cancelled": ("F2F2F2", "595959"),  # light grey, grey text, no strikethrough: the words stay readable
}
OVERDUE_COLOURS = ("FFC7CE", "9C0006")  # light red, dark red bold
DUE_SOON_COLOURS = ("FFEB9C", "9C5700")  # amber, dark amber bold
FLAG_COLOURS: dict[str, tuple[str, str]] = {
    "red": OVERDUE_COLOURS,
    "yellow": DUE_SOON_COLOURS,
    "black": ("262626", "FFFFFF"),
}
HEADER_FILL = "D9E1F2"
TOTAL_FILL = "F2F2F2"
BORDER_COLOUR = "808080"

FONTS = {"zh": "宋体", "en": "Calibri"}  # 宋体 is what an office PC prints a 台账 in
FONT_SIZE = 11  # printed at 90% or more: 10 pt on paper
#: A4 in points, and the side margins in inches: what a sheet's columns must fit in when printed.
A4_POINTS = (595.3, 841.9)
SIDE_MARGIN = 0.4


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a sheet: its header, width in Excel character units (a Chinese character is about 2)
    and the named style of its cells."""

    header: str
    width: float
    style: str


def _plan_columns(lang: str) -> list[Column]:
    """The columns of a plan sheet, in order; headers are the CSV export's words, so both name columns alike."""
    L = LABELS[lang]
    # The widths add up to an A4 landscape page at 90% (see print_scale): printed, the text stays at 10 pt and
    # wraps, and the rows run over as many pages as they need (issue 15: 224 units were shrunk, with every row,
    # onto one page at 5 pt).
    return [
        Column(L["section"], 6.5, "pp-text"),
        Column(L["number"], 6.5, "pp-center"),
        Column(L["task"], 21.5, "pp-text"),
        Column(L["details"], 21.5, "pp-text"),
        Column(L["leader"], 4.5, "pp-text"),
        Column(L["lead"], 7, "pp-text"),
        Column(L["units"], 7, "pp-text"),
        Column(L["deadline"], 7, "pp-text"),
        Column(L["col_due"], 10.5, "pp-date"),
        Column(L["status"], 6.5, "pp-center"),
        Column(L["progress"], 5, "pp-percent"),
        Column(L["col_due_state"], 6.5, "pp-center"),
        Column(L["last_update"], 21.5, "pp-text"),
        Column(L["col_closed"], 10.5, "pp-date"),
    ]


# Plan sheet column positions (1-based) that get a per-row style.
COL_TASK, COL_STATUS, COL_DUE_STATE = 3, 10, 12
TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3


def _summary_columns(lang: str) -> list[Column]:
    """The columns of the summary sheet, in order."""
    L = LABELS[lang]
    return [
        Column(L["rank"], 6.5, "pp-center"),
        Column(L["flag"], 7, "pp-center"),
        Column(L["dept"], 22, "pp-text"),
        Column(L["lead_tasks"], 8, "pp-int"),
        Column(L["done_count"], 7.5, "pp-int"),
        Column(L["overdue"], 6.5, "pp-int"),
        Column(L["rate"], 7.5, "pp-percent"),
        Column(L["shared_tasks"], 8, "pp-int"),
        # the 红黑榜's own figures (portal.survey.department_rows): what the ranking counts and its score
        Column(L["col_basis"], 8, "pp-int"),
        Column(L["col_on_time"], 8, "pp-int"),
        Column(L["col_postponed"], 6.5, "pp-int"),
        Column(L["col_missed"], 7.5, "pp-int"),
        Column(L["crit_completion"], 10, "pp-percent"),
        Column(L["col_score"], 6.5, "pp-int"),
    ]


# ---------------------------------------------------------------------------
# Styles: built once per workbook and assigned by name, so that no cell gets its own style objects
# ---------------------------------------------------------------------------


def _add_styles(wb: Workbook, lang: str) -> None:
    """Register every named style the sheets use ('pp-…')."""
    name = FONTS.get(lang, FONTS["zh"])
    side = Side(style="thin", color=BORDER_COLOUR)
    border = Border(left=side, right=side, top=side, bottom=side)
    plain = Font(name=name, size=FONT_SIZE)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    centre_top = Alignment(horizontal="center", vertical="top", wrap_text=True)

    def fill(rgb: str) -> PatternFill:
        return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)

    def add(style_name: str, font: Font = plain, alignment: Alignment = wrap_top, fill_rgb: str | None = None,
            number_format: str = "General", with_border: bool = True) -> None:
        style = NamedStyle(style_name, font=font, alignment=alignment, number_format=number_format,
                           border=border if with_border else Border())
        if fill_rgb:
            style.fill = fill(fill_rgb)
        wb.add_named_style(style)

    add("pp-title", Font(name=name, size=14, bold=True), Alignment(horizontal="center", vertical="center"),
        with_border=False)
    add("pp-header", Font(name=name, size=FONT_SIZE, bold=True),
        Alignment(horizontal="center", vertical="center", wrap_text=True), HEADER_FILL)
    add("pp-text")
    add("pp-center", alignment=centre_top)
    add("pp-date", alignment=centre_top, number_format="yyyy-mm-dd")
    add("pp-percent", alignment=centre_top, number_format="0%")
    add("pp-int", alignment=centre_top, number_format="0")
    for status, (bg, fg) in STATUS_COLOURS.items():
        add(f"pp-status-{status}", Font(name=name, size=FONT_SIZE, color=fg), centre_top, bg)
    for state, (bg, fg) in (("overdue", OVERDUE_COLOURS), ("due_soon", DUE_SOON_COLOURS)):
        strong = Font(name=name, size=FONT_SIZE, bold=True, color=fg)
        add(f"pp-{state}", strong, centre_top, bg)
        add(f"pp-{state}-task", strong, wrap_top, bg)
    for flag, (bg, fg) in FLAG_COLOURS.items():
        add(f"pp-flag-{flag}", Font(name=name, size=FONT_SIZE, bold=True, color=fg), centre_top, bg)
    bold = Font(name=name, size=FONT_SIZE, bold=True)
    add("pp-total", bold, wrap_top, TOTAL_FILL)
    add("pp-total-int", bold, centre_top, TOTAL_FILL, "0")
    add("pp-total-percent", bold, centre_top, TOTAL_FILL, "0%")


# ---------------------------------------------------------------------------
# Cell values
# ---------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """Ledger text as a safe cell value: characters Excel rejects removed, formulas neutralised, within
    Excel's length limit; None for empty text so that blank cells stay blank for filters."""
    # Strip first: '\x01=1' would otherwise become '=1' after the check and be read as a formula.
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if not text:
        return None
    text = safe_cell(text)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _joined(names: Iterable[str], lang: str) -> str:
    return LABELS[lang]["list_sep"].join(names)


def section_label(section: model.Section) -> str:
    """'一、全面加强思想建设': the printed number and the title."""
    return section.label


def as_of_text(as_of: dt.date, lang: str) -> str:
    """'（统计截至 2020年9月30日）' / ' (as of 2020-09-30)'."""
    return LABELS[lang]["as_of_suffix"].format(date=format_date(as_of, lang))


def due_words(state: DueState, lang: str) -> str | None:
    """'逾期 61 天' or '临期' (English: '61 days overdue', 'due soon'); None otherwise."""
    if state.state == "overdue" and state.days is not None:
        return LABELS[lang]["days_overdue"].format(n=-state.days)
    if state.state == "due_soon":
        return LABELS[lang]["state_due_soon"]
    return None


def sheet_titles(titles: Iterable[str], taken: Iterable[str] = (), fallback: str = "Sheet") -> list[str]:
    """Valid, unique sheet titles for ``titles``, in order, none equal to one in ``taken``.

    Characters Excel forbids (\\ / ? * [ ] :) and control characters are removed, leading and trailing
    apostrophes (also forbidden) and spaces stripped, the rest cut to 31 characters; a duplicate, compared
    as Excel does without case, gets ' (2)', ' (3)' … within the limit.
    """
    used = {t.casefold() for t in taken} | RESERVED_SHEET_TITLES
    out: list[str] = []
    for raw in titles:
        base = ILLEGAL_CHARACTERS_RE.sub("", SHEET_TITLE_FORBIDDEN.sub("", raw)).replace("\t", " ")
        base = base.replace("\n", " ").replace("\r", " ").strip(" '") or fallback
        title, n = _cut(base, MAX_SHEET_TITLE), 1
        while title.casefold() in used:
            n += 1
            suffix = f" ({n})"
            title = _cut(base, MAX_SHEET_TITLE - len(suffix)).rstrip(" '") + suffix
        used.add(title.casefold())
        out.append(title)
    return out


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (Excel's unit), never splitting a character."""
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------


def _setup(ws: Worksheet, columns: list[Column], filter_last_row: int, lang: str, landscape: bool) -> None:
    """Widths, header, merged title line, filter and print setup common to both kinds of sheet."""
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
        cell = ws.cell(row=HEADER_ROW, column=i)
        cell.style = "pp-header"
        cell.value = col.header
    last_col = get_column_letter(len(columns))
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(columns))
    ws.row_dimensions[TITLE_ROW].height = 28
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{max(filter_last_row, HEADER_ROW)}"
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"  # title and header on every printed page
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    # A scale, not "fit to 1 page wide, any pages tall": LibreOffice read that as one page in all and printed
    # the 52 tasks at 5 pt. The columns are made to fit the page at this scale; the rows run on.
    ws.page_setup.scale = print_scale([c.width for c in columns], landscape)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = LABELS[lang]["page_footer"]


def print_scale(widths: Iterable[float], landscape: bool) -> int:
    """The print scale, in percent (at most 100), at which columns of these widths fill an A4 page's width.

    A width is in Excel's units: digits of the default font (7 pixels in Excel's Calibri; LibreOffice's metric
    twin measures nearer 7.6, taken here so that no column spills onto a page of its own), plus 5 pixels.
    """
    paper = A4_POINTS[1] if landscape else A4_POINTS[0]
    printable = paper - 2 * SIDE_MARGIN * 72
    needed = sum(w * 7.6 + 5 for w in widths) * 0.75
    return max(10, min(100, int(printable / needed * 100)))


def _title(ws: Worksheet, text: str) -> None:
    cell = ws.cell(row=TITLE_ROW, column=1)
    cell.style = "pp-title"
    cell.value = cell_text(text)


def _put(ws: Worksheet, row: int, column: int, value: object, style: str) -> None:
    # Style before value: a date then keeps the style's yyyy-mm-dd instead of openpyxl's own format.
    cell = ws.cell(row=row, column=column)
    cell.style = style
    cell.value = value


#: A sheet row after the header: (value, named style) per column.
Row = list[tuple[object, str]]


def _plan_rows(plan: model.Plan, states: Mapping[str, DueState], lang: str) -> list[Row]:
    """A plan's task rows, in plan order."""
    columns = _plan_columns(lang)
    styles = [c.style for c in columns]
    statuses = STATUS_LABELS[lang]
    rows: list[Row] = []
    for top in plan.sections:
        section = cell_text(section_label(top))
        for task in top.walk_tasks():
            state = states[task.id]
            last = task.latest_update
            values: list[object] = [
                section,
                cell_text(task.number),
                cell_text(task.title),
                cell_text(task.details),
                cell_text(task.leader),
                cell_text(_joined(task.lead, lang)),
                cell_text(_joined(task.units, lang)),
                cell_text(task.deadline.text if task.deadline else ""),
                state.due,
                statuses[task.status.value],
                None if task.percent is None else task.percent / 100,
                due_words(state, lang),
                # The date comes first, so this cell never starts with the update's own text.
                cell_text(f"{last.date.isoformat()} {last.text}") if last else None,
                task.closed,
            ]
            row_styles = list(styles)
            row_styles[COL_STATUS - 1] = f"pp-status-{task.status.value}"
            if state.state in ("overdue", "due_soon"):
                row_styles[COL_TASK - 1] = f"pp-{state.state}-task"
                row_styles[COL_DUE_STATE - 1] = f"pp-{state.state}"
            rows.append(list(zip(values, row_styles, strict=True)))
    return rows


def _plan_sheet(ws: Worksheet, title: str, rows: int, lang: str) -> None:
    """A plan sheet's title line, header, filter over ``rows`` task rows and print setup (not the rows)."""
    _title(ws, title)
    _setup(ws, _plan_columns(lang), FIRST_ROW - 1 + rows, lang, landscape=True)
    ws.freeze_panes = f"C{FIRST_ROW}"  # below the header, after 序号 (a coordinate: a cell would make row 3)


def _summary_rows(survey: Survey, lang: str) -> list[Row]:
    """The 红黑榜: ranked departments in rank order, then the unranked with their counts, then totals."""
    L = LABELS[lang]
    styles = [c.style for c in _summary_columns(lang)]
    rows: list[Row] = []
    ranked = [d for d in survey.departments if d.rank is not None]
    unranked = [d for d in survey.departments if d.rank is None]
    for d in [*ranked, *unranked]:
        c = d.counts
        flag = d.flag if d.rank is not None else None
        b = d.basis
        values: list[object] = [
            d.rank if d.rank is not None else L["nothing_due" if d.nothing_due else "not_ranked"],
            L[f"flag_{flag}"] if flag else None,
            cell_text(d.dept.name),
            c.total,
            c.done,
            c.overdue,
            _rate(c),
            len(d.shared_tasks),
            b.counted,
            b.on_time,
            d.postponed,
            d.missed,
            _rate(b),
            d.score,
        ]
        row_styles = list(styles)
        if flag:
            row_styles[1] = f"pp-flag-{flag}"
        rows.append(list(zip(values, row_styles, strict=True)))
    # Totals of the whole ledger, each task once: a task led by three departments is one task here,
    # so this row is the portal's headline figure, not the sum of the column above.
    total = survey.counts
    rows.append(list(zip(
        [None, None, LABELS[lang]["total_row"], total.total, total.done, total.overdue, _rate(total), None,
         None, None, None, None, None, None],
        ["pp-total", "pp-total", "pp-total", "pp-total-int", "pp-total-int", "pp-total-int", "pp-total-percent",
         "pp-total", "pp-total", "pp-total", "pp-total", "pp-total", "pp-total", "pp-total"], strict=True)))
    return rows


def _summary_sheet(ws: Worksheet, title: str, rows: list[Row], lang: str) -> None:
    """The summary sheet, its rows as openpyxl cells (a few dozen); the totals row stays out of the filter."""
    _title(ws, title)
    for r, row in enumerate(rows, FIRST_ROW):
        for column, (value, style) in enumerate(row, 1):
            _put(ws, r, column, value, style)
    _setup(ws, _summary_columns(lang), FIRST_ROW - 2 + len(rows), lang, landscape=True)
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)


def _rate(c: Counts) -> float | None:
    # Whole percent as the portal shows it (rounded half up, never 100% short of all): Excel's 0% format would
    # round 99.6% up to 100%.
    return c.percent / 100 if c.rate is not None else None


# ---------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contents:
    """Everything a workbook shows, as plain values: what it is written from, and what its cache is keyed by."""

    lang: str
    plans: tuple[tuple[str, str, list[Row]], ...]  # (sheet title, title line, task rows) of each plan
    summary: tuple[str, str, list[Row]]  # the same of the summary sheet, its totals row last
    stamp: dt.datetime  # the document's dates
    title: str  # the document's title

    def digest(self) -> str:
        """A digest of the bytes :func:`write_workbook` makes of these contents: of the contents themselves
        (plain values whose repr is stable), the layout of this module, the engine's and the writer's versions."""
        text = repr((LAYOUT, __version__, openpyxl.__version__, self))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


#: The workbook's layout: raise it with any change to how this module writes contents (styles, columns, print).
LAYOUT = 1


def contents(survey: Survey, lang: str = "zh") -> Contents:
    """What the workbook of a survey shows, in ``lang`` ('zh' or 'en')."""
    lang = lang if lang in SUMMARY_TITLES else "zh"
    ledger, as_of = survey.ledger, survey.as_of
    summary_title = SUMMARY_TITLES[lang]
    titles = sheet_titles([p.title for p in ledger.plans], taken=[summary_title],
                          fallback=LABELS[lang]["sheet_fallback"])
    plans = tuple((title, plan.title + as_of_text(as_of, lang), _plan_rows(plan, survey.states, lang))
                  for plan, title in zip(ledger.plans, titles, strict=True))
    summary = (summary_title, summary_title + as_of_text(as_of, lang), _summary_rows(survey, lang))
    one_plan = len(ledger.plans) == 1
    title = ILLEGAL_CHARACTERS_RE.sub("", ledger.plans[0].title) if one_plan else summary_title
    return Contents(lang, plans, summary, dt.datetime.combine(as_of, dt.time()), title)


def to_xlsx(survey: Survey, lang: str = "zh", *, through_openpyxl: bool = False) -> bytes:
    """The surveyed ledger as an .xlsx workbook: one sheet per plan, then the summary by department.

    Due states, counts and the ranking are the survey's. ``lang`` is 'zh' or 'en' (headers, words, the
    summary's title). The same survey always gives the same bytes. ``through_openpyxl`` writes the task rows
    as openpyxl cells too: the slow way, which the test compares the fast one with.
    """
    return write_workbook(contents(survey, lang), through_openpyxl=through_openpyxl)


def write_workbook(book: Contents, *, through_openpyxl: bool = False) -> bytes:
    """The .xlsx bytes of a workbook's contents (the same contents, the same bytes)."""
    wb = Workbook()
    _add_styles(wb, book.lang)
    first = wb.active
    assert first is not None
    spliced: dict[str, tuple[str, bytes]] = {}  # sheet part -> (its dimension, the XML of its task rows)
    for i, (sheet_title, title, rows) in enumerate(book.plans):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = sheet_title
        _plan_sheet(ws, title, len(rows), book.lang)
        if through_openpyxl:
            for r, row in enumerate(rows, FIRST_ROW):
                for column, (value, style) in enumerate(row, 1):
                    _put(ws, r, column, value, style)
        elif rows:
            # Style ids in the order openpyxl would number them: title, header, then the rows' as they come.
            ids = _style_ids(ws, ["pp-title", "pp-header", *(style for row in rows for _, style in row)])
            last = f"{get_column_letter(len(rows[0]))}{FIRST_ROW - 1 + len(rows)}"
            spliced[f"xl/worksheets/sheet{i + 1}.xml"] = (f"A1:{last}", _rows_xml(rows, ids))
    # Last, so that the file opens on the ledger and each plan's sheet keeps its index in plan order.
    summary = wb.create_sheet() if book.plans else first
    summary.title = book.summary[0]
    _summary_sheet(summary, book.summary[1], book.summary[2], book.lang)
    wb.active = 0
    wb.properties.creator = "Progress Portal"
    wb.properties.lastModifiedBy = "Progress Portal"
    wb.properties.created = book.stamp
    wb.properties.modified = book.stamp
    wb.properties.title = book.title
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save: save() stamps 'modified' with the current time.
    with _Archive(buffer, spliced) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def _style_ids(ws: Worksheet, names: Iterable[str]) -> dict[str, int]:
    """The cell style id (index into the workbook's cellXfs) of each named style, registered in order."""
    ids: dict[str, int] = {}
    for name in names:
        if name not in ids:
            scratch = Cell(ws)  # never placed in the sheet: only its style is registered with the workbook
            scratch.style = name
            ids[name] = scratch.style_id
    return ids


#: Epoch of Excel's date serials (1900 system): dates of the portal all fall after 1900-03-01.
EXCEL_EPOCH = dt.date(1899, 12, 30)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _rows_xml(rows: list[Row], ids: Mapping[str, int]) -> bytes:
    """Sheet rows from FIRST_ROW on as SpreadsheetML, byte for byte as openpyxl (with lxml) writes them: strings
    inline, numbers and dates (Excel serials) as 't="n"', an empty cell kept for its style (borders, fills)."""
    letters = [get_column_letter(i) for i in range(1, len(rows[0]) + 1)] if rows else []
    out: list[str] = []
    for r, row in enumerate(rows, FIRST_ROW):
        out.append(f'<row r="{r}">')
        for letter, (value, style) in zip(letters, row, strict=True):
            head = f'<c r="{letter}{r}" s="{ids[style]}"'
            if value is None or value == "":
                out.append(f'{head} t="n"></c>')
            elif isinstance(value, str):
                space = ' xml:space="preserve"' if value != value.strip() else ""
                out.append(f'{head} t="inlineStr"><is><t{space}>{value.translate(_XML_TEXT)}</t></is></c>')
            else:
                out.append(f'{head} t="n"><v>{_number(value)}</v></c>')
        out.append("</row>")
    # ASCII with character references, as lxml writes a part whose encoding it was not given
    return "".join(out).encode("ascii", "xmlcharrefreplace")


def _number(value: Any) -> str:
    if isinstance(value, dt.date):
        return str((value - EXCEL_EPOCH).days)
    return f"{value:.16g}"  # openpyxl's form of a number ("%.16g")


class _Archive(zipfile.ZipFile):
    """The workbook's zip: every entry dated 1980-01-01 (the same workbook, the same bytes) and the task rows of
    ``spliced`` sheets put in as the sheet goes in."""

    def __init__(self, file: io.BytesIO, spliced: Mapping[str, tuple[str, bytes]]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._spliced = spliced

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,
              compresslevel: Any = None) -> None:
        with open(filename, "rb") as f:  # openpyxl writes each sheet to a temporary file first
            self.writestr(arcname or filename, f.read())

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if name in self._spliced:
            body = _splice(body, *self._spliced[name])
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        super().writestr(info, body)


def _splice(sheet: bytes, dimension: str, rows: bytes) -> bytes:
    """A sheet's XML with ``rows`` at the end of its sheetData and its dimension widened to them."""
    head, found, tail = sheet.partition(b"</sheetData>")
    if not found:
        raise ValueError("openpyxl wrote a sheet without sheetData")
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>'.encode(), head, count=1)
    return head + rows + found + tail


# ---------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------


def cached_xlsx(survey: Survey, lang: str, cache: Cache) -> bytes:
    """:func:`to_xlsx`, reusing the workbook last written when its contents are the same.

    One workbook per language is kept, under the digest of its contents (:meth:`Contents.digest`): a workbook of
    other contents is never served, and one of the same contents is the same bytes, so that a build with the cache
    writes what a build from scratch writes. The cache's own troubles (read-only, damaged, busy) only cost the time.
    """
    book = contents(survey, lang)
    digest, key = book.digest(), f"xlsx:{book.lang}"
    kept = cache.get(key)
    if isinstance(kept, dict) and kept.get("digest") == digest and isinstance(kept.get("data"), str):
        try:
            return base64.b64decode(kept["data"], validate=True)
        except ValueError:
            pass  # damaged: written again below
    data = write_workbook(book)
    cache.put(key, {"digest": digest, "data": base64.b64encode(data).decode("ascii")})
    return data
