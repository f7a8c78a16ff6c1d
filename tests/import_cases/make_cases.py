"""Write the binary documents of the import corpus (Word tables, Excel ledgers, broken files).

    PYTHONPATH=/path/to/xlwt .venv/bin/python tests/import_cases/make_cases.py

The documents are made up from how such documents are laid out (no real document is copied). They are committed;
this script says how they were made and makes them again. The .xls needs xlwt (pip install xlwt==1.3.0, only for
this script: the importer reads .xls with xlrd); without it the .xls is left as it is. File dates are fixed so that
the files are the same each time (except what the libraries stamp inside a zip).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
import openpyxl
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from openpyxl.styles import Alignment

HERE = Path(__file__).resolve().parent
SAVED = dt.datetime(2021, 3, 31, 9, 0, 0)


# --- Word ------------------------------------------------------------------------------------------------------------


def _docx(path: Path, document: docx.document.Document) -> None:
    document.core_properties.modified = SAVED
    document.core_properties.created = SAVED
    document.save(str(path))


def division_table() -> None:
    """A 任务分工表: 版头, title, date line; a table with section rows merged across, 重点任务 merged down over its
    measures, cells of several lines, and a 落款 after it."""
    d = docx.Document()
    d.add_paragraph("××市市场监督管理局办公室文件")
    d.add_paragraph("××市监办发〔2021〕8号")
    d.add_paragraph("2021年食品安全重点工作任务分工表")
    header = ["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "责任领导", "完成时限", "备注"]
    rows: list[list[str] | str] = [
        "一、落实食品安全责任",
        ["1", "压实属地管理责任", "3月底前与各县区签订食品安全责任书", "食品安全协调科", "各县区局", "王××",
         "3月底前", ""],
        ["1", "压实属地管理责任", "每季度召开1次食品安全形势分析会,研判风险", "食品安全协调科", "各科室", "王××",
         "每季度", ""],
        ["2", "落实企业主体责任", "督促食品生产企业配备食品安全总监\n建立日管控、周排查、月调度工作机制", "食品生产科",
         "食品检验检测中心", "李××", "2021年6月30日", "重点企业优先"],
        "二、强化风险防控",
        ["3", "开展食品安全抽检", "完成食品安全抽检4000批次，问题发现率不低于3%", "食品抽检科", "食品检验检测中心",
         "李××", "11月底前", ""],
        ["4", "整治校园食品安全", "春秋两季开学前开展校园及周边食品安全专项检查", "食品经营科", "教育局、各市场监管所",
         "张××", "3月、9月", "会同教育部门"],
    ]
    table = d.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    first_of_task: dict[str, int] = {}
    for row in rows:
        cells = table.add_row().cells
        r = len(table.rows) - 1
        if isinstance(row, str):
            merged = cells[0].merge(cells[-1])
            merged.text = row
            continue
        for c, text in enumerate(row):
            cells[c].text = text
        if row[0] in first_of_task:  # the task of this row started above: merge its number and task cells down
            top = first_of_task[row[0]]
            for c in (0, 1):
                table.cell(r, c).text = ""
                merged = table.cell(top, c).merge(table.cell(r, c))
                merged.text = row[c]
        else:
            first_of_task[row[0]] = r
    d.add_paragraph("××市市场监督管理局")
    d.add_paragraph("2021年3月1日")
    _docx(HERE / "division-table.docx", d)


def two_row_header() -> None:
    """A table whose header has two rows: 责任单位 merged over 牵头单位 / 配合单位; no section rows; 时间节点."""
    d = docx.Document()
    d.add_paragraph("关于印发《2022年知识产权保护工作任务清单》的通知")
    d.add_paragraph("各科室、各直属单位：")
    d.add_paragraph("现将任务清单印发给你们，请认真抓好落实。")
    table = d.add_table(rows=2, cols=5)
    table.style = "Table Grid"
    top = table.rows[0].cells
    top[0].merge(table.cell(1, 0)).text = "序号"
    top[1].merge(table.cell(1, 1)).text = "工作任务"
    top[2].merge(top[3]).text = "责任单位"
    table.cell(1, 2).text = "牵头单位"
    table.cell(1, 3).text = "配合单位"
    top[4].merge(table.cell(1, 4)).text = "时间节点"
    data = [
        ["1", "开展商标侵权专项整治，查办一批典型案件", "知识产权科", "执法支队", "全年"],
        ["2", "建设知识产权维权援助工作站2个", "知识产权科", "各市场监管所", "10月底前"],
        ["3", "组织“4·26”知识产权宣传周活动", "知识产权科、办公室", "", "4月份"],
    ]
    for row in data:
        cells = table.add_row().cells
        for c, text in enumerate(row):
            cells[c].text = text
    _docx(HERE / "two-row-header.docx", d)


def lead_first() -> None:
    """A table whose one units column names its lead first (责任单位（排在第一位的为牵头单位）), no section rows."""
    d = docx.Document()
    d.add_paragraph("2023年优化营商环境重点任务分工方案")
    table = d.add_table(rows=1, cols=4)
    for c, text in enumerate(["序号", "工作任务及目标", "责任单位（排在第一位的为牵头单位）", "完成时间"]):
        table.cell(0, c).text = text
    for row in [["1", "推行企业开办“一日办结”", "登记注册科、信息中心", "2023年6月"],
                ["2", "开展涉企收费专项检查", "价格监督检查科", "持续推进"]]:
        cells = table.add_row().cells
        for c, text in enumerate(row):
            cells[c].text = text
    _docx(HERE / "lead-first.docx", d)


def split_table() -> None:
    """A task table that Word split in two at an empty paragraph: the second part has no header of its own."""
    d = docx.Document()
    d.add_paragraph("2022年“我为群众办实事”重点项目清单")
    header = ["序号", "项目名称", "牵头单位", "完成时限"]
    parts = [[["1", "开通消费投诉“绿色通道”", "消费者权益保护科", "5月底前"],
              ["2", "开展老年人保健食品虚假宣传整治", "广告监督管理科", "8月底前"]],
             [["3", "推进电梯应急处置平台建设", "特种设备安全监察科", "10月底前"]]]
    for k, rows in enumerate(parts):
        table = d.add_table(rows=0, cols=len(header))
        table.style = "Table Grid"
        for row in ([header] if k == 0 else []) + rows:
            cells = table.add_row().cells
            for c, text in enumerate(row):
                cells[c].text = text
        d.add_paragraph("")
    _docx(HERE / "split-table.docx", d)


def auto_numbered() -> None:
    """An outline whose numbers are Word's automatic numbering (第%1部分 / （%2） / %3.), not typed: a version with
    a 落款 and a closing paragraph."""
    d = docx.Document()
    numbering = d.part.numbering_part.element
    levels = [("chineseCounting", "第%1部分"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]
    body = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                   "</w:lvl>" for i, (fmt, text) in enumerate(levels))
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{body}</w:abstractNum>')
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        paragraph = d.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    d.add_paragraph("2024年计量工作实施方案")
    numbered("主要任务", 0)
    numbered("夯实计量基础", 1)
    numbered("4月底前完成社会公用计量标准复查。", 2)
    numbered("开展计量器具强制检定工作，10月底前完成年度检定计划。", 2)
    d.add_paragraph("牵头科室：计量科")
    numbered("服务产业发展", 1)
    numbered("每季度走访重点企业，了解计量需求。", 2)
    d.add_paragraph("牵头科室：计量科  责任单位：计量检定测试所")
    numbered("保障措施", 0)
    numbered("加强经费保障，确保检定设备更新。", 2)
    d.add_paragraph("牵头科室：财务科")
    d.add_paragraph("各单位要结合实际抓好落实。")
    d.add_paragraph("××市市场监督管理局")
    d.add_paragraph("2024年1月15日")
    _docx(HERE / "auto-numbered.docx", d)


# --- Excel -----------------------------------------------------------------------------------------------------------

LEDGER_HEADER = ["序号", "问题类别", "存在问题", "整改措施", "责任领导", "牵头单位", "整改时限", "整改进展情况",
                 "完成情况"]
LEDGER_ROWS = [
    ["1", "思想政治建设方面", "理论学习不够深入，学用结合不紧", "制定年度理论学习计划，每月开展1次集中学习", "赵××",
     "机关党委",
     "2021年4月底前", "已印发学习计划，开展集中学习3次。", "已完成"],
    ["2", "思想政治建设方面", "意识形态工作责任落实不到位", "修订意识形态工作责任清单", "赵××", "机关党委、办公室",
     "6月底前", "清单已起草，正在征求意见。", "正在推进"],
    ["", "", "", "每半年专题研究1次意识形态工作", "赵××", "机关党委", "长期坚持", "", "长期坚持"],
    ["3", "作风建设方面", "执法检查“一刀切”现象仍有发生", "开展执法规范化专项培训，年内培训执法人员200人次", "钱××",
     "法规科", "12月底前", "", "未启动"],
]


def _ledger_sheet(ws: openpyxl.worksheet.worksheet.Worksheet, title: str, header: list[str],
                  rows: list[list[str]], merges: list[str]) -> None:
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(["填报单位：××区市场监督管理局", "", "", "", "", "", "填报时间：2021年5月31日"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")


def _xlsx(path: Path, wb: openpyxl.Workbook) -> None:
    wb.properties.created = SAVED
    wb.properties.modified = SAVED
    wb.save(str(path))


def rectification_ledger() -> None:
    """An office's 整改台账: title and 填报 rows above the header, category merged down, a problem merged down
    over two measures, status and progress."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整改台账"
    rows = [list(r) for r in LEDGER_ROWS]
    rows[2][0:3] = ["", "", ""]
    _ledger_sheet(ws, "巡察反馈问题整改落实情况台账", LEDGER_HEADER, rows, ["A5:A6", "B4:B6", "C5:C6"])
    _xlsx(HERE / "rectification-ledger.xlsx", wb)


def ledger_by_sheet() -> None:
    """One sheet per category, and a sheet of instructions without a header."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["1. 完成情况填写：已完成、正在推进、未启动、长期坚持。"])
    notes.append(["2. 整改进展情况请写明时间节点。"])
    header = ["序号", "整改任务", "牵头单位", "配合单位", "完成时限", "工作进展", "状态"]
    sheets = {
        "食品安全": [["1", "开展农村集体聚餐食品安全指导", "食品经营科", "各市场监管所", "9月底前",
                  "已指导集体聚餐120场次", "正在推进"],
                 ["2", "完成学校食堂“明厨亮灶”改造", "食品经营科", "", "2021.8.31", "改造完成全部学校食堂", "已完成"]],
        "特种设备": [["1", "开展电梯安全隐患排查整治", "特种设备安全监察科", "特种设备检验所", "6月底前", "",
                  "未启动"]],
    }
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([f"2021年{name}领域整改任务台账"])
        ws.append(["填报时间：2021年6月15日"])
        ws.append(header)
        for row in rows:
            ws.append(row)
    _xlsx(HERE / "ledger-by-sheet.xlsx", wb)


def progress_percent() -> None:
    """A progress table with a percent column, an unmapped column (联系人), a date cell and no title."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["序号", "重点工作", "责任科室", "完成时间", "完成进度", "推进情况", "联系人"])
    ws.append([1, "建成智慧监管平台一期", "信息中心", dt.datetime(2021, 9, 30), 0.6, "平台主体功能已上线试运行",
               "孙××"])
    ws.append([2, "修订行政处罚裁量基准", "法规科", "6月份", 1, "已印发实施", "周××"])
    ws.append([3, "推进检验检测机构整合", "人事科", "年底前", 0, "", "吴××"])
    ws.append(["", "", "", "", "", "", ""])
    ws.append(["填报时间：2021年7月5日"])
    _xlsx(HERE / "progress-percent.xlsx", wb)


def statistics_sheet() -> None:
    """A progress statistics sheet: a header below a blank row, section rows that fill only 序号 (一) and the task
    cell, header names over two lines, a yes/no completion column, a total row and a footnote."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2022年"
    ws.append(["XX局2022年重点工作任务推进情况统计表"])
    ws.merge_cells("A1:H1")
    ws.append(["填报单位（盖章）：XX局办公室", None, None, None, "填报日期：2022年10月8日"])
    ws.append([])
    ws.append(["序号", "工作任务", "具体目标", "责任科室\n（单位）", "分管\n领导", "完成时限", "推进情况", "是否完成"])
    ws.append(["一", "党的建设", None, None, None, None, None, None])
    ws.append([1, "开展党史学习教育", "组织专题学习10次", "机关党委", "张××", "全年", "已开展8次", "否"])
    ws.append([2, "推进模范机关创建", "创建达标率100%", "机关党委", "张××", "2022年11月", "", "未完成"])
    ws.append(["二", "市场监管", None, None, None, None, None, None])
    ws.append([3, "开展双随机抽查", "抽查企业500户", "信用科/执法大队", "李××", "12月底前", "已抽查520户，已完成",
               "是"])
    ws.append(["合计", "3项", None, None, None, None, None, None])
    ws.append(["注：推进情况请如实填写。"])
    _xlsx(HERE / "statistics-sheet.xlsx", wb)


def no_header() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "电话"])
    ws.append(["张三", "123"])
    _xlsx(HERE / "no-header.xlsx", wb)


def xls_ledger() -> None:
    """The 整改台账 as .xls from an older Excel or WPS (written with xlwt, when it is there)."""
    try:
        import xlwt
    except ImportError:
        print("xlwt is not installed: rectification-ledger.xls left as it is")
        return
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("台账")
    ws.write_merge(0, 0, 0, len(LEDGER_HEADER) - 1, "巡察反馈问题整改落实情况台账")
    ws.write(1, 0, "填报单位：××区市场监督管理局")
    ws.write(1, 6, "填报时间：2021年5月31日")
    for c, text in enumerate(LEDGER_HEADER):
        ws.write(2, c, text)
    for r, row in enumerate(LEDGER_ROWS, 3):
        for c, text in enumerate(row):
            if r == 5 and c in (0, 1, 2):
                continue
            if (r, c) in ((4, 0), (4, 2)):
                ws.write_merge(4, 5, c, c, text)
            elif (r, c) == (3, 1):
                ws.write_merge(3, 5, 1, 1, text)
            elif not ((r == 4 and c == 1) or (r == 5 and c == 1)):
                ws.write(r, c, text)
    book.save(str(HERE / "rectification-ledger.xls"))


# --- broken and refused ----------------------------------------------------------------------------------------------


def broken() -> None:
    # An encrypted Office file is an OLE compound file holding EncryptedInfo and EncryptedPackage streams.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(1024)
    (HERE / "password.xlsx").write_bytes(ole)
    (HERE / "password.docx").write_bytes(ole)
    (HERE / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2040))
    (HERE / "truncated.xlsx").write_bytes(b"PK\x03\x04" + bytes(60) + b"xl/workbook.xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/vbaProject.bin", b"\x00" * 64)
    (HERE / "macros.xlsm").write_bytes(buffer.getvalue())


if __name__ == "__main__":
    division_table()
    two_row_header()
    lead_first()
    split_table()
    auto_numbered()
    rectification_ledger()
    ledger_by_sheet()
    progress_percent()
    statistics_sheet()
    no_header()
    xls_ledger()
    broken()
