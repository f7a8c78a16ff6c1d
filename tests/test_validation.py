"""Golden tests for ledger validation: every mistake is reported at the right file:line:column.

Each ``golden/errors/NAME.yaml`` is a small complete ledger with one kind of mistake, and
``NAME.expected`` holds the problem lines ``portal validate`` prints for it (in Chinese). The line
of each offending value carries a trailing comment ``# <- TEXT``: a reported problem must be on a
marked line, every marked line must be reported, and the reported column must be where TEXT
begins on that line. So a line number cannot come out right by accident.

Regenerate the expected files with ``PORTAL_UPDATE_GOLDEN=1 pytest tests/test_validation.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from portal.config import PortalConfig
from portal.ledger import model
from portal.ledger.load import load, load_text, read_registry
from portal.ledger.yamlread import Reader, compose_text
from portal.problems import LedgerError, Problems

GOLDEN = Path(__file__).parent / "golden"
ERRORS = GOLDEN / "errors"
AS_OF = dt.date(2020, 9, 30)
UPDATE = os.environ.get("PORTAL_UPDATE_GOLDEN") == "1"
LEDGER_FILE = "tasks.yaml"

CASES = sorted(p.stem for p in ERRORS.glob("*.yaml"))
MARK = re.compile(r"#\s*<-[ \t]*(.*?)\s*$")
WHERE = re.compile(rf"^{re.escape(LEDGER_FILE)}:(\d+):(\d+): ")


@pytest.fixture(scope="module")
def registry() -> model.Registry:
    problems = Problems()
    reader = Reader("departments.yaml", problems)
    root = compose_text((GOLDEN / "departments.yaml").read_text(encoding="utf-8"), reader)
    assert root is not None
    reg = read_registry(root, reader)
    assert not problems.items, problems.render()
    return reg


def problems_of(text: str, registry: model.Registry, lang: str = "zh") -> LedgerError:
    with pytest.raises(LedgerError) as info:
        load_text(text, LEDGER_FILE, as_of=AS_OF, registry=registry, lang=lang)
    return info.value


def marks(text: str) -> dict[int, str]:
    """Line number -> the text after '# <-' on that line."""
    out = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        m = MARK.search(line)
        if m:
            out[lineno] = m[1]
    return out


# --- the golden files --------------------------------------------------------------------------------------------


def test_golden_cases_present() -> None:
    assert len(CASES) >= 27
    stale = {p.stem for p in ERRORS.glob("*.expected")} - set(CASES)
    assert not stale, f"expected files without a ledger: {stale}"


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, registry: model.Registry) -> None:
    text = (ERRORS / f"{case}.yaml").read_text(encoding="utf-8")
    err = problems_of(text, registry)
    lines = err.problems.render("zh")
    expected_file = ERRORS / f"{case}.expected"
    if UPDATE:
        expected_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    assert expected_file.exists(), f"run with PORTAL_UPDATE_GOLDEN=1 to create {expected_file.name}"
    assert lines == expected_file.read_text(encoding="utf-8").splitlines()
    assert not err.problems.warnings


@pytest.mark.parametrize("case", CASES)
def test_golden_points_at_marked_value(case: str, registry: model.Registry) -> None:
    text = (ERRORS / f"{case}.yaml").read_text(encoding="utf-8")
    source = text.splitlines()
    marked = marks(text)
    assert marked, f"{case}.yaml marks no offending line with '# <-'"
    reported: set[int] = set()
    for rendered in problems_of(text, registry).problems.render("zh"):
        m = WHERE.match(rendered)
        assert m, f"no line:column in {rendered!r}"
        line, col = int(m[1]), int(m[2])
        assert line in marked, f"{rendered!r} points at unmarked line {line}: {source[line - 1]!r}"
        want = marked[line]
        if want:
            at = source[line - 1][col - 1:]
            assert at.startswith(want), f"column {col} of line {line} is at {at!r}, not at {want!r}"
        reported.add(line)
    assert reported == set(marked), f"marked lines not reported: {sorted(set(marked) - reported)}"


# --- particular cases ----------------------------------------------------------------------------------------------


def test_many_errors_all_reported_in_line_order(registry: model.Registry) -> None:
    text = (ERRORS / "many_errors.yaml").read_text(encoding="utf-8")
    err = problems_of(text, registry)
    errors = err.problems.sorted()
    assert len(errors) == 6
    assert len({p.code for p in errors}) == 6, [p.code for p in errors]
    assert [p.line for p in errors] == sorted(p.line for p in errors)
    assert [p.line for p in errors] == sorted(marks(text))
    report = err.report().splitlines()
    assert report[:-1] == err.problems.render("zh")
    assert report[-1] == "台账校验未通过：6 个错误，0 个警告"


def test_unknown_field_in_english(registry: model.Registry) -> None:
    text = (ERRORS / "unknown_field.yaml").read_text(encoding="utf-8")
    [line] = problems_of(text, registry, lang="en").problems.render("en")
    assert line.startswith("tasks.yaml:14:9: ")
    assert "unknown field" in line
    assert "did you mean" in line
    assert "'status'" in line
    assert not re.search(r"[\u4e00-\u9fff]", line.replace("staus", "")), line


@pytest.mark.parametrize("case", ["unknown_field", "unknown_chinese_field", "unknown_status"])
def test_suggestion_is_offered(case: str, registry: model.Registry) -> None:
    [line] = problems_of((ERRORS / f"{case}.yaml").read_text(encoding="utf-8"), registry).problems.render()
    suggestion = {"unknown_field": "status", "unknown_chinese_field": "status", "unknown_status": "已完成"}[case]
    assert f"（是不是“{suggestion}”？）" in line


HEAD = """\
plan:
  id: p2020
  title: 2020年工作方案
  year: 2020
sections:
  - id: s1
    title: 加强思想建设
    lead: 办公室
    tasks:
"""


def test_status_written_as_key_or_label(registry: model.Registry) -> None:
    text = HEAD + """\
      - id: t01
        title: 制定学习计划
        status: in_progress
      - id: t02
        title: 开展集体学习
        status: 进行中
      - id: t03
        title: 组织理论考试
        status: 推进中
      - id: t04
        title: 规范组织生活
        status: done
        percent: 100
      - id: t05
        title: 开展谈心谈话
        status: 已完成
        percent: 100%
"""
    plan = load_text(text, as_of=AS_OF, registry=registry)
    statuses = {t.id: t.status for t in plan.walk_tasks()}
    assert statuses == {
        "t01": model.Status.IN_PROGRESS,
        "t02": model.Status.IN_PROGRESS,
        "t03": model.Status.IN_PROGRESS,
        "t04": model.Status.DONE,
        "t05": model.Status.DONE,
    }
    assert plan.walk_tasks()[4].percent == 100


def test_alias_resolves_to_canonical_name(registry: model.Registry) -> None:
    text = HEAD + """\
      - id: t01
        title: 制定学习计划
        lead: 局办公室
        units: [人事教育科, 党委]
      - id: t02
        title: 开展集体学习
        lead: 计划财务科、机关党委
"""
    t01, t02 = load_text(text, as_of=AS_OF, registry=registry).walk_tasks()
    assert t01.lead == ["办公室"]
    assert t01.units == ["人教科", "机关党委"]
    assert t02.lead == ["财务科", "机关党委"]


def test_responsibility_is_inherited(registry: model.Registry) -> None:
    text = HEAD + """\
      - id: t01
        title: 制定学习计划
      - id: t02
        title: 开展集体学习
        lead: 人教科
"""
    t01, t02 = load_text(text, as_of=AS_OF, registry=registry).walk_tasks()
    assert t01.lead == ["办公室"]
    assert t02.lead == ["人教科"]
    assert t01.section_path == ("s1",)


def test_missing_lead_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "departments.yaml").write_bytes((GOLDEN / "departments.yaml").read_bytes())
    (tmp_path / "tasks.yaml").write_text(
        """\
plan:
  id: p2020
  title: 2020年工作方案
  year: 2020
sections:
  - id: s1
    title: 加强思想建设
    tasks:
      - id: t01
        title: 制定学习计划
        lead: 办公室
      - id: t02
        title: 开展集体学习
""",
        encoding="utf-8",
    )
    loaded = load(PortalConfig(root=tmp_path, as_of=AS_OF))
    assert not loaded.warnings.errors
    assert [(p.code, p.severity) for p in loaded.warnings.items] == [("no_lead", "warning")]
    assert loaded.warnings.render("zh") == ["tasks.yaml:12:9: 警告: 任务没有牵头单位（lead），将不计入红黑榜"]
    assert [t.id for t in loaded.ledger.tasks()] == ["t01", "t02"]


def test_sample_ledger_loads() -> None:
    root_dir = Path(__file__).parents[1]
    problems = Problems()
    reader = Reader("departments.yaml", problems)
    root = compose_text((root_dir / "departments.yaml").read_text(encoding="utf-8"), reader)
    assert root is not None
    sample_registry = read_registry(root, reader)
    assert not problems.items
    plan = load_text((root_dir / "tasks.yaml").read_text(encoding="utf-8"), as_of=AS_OF, registry=sample_registry)
    assert plan.id == "pe2020"
    assert plan.walk_tasks()


# --- regressions: each of these was a bug once -------------------------------------------------------------------


def test_no_follow_on_error_when_status_value_unreadable(registry: model.Registry) -> None:
    text = HEAD + """\
      - id: t01
        title: 制定学习计划
        status: 进行
        percent: 50
"""
    assert [p.code for p in problems_of(text, registry).problems.items] == ["bad_choice"]


@pytest.mark.parametrize("extra", ["percent: 50", "closed: 2020-06-30"])
def test_no_follow_on_error_when_status_key_misspelt(extra: str, registry: model.Registry) -> None:
    text = HEAD + f"""\
      - id: t01
        title: 制定学习计划
        staus: 进行中
        {extra}
"""
    assert [p.code for p in problems_of(text, registry).problems.items] == ["unknown_field"]


@pytest.mark.parametrize("value", ["05", "3:1", "0x1F", "0b11"])
def test_metric_number_never_crashes(value: str, registry: model.Registry) -> None:
    text = HEAD + f"""\
      - id: t01
        title: 制定学习计划
        metrics:
          - name: 专题学习
            target: {value}
            actual: 3
"""
    try:
        plan = load_text(text, as_of=AS_OF, registry=registry)
    except LedgerError as err:  # a reported problem is fine too, as long as it points at the value
        assert [(p.line, p.column) for p in err.problems.errors] == [(14, 21)]
    else:
        assert plan.walk_tasks()[0].metrics[0].target is not None
