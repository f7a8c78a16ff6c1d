"""The monthly report as a 公文 (issue 15): its title, 主送机关 and 落款, quotes inside quotes, the late and
postponed tasks named, the ranking; the Word file's page numbers, odd and even footers and ranking table, and
the same file rendered to PDF by LibreOffice, page by page, where LibreOffice is installed. The 督办通知单 of
`portal notices`: one per department with red or yellow items, and a summary for the leader."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from conftest import PORTAL, REPO, copy_project
from portal.config import ReportSettings, read_config
from portal.deadlines.due import Moved
from portal.ledger.load import load, load_text
from portal.ledger.model import Ledger, Registry
from portal.outputs.docx import RANK_WIDTHS_MM, write_docx
from portal.outputs.notices import build_notices, file_name
from portal.outputs.report import Report, build_report, nest_quotes
from portal.survey import Rules, survey

AS_OF = dt.date(2020, 9, 30)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

LEDGER = """\
plan:
  id: zx
  title: 专项整治方案
  year: 2020
  issuer: 市局党组
sections:
  - id: s1
    number: 一、
    title: 关于“坚决整治违反中央“八项规定”精神问题”
    tasks:
      - id: t1
        title: 清理“小金库”
        lead: [办公室]
        deadline: 7月份
        status: 已完成
        percent: 100
        closed: 2020-08-14
      - id: t2
        title: 规范公务接待
        lead: [财务科]
        deadline: 9月底前
        status: 已完成
        percent: 100
        closed: 2020-09-20
      - id: t3
        title: 修订考勤制度
        lead: [人教科]
        deadline: 8月底前
        status: 进行中
        percent: 60
"""


def sample_report(settings: ReportSettings | None = None) -> Report:
    plan = load_text(LEDGER, as_of=AS_OF)
    s = survey(Ledger([plan], Registry()), AS_OF, moves={"t2": [Moved(dt.date(2020, 6, 20), dt.date(2020, 6, 30),
                                                                       dt.date(2020, 9, 30))]})
    return build_report(s, None, "zh", settings)


def test_nested_quotes_become_single_inside_double() -> None:
    assert nest_quotes("关于“坚决整治违反中央“八项规定”精神问题”") == "关于“坚决整治违反中央‘八项规定’精神问题”"
    assert nest_quotes("“一“二“三”二”一”") == "“一‘二“三”二’一”"
    assert nest_quotes("多余的”引号") == "多余的”引号"


def test_the_report_is_a_gongwen() -> None:
    report = sample_report(ReportSettings(issuer="市局督查室"))
    assert report.title == "关于《专项整治方案》2020年9月落实情况的报告"
    assert report.to == "市局党组："  # the plan's issuer, unless report.to says otherwise
    assert (report.issuer, report.date) == ("市局督查室", "2020年9月30日")
    assert report.groups[0].heading == "（一）关于“坚决整治违反中央‘八项规定’精神问题”"
    assert report.groups[0].tasks[0].heading == "清理“小金库”（已完成）"
    text = "\n".join(report.summary)
    assert "逾期完成的任务2项：清理“小金库”（应于7月31日前完成，8月14日销号）；规范公务接待（期限延后后完成）。" in text
    assert "期限延后的任务1项：规范公务接待（6月30日 → 9月30日）。" in text
    assert "亮灯情况：红灯（逾期）1项，黄灯（滞后）0项，逾期完成2项。" in text
    # 办公室 and 财务科 both 100%, both late: the postponement tells them apart
    assert [line.cells()[:6] for line in report.ranking] == [("1", "红旗", "办公室", "1/1", "0", "0"),
                                                             ("2", "红旗", "财务科", "1/1", "0", "1"),
                                                             ("3", "红旗", "人教科", "0/1", "1", "0")]
    assert report.ranking_notes[0].startswith("排名规则：按各单位牵头的到期任务排名")


def test_the_title_form_is_a_setting() -> None:
    report = sample_report(ReportSettings(title="关于{plan}{year}年{month}月整改进展情况的报告", to="市委巡察办"))
    assert report.title == "关于专项整治方案2020年9月整改进展情况的报告"
    assert report.to == "市委巡察办："


@pytest.fixture(scope="module")
def sample_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's report at 2020-09-30 as Word (long enough for several pages)."""
    cfg = read_config(REPO / "mkdocs.yml", environ={})
    loaded = load(cfg)
    s = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    path = tmp_path_factory.mktemp("report") / "report.docx"
    write_docx(build_report(s, None, cfg.lang, cfg.report), path, loaded.as_of)
    return path


def test_the_word_document_opens_with_its_addressee_and_signature(sample_docx: Path) -> None:
    document = docx.Document(str(sample_docx))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "关于《2020年修复净化党内政治生态工作实施方案》2020年9月落实情况的报告"
    assert "市市场监督管理局党组：" in texts[:5]
    assert texts[-2:] == ["市局修复净化党内政治生态工作领导小组办公室", "2020年9月30日"]
    assert document.paragraphs[-1].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    body = "\n".join(texts)
    assert re.search(r"“[^”‘]*“", body) is None  # no double quote opened inside a double quote
    assert "关于“坚决整治违反中央‘八项规定’精神问题”" in body


def test_page_numbers_are_fields_at_the_outer_side(sample_docx: Path) -> None:
    with zipfile.ZipFile(sample_docx) as z:
        names = z.namelist()
        settings = z.read("word/settings.xml").decode("utf-8")
        footers = {n: z.read(n).decode("utf-8") for n in names if re.fullmatch(r"word/footer\d+\.xml", n)}
        rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        document = z.read("word/document.xml").decode("utf-8")
    assert "w:evenAndOddHeaders" in settings
    kinds = dict(re.findall(r'<w:footerReference w:type="(\w+)" r:id="(\w+)"', document))
    assert {"default", "even"} <= set(kinds)
    targets = dict(re.findall(r'Id="(\w+)"[^>]*Target="(footer\d+\.xml)"', rels)) | \
        {k: v for v, k in re.findall(r'Target="(footer\d+\.xml)"[^>]*Id="(\w+)"', rels)}
    odd, even = footers["word/" + targets[kinds["default"]]], footers["word/" + targets[kinds["even"]]]
    for footer, side in ((odd, "right"), (even, "left")):
        assert "w:fldSimple" not in footer  # LibreOffice showed '— —' for it
        assert [m for m in re.findall(r'w:fldCharType="(\w+)"', footer)] == ["begin", "separate", "end"]
        assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer)
        assert f'<w:jc w:val="{side}"/>' in footer
        assert "— " in footer and " —" in footer


def test_the_ranking_table_has_widths_fixed_layout_and_a_repeated_header(sample_docx: Path) -> None:
    document = docx.Document(str(sample_docx))
    [table] = document.tables
    tbl = table._tbl
    assert tbl.tblPr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
    grid = [int(c.get(f"{W}w")) for c in tbl.tblGrid.findall(f"{W}gridCol")]
    twips = [round(mm / 25.4 * 1440) for mm in RANK_WIDTHS_MM]
    assert grid == pytest.approx(twips, abs=2) and sum(RANK_WIDTHS_MM) == 156  # the 公文 text block
    for row in table.rows:
        widths = [int(tc.tcPr.find(f"{W}tcW").get(f"{W}w")) for tc in row._tr.tc_lst]
        assert widths == pytest.approx(twips, abs=2)
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    header = ["名次", "旗帜", "单位", "完成/到期", "逾期", "延期", "完成率", "得分"]
    assert [c.text for c in table.rows[0].cells] == header


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install -y "
                    "libreoffice-writer-nogui, or make test, to render the report to PDF")
def test_libreoffice_renders_every_page_number_at_the_outer_side(sample_docx: Path, tmp_path: Path) -> None:
    import pypdf

    profile = tmp_path / "profile"  # a profile of its own: no clash with another soffice running
    done = subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(sample_docx)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    reader = pypdf.PdfReader(str(tmp_path / "report.pdf"))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, 1):
        assert re.search(rf"—\s*{number}\s*—\s*$", page.extract_text()), (number, page.extract_text()[-80:])
        found: list[float] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float,
                  found: list[float] = found, number: int = number) -> None:
            if text.strip() == str(number) and tm[5] < 80:  # the foot of the page
                found.append(tm[4] * cm[0] + cm[4])

        page.extract_text(visitor_text=visit)
        width = float(page.mediabox.width)
        assert found, number
        assert (found[-1] > width / 2) == (number % 2 == 1), (number, found, width)  # odd right, even left


# --- 督办通知单 ----------------------------------------------------------------------------------------------------


def test_a_notice_names_each_red_and_yellow_item_with_what_is_wrong() -> None:
    plan = load_text(LEDGER, as_of=AS_OF)
    s = survey(Ledger([plan], Registry()), AS_OF)
    notices, summary = build_notices(s, "zh", ReportSettings(issuer="市局督查室"), reply_days=10)
    assert [n.dept for n in notices] == ["人教科"]  # the only department with a red or yellow task
    [notice] = notices
    assert (notice.title, notice.to, notice.issuer, notice.date) == ("督办通知单", "人教科：", "市局督查室",
                                                                     "2020年9月30日")
    assert notice.number == "〔2020〕　号"
    [item] = notice.items
    assert item.heading == "一、修订考勤制度"
    assert item.lines == ("完成时限：8月底前（8月31日）。", "存在问题：逾期 30 天。", "最新进展：暂无进展记录。")
    assert notice.closing == "请于10月10日前将整改落实情况书面报送市局督查室。"
    assert summary.rows == (("人教科", "1", "0", "修订考勤制度"),)
    assert file_name(notice, "2020-09") == "2020-09 督办通知单 人教科.docx"


def test_portal_notices_writes_one_per_department_with_red_items(tmp_path: Path) -> None:
    import os

    project = copy_project(tmp_path / "p")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(PORTAL), "notices"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "已写出 11 份督办通知单" in done.stdout
    folder = project / "notices" / "2020-09"
    cfg = read_config(project / "mkdocs.yml", environ={})
    loaded = load(cfg)
    s = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    red = {r.dept.name for r in s.departments if r.dept.ranked and r.counts.overdue}
    written = {p.name.removeprefix("2020-09 督办通知单 ").removesuffix(".docx") for p in folder.glob("*督办通知单*")}
    assert red <= written
    notice = docx.Document(str(folder / "2020-09 督办通知单 食品安全协调科.docx"))
    texts = [p.text for p in notice.paragraphs]
    assert texts[0] == "督办通知单" and "食品安全协调科：" in texts
    assert texts[-2:] == ["市局修复净化党内政治生态工作领导小组办公室", "2020年9月30日"]
    assert any(t.startswith("存在问题：逾期 92 天") for t in texts)
    summary = docx.Document(str(folder / "2020-09 督办情况汇总.docx"))
    assert {r.cells[0].text for r in summary.tables[0].rows[1:]} == written
