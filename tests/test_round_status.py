"""Who has reported (未报送): periods, the survey's field, `portal status` and the pages (issue 14)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import Build, copy_project
from htmlq import parse
from portal.config import read_config
from portal.ledger import model
from portal.ledger.load import load
from portal.problems import LedgerError
from portal.round.periods import ReportingRule, period_of, who_reported
from portal.survey import Rules, survey
from roundkit import fill, form_of, make_forms, portal

MISSING = ["食品流通监管科", "餐饮服务食品监管科", "药品化妆品监管科", "特种设备安全监察科"]


def test_periods_monthly_and_quarterly() -> None:
    p = period_of(dt.date(2020, 9, 30))
    assert (p.key, p.start, p.end, p.due, p.label("zh")) == (
        "2020-09", dt.date(2020, 9, 1), dt.date(2020, 9, 30), dt.date(2020, 9, 25), "2020年9月")
    assert period_of(dt.date(2021, 2, 3), ReportingRule(day=31)).due == dt.date(2021, 2, 28)
    q = period_of(dt.date(2020, 8, 1), ReportingRule("quarterly", 10))
    assert (q.key, q.start, q.end, q.due, q.label("zh"), q.label("en")) == (
        "2020-Q3", dt.date(2020, 7, 1), dt.date(2020, 9, 30), dt.date(2020, 9, 10), "2020年第三季度", "2020 Q3")


def _task(task_id: str, lead: list[str], status: model.Status = model.Status.IN_PROGRESS,
          updates: tuple[tuple[str, str], ...] = ()) -> model.Task:
    return model.Task(task_id, task_id, lead=lead, status=status,
                      updates=[model.Update(dt.date.fromisoformat(d), "x", by) for d, by in updates])


def test_a_department_reports_with_its_own_updates_in_the_period() -> None:
    registry = model.Registry([model.Department("办公室", ["局办公室"]), model.Department("人教科"),
                               model.Department("法规科"), model.Department("财务科"),
                               model.Department("机关各科室", kind="group")])
    tasks = [
        _task("a", ["办公室", "人教科"], updates=(("2020-09-10", "局办公室"),)),  # by an alias
        _task("b", ["法规科"], updates=(("2020-09-12", ""),)),  # by nobody: its lead department
        _task("c", ["人教科"], updates=(("2020-08-31", "人教科"),)),  # last month
        _task("d", ["财务科"], model.Status.DONE),  # nothing open: not expected to report
        _task("e", ["机关各科室"]),  # a collective does not report as one
        _task("f", ["人教科"], updates=(("2020-10-02", "人教科"),)),  # after the as-of date
    ]
    r = who_reported(tasks, registry, dt.date(2020, 9, 30))
    assert [row.dept.name for row in r.rows] == ["办公室", "人教科", "法规科"]
    assert [row.dept.name for row in r.missing] == ["人教科"]
    assert r.of("办公室").reported == dt.date(2020, 9, 10) and r.of("财务科") is None
    assert [t.id for t in r.stale] == ["c", "e", "f"]
    assert [t.id for t in r.of("人教科").stale] == ["c", "f"]
    assert r.late


def test_portal_status_lists_who_has_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "p")
    code, out, _ = portal(capsys, project, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("2020年9月进展报送（截止 2020年9月25日，已过截止日）："
                        "应报送 14 个单位，已报送 10 个，未报送 4 个")
    assert lines[1] == "未报送：" + "、".join(MISSING)
    assert "本期没有进展的任务（5 项，按牵头单位）：" in lines
    assert any(line.startswith("机关党委（4 项）：（3）7月份组织党员干部") for line in lines)
    # A department that sends its form is off the list.
    forms = make_forms(capsys, project)
    answer = {"t32": {"progress": "复查无证经营线索12条。"}}
    filled = fill(form_of(forms, "食品流通监管科"), answer, tmp_path / "f.xlsx")
    assert portal(capsys, project, "collect", str(filled))[0] == 0
    code, out, _ = portal(capsys, project, "status")
    assert out.splitlines()[1] == "未报送：" + "、".join(MISSING[1:])


def test_the_reporting_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "p")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("    due_soon_days: 7\n", "    due_soon_days: 7\n    reporting:\n"
                                   "      cadence: quarterly\n      day: 10\n"), encoding="utf-8")
    cfg = read_config(config)
    assert cfg.reporting == ReportingRule("quarterly", 10)
    loaded = load(cfg)
    surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    assert surveyed.reporting is not None and surveyed.reporting.period.key == "2020-Q3"
    assert portal(capsys, project, "status")[1].startswith("2020年第三季度进展报送（截止 2020年9月10日")
    config.write_text(text.replace("    due_soon_days: 7\n", "    due_soon_days: 7\n    reporting:\n"
                                   "      cadence: 每周\n      day: 40\n"), encoding="utf-8")
    with pytest.raises(LedgerError) as err:
        read_config(config)
    report = err.value.report()
    assert "extra.portal.reporting.cadence" in report and "报送周期" in report
    assert "extra.portal.reporting.day" in report and "40 超出范围" in report


def test_the_pages_show_who_has_not_reported(sample_build: Build) -> None:
    home = parse(sample_build.page("index.html"))
    text = " ".join(home.find("section", cls="pp-reporting").text.split())
    assert "2020年9月进展报送截止 9月25日：应报送 14 个单位，已报送 10 个。" in text
    assert "未报送" in text and all(name in text for name in MISSING)
    assert "本期没有进展的任务（5）" in text
    page = " ".join(parse(sample_build.page("departments/食品流通监管科/index.html")).text.split())
    assert "未报送 本单位尚未报送2020年9月进展（截止 9月25日）。" in page
    page = " ".join(parse(sample_build.page("departments/机关党委/index.html")).text.split())
    assert "本单位已于 9月29日 报送2020年9月进展。" in page
