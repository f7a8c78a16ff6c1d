"""The monthly report as a Word document in the layout of a 公文 (GB/T 9704-2012).

A4 with 37/35/28/26 mm margins, the title in 小标宋 二号, 一级 headings in 黑体,
二级 in 楷体, body in 仿宋 三号 on a 22-line page (a fixed 28.95 pt line), the
主送机关 flush left, the 落款 at the right. Page numbers "— 1 —" in 宋体 四号 at
the outer side: odd pages right, even pages left, one character in (odd and even
footers, ``w:evenAndOddHeaders``); the number is a complex PAGE field
(``w:fldChar`` begin / ``w:instrText`` / separate / a placeholder / end), which
Word, WPS and LibreOffice all render (LibreOffice left ``w:fldSimple`` empty).
The ranking table has its widths in the grid and in each cell, a fixed layout and
a header row repeated on every page, so WPS lays it out as Word does. Fonts are
named, not embedded: Word substitutes what the office PC has. The file is
reproducible: fixed document dates and zip entry times.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from portal.outputs.notices import Notice, NoticeSummary
from portal.outputs.report import Report, ReportGroup, ReportTask
from portal.outputs.tables import reproducible_zip

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
PAGE_NUMBER_SIZE = Pt(14)  # 四号
TABLE_SIZE = Pt(12)  # 小四
LINE = Pt(28.95)  # 22 lines in the 225 mm text block
CHAR = Pt(16)  # one character of the body: indents are counted in characters
#: The ranking table's column widths in millimetres, summing to the 156 mm text block (名次, 旗帜, 单位,
#: 完成/到期, 逾期, 延期, 完成率, 得分): the name gets the room, so that names do not wrap.
RANK_WIDTHS_MM = (13, 14, 51, 22, 13, 13, 17, 13)
#: The notices' summary table (单位, 红灯, 黄灯, 任务): 156 mm too.
SUMMARY_WIDTHS_MM = (52, 16, 16, 72)


def _save(doc: Document, path: Path, title: str, as_of: dt.date) -> None:
    """Write ``doc`` to ``path`` (overwriting), reproducibly: fixed document dates and zip entry times."""
    doc.core_properties.title = title
    doc.core_properties.author = "Progress Portal"
    doc.core_properties.last_modified_by = "Progress Portal"
    stamp = dt.datetime.combine(as_of, dt.time())
    doc.core_properties.created = stamp
    doc.core_properties.modified = stamp
    doc.core_properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(reproducible_zip(buffer.getvalue()))


def write_notice_docx(notice: Notice, path: Path, as_of: dt.date) -> None:
    """A 督办通知单 as a 公文: title, a 发文字号 to fill in, 主送 the department, the items, the reply asked for,
    the 落款."""
    doc = Document()
    _page(doc)
    _paragraph(doc, notice.title, TITLE_FONT, Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, notice.number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, "", indent=False)
    _paragraph(doc, notice.to, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False)
    _paragraph(doc, notice.intro)
    for item in notice.items:
        _heading(doc, item.heading)
        for line in item.lines:
            _paragraph(doc, line)
    _paragraph(doc, notice.closing)
    _signature(doc, notice.issuer, notice.date)
    _save(doc, path, f"{notice.title} {notice.dept}", as_of)


def write_notice_summary_docx(summary: NoticeSummary, path: Path, as_of: dt.date) -> None:
    """One page for the leader: the departments noticed and their red and yellow items, as a table."""
    doc = Document()
    _page(doc)
    _paragraph(doc, summary.title, TITLE_FONT, Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, summary.subtitle, SUBHEADING_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, summary.intro)
    if summary.rows:
        _table(doc, summary.columns, summary.rows, SUMMARY_WIDTHS_MM)
    _signature(doc, summary.issuer, summary.date)
    _save(doc, path, summary.title, as_of)


def write_docx(report: Report, path: Path, as_of: dt.date) -> None:
    """Write the report to ``path`` (overwriting), reproducibly for the same report and date."""
    doc = Document()
    _page(doc)
    _paragraph(doc, report.title, TITLE_FONT, Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, report.subtitle, SUBHEADING_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    if report.to:
        _paragraph(doc, "", indent=False)
        _paragraph(doc, report.to, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False)
    _heading(doc, report.part("summary").heading)
    for text in report.summary:
        _paragraph(doc, text)
    _heading(doc, report.part("progress").heading)
    for group in report.groups:
        _group(doc, group, level=2)
    _heading(doc, report.part("next").heading)
    _paragraph(doc, report.next_intro)
    for sentence in report.next_steps:
        _paragraph(doc, sentence)
    _heading(doc, report.part("ranking").heading)
    _ranking(doc, report)
    for note in report.ranking_notes:
        _paragraph(doc, note)
    _signature(doc, report.issuer, report.date)
    _save(doc, path, report.title, as_of)


def _page(doc: Document) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    doc.settings.odd_and_even_pages_header_footer = True  # w:evenAndOddHeaders: odd and even footers differ
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)  # odd pages: at the right
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)  # even pages: at the left


def _page_number(footer: Paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    """'— 1 —' in 宋体 四号 at the outer side, one character in; the number a complex PAGE field."""
    footer.alignment = align
    fmt = footer.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = PAGE_NUMBER_SIZE
    else:
        fmt.left_indent = PAGE_NUMBER_SIZE
    _run(footer, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _field_char(footer, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    _run(footer, "", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)._r.append(instr)
    _field_char(footer, "separate")
    _run(footer, "1", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)  # shown until the reader computes the field
    _field_char(footer, "end")
    _run(footer, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def _field_char(paragraph: Paragraph, kind: str) -> None:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    _run(paragraph, "", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)._r.append(char)


def _run(paragraph: Paragraph, text: str, font: str, size: Pt, bold: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = bold
    run.font.name = LATIN_FONT
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    return run


def _paragraph(doc: Document, text: str, font: str = BODY_FONT, size: Pt = BODY_SIZE, *, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True) -> Paragraph:
    p = doc.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = CHAR * 2
    _run(p, text, font, size, bold)
    return p


def _heading(doc: Document, text: str) -> None:
    _paragraph(doc, text, HEADING_FONT)


def _group(doc: Document, group: ReportGroup, level: int) -> None:
    font = SUBHEADING_FONT if level == 2 else BODY_FONT
    _paragraph(doc, group.heading, font, bold=level > 2)
    for task in group.tasks:
        _task(doc, task)
    for sub in group.groups:
        _group(doc, sub, level + 1)


def _task(doc: Document, task: ReportTask) -> None:
    _paragraph(doc, task.heading, bold=True)
    if task.measures:
        _paragraph(doc, task.measures)
    _paragraph(doc, task.progress)


def _ranking(doc: Document, report: Report) -> None:
    if not report.ranking:
        _paragraph(doc, report.no_ranking)
        return
    _table(doc, report.ranking_columns, [line.cells() for line in report.ranking], RANK_WIDTHS_MM)


def _table(doc: Document, columns: Sequence[str], rows: Iterable[Sequence[str]], widths_mm: Sequence[float]) -> None:
    """A table as WPS and Word both lay it out: widths in the grid and in each cell, a fixed layout, the header
    row repeated on every page, rows that do not split."""
    widths = [Mm(w) for w in widths_mm]
    table = doc.add_table(rows=1, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    total = OxmlElement("w:tblW")  # python-docx leaves it "auto": the sum of the columns, in twips
    total.set(qn("w:w"), str(sum(w.twips for w in widths)))
    total.set(qn("w:type"), "dxa")
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_pr.append(total)
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width.twips))  # the grid, as Word and WPS read it
    header = table.rows[0]
    header_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row again at the top of every page
    header_pr.append(repeat)
    for cell, text, width in zip(header.cells, columns, widths, strict=True):
        _cell(cell, text, width, bold=True)
    for values in rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        for cell, text, width in zip(row.cells, values, widths, strict=True):
            _cell(cell, text, width)


def _cell(cell: _Cell, text: str, width: Mm, bold: bool = False) -> None:
    cell.width = width  # w:tcW in each cell, as well as the grid
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, text, BODY_FONT, TABLE_SIZE, bold)


def _signature(doc: Document, issuer: str, date: str) -> None:
    """The 落款: a blank line, the issuer, then the date, at the right four characters in."""
    _paragraph(doc, "", indent=False)
    for text in (issuer, date):
        if text:
            p = _paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
            p.paragraph_format.right_indent = CHAR * 4
