"""Properties over random ledgers (hypothesis, fixed seed, bounded example counts).

- Every random valid ledger renders every page (live and snapshot), with each task's card once on its page,
  and exports to JSON, CSV and xlsx; no rendered page carries script.
- Every random mutation of a valid ledger (lines deleted, doubled, swapped, re-indented, characters inserted,
  the text cut short) is either a valid ledger or a LedgerError whose problems point at a line; never another
  exception. `portal fmt` on the same texts either formats or refuses with ValueError.
- `format_text` is idempotent and keeps every task as the validator reads it (compared by task_fields).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import random
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import openpyxl
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import REPO
from portal.config import PortalConfig
from portal.ledger import model
from portal.ledger.fields import task_fields
from portal.ledger.load import load_text
from portal.ledger.schema import is_blank
from portal.ledger.yamlout import dump_ledger, format_text
from portal.month import MonthBuild, compare
from portal.outputs.docx import write_docx
from portal.outputs.site import Site
from portal.outputs.tables import FORMULA_START, to_csv, to_json
from portal.outputs.xlsx import to_xlsx
from portal.problems import LedgerError
from portal.survey import survey

AS_OF = dt.date(2020, 9, 30)
TEMPLATES = REPO / "overrides" / "portal"
# Fixed seed, no example database, bounded counts: the same examples on every run, in well under a minute.
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]

# --- random valid ledgers -------------------------------------------------------------------------------------------

CHARS = ("机关党委人教科办公室学习计划整改落实进展（）、，。：“”《》【】！？；…—\u3000\u00a0"
         "abcXYZ0129 .-:#@'\"[]{},&*!|>%`\\<>/=+~^$_")
PIECES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[点我](javascript:alert(1))",
          '"><svg onload=alert(1)>', "{{ 7*7 }}", "{% raw %}", "=1+1", "@SUM(1)", "-1", "a: b", "#x", "- x", "[x]",
          "{x}", "&a", "*a", "!x", "'q'", '"q"', "｛全角｝", "：", "1.10", "2020-01-01", "yes", "null", "~", "0x1F",
          "**粗**", "`代码`", "1. 一\n2. 二", "> 引用", "| a |\n|---|\n| b |", "😀", "\u202e反向"]
NAMES = ["机关党委", "人教科", "办公室", "直属各单位", "yes", "1.10", "a: b", "#x", "[x]", "<b>科</b>", "=科室",
         "{{ 7*7 }}"]
DEADLINES = ["6月底前", "每月", "长期坚持", "9-11月份", "“七一”前", "年底前", "每周二", "2020-06-30", "4月中旬",
             "7月份前和12月份前", "2021年6月底前", "每季度"]
STATUS_PERCENT = {"未启动": [0], "not_started": [0], "进行中": [0, 50, 99], "in_progress": [10], "已完成": [100],
                  "done": [100], "长期坚持": [0, 100], "暂缓": [30], "已取消": [0]}
URLS = ["https://example.gov.cn/a?b=1&c=%3C2%3E#d", "材料/文件 1.pdf", "mailto:office@example.gov.cn",
        "https://example.gov.cn/x' onmouseover='alert(1)"]

pieces = st.one_of(st.text(alphabet=CHARS, min_size=1, max_size=10), st.sampled_from(PIECES))
texts = st.lists(pieces, min_size=1, max_size=3).map("".join).map(lambda s: s.replace("\n", " ")).filter(
    lambda s: bool(s.strip()))
titles = texts.filter(lambda s: not is_blank(s))  # a title must show something
long_texts = st.lists(pieces, min_size=1, max_size=4).map("\n".join).filter(lambda s: bool(s.strip()))
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,6}", fullmatch=True)
names = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)
days = st.dates(dt.date(2020, 1, 1), AS_OF)
deadline_parts = st.one_of(
    st.sampled_from(DEADLINES), days,
    st.fixed_dictionaries({"due": days},
                          optional={"text": texts, "done": days, "start": st.just(dt.date(2020, 1, 1))}),
)


def maybe(draw: st.DrawFn, d: dict[str, Any], extra: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    for key, strategy in extra.items():
        if draw(st.booleans()):
            d[key] = draw(strategy)
    keys = draw(st.permutations(list(d)))
    return {k: d[k] for k in keys}


@st.composite
def tasks(draw: st.DrawFn, task_id: str) -> dict[str, Any]:
    status = draw(st.sampled_from(sorted(STATUS_PERCENT)))
    task: dict[str, Any] = {"id": task_id, "title": draw(titles), "status": status}
    if draw(st.booleans()):
        task["percent"] = draw(st.sampled_from(STATUS_PERCENT[status]))
    if status in ("已完成", "done") and draw(st.booleans()):
        task["closed"] = draw(days)
    return maybe(draw, task, {
        "number": texts, "details": long_texts, "leader": texts, "lead": names, "units": names,
        "deadline": st.one_of(deadline_parts, st.lists(deadline_parts, min_size=1, max_size=3)),
        "term": st.sampled_from(["short", "中期", "长期"]),
        "problem": long_texts,
        "measures": st.lists(long_texts, min_size=1, max_size=3),
        "metrics": st.lists(st.fixed_dictionaries(
            {"name": texts}, optional={"target": st.one_of(st.integers(0, 10**6), texts, st.just(2.5)),
                                       "actual": st.integers(0, 100), "unit": texts}), max_size=2),
        "updates": st.lists(st.fixed_dictionaries({"date": days, "text": long_texts}, optional={"by": texts}),
                            max_size=3),
        "evidence": st.lists(st.one_of(st.sampled_from(URLS), st.fixed_dictionaries(
            {"url": st.sampled_from(URLS)}, optional={"title": texts})), max_size=2),
        "tags": st.lists(texts.filter(lambda s: not re.search(r"[、，,；;]", s) and s.strip() == s), min_size=1,
                         max_size=3),
    })


@st.composite
def sections(draw: st.DrawFn, ids_left: list[str], depth: int) -> dict[str, Any]:
    section: dict[str, Any] = {"id": ids_left.pop(), "title": draw(titles)}
    if depth < 3 and draw(st.integers(0, 3)) == 0:
        section["sections"] = [draw(sections(ids_left, depth + 1)) for _ in range(draw(st.integers(1, 2)))]
    section["tasks"] = [draw(tasks(ids_left.pop())) for _ in range(draw(st.integers(0 if "sections" in section
                                                                                    else 1, 3)))]
    return maybe(draw, section, {"number": texts, "details": long_texts, "leader": texts, "lead": names,
                                 "units": names})


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    ids_left = draw(st.lists(ids, min_size=60, max_size=60, unique=True))
    top = [draw(sections(ids_left, 1)) for _ in range(draw(st.integers(1, 3)))]
    plan = maybe(draw, {"id": ids_left.pop(), "title": draw(titles), "year": 2020},
                 {"issuer": texts, "source": texts})
    return {"plan": plan, "sections": top}


# --- helpers --------------------------------------------------------------------------------------------------------


def url_of(src_uri: str) -> str:
    """MkDocs' directory URL of a generated page."""
    if src_uri == "index.md":
        return ""
    return src_uri.removesuffix("index.md") if src_uri.endswith("/index.md") else src_uri.removesuffix(".md") + "/"


class _Cards(HTMLParser):
    """Task cards (article data-task) and anything that could run script."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[str] = []
        self.headings: set[str] = set()
        self.active: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "article" and "data-task" in a:
            self.cards.append(a["data-task"])
        if re.fullmatch(r"h[2-6]", tag) and "id" in a:
            self.headings.add(a["id"])
        if tag in {"script", "iframe", "object", "embed", "img", "style"}:
            self.active.append(tag)
        for name, value in a.items():
            cleaned = re.sub(r"[\t\n\r]", "", value).strip().lower()
            if name.startswith("on") or (name in {"href", "src"} and cleaned.startswith(("javascript:", "data:"))):
                self.active.append(f"{tag} {name}={value}")


def cards_of(html: str) -> _Cards:
    parser = _Cards()
    parser.feed(html)
    parser.close()
    return parser


def no_constants(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


# --- property: random valid ledgers build --------------------------------------------------------------------------


@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=HEALTH)
@given(ledgers(), st.booleans())
def test_random_valid_ledgers_render_every_page_and_export(data: dict[str, Any], snapshot: bool) -> None:
    text = dump_ledger(data)
    plan = load_text(text, as_of=AS_OF)
    ledger = model.Ledger([plan])
    cfg = PortalConfig()
    surveyed = survey(ledger, AS_OF)
    month = MonthBuild("2020-09", "0" * 40, compare(None, surveyed, "2020-09")) if snapshot else None
    site = Site(surveyed, cfg, TEMPLATES, month=month)
    on_page: dict[str, list[str]] = {}
    for key, spec in site.pages.items():
        html, _ = site.render(key, url_of(spec.src_uri), url_of)
        found = cards_of(html)
        assert not found.active, (key, found.active)
        on_page[key] = found.cards
        assert set(found.cards) <= found.headings  # every card has its permalink heading
    for task in plan.walk_tasks():
        page = site.task_page[task.id]
        assert on_page[page].count(task.id) == 1, (task.id, page)
        assert sum(cards.count(task.id) for cards in on_page.values()) == 1
    assert not cards_of(site.feed()).active

    exported = json.loads(to_json(surveyed, "zh"), parse_constant=no_constants)
    assert [t["id"] for t in exported["tasks"]] == [t.id for t in plan.walk_tasks()]
    assert [t["title"] for t in exported["tasks"]] == [t.title for t in plan.walk_tasks()]
    rows = list(csv.reader(io.StringIO(to_csv(surveyed, "zh").removeprefix("\ufeff"), newline="")))
    assert len(rows) == 1 + len(plan.walk_tasks())
    assert not [c for row in rows for c in row if c.startswith(FORMULA_START)]
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(surveyed, "zh")))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)), cell.value
    if snapshot:  # the monthly report as a Word document, as `portal snapshot` writes it
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.docx"
            write_docx(site.report, out, AS_OF)
            body = docx.Document(str(out))
            assert body.paragraphs[0].text == site.report.title


# --- property: mutations of a valid ledger --------------------------------------------------------------------------

INSERTS = [":", ": ", "-", "- ", "[", "]", "{", "}", "&", "&a ", "*", "*a", "!", "!!str ", "'", '"', "\t", "#", "|",
           ">", "%", "@", "`", "?", ",", "：", "，", "、", "【", "】", "“", "”", "　", "\\", "\n", "  ", "\ufeff",
           "\x00", "\x0b", "\u2028", "\x85", "\ud7ff", "\U0001f600", "<script>", "{{ 7*7 }}"]
FILE_LEVEL = {"file_empty", "yaml_too_big", "file_missing", "file_unreadable"}
SAMPLE_HEAD = "\n".join((REPO / "tasks.yaml").read_text(encoding="utf-8").splitlines()[:120]) + "\n"


def mutate(text: str, rnd: random.Random, steps: int) -> str:
    lines = text.split("\n")
    for _ in range(steps):
        op = rnd.randrange(7)
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        if op == 0 and len(lines) > 1:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            stripped = lines[i].lstrip(" ")
            lines[i] = " " * max(0, len(lines[i]) - len(stripped) + rnd.choice([-4, -2, -1, 1, 2, 4])) + stripped
        elif op in (4, 5):
            pos = rnd.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + rnd.choice(INSERTS) + lines[i][pos:]
        else:
            joined = "\n".join(lines)
            lines = joined[:rnd.randrange(len(joined) + 1)].split("\n")
    return "\n".join(lines)


def check_mutant(text: str) -> None:
    try:
        load_text(text, as_of=AS_OF)
    except LedgerError as err:
        assert err.problems.errors
        for p in err.problems.items:
            assert p.line >= 1 or p.code in FILE_LEVEL, p
            assert p.render()  # every message formats
    with contextlib.suppress(ValueError):  # `portal fmt` refuses what does not parse: only ValueError
        format_text(text)


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=HEALTH)
@given(ledgers(), st.randoms(use_true_random=False), st.integers(1, 4))
def test_mutated_ledgers_give_a_ledger_or_located_problems(data: dict[str, Any], rnd: random.Random,
                                                           steps: int) -> None:
    check_mutant(mutate(dump_ledger(data), rnd, steps))


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=HEALTH)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_mutated_sample_gives_a_ledger_or_located_problems(rnd: random.Random, steps: int) -> None:
    check_mutant(mutate(SAMPLE_HEAD, rnd, steps))


# --- property: portal fmt is idempotent and loses nothing ------------------------------------------------------------


def meaning(text: str) -> tuple[Any, ...]:
    plan = load_text(text, as_of=AS_OF)
    sections = [(s.id, s.number, s.title, s.details, s.leader, s.lead, s.units, s.depth)
                for top in plan.sections for s in top.walk_sections()]
    return ((plan.id, plan.title, plan.year, plan.issuer, plan.source, plan.timezone), sections,
            [(t.section_path, task_fields(t)) for t in plan.walk_tasks()])


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=HEALTH)
@given(ledgers(), st.sampled_from([None, True, False]), st.sampled_from([20, 80, 10**9]), st.booleans())
def test_fmt_is_idempotent_and_keeps_every_task(data: dict[str, Any], flow: bool | None, width: int,
                                                canonical: bool) -> None:
    """Any layout PyYAML writes (flow or block, wrapped or not, escaped or not) formats to a fixed point that
    the validator reads exactly as the input."""
    text = yaml.safe_dump(data, allow_unicode=not canonical, sort_keys=False, width=width, default_flow_style=flow)
    # PyYAML's emitter can fold a double-quoted scalar between an escaped backslash and a space at width 20
    # ("\\" + line break + "\ "), which reads back as another string: that text is not the data any more.
    assume(yaml.safe_load(text) == data)
    once = format_text(text)
    assert format_text(once) == once
    assert meaning(once) == meaning(text)
