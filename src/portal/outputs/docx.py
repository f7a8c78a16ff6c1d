"""The monthly report as a Word document in the layout of a 公文 (GB/T 9704-2012).

A4 with 37/35/28/26 mm margins, the title in 小标宋 二号, 一级 headings in 黑体,
二级 in 楷体, body in 仿宋 三号 at a fixed 28 pt line, page numbers "— 1 —" at
the foot. Fonts are named, not embedded: Word substitutes what the office PC has.
The file is reproducible: fixed document dates and zip entry times.
"""

from __future__ import annotations

import datetime as dt
import io
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

from portal.outputs.report import Report, ReportGroup, ReportTask
from portal.outputs.tables import reproducible_zip

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
LINE = Pt(28)


def write_docx(report: Report, path: Path, as_of: dt.date) -> None:
    """Write the report to ``path`` (overwriting), reproducibly for the same report and date."""
    doc = Document()
    _page(doc)
    _paragraph(doc, report.title, TITLE_FONT, Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, report.subtitle, SUBHEADING_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
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
    doc.core_properties.title = report.title
    doc.core_properties.author = "Progress Portal"
    doc.core_properties.last_modified_by = "Progress Portal"
    stamp = dt.datetime.combine(as_of, dt.time())
    doc.core_properties.created = stamp
    doc.core_properties.modified = stamp
    doc.core_properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(reproducible_zip(buffer.getvalue()))


def _page(doc: Document) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", PAGE_NUMBER_FONT, Pt(14))
    run = _run(footer, "", PAGE_NUMBER_FONT, Pt(14))
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run._r.append(field)
    _run(footer, " —", PAGE_NUMBER_FONT, Pt(14))


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
        fmt.first_line_indent = Pt(32)  # two characters
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
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, report.ranking_columns, strict=True):
        _cell(cell, text, bold=True)
    for line in report.ranking:
        for cell, text in zip(table.add_row().cells, line.cells(), strict=True):
            _cell(cell, text)


def _cell(cell: _Cell, text: str, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, text, BODY_FONT, Pt(12), bold)
