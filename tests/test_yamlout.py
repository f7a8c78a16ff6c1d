"""The ledger YAML writer and formatter: house style, meaning kept, comments kept, idempotence."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import REPO
from portal.ledger import schema, yamlout
from portal.ledger.fields import task_fields
from portal.ledger.load import load_text, read_registry
from portal.ledger.schema import is_blank
from portal.ledger.yamlout import dump_ledger, format_file, format_text
from portal.ledger.yamlread import Reader, compose_text
from portal.problems import Problems

AS_OF = dt.date(2100, 1, 1)
SAMPLE = (REPO / "tasks.yaml").read_text(encoding="utf-8")
REGISTRY_SAMPLE = (REPO / "departments.yaml").read_text(encoding="utf-8")
COMMENT = re.compile(r"# c\d\d[^#\n]*")  # the comments planted in the test inputs (text up to any next one)


def comments(text: str) -> list[str]:
    """The planted comments of a text, in order (two end-of-line comments may share a line)."""
    return [c.strip() for c in COMMENT.findall(text)]


# --- helpers ------------------------------------------------------------------------------------------------------


def plan_view(text: str) -> tuple[Any, ...]:
    """What a ledger says: the plan header, every section's own fields and every task's fields."""
    plan = load_text(text, registry=None, as_of=AS_OF)
    sections = [(s.id, s.number, s.title, s.details, s.leader, s.lead, s.units, s.depth)
                for top in plan.sections for s in top.walk_sections()]
    tasks = [(t.section_path, task_fields(t)) for t in plan.walk_tasks()]
    return (plan.id, plan.title, plan.year, plan.issuer, plan.source, plan.timezone), sections, tasks


def registry_view(text: str) -> list[Any]:
    problems = Problems()
    reader = Reader("departments.yaml", problems)
    root = compose_text(text, reader)
    assert root is not None
    registry = read_registry(root, reader)
    assert not problems.errors, problems
    return registry.departments


def ruamel_load(text: str) -> Any:
    return YAML(typ="rt").load(text)


def assert_order(node: Any, obj: schema.Obj) -> None:
    """The keys of a mapping come in the schema's order, any unknown keys after the known ones."""
    keys = [str(k) for k in node]
    known = [k for k in keys if k in obj.fields]
    assert known == [k for k in obj.fields if k in keys], keys
    assert keys[: len(known)] == known, keys


def assert_ledger_order(root: Any) -> None:
    """Key order at every level of a ledger: plan, sections (recursively), tasks and their parts."""
    assert_order(root, schema.LEDGER)
    assert_order(root["plan"], schema.PLAN_META)

    def section(s: Any) -> None:
        assert_order(s, schema.SECTION)
        for sub in s.get("sections") or []:
            section(sub)
        for task in s.get("tasks") or []:
            assert_order(task, schema.TASK)
            deadline = task.get("deadline")
            for part in deadline if isinstance(deadline, list) else [deadline]:
                if isinstance(part, dict):
                    assert_order(part, schema.DEADLINE_PART)
            for key, obj in (("updates", schema.UPDATE), ("metrics", schema.METRIC), ("evidence", schema.EVIDENCE_OBJ)):
                for item in task.get(key) or []:
                    if isinstance(item, dict):
                        assert_order(item, obj)

    for s in root["sections"]:
        section(s)


def assert_house_style(text: str) -> None:
    """No escapes of Chinese, no folded blocks, no single quotes, list items indented under their key."""
    assert "\\u" not in text
    assert not re.search(r":\s*>[-+0-9]*\s*(#.*)?$", text, re.M), "a folded block"
    assert not re.search(r"^\s*[\w-]+: '", text, re.M), "a single-quoted value"
    for match in re.finditer(r"^( *)[\w-]+:\n( *)- ", text, re.M):
        assert len(match[2]) == len(match[1]) + 2, match[0]


def assert_formats_well(text: str, kind: str = "ledger") -> str:
    """Format ``text`` and check what every formatted file must satisfy; return the formatted text."""
    out = format_text(text, kind)
    assert format_text(out, kind) == out, "not idempotent"
    assert_house_style(out)
    if kind == "ledger":
        assert plan_view(out) == plan_view(text)
        assert_ledger_order(ruamel_load(out))
    else:
        assert registry_view(out) == registry_view(text)
        for entry in ruamel_load(out)["departments"]:
            assert_order(entry, schema.DEPARTMENT)
    return out


# --- the sample files ---------------------------------------------------------------------------------------------


def test_sample_ledger_keeps_its_meaning_and_is_a_fixed_point_after_one_pass() -> None:
    out = assert_formats_well(SAMPLE)
    assert out.startswith("# yaml-language-server: $schema=./schema/ledger.schema.json\n")
    assert "机关党委" in out


def test_sample_ledger_differs_only_by_unfolded_details_and_plan_key_order() -> None:
    """The sample is written in the house style except for two things fmt normalises.

    1. ``details: >-`` with the text on the next line: the house style never folds (a folded
       Chinese text that wraps would read back with spaces), so the text moves up onto the key's line.
    2. ``plan``: the sample writes issuer before year; the schema's order is id, title, year, issuer.
    """
    expected = re.sub(r"^( *)details: >-\n +(.*)$", r"\1details: \2", SAMPLE, flags=re.M)
    expected = expected.replace("  issuer: 市市场监督管理局党组\n  year: 2020\n",
                                "  year: 2020\n  issuer: 市市场监督管理局党组\n")
    assert format_text(SAMPLE) == expected


def test_sample_registry_is_already_formatted() -> None:
    assert assert_formats_well(REGISTRY_SAMPLE, "departments") == REGISTRY_SAMPLE


def test_sample_ledger_with_comments_everywhere_keeps_them_in_order() -> None:
    lines: list[str] = []
    n = 0
    for line in SAMPLE.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        if line.lstrip().startswith(("- id:", "tasks:", "updates:", "- date:", "- text:")):
            n += 1
            lines.append(f"{indent}# c{n:02d} 上方注释")
        if line.lstrip().startswith(("status:", "lead:", "- 每月", "by:", "url:")):
            n += 1
            line += f"  # c{n:02d} 行尾注释"
        lines.append(line)
    text = "\n".join(lines) + "\n# c99 文件末尾\n"
    out = assert_formats_well(text)
    assert comments(out) == comments(text)
    assert len(comments(text)) > 200


# --- odd inputs ---------------------------------------------------------------------------------------------------

ODD = """\
# yaml-language-server: $schema=./schema/ledger.schema.json
# c01 文件说明

sections:   # c02 板块
  # c03 第一板块
  - title: '全面加强思想建设'
    lead: 机关党委、人教科
    id: "s1"
    number: 一、
    units:
      - 机关各科室   # c04 主要单位
      - 直属各单位
    tasks:
      - {title: 任务一, id: "001", deadline: 6月底前, status: 进行中, percent: "50"}   # c05 流式任务
      # c06 第二个任务
      - status: 已完成
        title: >
          第二个任务的
          标题
        id: '1.10'
        number: "1."
        percent: 100
        closed: 2020-06-30
        details: "第一行\\n第二行"
        updates:
          - {text: "进展：已完成", date: 2020-06-30, by: 办公室}
          - by: 办公室
            # c07 文本在后
            text: |
              多行
              进展
            date: 2020-05-01
        tags: [甲, 'yes', "null", '2020-01-01']
        deadline:
          - {due: 2020-06-30, text: 6月}
          - 每月
        evidence:
          - url: https://example.gov.cn/a
            title: 材料
  - id: s2
    title: "第二部分"
    sections:
      - tasks:
          - id: t3
            title: 子任务
            lead: [办公室]
            measures: [措施一, "措施二：细化"]
            metrics:
              - {unit: 次, actual: 3, target: 4, name: 会议}
            problem: '问题描述'
            term: 短期
        title: 子板块
        id: s2-1
        leader: ××
plan:  # c08 方案
  year: 2020
  title: "测试方案"
  id: p1
  source: ××办发〔2020〕12号
# c09 文件末尾
"""

ODD_FORMATTED = """\
# yaml-language-server: $schema=./schema/ledger.schema.json
# c01 文件说明

plan:  # c08 方案
  id: p1
  title: 测试方案
  year: 2020
  source: ××办发〔2020〕12号
sections:  # c02 板块
  # c03 第一板块
  - id: s1
    number: 一、
    title: 全面加强思想建设
    lead: 机关党委、人教科
    units:
      - 机关各科室  # c04 主要单位
      - 直属各单位
    tasks:
      - id: "001"  # c05 流式任务
        title: 任务一
        deadline: 6月底前
        status: 进行中
        percent: "50"
      # c06 第二个任务
      - id: "1.10"
        number: "1."
        title: 第二个任务的 标题
        details: |-
          第一行
          第二行
        deadline:
          - text: 6月
            due: 2020-06-30
          - 每月
        status: 已完成
        percent: 100
        closed: 2020-06-30
        updates:
          - date: 2020-06-30
            text: 进展：已完成
            by: 办公室
          - date: 2020-05-01
            # c07 文本在后
            text: |-
              多行
              进展
            by: 办公室
        evidence:
          - title: 材料
            url: https://example.gov.cn/a
        tags: [甲, "yes", "null", "2020-01-01"]
  - id: s2
    title: 第二部分
    sections:
      - id: s2-1
        title: 子板块
        leader: ××
        tasks:
          - id: t3
            title: 子任务
            lead: [办公室]
            term: 短期
            problem: 问题描述
            measures:
              - 措施一
              - 措施二：细化
            metrics:
              - name: 会议
                target: 4
                actual: 3
                unit: 次
# c09 文件末尾
"""


def test_odd_ledger_formats_to_the_house_style() -> None:
    """Random key order, flow mappings, folded, literal and quoted strings, quoted numeric ids, comments."""
    assert assert_formats_well(ODD) == ODD_FORMATTED


def test_odd_ledger_keeps_every_comment() -> None:
    out = format_text(ODD)
    # c08 sits on 'plan', which moves before 'sections': the comment travels with its key.
    assert sorted(comments(out)) == sorted(comments(ODD))
    assert "plan:  # c08 方案" in out


SCALARS = """\
plan:
  id: p1
  title: 2020
  year: 2020
  issuer: yes
  source: +1
sections:
  - id: s1
    number: 1.10
    title: True
    leader: ~
    tasks:
      - id: t1
        number: 1.
        title: 0x1F
        details: 1e3
        status: 进行中
        percent: 05
        metrics:
          - name: 覆盖
            target: 1_000
            actual: 全覆盖
            unit: "%"
"""


def test_numbers_booleans_and_nulls_are_kept_as_typed() -> None:
    """ruamel would write +1 as 1 and True as true; the validator reads these texts, so they stay."""
    out = assert_formats_well(SCALARS)
    assert out == SCALARS


def test_quoted_strings_are_unquoted_only_when_yaml_reads_them_back_as_strings() -> None:
    text = """\
plan: {id: 'p1', title: '方案', year: 2020, issuer: 'yes', source: 'null', timezone: "Asia/Shanghai"}
sections:
  - id: '2020-01-01'
    number: '1.10'
    title: "@开头"
    details: '- 列表样式'
    leader: '× ×'
    tasks:
      - {id: '007', title: '“七一”前', number: '（1）', deadline: "2020-06-30", details: "键: 值", problem: "a #b"}
"""
    out = assert_formats_well(text)
    for line in ['  issuer: "yes"', '  source: "null"', "  timezone: Asia/Shanghai", '  - id: "2020-01-01"',
                 '    number: "1.10"', '    title: "@开头"', '    details: "- 列表样式"', "    leader: × ×",
                 '      - id: "007"', "        number: （1）", "        title: “七一”前",
                 '        details: "键: 值"', '        deadline: "2020-06-30"', '        problem: "a #b"']:
        assert line + "\n" in out, line


def test_unknown_keys_are_kept_after_the_known_ones_in_their_order() -> None:
    text = """\
plan:
  备注: 先写
  id: p1
  zz: 1
  title: 方案
  aa: [x, y]
  year: 2020
sections: []
extra: {b: 1, a: 2}
"""
    out = format_text(text)
    assert out == """\
plan:
  id: p1
  title: 方案
  year: 2020
  备注: 先写
  zz: 1
  aa:
    - x
    - y
sections: []
extra:
  b: 1
  a: 2
"""
    assert yaml.safe_load(out) == yaml.safe_load(text)


def test_comments_travel_with_their_keys() -> None:
    text = """\
plan:
  id: p1
  title: 方案
  # c01 关于发文单位
  issuer: 某局   # c02 行尾
  year: 2020    # c03 年度
sections: []
"""
    assert format_text(text) == """\
plan:
  id: p1
  title: 方案
  year: 2020  # c03 年度
  # c01 关于发文单位
  issuer: 某局  # c02 行尾
sections: []
"""


def test_a_comment_between_a_key_and_its_text_goes_above_the_key() -> None:
    text = "plan:\n  id: p\n  title:\n    # c01 上方\n    方案   # c02 行尾\n  year:   # c03 年度\n    2020\n"
    assert format_text(text) == "plan:\n  id: p\n  # c01 上方\n  title: 方案  # c02 行尾\n  year: 2020  # c03 年度\n"


def test_name_list_with_comments_on_its_items_stays_a_block() -> None:
    text = """\
plan: {id: p1, title: 方案, year: 2020}
sections:
  - id: s1
    title: 一
    lead:
      - 机关党委  # c01 主责
      - 人教科
    units:   # c02 配合
      - 办公室
      - 财务科
"""
    out = assert_formats_well(text)
    assert "    lead:\n      - 机关党委  # c01 主责\n      - 人教科\n" in out
    assert "    units: [办公室, 财务科]  # c02 配合\n" in out


def test_blank_lines_are_kept_once_and_text_with_crlf_is_read() -> None:
    text = "plan:\n  id: p1\n\n\n  title: 方案\n  year: 2020\n\n\nsections: []\n\n\n"
    assert format_text(text) == "plan:\n  id: p1\n\n  title: 方案\n  year: 2020\n\nsections: []\n"
    assert format_text(text.replace("\n", "\r\n")) == format_text(text)


def test_text_with_line_breaks_is_a_literal_block_and_long_text_is_never_wrapped() -> None:
    long = "很长的文字" * 100
    data = {"plan": {"id": "p", "title": "方案", "year": 2020},
            "sections": [{"id": "s", "title": "一", "details": "第一段\n\n  第二段缩进", "number": long}]}
    out = dump_ledger(data)
    assert "    details: |-\n      第一段\n\n        第二段缩进\n" in out
    assert f"    number: {long}\n" in out
    assert plan_view(out)[1][0][3] == "第一段\n\n  第二段缩进"


def test_registry_is_reordered_as_a_registry() -> None:
    text = ("departments:\n  - kind: unit\n    aliases: 执法队\n    name: 综合执法队  # c01\n"
            "  - {name: 办公室, aliases: [局办]}\n")
    out = assert_formats_well(text, "departments")
    assert out == ("departments:\n  - name: 综合执法队  # c01\n    aliases: 执法队\n    kind: unit\n"
                   "  - name: 办公室\n    aliases: [局办]\n")


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "where"), [
    ("plan:\n  id: p1\n  title: a: b\n", "3:11:"),
    ("plan:\n  id: p1\n  id: p2\n", "3:3:"),
    ("plan: [a, b\nsections: []\n", "2:"),
    ('plan:\n  title: "x\n', "3:1:"),
])
def test_text_that_does_not_parse_is_refused_with_line_and_column(text: str, where: str) -> None:
    with pytest.raises(ValueError, match=re.escape(where)):
        format_text(text)


def test_merge_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="merge"):
        format_text("base: &b {x: 1}\nplan:\n  <<: *b\n  id: p\n")


def test_a_top_level_that_is_not_a_mapping_or_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="mapping"):
        format_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        format_text("# only a comment\n")
    with pytest.raises(ValueError, match="kind"):
        format_text("plan: {}\n", kind="tasks")


def test_the_safety_check_refuses_an_output_that_reads_differently() -> None:
    yamlout._check_same("a: [1, 2]\nb: x\n", "b: x\na:\n  - 1\n  - 2\n")  # order and style do not matter
    for changed in ("a: [1, 2]\nb: y\n", "a: [2, 1]\nb: x\n", "a: [1, 2]\nb: 'yes'\n", "a: [1, 2]\n"):
        with pytest.raises(ValueError, match="change"):
            yamlout._check_same("a: [1, 2]\nb: x\n", changed)
    with pytest.raises(ValueError, match="change"):
        yamlout._check_same("a: yes\n", 'a: "yes"\n')  # a boolean to YAML 1.1 is not the string "yes"


# --- files --------------------------------------------------------------------------------------------------------


def test_format_file_rewrites_atomically_keeping_permissions(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text(ODD, encoding="utf-8")
    path.chmod(0o640)
    assert format_file(path, check=True) is True
    assert path.read_text(encoding="utf-8") == ODD, "check mode must not write"
    assert format_file(path) is True
    assert path.read_text(encoding="utf-8") == ODD_FORMATTED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert format_file(path) is False
    assert format_file(path, check=True) is False
    assert sorted(os.listdir(tmp_path)) == ["tasks.yaml"], "no temporary file left behind"


def test_format_file_guesses_a_registry_from_its_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("departments:\n  - kind: unit\n    name: 执法队\n", encoding="utf-8")
    assert format_file(path) is True
    assert path.read_text(encoding="utf-8") == "departments:\n  - name: 执法队\n    kind: unit\n"


def test_format_file_leaves_a_file_that_does_not_parse_alone(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text("plan:\n  id: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^\d+:\d+: "):
        format_file(path)
    assert path.read_text(encoding="utf-8") == "plan:\n  id: [\n"


# --- dump_ledger --------------------------------------------------------------------------------------------------


def test_dump_ledger_writes_the_house_style() -> None:
    data = {
        "sections": [{"title": "全面加强思想建设", "id": "s1", "number": "一、", "lead": ["机关党委", "人教科"],
                      "tasks": [{"status": "进行中", "title": "制定学习计划", "id": "t01", "number": "1.",
                                 "deadline": [{"due": dt.date(2020, 4, 30), "text": "4月份"}, "每月"],
                                 "percent": None, "tags": ["学习", "yes"],
                                 "updates": [{"text": "已印发。", "by": "机关党委", "date": dt.date(2020, 4, 28)}]}]}],
        "plan": {"year": 2020, "title": "实施方案", "id": "pe2020"},
    }
    out = dump_ledger(data)
    assert out == """\
# yaml-language-server: $schema=./schema/ledger.schema.json
plan:
  id: pe2020
  title: 实施方案
  year: 2020
sections:
  - id: s1
    number: 一、
    title: 全面加强思想建设
    lead: [机关党委, 人教科]
    tasks:
      - id: t01
        number: "1."
        title: 制定学习计划
        deadline:
          - text: 4月份
            due: 2020-04-30
          - 每月
        status: 进行中
        updates:
          - date: 2020-04-28
            text: 已印发。
            by: 机关党委
        tags: [学习, "yes"]
"""
    assert format_text(out) == out


# --- property: random small ledgers -------------------------------------------------------------------------------

ALPHABET = "机关党委人教科办公室学习计划整改落实进展（）、，。：“”《》 0123456789.-:#@'\"[]{},"
NAMES = ["机关党委", "人教科", "办公室", "直属各单位", "yes", "1.10", "2020-01-01", "a: b", "#x", "[x]"]
DEADLINES = ["6月底前", "每月", "长期坚持", "9-11月份", "“七一”前", "年底前", "每周二", "2020-06-30"]
STATUS_PERCENT = {"未启动": [0], "not_started": [0], "进行中": [0, 50, 99], "in_progress": [10], "已完成": [100],
                  "done": [100], "长期坚持": [0, 100], "暂缓": [30], "已取消": [0]}

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,6}", fullmatch=True)
texts = st.text(alphabet=ALPHABET, min_size=1, max_size=16)
titles = texts.filter(lambda s: not is_blank(s))  # a title must show something
long_texts = st.text(alphabet=ALPHABET + "\n\t", min_size=1, max_size=40).filter(lambda s: not s.endswith("\n"))
names = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)
days = st.dates(dt.date(2020, 1, 1), dt.date(2020, 12, 31))
deadline_parts = st.one_of(
    st.sampled_from(DEADLINES),
    days,
    st.fixed_dictionaries({"due": days}, optional={"text": st.sampled_from(DEADLINES[:1]), "done": days}),
)


def shuffled(draw: st.DrawFn, d: dict[str, Any]) -> dict[str, Any]:
    """The same mapping with its keys in a random order."""
    keys = draw(st.permutations(list(d)))
    return {k: d[k] for k in keys}


def optional(draw: st.DrawFn, d: dict[str, Any], extra: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    for key, strategy in extra.items():
        if draw(st.booleans()):
            d[key] = draw(strategy)
    return shuffled(draw, d)


@st.composite
def tasks(draw: st.DrawFn, task_id: str) -> dict[str, Any]:
    status = draw(st.sampled_from(sorted(STATUS_PERCENT)))
    task = {"id": task_id, "title": draw(titles), "status": status}
    if draw(st.booleans()):
        task["percent"] = draw(st.sampled_from(STATUS_PERCENT[status]))
    if status in ("已完成", "done") and draw(st.booleans()):
        task["closed"] = draw(days)
    return optional(draw, task, {
        "number": texts,
        "details": long_texts,
        "leader": texts,
        "lead": names,
        "units": names,
        "deadline": st.one_of(deadline_parts, st.lists(deadline_parts, min_size=1, max_size=3)),
        "term": st.sampled_from(["short", "中期", "长期"]),
        "problem": long_texts,
        "measures": st.lists(long_texts, min_size=1, max_size=3),
        "metrics": st.lists(st.builds(
            dict, name=texts, target=st.one_of(st.integers(0, 10**6), texts, st.sampled_from([1.5, 1e-7, 2e20])),
            unit=st.sampled_from(["%", "次", "个"])), max_size=2),
        "updates": st.lists(st.builds(dict, date=days, text=long_texts, by=texts), max_size=3),
        "evidence": st.lists(st.one_of(st.just("https://example.gov.cn/a?b=1#c"),
                                       st.builds(dict, title=texts, url=st.just("files/材料.pdf"))), max_size=2),
        "tags": st.lists(texts.filter(lambda s: not re.search(r"[、，,；;]", s) and s.strip() == s),
                         min_size=1, max_size=3),
    })


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    all_ids = iter(draw(st.lists(ids, min_size=12, max_size=12, unique=True)))
    sections = []
    for _ in range(draw(st.integers(1, 2))):
        section = {"id": next(all_ids), "title": draw(titles), "lead": draw(names)}
        subs = [optional(draw, {"id": next(all_ids), "title": draw(titles)}, {"leader": texts, "units": names})
                for _ in range(draw(st.integers(0, 1)))]
        if subs:
            section["sections"] = subs
        section["tasks"] = [draw(tasks(next(all_ids))) for _ in range(draw(st.integers(0, 3)))]
        sections.append(optional(draw, section, {"number": texts, "details": long_texts, "leader": texts}))
    plan = optional(draw, {"id": next(all_ids), "title": draw(titles), "year": 2020},
                    {"issuer": texts, "source": texts})
    return shuffled(draw, {"plan": plan, "sections": sections})


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_random_ledgers_survive_dump_and_format(data: dict[str, Any]) -> None:
    out = dump_ledger(data)
    assert_house_style(out)
    # The reference: the same data written by PyYAML, a different writer, must read the same.
    reference = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)
    assert plan_view(out) == plan_view(reference)
    plan = load_text(out, registry=None, as_of=AS_OF)
    assert [t.id for t in plan.walk_tasks()] == [t["id"] for s in data["sections"] for t in s["tasks"]]
    for task, raw in zip(plan.walk_tasks(), (t for s in data["sections"] for t in s["tasks"]), strict=True):
        assert task.title == raw["title"]
        assert task.details == raw.get("details", "")
        assert [u.text for u in task.updates] == [u["text"] for u in raw.get("updates", [])]
    assert_ledger_order(ruamel_load(out))
    # What dump_ledger writes is already formatted; formatting PyYAML's version gives the same data.
    assert format_text(out) == out
    formatted = format_text(reference)
    assert format_text(formatted) == formatted
    assert plan_view(formatted) == plan_view(reference)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.sampled_from([None, True, False]), st.sampled_from([30, 10**9]), st.randoms())
def test_random_ledgers_in_other_styles_with_comments_anywhere_format_well(
        data: dict[str, Any], flow: bool | None, width: int, rnd: Any) -> None:
    """PyYAML's layouts (flow or block, wrapped or not) with comments planted above and after random lines."""
    reference = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=width, default_flow_style=flow)
    lines = []
    for n, line in enumerate(reference.split("\n")):
        where = rnd.random()
        if where < 0.2:
            lines.append(" " * (len(line) - len(line.lstrip())) + f"# c{n:02d} 上方")
        elif where < 0.4 and line.strip():
            line += f"  # c{n:02d} 行尾"
        lines.append(line)
    text = "\n".join(lines)
    try:  # a comment planted inside a quoted text spanning lines is text, not a comment: skip those draws
        assume(yaml.safe_load(text) == yaml.safe_load(reference))
    except yaml.YAMLError:
        assume(False)
    out = format_text(text)
    assert format_text(out) == out
    assert plan_view(out) == plan_view(reference)
    assert sorted(comments(out)) == sorted(comments(text))
    assert_ledger_order(ruamel_load(out))
