"""Import a plan or a ledger that comes as a table: a 任务分工表 in Word, an office's Excel 台账 (.xlsx, .xls).

Every table is first read into a grid of text (:class:`Grid`): merged cells are followed down and across, so that
each cell of a merge carries the merge's text and knows the cell it was copied from. Then
:func:`table_ledger` reads the grids:

Header
    The header row is the first row (of the first 20) whose cells name at least two fields of :data:`SYNONYMS`, one
    of them what a row is about (a task, a problem or a measure). A header of two rows (责任单位 merged over 牵头单位 /
    配合单位) is read as one. Every header cell that names no field is reported (the column is not imported).
Above the header
    The title (the first text), 填报单位 and 填报时间 (the date of the progress, else the file's own date).
Rows
    A row whose cells all carry one text (merged across), or whose only text is a numbered heading, is a section
    row: the rows under it are its tasks. A category column (类别 / 方面, often merged down) makes a section per
    category. A task or problem cell merged down over rows with different measures makes a sub-section whose rows
    are tasks; otherwise a row is a task: its title from the task (or problem, or measure) cell, its measures,
    deadline (完成时限 as worded), lead and cooperating units, leader, and, from a 台账, its status (完成情况) and
    progress (整改进展情况) as status and a dated update.
Sheets
    Each sheet with a header is read; when several are, each becomes a section named after the sheet.

Nothing here writes files; limits: :data:`MAX_ROWS` rows a sheet, :data:`MAX_SHEET_XML` bytes of sheet XML.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.deadlines.wording import find_deadline_phrases, parse_deadline
from portal.importer import (
    _W,
    _YEAR_RE,
    MAX_DOCX_BYTES,
    REFUSED_SUFFIXES,
    ImportFailed,
    ImportReport,
    Options,
    _assign_task_ids,
    _count_sections,
    _front_matter,
    _msg,
    _Numbering,
    _paragraph_text,
    _plan_year,
    _read_capped,
    _TaskRef,
    _unique_id,
    _UsedIds,
    full_width,
    make_title,
    open_docx,
)

MiB = 1024 * 1024
MAX_TABLE_BYTES = 50 * MiB  # an .xlsx or .xls file
MAX_SHEET_XML = 32 * MiB  # decompressed XML of an .xlsx, all parts together (a zip bomb is refused by its headers)
MAX_ROWS = 20_000  # rows of one sheet: a 台账 has tens to a few thousand
MAX_CELLS = 1_000_000  # rows × columns of one sheet, as its dimension says: openpyxl keeps every cell in memory
MAX_COLS = 200
HEADER_SCAN = 20  # rows looked at for the header

# ---------------------------------------------------------------------------------------------------------------------
# Column names
# ---------------------------------------------------------------------------------------------------------------------

#: field -> the column names that mean it (compared without spaces, line breaks, * and bracketed notes)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号", "序", "任务编号", "项目编号", "问题编号", "排序"),
    "category": ("类别", "分类", "问题类别", "任务类别", "类型", "问题类型", "板块", "方面", "领域", "专项", "问题分类",
                 "所属板块", "工作类别", "项目类别"),
    "task": ("重点任务", "工作任务", "任务", "主要任务", "任务名称", "工作内容", "重点工作", "工作事项", "事项", "项目",
             "目标任务", "任务内容", "具体任务", "工作项目", "任务事项", "项目名称", "重点事项", "工作要点"),
    "problem": ("存在问题", "问题", "问题描述", "主要问题", "反馈问题", "问题清单", "突出问题", "具体问题", "问题表现",
                "存在的问题", "发现问题", "问题内容"),
    "measures": ("具体措施", "整改措施", "工作措施", "主要措施", "措施", "推进措施", "落实措施", "具体举措", "举措",
                 "工作举措", "主要举措", "具体工作措施", "整改举措"),
    "target": ("目标", "预期目标", "整改目标", "工作目标", "目标要求", "预期成效"),
    "lead": ("牵头单位", "牵头部门", "牵头科室", "牵头处室", "主责单位", "主办单位", "责任科室", "牵头责任单位"),
    "units": ("配合单位", "责任单位", "配合部门", "协办单位", "参与单位", "责任部门", "协同单位", "配合科室",
              "协助单位",
              "参加单位"),
    "leader": ("责任领导", "分管领导", "牵头领导", "责任人", "包抓领导", "领导"),
    "deadline": ("完成时限", "时间节点", "整改时限", "完成时间", "时限", "时间要求", "计划完成时间", "时限要求",
                 "办结时限",
                 "整改期限", "完成期限", "时间安排", "进度安排"),
    "progress": ("整改进展情况", "整改进展", "工作进展", "进展情况", "推进情况", "落实情况", "进展", "整改情况",
                 "工作推进情况", "目前进展", "工作进展情况", "推进落实情况", "完成情况说明", "工作开展情况"),
    "status": ("完成情况", "状态", "整改状态", "完成状态", "是否完成", "办理状态", "整改结果", "进度状态",
               "是否整改到位",
               "整改完成情况"),
    "percent": ("完成比例", "进度百分比", "完成进度", "完成率", "进度"),
    "notes": ("备注", "说明", "其他"),
    "evidence": ("佐证材料", "佐证", "附件"),
}
_LOOKUP = {name: fld for fld, names in SYNONYMS.items() for name in names}
_WHAT_A_ROW_IS = ("task", "problem", "measures")

#: completion words of a 台账 -> the ledger's status keys
STATUS_WORDS: list[tuple[str, str]] = [
    (r"取消|不再实施|撤销", "cancelled"),
    (r"暂缓|暂停|中止", "suspended"),
    (r"长期坚持|长期|持续整改|持续推进|常态化|立行立改并长期坚持", "ongoing"),
    (r"未启动|未开始|尚未启动|尚未开始", "not_started"),
    (r"未完成|正在|推进中|进行中|整改中|部分完成|基本完成|持续|已启动|稳步推进|按计划推进|序时推进|有序推进|未整改到位",
     "in_progress"),
    (r"已完成|完成|已整改|整改完毕|已办结|办结|已销号|销号|已落实|到位|是", "done"),
    (r"否", "in_progress"),
]
_SECTION_HEAD_RE = re.compile(r"^(?:第[一二三四五六七八九十百0-9]{1,4}(?:部分|章|篇|节)"
                              r"|[一二三四五六七八九十]{1,3}[、．.]"
                              r"|[（(][一二三四五六七八九十]{1,3}[）)])")
_FILLER_RE = re.compile(r"填报(?:单位|部门)\s*(?:[（(][^）)]{0,6}[）)])?\s*[:：]\s*(?P<unit>[^\s：:（(]{2,40})")
_FILL_DATE_RE = re.compile(r"(?:填报|报送|统计|截至|截止)(?:时间|日期)?\s*[:：]?\s*"
                           r"(?P<y>(?:19|20)\d{2})\s*[年./／-]\s*(?P<m>\d{1,2})\s*[月./／-]\s*(?P<d>\d{1,2})")
_NAME_SPLIT = re.compile(r"[、，,；;/／\s]+|(?<=[科室局办委队所站心])和")
_LEAD_FIRST_RE = re.compile(r"牵头[^）)]{0,6}(?:在前|在先|排[在第]?首|第一)"
                            r"|(?:第一|首位|排名第一|排在第一位)[^）)]{0,6}牵头")
_PERCENT_RE = re.compile(r"^(?P<n>\d{1,3}(?:\.\d+)?)\s*[%％]?$")
_DOTTED_DATE_RE = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*[./／年-]\s*(?P<m>\d{1,2})\s*[./／月-]\s*(?P<d>\d{1,2})\s*日?"
                             r"\s*(?P<tail>前|之前|以前)?$")


def header_field(text: str) -> str | None:
    """The field a column header names ('牵头单位（部门）' -> 'lead'), or None."""
    name = re.sub(r"[（(][^）)]*[）)]|[\s*＊:：]", "", text)
    if not name:
        return None
    if name in _LOOKUP:
        return _LOOKUP[name]
    for candidate in sorted(_LOOKUP, key=len, reverse=True):  # '重点任务名称' -> 重点任务; longest first
        if len(candidate) >= 2 and candidate in name and len(name) <= len(candidate) + 4:
            return _LOOKUP[candidate]
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Grids
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """A table as rows of text; ``origin[(r, c)]`` is the top-left cell a merged cell was copied from."""

    name: str
    rows: list[list[str]]
    origin: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    kind: str = "sheet"  # sheet (of a workbook) | table (of a Word document)

    def cell(self, r: int, c: int) -> str:
        row = self.rows[r]
        return row[c] if c < len(row) else ""

    def where(self, r: int) -> str:
        """Row r (0-based) as people name it: 工作表“Sheet1”第 3 行, 表格1第 3 行."""
        return _msg("import_sheet_row" if self.kind == "sheet" else "import_table_row", name=self.name, row=r + 1)

    def source(self, r: int, c: int) -> tuple[int, int]:
        return self.origin.get((r, c), (r, c))


def _fill_merges(rows: list[list[str]],
                 merges: list[tuple[int, int, int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Copy each merge's top-left text into its cells (rows r0..r1, columns c0..c1 inclusive); the origins."""
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, r1, c0, c1 in merges:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = value
                    origin[(r, c)] = (r0, c0)
    return origin


def _text(value: Any) -> str:
    """A cell value as text: dates ISO, whole floats without .0, text stripped."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


# --- Excel -----------------------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def read_workbook(data: bytes, name: str) -> tuple[list[Grid], dt.date | None]:
    """The sheets of an .xlsx or .xls (told by their bytes, not the name) and the date the file says it was saved."""
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            raise ImportFailed(_msg("import_encrypted", name=name))
        return _read_xls(data, name)
    if data.startswith(b"PK"):
        return _read_xlsx(data, name)
    raise ImportFailed(_msg("import_not_excel", name=name))


def _read_xlsx(data: bytes, name: str) -> tuple[list[Grid], dt.date | None]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
                raise ImportFailed(_msg("import_macros", name=name))
            declared = sum(m.file_size for m in members if m.filename.endswith((".xml", ".rels")))
            if declared > MAX_SHEET_XML:
                raise ImportFailed(_msg("import_table_too_big", name=name, what=f"{declared // MiB} MiB XML"))
        # the rows are counted in streaming mode first, so that a huge sheet is refused before it is loaded whole
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for ws in book.worksheets:
            rows = ws.max_row if ws.max_row is not None else sum(1 for _ in _capped(ws.iter_rows(), MAX_ROWS + 1))
            if rows and ws.max_column and rows * ws.max_column > MAX_CELLS:  # 20,000 rows, but 16,000 columns
                raise ImportFailed(_msg("import_too_many_rows", name=name, sheet=ws.title,
                                        rows=f"{rows:,} × {ws.max_column:,}", limit=f"{MAX_ROWS:,}"))
            if rows and rows > MAX_ROWS:  # counted only up to the limit when the sheet does not say its size
                shown = f"{rows:,}" if ws.max_row is not None else f"{MAX_ROWS:,}+"
                raise ImportFailed(_msg("import_too_many_rows", name=name, sheet=ws.title, rows=shown,
                                        limit=f"{MAX_ROWS:,}"))
        book.close()
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except ImportFailed:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error, EOFError, TypeError) as exc:
        raise ImportFailed(_msg("import_bad_excel", name=name, reason=type(exc).__name__)) from exc
    grids = []
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        width = min(ws.max_column or 0, MAX_COLS)
        rows = [[_text(c) for c in row[:width]] for row in ws.iter_rows(values_only=True)]
        merges = [(m.min_row - 1, m.max_row - 1, m.min_col - 1, min(m.max_col, width) - 1)
                  for m in ws.merged_cells.ranges if m.min_col <= width]
        grids.append(Grid(ws.title, rows, _fill_merges(rows, merges), "sheet"))
    saved = book.properties.modified or book.properties.created
    return grids, saved.date() if saved else None


def _capped(rows: Iterator[Any], limit: int) -> Iterator[Any]:
    for i, row in enumerate(rows):
        if i >= limit:
            return
        yield row


def _read_xls(data: bytes, name: str) -> tuple[list[Grid], dt.date | None]:
    try:
        import xlrd
    except ImportError as exc:  # pragma: no cover - xlrd is a pinned dependency
        raise ImportFailed(_msg("import_xls_reader", name=name)) from exc
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ImportFailed(_msg("import_encrypted", name=name)) from exc
        if "Word" in str(exc) or "compound" in str(exc).lower():
            raise ImportFailed(_msg("import_save_as", name=name, suffix=".xls", target=".xlsx")) from exc
        raise ImportFailed(_msg("import_bad_excel", name=name, reason=str(exc)[:80])) from exc
    except (ValueError, AssertionError, IndexError, KeyError, EOFError) as exc:
        raise ImportFailed(_msg("import_bad_excel", name=name, reason=type(exc).__name__)) from exc
    grids = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if sheet.nrows > MAX_ROWS:
            raise ImportFailed(_msg("import_too_many_rows", name=name, sheet=sheet.name, rows=f"{sheet.nrows:,}",
                                    limit=f"{MAX_ROWS:,}"))
        if getattr(sheet, "visibility", 0):
            continue
        width = min(sheet.ncols, MAX_COLS)
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(width):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode).date().isoformat())
                    except (ValueError, OverflowError):
                        row.append(_text(cell.value))
                else:
                    row.append(_text(cell.value))
            rows.append(row)
        merges = [(r0, r1 - 1, c0, min(c1, width) - 1) for r0, r1, c0, c1 in sheet.merged_cells if c0 < width]
        grids.append(Grid(sheet.name, rows, _fill_merges(rows, merges), "sheet"))
    return grids, None


# --- Word ------------------------------------------------------------------------------------------------------------


def read_docx_tables(data: bytes, name: str) -> tuple[list[Grid], list[str], dt.date | None]:
    """The tables of a .docx as grids (vertical and horizontal merges followed), the paragraphs outside them as
    lines, and the date the file says it was saved."""
    root, numbering, saved = open_docx(data, name, _core_date)
    body = root.find(_W + "body")
    grids: list[Grid] = []
    lines: list[str] = []
    for child in body.iterchildren() if body is not None else ():
        if child.tag == _W + "tbl":
            grids.append(_docx_grid(child, numbering, len(grids) + 1))
        elif child.tag == _W + "p":
            lines.extend((numbering.label(child) + _paragraph_text(child)).split("\n"))
    return grids, lines, saved


def _core_date(archive: zipfile.ZipFile) -> dt.date | None:
    try:
        info = archive.getinfo("docProps/core.xml")
        if info.file_size > MiB:
            return None
        text = archive.read(info).decode("utf-8", "replace")
    except KeyError:
        return None
    m = re.search(r"<dcterms:modified[^>]*>(\d{4})-(\d{2})-(\d{2})", text)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def _docx_grid(tbl: Any, numbering: _Numbering, index: int) -> Grid:
    """A Word table as a grid: w:gridSpan copies a cell across, w:vMerge (continue) copies the cell above down."""
    rows: list[list[str]] = []
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for r, tr in enumerate(tbl.iterchildren(_W + "tr")):
        if r >= MAX_ROWS:
            raise ImportFailed(_msg("import_too_many_rows", name="Word", sheet=str(index), rows=f"{MAX_ROWS:,}+",
                                    limit=f"{MAX_ROWS:,}"))
        row: list[str] = []
        before = tr.find(f"{_W}trPr/{_W}gridBefore")  # cells a row leaves out at its start
        if before is not None:
            row.extend([""] * max(0, min(int(before.get(_W + "val", "0") or 0), MAX_COLS)))
        for tc in tr.iterchildren(_W + "tc"):
            props = tc.find(_W + "tcPr")
            span_el = props.find(_W + "gridSpan") if props is not None else None
            span = max(1, min(int(span_el.get(_W + "val", "1")), MAX_COLS)) if span_el is not None else 1
            vmerge = props.find(_W + "vMerge") if props is not None else None
            continued = vmerge is not None and vmerge.get(_W + "val", "continue") == "continue"
            paragraphs = [numbering.label(p) + _paragraph_text(p) for p in tc.iter(_W + "p")]
            text = "\n".join(p.strip() for p in paragraphs if p.strip())
            c0 = len(row)
            for k in range(span):
                c = c0 + k
                if continued and r > 0 and c < len(rows[r - 1]):
                    row.append(rows[r - 1][c])
                    origin[(r, c)] = origin.get((r - 1, c), (r - 1, c))
                else:
                    row.append(text)
                    if k:
                        origin[(r, c)] = (r, c0)
            if len(row) > MAX_COLS:
                break
        rows.append(row)
    return Grid(str(index), rows, origin, "table")


# ---------------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------------


def import_table_file(path: Path, year: int | None = None, *, plan_id: str | None = None,
                      options: Options | None = None) -> tuple[dict, ImportReport]:
    """Import an .xlsx / .xls (WPS .et) 台账; refuse the formats only an office suite reads, saying what to do."""
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        if suffix in (".xlsm", ".xltm", ".docm", ".dotm"):
            raise ImportFailed(_msg("import_macros", name=path.name))
        target = ".xlsx" if suffix in (".et", ".xlsm") else ".docx"
        raise ImportFailed(_msg("import_save_as", name=path.name, suffix=suffix, target=target))
    data = _read_capped(path, MAX_TABLE_BYTES)
    if not data.strip():
        raise ImportFailed(_msg("import_empty", name=path.name))
    grids, saved = read_workbook(data, path.name)
    return table_ledger(grids, [], str(path), year, plan_id=plan_id, options=options or Options(),
                        file_date=saved or _mtime(path))


def docx_table_import(data: bytes, path: Path, year: int | None = None, *, plan_id: str | None = None,
                      options: Options | None = None) -> tuple[dict, ImportReport] | None:
    """The import of a .docx whose tables are a 任务分工表 / 台账; None when no table has a header of task columns
    (the document is then read as an outline)."""
    if len(data) > MAX_DOCX_BYTES or not data.startswith(b"PK"):
        return None  # the outline reader says what is wrong with the file
    try:
        grids, lines, saved = read_docx_tables(data, path.name)
    except ImportFailed:
        return None  # the outline reader says what is wrong with the file, in its own words
    if not any(_find_header(g) for g in grids):
        return None
    return table_ledger(grids, lines, str(path), year, plan_id=plan_id, options=options or Options(),
                        file_date=saved or _mtime(path))


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _mtime(path: Path) -> dt.date | None:
    try:
        return dt.date.fromtimestamp(os.stat(path).st_mtime)
    except (OSError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------------------------------------
# Reading a table into a ledger
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class _Header:
    row: int  # the last header row
    columns: dict[int, str]  # column -> field
    unmapped: list[tuple[int, str]]  # (column, header text)


def _find_header(grid: Grid) -> _Header | None:
    """The header of a grid: the first row naming two fields, one of them what a row is about."""
    for r in range(min(len(grid.rows), HEADER_SCAN)):
        columns, unmapped = _map_row(grid, r)
        if len(set(columns.values())) >= 2 and set(columns.values()) & set(_WHAT_A_ROW_IS):
            last = r
            if r + 1 < len(grid.rows):  # a second header row under cells merged across (责任单位 / 牵头 配合)
                below, below_unmapped = _map_row(grid, r + 1)
                spans: dict[tuple[int, int], list[int]] = {}
                for c in range(len(grid.rows[r])):
                    spans.setdefault(grid.source(r, c), []).append(c)
                merged_above = [c for c in below if len(spans.get(grid.source(r, c), [])) > 1]
                if below and merged_above and len(below) + len(below_unmapped) <= len(grid.rows[r + 1]):
                    for c in merged_above:
                        columns[c] = below[c]
                    unmapped = [(c, t) for c, t in unmapped if c not in below]
                    last = r + 1
            # a column named twice (责任单位 merged over two columns): keep the first
            seen: dict[str, int] = {}
            for c in sorted(columns):
                if columns[c] in seen and grid.source(r, c) != (r, c):
                    del columns[c]
                else:
                    seen.setdefault(columns[c], c)
            return _Header(last, columns, unmapped)
    return None


def _with_headers(grids: list[Grid]) -> list[tuple[Grid, _Header]]:
    """The grids that are task tables, with their headers. A Word table without a header right after one with the
    same number of columns continues it (Word splits a table at an empty paragraph or a page break)."""
    out: list[tuple[Grid, _Header]] = []
    for g in grids:
        h = _find_header(g)
        if h is None and out and g.kind == "table" and g.rows:
            last_grid, last = out[-1]
            if max(len(r) for r in g.rows) == max(len(r) for r in last_grid.rows):
                h = _Header(-1, dict(last.columns), [])
        if h is not None:
            out.append((g, h))
    return out


def _map_row(grid: Grid, r: int) -> tuple[dict[int, str], list[tuple[int, str]]]:
    columns: dict[int, str] = {}
    unmapped: list[tuple[int, str]] = []
    for c, text in enumerate(grid.rows[r]):
        if not text:
            continue
        fld = header_field(text) if len(text) <= 20 else None
        if fld:
            columns[c] = fld
        elif grid.source(r, c) == (r, c):
            unmapped.append((c, text))
    return columns, unmapped


@dataclass
class _Table:
    """What the reading of tables collects."""

    source: str
    year_given: int | None
    options: Options
    report: ImportReport
    used_ids: _UsedIds = field(default_factory=_UsedIds)
    refs: list[_TaskRef] = field(default_factory=list)
    report_date: dt.date | None = None
    filler: str = ""
    year: int = 0
    title: str = ""
    fractions: bool = False  # the percent column of the table being read holds fractions (0.6, 1), not 60, 100
    lead_first: bool = False  # the units column of the table being read names its lead first
    departments: dict[str, None] = field(default_factory=dict)
    sections: list[dict[str, Any]] = field(default_factory=list)
    # where the last table's rows went (section, category), for a table that continues it
    last_place: tuple[Any, Any] = (None, None)


def table_ledger(grids: list[Grid], lines: list[str], source: str, year: int | None, *, plan_id: str | None,
                 options: Options, file_date: dt.date | None) -> tuple[dict, ImportReport]:
    """Ledger data from tables (and the paragraphs around them, for the title, year and issuer)."""
    report = ImportReport(source, sum(len(g.rows) for g in grids) + sum(1 for x in lines if x.strip()), 0, 0)
    report.shape = "table"
    ctx = _Table(source, year, options, report)
    tables = _with_headers(grids)
    if not tables:
        raise ImportFailed(_msg("import_no_header", name=Path(source).name, fields=_msg("import_list_sep").join(
            n for f in ("task", "problem", "measures", "lead", "deadline") for n in SYNONYMS[f][:2])))
    # the title and what is above the header: the paragraphs before a Word table, the first rows of a sheet
    above: list[str] = [x.strip() for x in lines if x.strip()]
    for g, h in tables[:1]:
        first = h.row - (1 if h.row and _map_row(g, h.row - 1)[0] else 0)
        for r in range(first):
            texts = list(dict.fromkeys(t for t in g.rows[r] if t))
            if texts:
                above.append(" ".join(texts))
    # 填报单位 / 填报时间: above the header, or in a row of their own below the table
    below = [" ".join(dict.fromkeys(t for t in row if t)) for g, _ in tables for row in g.rows
             if 0 < len(set(row) - {""}) <= 2]
    header_cells = [t for g, h in tables if h.row >= 0 for t in g.rows[h.row] if t]  # 进展情况（截至9月30日）
    for text in above + below + header_cells:
        if m := _FILLER_RE.search(text):
            ctx.filler = ctx.filler or m["unit"]
        if (m := _FILL_DATE_RE.search(text)) and ctx.report_date is None:
            ctx.report_date = _date(int(m["y"]), int(m["m"]), int(m["d"]))
    heads = [t for t in above if not _FILLER_RE.search(t) and not _FILL_DATE_RE.search(t)]
    items = list(enumerate(heads or [Path(source).stem], 1))
    front = _front_matter(items, source, report)
    title = front.title
    for line, text in front.body:
        report.unplaced.append((line, text))
    from portal.importer import _numbered

    numbered = sum(1 for _, text in front.body if _numbered(text))
    if numbered >= 3:  # a plan whose tasks are also tabled (附件：任务分工表): the table is read, the text listed
        report.notes.append(_msg("import_table_over_text", count=numbered))
    if ctx.report_date is None and file_date is not None:
        ctx.report_date = file_date
    if year is None and not _YEAR_RE.search(title):
        years = [int(m[1]) for g, _ in tables for row in g.rows[:200] for cell in row for m in
                 [re.search(r"((?:19|20)\d{2})\s*年", cell)] if m]
        if years:
            front.years.append((min(years), _msg("import_year_table")))
        elif ctx.report_date is not None:
            front.years.append((ctx.report_date.year, _msg("import_year_filled", date=ctx.report_date.isoformat())))
    ctx.year = _plan_year(year, title, front, report)
    ctx.title = title
    if ctx.report_date is not None and ctx.report_date > dt.date.today():
        ctx.report_date = dt.date.today()
    several = len(tables) > 1
    for g, h in tables:
        label = g.name if several and g.kind == "sheet" else ""
        for _, text in h.unmapped if h.row >= 0 else ():
            report.notes.append(_msg("import_unmapped_column", where=g.where(h.row), column=text))
        percents = [float(m["n"]) for c, f in h.columns.items() if f == "percent" for row in g.rows[h.row + 1:]
                    if (m := _PERCENT_RE.match(row[c] if c < len(row) else "")) and "%" not in row[c]]
        ctx.fractions = (ctx.fractions if h.row < 0 else False) or (bool(percents) and max(percents) <= 1)
        # 责任单位 without a 牵头 column: the departments in charge
        if "lead" not in h.columns.values() and h.row >= 0:
            for c, f in list(h.columns.items()):
                if f == "units" and re.match(r"责任(?:单位|部门|科室)", g.cell(h.row, c)) and not any(
                        _LEAD_FIRST_RE.search(g.cell(r, c)) for r in range(max(0, h.row - 1), h.row + 1)):
                    h.columns[c] = "lead"
        # 责任单位（牵头单位在前）/（排在第一位的为牵头单位）: the first name of the column leads
        ctx.lead_first = ctx.lead_first if h.row < 0 else "lead" not in h.columns.values() and any(
            f == "units" and _LEAD_FIRST_RE.search(g.cell(r, c)) for c, f in h.columns.items()
            for r in range(max(0, h.row - 1), h.row + 1))
        _read_grid(g, h, label, ctx)
    sections = ctx.sections
    _assign_task_ids(ctx.refs, report.notes)
    report.tasks = len(ctx.refs)
    report.sections = _count_sections(sections)
    if not report.tasks:
        raise ImportFailed(_msg("import_table_empty", name=Path(source).name))
    plan: dict[str, Any] = {"id": plan_id or f"plan{ctx.year}", "title": title}
    issuer = front.issuer or ctx.filler
    if issuer:
        plan["issuer"] = issuer
    plan["year"] = ctx.year
    if front.docnum:
        plan["source"] = front.docnum
    plan["timezone"] = "Asia/Shanghai"
    if report.punctuation:
        report.notes.append(_msg("import_punctuation", count=report.punctuation))
    report.unplaced.sort()
    return {"plan": plan, "sections": sections}, report


@dataclass
class _Row:
    r: int
    values: dict[str, str]  # field -> text
    sources: dict[str, tuple[int, int]]  # field -> the cell it came from (merged cells share it)


def _read_grid(g: Grid, h: _Header, label: str, ctx: _Table) -> None:
    """The sections of one table: section rows and categories become sections, rows tasks."""
    sections: list[dict[str, Any]] = ctx.sections
    top: dict[str, Any] = {"id": "", "title": label or "", "tasks": []}
    if label:  # a sheet of its own: a section named after it
        top["id"] = _unique_id(f"s{len(sections) + 1}", ctx.used_ids)
        sections.append(top)
    current: dict[str, Any] | None = None  # the section a section row opened
    category: tuple[str, dict[str, Any]] | None = None
    if h.row < 0:  # the rest of the table before: on in the section it was in
        current, category = ctx.last_place
    group: list[_Row] = []

    def flush() -> None:
        nonlocal group
        if group:
            home = category[1] if category else current if current is not None else top
            if not home["id"]:  # tasks before any section row: a section of their own, titled with the plan
                home["id"] = _unique_id(f"s{len(sections) + 1}", ctx.used_ids)
                home["title"] = ctx.title
                sections.append(home)
            _rows_to_tasks(group, home, ctx, g)
            group = []

    width = max(h.columns) + 1
    for r in range(h.row + 1, len(g.rows)):
        cells = g.rows[r]
        texts = [t for t in cells[:max(width, len(cells))] if t]
        if not texts:
            continue
        distinct = list(dict.fromkeys(texts))
        if h.row >= 0 and sum(1 for c in h.columns if g.cell(r, c) and g.cell(r, c) == g.cell(h.row, c)) >= 2:
            continue  # the header again (a table continued on the next page)
        if _TOTAL_RE.match(distinct[0]):  # a total or a footnote
            flush()
            ctx.report.unplaced.append((r + 1, " ".join(distinct)))
            continue
        if _is_section_row(g, r, h, distinct):
            flush()
            text = distinct[0] if len(distinct) == 1 else _joined_heading(distinct)
            sec = _new_section(text, ctx, parent=top if label else None, siblings=sections)
            (top.setdefault("sections", []) if label else sections).append(sec)
            current, category = sec, None
            continue
        values: dict[str, str] = {}
        sources: dict[str, tuple[int, int]] = {}
        for c, fld in h.columns.items():
            text = g.cell(r, c)
            if text and fld not in values:
                values[fld] = text
                sources[fld] = g.source(r, c)
            elif text and fld in ("lead", "units", "progress", "notes", "measures"):
                values[fld] += "\n" + text
        row = _Row(r, values, sources)
        if not any(row.values.get(f) for f in _WHAT_A_ROW_IS):
            joined = " ".join(distinct)
            if not (_FILLER_RE.search(joined) or _FILL_DATE_RE.search(joined)):  # those were read above
                ctx.report.unplaced.append((r + 1, joined))
            continue
        cat = row.values.get("category", "")
        if cat and (category is None or category[0] != cat):
            flush()
            parent = current if current is not None else (top if label else None)
            sec = _new_section(cat, ctx, parent=parent, siblings=sections)
            if parent is None:
                sections.append(sec)
            else:
                parent.setdefault("sections", []).append(sec)
            category = (cat, sec)
        primary = _primary(row)
        if (group and primary is not None and _primary(group[-1]) != primary) or (group and primary is None):
            flush()
        group.append(row)
    flush()
    if not top["tasks"]:
        del top["tasks"]
    ctx.last_place = (category[1] if category else current if current is not None else top if top.get("id") else None,
                      category)


def _joined_heading(distinct: list[str]) -> str:
    """一 + 党的建设 -> 一、党的建设 (a number cell and a title cell read as one heading)."""
    number, title = distinct[0], distinct[1]
    return number + ("" if re.search(r"[、．.）)]$|部分$|[章篇节]$", number) else "、") + title


def _primary(row: _Row) -> tuple[str, tuple[int, int]] | None:
    """What groups rows into one item: the task (or problem) cell they share, merged down."""
    for fld in ("task", "problem"):
        if row.values.get(fld) and "measures" in row.values:
            return fld, row.sources[fld]
    return None


_TOTAL_RE = re.compile(r"^(?:合\s*计|总\s*计|小\s*计|注[:：]|备注[:：]|说明[:：])")
_HEAD_NUMBER_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、．.]?|[（(][一二三四五六七八九十]{1,3}[）)]"
                             r"|第[一二三四五六七八九十]{1,3}(?:部分|章|篇|节))$")


def _is_section_row(g: Grid, r: int, h: _Header, distinct: list[str]) -> bool:
    """A row merged across the table, a lone numbered heading, or a Chinese-numbered row that fills only its number
    and one text (一 | 党的建设 | | |) opens a section."""
    filled = {h.columns[c]: g.cell(r, c) for c in h.columns if g.cell(r, c)}
    number = filled.pop("number", "")
    if _HEAD_NUMBER_RE.match(number) and len(filled) == 1:
        return True
    if len(distinct) != 1:
        return False
    text = distinct[0]
    filled_cols = [c for c in h.columns if g.cell(r, c)]
    merged_across = len(filled_cols) >= 2 and len({g.source(r, c) for c in filled_cols}) == 1
    return merged_across or (bool(_SECTION_HEAD_RE.match(text)) and len(text) <= 60)


def _new_section(text: str, ctx: _Table, parent: dict[str, Any] | None,
                 siblings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from portal.importer import _numbered

    num = _numbered(text)
    number, rest, value = (num[1], num[3], num[2]) if num else ("", text, 0)
    rest = _norm(rest, ctx)[0]
    prefix = f"{parent['id']}-" if parent else "s"
    count = len(parent.get("sections", [])) + 1 if parent else len(siblings or []) + 1
    sec: dict[str, Any] = {"id": _unique_id(f"{prefix}{value or count}", ctx.used_ids)}
    if number:
        sec["number"] = number
    sec["title"] = make_title(rest) or number or text
    if rest.rstrip("。；;：: ") != sec["title"]:
        sec["details"] = rest
    return sec


def _norm(text: str, ctx: _Table) -> tuple[str, int]:
    if ctx.options.keep_punctuation:
        return text, 0
    out, changed = full_width(text)
    ctx.report.punctuation += changed
    return out, changed


def _rows_to_tasks(rows: list[_Row], home: dict[str, Any], ctx: _Table, g: Grid) -> None:
    """One task for a row; rows sharing a task or problem cell: one task when one row, else a sub-section."""
    if len(rows) > 1 and _primary(rows[0]) is not None:
        fld = _primary(rows[0])[0]  # type: ignore[index]
        head = rows[0].values[fld]
        sub = _new_section(head, ctx, parent=home)
        if fld == "problem":
            sub.pop("details", None)
        if rows[0].values.get("number") and "number" not in sub:
            sub["number"] = rows[0].values["number"]
        home.setdefault("sections", []).append(sub)
        for row in rows:
            row.values.pop("number", None)  # the number and the task are the shared item's, the sub-section's
            row.values.pop(fld, None)
            task = _task(row, ctx, g, title_from=("measures",), problem=head if fld == "problem" else "")
            sub.setdefault("tasks", []).append(task)
            ctx.refs.append(_TaskRef(task, None, None, sub["id"]))
        return
    for row in rows:
        task = _task(row, ctx, g, title_from=("task", "problem", "measures"),
                     problem=row.values.get("problem", ""))
        home.setdefault("tasks", []).append(task)
        ctx.refs.append(_TaskRef(task, _int(row.values.get("number")), None, home["id"]))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 6 else None


def _task(row: _Row, ctx: _Table, g: Grid, *, title_from: tuple[str, ...], problem: str) -> dict[str, Any]:
    v = {k: _norm(t, ctx)[0] if k not in ("number", "deadline", "percent") else t for k, t in row.values.items()}
    problem = _norm(problem, ctx)[0] if problem else ""
    main = next(v[f] for f in title_from if v.get(f))
    task: dict[str, Any] = {"id": ""}
    if v.get("number"):
        task["number"] = v["number"]
    task["title"] = make_title(main)
    measures: list[str] = []
    if v.get("measures") and (problem or v.get("task")) and "measures" not in title_from[:1]:
        from portal.importer import _numbered, split_measures

        pieces = [(num[3] if (num := _numbered(p.strip())) else p) for p in v["measures"].split("\n")]
        measures = [m for piece in pieces for m in split_measures(piece)]
    details = [t for t in (v.get("task"), "" if measures else v.get("measures"), v.get("target"),
                           v.get("notes") and _msg("import_notes_cell", text=v["notes"])) if t]
    details = [t for t in details if t and t.rstrip("。；;：: ") != task["title"]]
    if details:
        task["details"] = "\n".join(dict.fromkeys(details))
    if problem:
        task["problem"] = problem
    if measures:
        task["measures"] = measures
    if v.get("deadline"):
        deadline = _deadline_cell(v["deadline"], ctx, g.where(row.r))
        if deadline:
            task["deadline"] = deadline
    if v.get("leader"):
        task["leader"] = v["leader"].replace("\n", "、")
    for fld in ("lead", "units"):
        if v.get(fld):
            names = [n for n in _NAME_SPLIT.split(v[fld]) if n and n not in ("无", "/", "—", "-")]
            if fld == "units" and ctx.lead_first and names:
                task["lead"], names = [names[0]], names[1:]
            if names:
                task[fld] = list(dict.fromkeys(names))
                ctx.departments.update(dict.fromkeys(names))
    _progress(task, v, ctx, g.where(row.r))
    return task


def _deadline_cell(text: str, ctx: _Table, where: str) -> str | list[str] | None:
    """A 完成时限 cell as deadline wording: a date as ISO, wording that reads, else the phrases found in it."""
    text = text.strip()
    if m := _DOTTED_DATE_RE.match(text):
        try:
            return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))  # type: ignore[return-value]
        except ValueError:
            pass
    one_line = re.sub(r"\s*\n\s*", "，", text)
    if parse_deadline(one_line, ctx.year):
        return one_line
    phrases = list(dict.fromkeys(one_line[a:b] for a, b, _ in find_deadline_phrases(one_line, ctx.year)))
    if not phrases:
        ctx.report.notes.append(_msg("import_deadline_unread", where=where, text=text[:40]))
        return None
    return phrases[0] if len(phrases) == 1 else phrases


def _status(text: str) -> str | None:
    for pattern, key in STATUS_WORDS:
        if re.search(pattern, text):
            return key
    return None


def _progress(task: dict[str, Any], v: dict[str, str], ctx: _Table, where: str) -> None:
    """Status from 完成情况 (or the progress text), percent from 完成进度, the progress as a dated update."""
    status = _status(v["status"]) if v.get("status") else None
    percent: int | None = None
    if v.get("percent"):
        m = _PERCENT_RE.match(v["percent"].strip())
        if m:
            value = float(m["n"])
            percent = round(value * 100) if value < 1 and "." in m["n"] else round(value)
        elif status is None:
            status = _status(v["percent"])
    if percent is not None and ctx.fractions and percent <= 1:  # Excel's 100% is the number 1
        percent *= 100
    if status is None and percent is not None:
        status = "done" if percent == 100 else "not_started" if percent == 0 and not v.get("progress") else (
            "in_progress")
    progress = v.get("progress", "")
    if status is None and progress:
        status = _status(progress.split("。")[0]) or "in_progress"
    if status is None and v.get("status"):
        ctx.report.notes.append(_msg("import_status_unread", where=where, text=v["status"][:20]))
    if status:
        task["status"] = status
    if percent is not None and 0 <= percent <= 100:
        agrees = {"done": percent == 100, "not_started": percent == 0}.get(status or "",
                                                                         0 < percent < 100 or not status)
        if agrees or status in ("ongoing", "suspended", "cancelled"):
            task["percent"] = percent
    if status == "done" and ctx.report_date:
        task["closed"] = dt.date.fromordinal(ctx.report_date.toordinal())  # a date of its own: no YAML alias
    text = progress or (v["status"] if v.get("status") and len(v["status"]) > 8 else "")
    if text and ctx.report_date:
        update: dict[str, Any] = {"date": dt.date.fromordinal(ctx.report_date.toordinal()), "text": text}
        by = ctx.filler or (task.get("lead") or [""])[0]
        if by:
            update["by"] = by
        task["updates"] = [update]
    elif text:
        ctx.report.notes.append(_msg("import_progress_undated", where=where))
