"""The survey: one value per ledger and date, one rule per concept, read the same by every page and copy.

- the final due date and "postponed" decided once (recurring parts left out), on a recurring, a milestone and a
  window task;
- a postponed recurring task counts the same on the changelog, the month page and the department page (a real
  repository, a real snapshot, a real build);
- the offline copy (mkdocs.offline.yml, INHERIT) shows the live site's as-of date and figures;
- each derived figure is computed in one place.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import PORTAL, REPO, GitProject, copy_project, run_build
from htmlq import parse
from portal.config import read_config
from portal.deadlines.due import final_due, postponed
from portal.deadlines.wording import parse_deadline
from portal.ledger import model
from portal.ledger.load import load, load_text
from portal.survey import Rules, survey


def deadline(text: str, year: int = 2020) -> model.Deadline:
    return model.Deadline(text, parse_deadline(text, year))


# --- one rule: the final due date and postponement ----------------------------------------------------------------


def test_final_due_leaves_recurring_parts_out() -> None:
    assert final_due(deadline("4月份、每月")) == dt.date(2020, 4, 30)  # the window, not the duty's year end
    assert final_due(deadline("每月")) is None  # a duty alone has no final due date
    assert final_due(deadline("7月份前和12月份前")) == dt.date(2020, 11, 30)  # the last milestone
    assert final_due(deadline("9-11月份")) == dt.date(2020, 11, 30)  # a window ends on its last day
    assert final_due(None) is None


def test_postponed_is_a_later_final_due_date() -> None:
    assert postponed(deadline("4月份、每月"), deadline("6月份、每月"))  # the dated part moved: postponed
    assert not postponed(deadline("每月"), deadline("每季度"))  # a duty changed: nothing was due
    assert postponed(deadline("7月份前和12月份前"), deadline("7月份前和2021年3月底前"))
    assert not postponed(deadline("9-11月份"), deadline("9-10月份"))  # earlier is not later
    assert postponed(deadline("9-11月份"), deadline("9-12月份"))
    assert not postponed(None, deadline("6月底前")) and not postponed(deadline("6月底前"), None)


# --- the same postponement on every page --------------------------------------------------------------------------

REGISTRY = "departments:\n  - name: 办公室\n  - name: 人教科\n"


def ledger(window: str) -> str:
    return ("plan:\n  id: zx\n  title: 专项方案\n  year: 2020\nsections:\n"
            "  - id: s1\n    number: 一、\n    title: 作风\n    tasks:\n"
            "      - id: r1\n        title: 每月通报作风问题\n        lead: [办公室]\n"
            f"        deadline: {window}、每月\n"
            "        status: 进行中\n        updates:\n          - date: 2020-04-20\n            text: 已通报。\n"
            "      - id: r2\n        title: 建立学习制度\n        lead: [人教科]\n        deadline: 每月\n"
            "        status: 进行中\n")


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> GitProject:
    repo = GitProject(tmp_path_factory.mktemp("moved") / "repo", REGISTRY)
    (repo.path / "mkdocs.yml").write_text(
        (repo.path / "mkdocs.yml").read_text(encoding="utf-8").replace("as_of: 2020-09-30", "as_of: 2020-05-31"),
        encoding="utf-8")
    repo.commit("统计日期", "2020-04-01T09:00:00+08:00", "管理员", "mkdocs.yml")
    repo.write(ledger("4月份"))
    repo.commit("建立台账", "2020-04-02T10:00:00+08:00", "督查室", "tasks.yaml")
    repo.write(ledger("6月份").replace("deadline: 每月\n", "deadline: 每季度\n"))  # r1 postponed; r2's duty changed
    repo.commit("调整期限", "2020-05-10T10:00:00+08:00", "督查室", "tasks.yaml")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(PORTAL), "snapshot", "2020-05"], cwd=repo.path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    build = run_build(repo.path)
    assert build.returncode == 0, build.stderr
    return repo


def test_a_postponed_recurring_task_counts_once_everywhere(moved: GitProject) -> None:
    site = moved.path / "site"
    changelog = parse((site / "changelog" / "index.html").read_text(encoding="utf-8"))
    flagged = [el.text for el in changelog.find_all("span") if "pp-change--postponed" in el.attrs.get("class", "")]
    assert len(flagged) == 1 and "（延期）" in flagged[0] and "6月份" in flagged[0]
    for root in (site, site / "archive" / "2020-05"):
        office = (root / "departments" / "办公室" / "index.html").read_text(encoding="utf-8")
        assert "牵头任务期限共延后 1 次" in office, root
        staff = (root / "departments" / "人教科" / "index.html").read_text(encoding="utf-8")
        assert "牵头任务期限共延后 0 次" in staff, root  # a changed duty is not a postponement
    month = parse((site / "archive" / "2020-05" / "month" / "index.html").read_text(encoding="utf-8"))
    section = month.find("h2", id="postponed")
    assert section is not None and "（1）" in section.text
    assert "2020-04-30 → 2020-06-30" in month.text and "建立学习制度" not in month.find("ul").text


def test_a_postponement_is_shown_with_its_dates_from_the_history(moved: GitProject) -> None:
    # issue 15: the history's postponements reach the survey with their dates, the card and the department page
    for root in (moved.path / "site", moved.path / "site" / "archive" / "2020-05"):
        office = (root / "departments" / "办公室" / "index.html").read_text(encoding="utf-8")
        assert "延期 1 次：4月30日 → 6月30日" in office, root
        section = (root / "zx" / "s1" / "index.html").read_text(encoding="utf-8")
        assert "延期 1 次：4月30日 → 6月30日" in section, root


# --- the offline copy shows the live figures ----------------------------------------------------------------------


def figures(site: Path) -> tuple[str, list[str]]:
    page = parse((site / "index.html").read_text(encoding="utf-8"))
    line = next(p for p in page.find_all("p") if "pp-asof" in p.attrs.get("class", ""))
    when = line.find("time")
    assert when is not None
    numbers = [el.text.strip() for el in page.find_all("span") if "pp-kpi__num" in el.attrs.get("class", "")]
    return when.text.strip(), numbers


def test_the_offline_copy_shows_the_live_as_of_date_and_figures(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    live = run_build(project)
    assert live.returncode == 0, live.stderr
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("PORTAL_OWNS_SOURCE_DATE_EPOCH", None)
    offline = subprocess.run([str(PORTAL), "build", "--strict", "-f", str(project / "mkdocs.offline.yml"),
                              "-d", str(project / "site-offline")], cwd=project, env=env, capture_output=True,
                             text=True, timeout=600)
    assert offline.returncode == 0, offline.stderr
    as_of, numbers = figures(live.site)
    assert as_of == "2020年9月30日" and len(numbers) == 4
    assert figures(project / "site-offline") == (as_of, numbers)


def test_settings_come_through_inherit() -> None:
    live, offline = read_config(REPO / "mkdocs.yml", environ={}), read_config(REPO / "mkdocs.offline.yml", environ={})
    assert offline.as_of == live.as_of == dt.date(2020, 9, 30)
    assert offline.site_name == live.site_name and offline.ranking == live.ranking
    assert offline.config_file == "mkdocs.offline.yml"


# --- one survey, one place for each figure ------------------------------------------------------------------------


def test_the_survey_holds_every_figure_of_the_sample() -> None:
    cfg = read_config(REPO / "mkdocs.yml", environ={})
    loaded = load(cfg)
    s = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    assert s.counts.total == len(s.tasks) == 52
    assert sum(s.plan_counts[p.id].total for p in s.ledger.plans) == s.counts.total
    tops = [s.of_section(p.id, sec) for p in s.ledger.plans for sec in p.sections]
    assert sum(c.total for c in tops) == s.counts.total and sum(c.overdue for c in tops) == s.counts.overdue
    assert [t.id for t in s.overdue] == [t.id for t in s.tasks if s.states[t.id].state == "overdue"] or \
        sorted(t.id for t in s.overdue) == sorted(t.id for t in s.tasks if s.states[t.id].state == "overdue")
    assert len(s.overdue) == s.counts.overdue and len(s.due_soon) == s.counts.due_soon
    assert all(s.dept(r.dept.name) is r for r in s.departments)
    with pytest.raises(AttributeError):
        s.as_of = dt.date(2021, 1, 1)  # type: ignore[misc]  # one immutable value


def test_postponements_reach_the_department_rows() -> None:
    plan = load_text(ledger("4月份"), as_of=dt.date(2020, 5, 31))
    s = survey(model.Ledger([plan]), dt.date(2020, 5, 31), postponements={"r1": 2})
    assert s.dept("办公室").postponed == 2 and s.dept("人教科").postponed == 0  # type: ignore[union-attr]


SRC = REPO / "src" / "portal"
#: Each derived figure has one home; callers elsewhere read the survey.
HOMES = {
    r"\bdue_state\(": {"deadlines/due.py", "survey.py"},
    r"\bdepartment_rows\(": {"survey.py"},
    r"(?<![_.\w])count\(": {"survey.py"},
    r"\bfinal_due\(": {"deadlines/due.py", "deadlines/lights.py", "history/changes.py", "month.py"},
}


def test_each_derived_figure_is_computed_in_one_place() -> None:
    for pattern, homes in HOMES.items():
        found = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
                 if re.search(pattern, re.sub(r'""".*?"""', "", p.read_text(encoding="utf-8"), flags=re.DOTALL))}
        assert found <= homes, (pattern, found - homes)
