"""The document importer: seed documents, Word files with real automatic numbering, small cases and failures."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from portal.importer import (
    ImportFailed,
    ImportReport,
    chinese_number,
    format_number,
    import_file,
    import_plan,
    make_title,
    read_document,
    split_measures,
)
from portal.ledger.load import load_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
CASES = HERE / "import_cases"
PLAN = SEEDS / "plan-2020-political-ecology.txt"
REPORT = SEEDS / "rectification-progress-report-2022.txt"
SPECIAL = SEEDS / "special-action-plan.txt"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def seed(path: Path) -> Path:
    """A seed document, or skip: the seeds live outside the repository (/work/shared/seeds)."""
    if not path.exists():
        pytest.skip(f"种子文件不存在：{path}（测试需要 shared/seeds 目录与仓库并列）")
    return path


def loads(data: dict[str, Any]) -> Any:
    """The imported data passes the ledger's validation, written as the lead will write it."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return load_text(text, registry=None, as_of=dt.date(2100, 1, 1))


def walk_sections(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in sections:
        out.append(s)
        out.extend(walk_sections(s.get("sections", [])))
    return out


def walk_tasks(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for s in walk_sections(sections) for t in s.get("tasks", [])]


def wording(deadline: Any) -> Any:
    """A sample deadline without its demo progress: milestone mappings reduced to their text."""
    if isinstance(deadline, list):
        return [wording(d) for d in deadline]
    return deadline["text"] if isinstance(deadline, dict) else deadline


SECTION_KEYS = ("id", "number", "title", "leader", "lead", "units")
TASK_KEYS = ("id", "number", "title", "details", "deadline")


def comparable(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Structure and texts of a ledger, without the sample's demo progress."""
    out = []
    for s in sections:
        item: dict[str, Any] = {k: s[k] for k in SECTION_KEYS if k in s}
        item["tasks"] = [{k: wording(t[k]) if k == "deadline" else t[k] for k in TASK_KEYS if k in t}
                         for t in s.get("tasks", [])]
        item["sections"] = comparable(s.get("sections", []))
        out.append(item)
    return out


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return yaml.safe_load((REPO / "tasks.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_plan() -> tuple[dict[str, Any], ImportReport]:
    return import_file(seed(PLAN), plan_id="pe2020")


# ---------------------------------------------------------------------------------------------------------------------
# The seed plan against tasks.yaml
# ---------------------------------------------------------------------------------------------------------------------


def test_seed_plan_reproduces_sample_ledger(seed_plan: tuple[dict, ImportReport], sample: dict[str, Any]) -> None:
    data, _ = seed_plan
    got, want = comparable(data["sections"]), comparable(sample["sections"])
    assert [s["id"] for s in got] == [s["id"] for s in want]
    for g, w in zip(walk_sections(got), walk_sections(want), strict=True):
        assert g == w, g["id"]
    assert got == want
    # Nothing the sample does not have: sections carry no details, tasks no responsibility of their own.
    for section in walk_sections(data["sections"]):
        assert "details" not in section, section["id"]
    for task in walk_tasks(data["sections"]):
        assert not {"leader", "lead", "units"} & task.keys(), task["id"]


def test_seed_plan_counts(seed_plan: tuple[dict, ImportReport]) -> None:
    data, report = seed_plan
    sections = data["sections"]
    assert [s["number"] for s in sections] == ["一、", "二、", "三、", "四、", "五、", "六、", "七、"]
    items = [i for s in sections for i in s.get("sections", [])]
    assert [i["number"] for i in items] == [f"{n}." for n in range(1, 25)]
    tasks = walk_tasks(sections)
    assert [t["number"] for t in tasks] == [f"（{n}）" for n in range(1, 53)]
    assert [t["id"] for t in tasks] == [f"t{n:02d}" for n in range(1, 53)]
    assert sections[6]["tasks"][0]["id"] == "t52" and "sections" not in sections[6]
    assert (report.lines, report.sections, report.tasks) == (109, 31, 52)


def test_seed_plan_inherited_responsibility(seed_plan: tuple[dict, ImportReport]) -> None:
    data, _ = seed_plan
    imported = {t.id: t for t in loads(data).walk_tasks()}
    expected = {t.id: t for t in load_text((REPO / "tasks.yaml").read_text(encoding="utf-8"), registry=None,
                                           as_of=dt.date(2100, 1, 1)).walk_tasks()}
    assert imported.keys() == expected.keys()
    for task_id, task in imported.items():
        want = expected[task_id]
        assert (task.leader, task.lead, task.units) == (want.leader, want.lead, want.units), task_id
    assert imported["t01"].lead == ["机关党委", "人教科", "办公室"]
    assert imported["t46"].units == ["机关各科室", "直属各单位"]  # 机关各科室，直属各单位: a full-width comma
    assert imported["t52"].lead == ["市局修复净化党内政治生态工作领导小组办公室"]


def test_seed_plan_metadata(seed_plan: tuple[dict, ImportReport], sample: dict[str, Any]) -> None:
    data, report = seed_plan
    want = {k: v for k, v in sample["plan"].items() if k != "issuer"}  # the document does not name its issuer
    assert data["plan"] == want
    assert data["plan"]["source"] == "××办发〔2020〕12号"
    default, _ = import_file(PLAN)
    assert default["plan"]["id"] == "plan2020"
    assert import_file(PLAN, 2021)[0]["plan"]["year"] == 2021
    assert report.source == str(PLAN)


def test_seed_plan_titles_follow_the_cut_rule(seed_plan: tuple[dict, ImportReport]) -> None:
    tasks = {t["id"]: t for t in walk_tasks(seed_plan[0]["sections"])}
    # （46）: the last comma before 60 leaves "7月份", so the cut moves to the first comma after 60.
    assert tasks["t46"]["title"].endswith("等方面制度规定进行梳理修订") and len(tasks["t46"]["title"]) > 60
    assert tasks["t27"]["title"].endswith("食品（含保健食品）经营许可")  # no comma before 60: the last 、
    assert tasks["t28"]["title"].endswith("方面“吃拿卡要”")  # an ASCII comma counts
    assert tasks["t02"]["deadline"] == ["每周二", "每月", "6月份", "9-11月份"]
    assert tasks["t09"]["deadline"] == ["7月份前", "12月份前"]
    assert "deadline" not in tasks["t26"]  # 持之以恒 in its second sentence is manner, not a deadline


def test_seed_plan_places_every_line(seed_plan: tuple[dict, ImportReport]) -> None:
    data, report = seed_plan
    lines = PLAN.read_text(encoding="utf-8").splitlines()
    assert report.unplaced == [(3, lines[2])]  # the preamble; its document number is plan.source
    assert any("（26）" in n and "持之以恒" in n for n in report.notes)
    placed: list[str] = [data["plan"]["title"], data["plan"]["source"]]

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, str):
            placed.append(value)

    collect(data["sections"])
    haystack = "\x00".join(placed + [text for _, text in report.unplaced])
    numbers = {x["number"] for x in walk_sections(data["sections"]) + walk_tasks(data["sections"])}
    marker = re.compile(r"^[一二三四五六七八九十]+、|^\d+\.|（\d+）")
    label = re.compile(r"(?:责任领导|牵头科室|责任单位)：")  # field names: leader, lead, units
    separator = re.compile(r"[、，,。；]")
    total = covered = 0
    for lineno, line in enumerate(lines, 1):
        total += len(re.sub(r"\s", "", line))
        for m in marker.finditer(line):
            assert m[0] in numbers, (lineno, m[0])
            covered += len(m[0])
        rest = marker.sub("\x00", line)
        covered += sum(len(m[0]) for m in label.finditer(rest))
        rest = label.sub("\x00", rest)
        covered += len(separator.findall(rest))
        for piece in re.split(r"[\x00、，,。；\s]+", rest):
            if piece:
                assert piece in haystack, (lineno, piece)
                covered += len(piece)
    assert covered == total


def test_default_plan_id_and_missing_year() -> None:
    lines = ["修复净化政治生态工作方案", "一、思想建设", "1.加强学习。（1）4月份制定学习计划。"]
    with pytest.raises(ImportFailed, match="--year"):
        import_plan(lines, "plan.txt")
    data, _ = import_plan(lines, "plan.txt", 2020)
    assert data["plan"]["id"] == "plan2020"
    assert walk_tasks(data["sections"])[0]["deadline"] == "4月份"


# ---------------------------------------------------------------------------------------------------------------------
# Word documents
# ---------------------------------------------------------------------------------------------------------------------

CN_HEADING = re.compile(r"^([一二三四五六七八九十]+)、(.*)$")
ITEM = re.compile(r"^(\d+)\.(.*)$")


def _level_xml(ilvl: int, fmt: str, text: str, restart: int | None) -> str:
    restart_xml = f'<w:lvlRestart w:val="{restart}"/>' if restart is not None else ""
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>{restart_xml}'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>')


def _add_list(document: Any, levels: list[tuple[str, str, int | None]]) -> str:
    """A new abstractNum with these (numFmt, lvlText, lvlRestart) levels and a num using it; returns the numId."""
    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    aid, nid = max(abstract_ids, default=0) + 1, max(num_ids, default=0) + 1
    body = "".join(_level_xml(i, *level) for i, level in enumerate(levels))
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{aid}">'
                         f'<w:multiLevelType w:val="multilevel"/>{body}</w:abstractNum>')
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)  # the schema wants every abstractNum before the first num
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{aid}"/></w:num>'))
    return str(nid)


def _numbered_paragraph(document: Any, text: str, num_id: str, ilvl: int) -> None:
    paragraph = document.add_paragraph(text)
    num_pr = parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    paragraph._p.get_or_add_pPr().append(num_pr)


def build_docx(lines: list[str], path: Path, numbering: str | None = None) -> Path:
    """The plan as a Word file: plain paragraphs, or 一、 and 1. as Word's automatic numbering (not in the text)."""
    document = docx.Document()
    if numbering == "multilevel":  # one list, two levels; items count on across sections (lvlRestart 0)
        nid = _add_list(document, [("chineseCounting", "%1、", None), ("decimal", "%2.", 0)])
        heading, item = (nid, 0), (nid, 1)
    elif numbering == "two-lists":
        heading = (_add_list(document, [("chineseCounting", "%1、", None)]), 0)
        item = (_add_list(document, [("decimal", "%1.", None)]), 0)
    for line in lines:
        m_heading, m_item = CN_HEADING.match(line), ITEM.match(line)
        if numbering and m_heading:
            _numbered_paragraph(document, m_heading[2], *heading)
        elif numbering and m_item:
            _numbered_paragraph(document, m_item[2], *item)
        else:
            document.add_paragraph(line)
    document.save(str(path))
    return path


@pytest.mark.parametrize("numbering", [None, "multilevel", "two-lists"])
def test_docx_imports_like_text(tmp_path: Path, seed_plan: tuple[dict, ImportReport], numbering: str | None) -> None:
    lines = read_document(seed(PLAN))
    path = build_docx(lines, tmp_path / "plan.docx", numbering)
    if numbering:  # the numbers really are Word's: not in the paragraphs' text
        texts = [p.text for p in docx.Document(str(path)).paragraphs]
        assert "全面加强思想建设" in texts and not any(CN_HEADING.match(t) or ITEM.match(t) for t in texts)
    assert read_document(path) == lines
    data, report = import_file(path, plan_id="pe2020")
    want_data, want_report = seed_plan
    assert data == want_data
    assert (report.unplaced, report.notes, report.tasks) == (want_report.unplaced, want_report.notes, 52)


def test_docx_tables_breaks_and_formats(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("2021年工作方案")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "一、合并单元格"
    table.cell(0, 2).text = "右上"
    for col, text in enumerate(["左下", "中下", "右下"]):
        table.cell(1, col).text = text
    run = document.add_paragraph().add_run("第一行")
    run.add_break()
    run.add_text("第二行")
    nid = _add_list(document, [("decimalEnclosedCircle", "%1", None)])
    for text in ["甲", "乙"]:
        _numbered_paragraph(document, text, nid, 0)
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert read_document(path) == [
        "2021年工作方案", "一、合并单元格", "右上", "左下", "中下", "右下", "第一行", "第二行", "①甲", "②乙",
    ]


def test_number_formats() -> None:
    assert [chinese_number(n) for n in (1, 10, 11, 20, 24, 105, 110)] == ["一", "十", "十一", "二十", "二十四",
                                                                          "一百零五", "一百一十"]
    assert format_number(3, "chineseCountingThousand") == "三"
    assert format_number(2, "ideographTraditional") == "乙"
    assert format_number(12, "decimalEnclosedCircle") == "⑫"
    assert format_number(4, "upperRoman") == "IV"
    assert format_number(7, "decimal") == "7"


# ---------------------------------------------------------------------------------------------------------------------
# The rectification report
# ---------------------------------------------------------------------------------------------------------------------


def test_rectification_report() -> None:
    data, report = import_file(seed(REPORT))
    loads(data)
    aspects = data["sections"]
    assert [a["number"] for a in aspects] == ["（一）", "（二）", "（三）", "（四）"]
    assert aspects[0]["title"] == (
        "学习贯彻习近平新时代中国特色社会主义思想存在不足，贯彻落实党中央决策部署和省市区委工作要求还有差距"
    )
    assert [len(a.get("sections", [])) for a in aspects] == [5, 4, 4, 0]
    assert [len(walk_tasks([a])) for a in aspects] == [16, 11, 12, 2]
    assert (report.sections, report.tasks) == (17, 41)
    assert aspects[0]["sections"][3]["title"] == "行政‘执法利剑’作用没有有效彰显"
    tasks = {t["title"]: t for t in walk_tasks(aspects)}
    assert [t["id"] for t in walk_tasks(aspects)] == [f"t{n:02d}" for n in range(1, 42)]
    storage = tasks["罚没物品仓库普遍存在安全隐患"]
    assert storage["problem"] == "罚没物品仓库普遍存在安全隐患"
    assert storage["measures"] == [
        "加大投入，对现有罚没物品仓库和各监管所的临时仓库安装监控设施，定期检查灭火设备，保证在有效期内",
        "对罚没物品划分区域摆放，易燃可燃物品保持必要的隔离空间",
        "对仓库顶棚进行修整，加装防火顶棚，消除安全隐患",
    ]
    assert storage["details"].startswith("一是加大投入") and storage["details"].endswith("消除安全隐患。")
    assert len(tasks["执法力量不足，调配不均衡"]["measures"]) == 3  # 一是、二是、二是 as printed
    assert len(tasks["对行政罚没管理存在的廉政风险认识不足"]["measures"]) == 1  # no ordinals: one measure
    assert tasks["考勤制度执行不严格"]["deadline"] == "每月"
    # （四）: the findings are followed by their measures directly, so each is a task of the aspect.
    assert [t["title"] for t in aspects[3]["tasks"]] == [
        "对巡视巡察工作重视不足", "整改问题反弹，边改边犯的情况依然存在",
    ]
    assert aspects[3]["tasks"][0]["problem"] == "关于“对巡视巡察工作重视不足”问题"
    assert [line for line, _ in report.unplaced] == [3, 4, 5, 6, 7, 8, 9, 109, 110, 111, 112, 113, 114]
    assert data["plan"] == {"id": "plan2022", "title": "区市场监管局党组2022年巡察整改进展情况报告", "year": 2022,
                            "timezone": "Asia/Shanghai"}


def test_split_measures() -> None:
    measures = split_measures("一是加强学习。结合实际；二是健全制度；三是：压实责任。")
    assert measures == ["加强学习。结合实际", "健全制度", "压实责任"]
    assert split_measures("采取以下措施：一是自查；二是整改。") == ["自查", "整改"]
    assert split_measures("召开专题会议，开展警示教育。") == ["召开专题会议，开展警示教育"]


def test_special_action_plan_needs_a_year() -> None:
    with pytest.raises(ImportFailed, match="--year"):
        import_file(seed(SPECIAL))
    data, report = import_file(SPECIAL, 2022)
    loads(data)
    assert [s["title"] for s in data["sections"]] == ["指导思想", "目标任务", "工作要求"]
    assert report.tasks == 5 + 4 + 5 + 3
    assert walk_tasks(data["sections"])[0]["id"] == "t2-1-1"  # 1. restarts under each （一）
    assert report.unplaced[0][0] == 1 and any("文件名" in n for n in report.notes)


# ---------------------------------------------------------------------------------------------------------------------
# Small cases
# ---------------------------------------------------------------------------------------------------------------------


def test_halfwidth_numbering() -> None:
    data, report = import_file(CASES / "halfwidth.txt")
    loads(data)
    first = data["sections"][0]["sections"][0]
    assert (first["number"], first["title"]) == ("1、", "健全责任体系")
    assert (first["leader"], first["lead"], first["units"]) == ("张三", ["办公室", "安监科"], ["各科室", "各直属单位"])
    tasks = walk_tasks(data["sections"])
    assert [t["number"] for t in tasks] == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    assert [t["id"] for t in tasks] == ["t1", "t2", "t3", "t4", "t5"]
    assert [t["deadline"] for t in tasks] == ["3月底前", "每季度", "上半年", "年底前", "6月份"]
    assert data["sections"][1]["sections"][0]["id"] == "s2-3"
    assert report.unplaced == [(2, "为做好2021年安全生产工作，制定本方案。")]


def test_circled_numbers_restarting_per_item() -> None:
    data, report = import_file(CASES / "circled.txt")
    loads(data)
    items = data["sections"][0]["sections"]
    assert [[t["id"] for t in i["tasks"]] for i in items] == [["t1-1", "t1-2"], ["t2-1", "t2-2"]]
    assert [t["number"] for t in items[1]["tasks"]] == ["①", "②"]  # run on in one paragraph, split
    assert items[1]["lead"] == ["行政审批科"] and "lead" not in items[0]
    assert any("t条目-序号" in n for n in report.notes)


def test_plan_without_responsibility_lines() -> None:
    data, _ = import_file(CASES / "no-responsibility.txt")
    plan = loads(data)
    assert all(not t.lead and not t.units and not t.leader for t in plan.walk_tasks())
    direct = data["sections"][1]["tasks"][0]  # item 3. has no sub-tasks: it is a task itself
    assert (direct["number"], direct["title"]) == ("3.", "精简文件会议，全年发文数量比上年减少10%")


def test_markdown() -> None:
    data, _ = import_file(CASES / "plan.md")
    loads(data)
    item = data["sections"][0]["sections"][0]
    assert (item["title"], item["lead"], item["units"]) == ("修订数据安全管理办法", ["信息中心"], ["各科室"])
    assert [t["deadline"] for t in item["tasks"]] == ["3月底前", "4月份"]


def test_make_title() -> None:
    assert make_title("短句。后文") == "短句"
    long = "甲" * 5 + "，" + "乙" * 70
    assert make_title(long) == "甲" * 5 + "，" + "乙" * 70  # comma too early, none after: the whole sentence
    assert make_title("丙" * 30 + "，" + "丁" * 40) == "丙" * 30


# ---------------------------------------------------------------------------------------------------------------------
# Encodings and failures
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str, seed_plan: tuple[dict, ImportReport]) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(seed(PLAN).read_text(encoding="utf-8").encode(encoding))
    assert import_file(path, plan_id="pe2020")[0] == seed_plan[0]


def _failure(path: Path, *needles: str) -> str:
    with pytest.raises(ImportFailed) as info:
        import_file(path)
    message = str(info.value)
    assert CHINESE.search(message), message
    for needle in needles:
        assert needle in message
    return message


def test_failures(tmp_path: Path) -> None:
    rng = random.Random(20200401)
    (tmp_path / "empty.txt").write_bytes(b"")
    _failure(tmp_path / "empty.txt", "空")
    (tmp_path / "blank.txt").write_text(" \n\u3000\n", encoding="utf-8")
    _failure(tmp_path / "blank.txt", "没有文字")
    binary = bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00"
    (tmp_path / "binary.txt").write_bytes(binary)
    _failure(tmp_path / "binary.txt", "不是文本文件")
    (tmp_path / "corrupt.docx").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    _failure(tmp_path / "corrupt.docx", "Word")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    _failure(tmp_path / "scan.pdf", ".pdf")
    _failure(CASES / "no-numbering.txt", "没有找到编号的任务")
    _failure(tmp_path / "missing.txt", "无法读取")


def test_docx_that_is_another_zip(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not word")
    _failure(path, "Word")
