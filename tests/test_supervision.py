"""Supervision as the office practises it (issue 15), each rule on a ledger built for it.

- recurring duties judged per reporting period at the office's cadence: met by a dated update in the period;
  missed periods listed; a period already met never due today; weekly habits judged monthly;
- traffic lights: red overdue; yellow due soon with little progress, behind the time elapsed, or the last
  period missed; green; done on time and done late (after the due date, or after a postponement);
- the 红黑榜: the tasks due so far, a configured score, ties broken by the next criterion, full ties taking the
  last place they cover (never lifting the tail out of black), nothing due listed apart;
- the sample at 2020-09-30, as the issue's "done when" reads.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import REPO
from portal.config import Ranking, Supervision, read_config
from portal.deadlines.due import Moved, due_state, judged_every, part_due, plan_start, reporting_periods, task_start
from portal.deadlines.lights import Light, percent_half_up, task_light
from portal.deadlines.wording import parse_deadline
from portal.ledger import model
from portal.ledger.load import load
from portal.ledger.model import Department, Every, Ledger, Plan, Registry, Section, Status, Task, Update
from portal.outputs.signals import light_reasons, missed_words, moves_words, ranking_rules
from portal.survey import Rules, Streak, department_rows, quarter_flags, streaks, survey

Y = 2020


def d(month: int, day: int) -> dt.date:
    return dt.date(Y, month, day)


def deadline(text: str) -> model.Deadline:
    return model.Deadline(text, parse_deadline(text, Y))


def task(id: str = "t", text: str | None = None, status: Status = Status.IN_PROGRESS, updates: tuple = (),
         percent: int | None = None, lead: tuple[str, ...] = (), closed: dt.date | None = None) -> Task:
    return Task(id=id, title=f"任务{id}", status=status, percent=percent, lead=list(lead), closed=closed,
                deadline=deadline(text) if text else None, updates=[Update(u, "进展") for u in updates])


# --- reporting periods ----------------------------------------------------------------------------------------


def test_a_weekly_habit_is_judged_at_the_monthly_cadence() -> None:
    assert judged_every(Every.WEEK, Every.MONTH) is Every.MONTH
    assert judged_every(Every.QUARTER, Every.MONTH) is Every.QUARTER  # a coarser duty keeps its own period
    assert judged_every(Every.WEEK, None) is Every.WEEK
    weekly = task(text="每周二", updates=(d(4, 14), d(6, 18)))
    months = reporting_periods(weekly, d(7, 10), Every.MONTH, since=d(4, 1))
    assert [(p.start, p.met) for p in months] == [(d(4, 1), True), (d(5, 1), False), (d(6, 1), True)]
    assert len(reporting_periods(weekly, d(7, 10), None, since=d(4, 1))) == 14  # week by week: 14 Tuesdays


def test_missed_periods_are_listed_from_the_start_of_the_work() -> None:
    # as t01 of the sample: 每月, updated 4-28, 6-29, 8-27, 9-24; the plan's work began in April
    t = task(text="4月份、每月", updates=(d(4, 28), d(6, 29), d(8, 27), d(9, 24)))
    periods = reporting_periods(t, d(9, 30), Every.MONTH, since=d(4, 1))
    assert [p.start.month for p in periods] == [4, 5, 6, 7, 8]  # September is not over on 9-30
    assert [p.start.month for p in periods if not p.met] == [5, 7]
    assert missed_words(periods, "zh", Y) == "5月、7月 无进展"
    assert missed_words(periods, "en", Y) == "no update in 2020-05, 2020-07"
    # without a start, the duty runs from the plan year's first month
    assert [p.start.month for p in reporting_periods(t, d(9, 30), Every.MONTH) if not p.met] == [1, 2, 3, 5, 7]


def test_a_late_report_keeps_a_task_from_overdue_but_the_period_is_missed() -> None:
    t = task(text="每月", updates=(d(4, 10), d(6, 3)))  # nothing dated in May; a report on 6-03
    assert due_state(t, d(6, 10), cadence=Every.MONTH, since=d(4, 1)).state != "overdue"
    assert [p.met for p in reporting_periods(t, d(6, 10), Every.MONTH, since=d(4, 1))] == [True, False]
    silent = task(text="每月", updates=(d(4, 10),))
    state = due_state(silent, d(6, 10), cadence=Every.MONTH, since=d(4, 1))
    assert (state.state, state.due) == ("overdue", d(5, 31))  # May not reported at all


def test_a_period_already_met_is_never_due_today() -> None:
    t = task(text="每月", updates=(d(9, 24),))
    state = due_state(t, d(9, 30), cadence=Every.MONTH, since=d(4, 1))
    assert (state.state, state.due) == ("upcoming", d(10, 31))
    assert part_due(t, t.deadline.parts[0], d(9, 30), Every.MONTH) == d(10, 31)  # type: ignore[union-attr]
    unmet = task(text="每月", updates=(d(8, 27),))
    assert due_state(unmet, d(9, 30), cadence=Every.MONTH).state == "due_soon"  # due today, not yet met


def test_periods_before_the_start_are_not_judged() -> None:
    t = task(text="每月")
    assert due_state(t, d(4, 5), cadence=Every.MONTH, since=d(4, 1)).state == "upcoming"
    assert due_state(t, d(4, 5), cadence=Every.MONTH).state == "overdue"  # March, from January
    assert reporting_periods(t, d(4, 5), Every.MONTH, since=d(4, 1)) == ()


def test_closed_and_suspended_tasks_have_no_periods() -> None:
    for status in (Status.DONE, Status.CANCELLED, Status.SUSPENDED):
        assert reporting_periods(task(text="每月", status=status), d(9, 30), Every.MONTH) == ()


def test_the_start_of_a_plan_and_of_a_task() -> None:
    a = task("a", "9-11月份", updates=(d(5, 20),))
    b = task("b", "6月底前", closed=d(4, 30), status=Status.DONE)
    assert plan_start([a, b]) == d(4, 30)
    assert plan_start([task("c")]) is None
    assert task_start(a, plan_start([a, b])) == d(4, 30)
    assert task_start(task("early", updates=(d(3, 2),)), d(4, 30)) == d(3, 2)


# --- lights ---------------------------------------------------------------------------------------------------


APRIL = dt.date(Y, 4, 1)
END_OF_SEPTEMBER = dt.date(Y, 9, 30)


def light_of(t: Task, as_of: dt.date, moved: tuple[Moved, ...] = (), start: dt.date | None = APRIL) -> Light:
    state = due_state(t, as_of, 7, Every.MONTH, start)
    return task_light(t, state, reporting_periods(t, as_of, Every.MONTH, start), moved, as_of, start)


@pytest.mark.parametrize(
    ("name", "t", "as_of", "color", "reasons"),
    [
        ("overdue is red", task(text="6月底前", percent=80), d(7, 1), "red", ()),
        ("on track is green", task(text="12月底前", percent=60), d(9, 30), "green", ()),
        ("due soon with little progress", task(text="10月5日前", percent=40), d(9, 30), "yellow",
         ("soon", "behind")),
        ("a window due soon, half done", task(text="9月20日至10月5日", percent=48), d(9, 30), "yellow", ("soon",)),
        ("due soon, well advanced", task(text="10月5日前", percent=95), d(9, 30), "green", ()),
        ("not started, three quarters of the time gone", task(text="12月底前", status=Status.NOT_STARTED),
         d(9, 30), "yellow", ("behind",)),
        ("behind within the margin", task(text="12月底前", percent=50), d(9, 30), "green", ()),
        ("a window judged from its first day", task(text="9-11月份", percent=20), d(9, 30), "green", ()),
        ("a window half gone, nothing done", task(text="9-11月份", status=Status.NOT_STARTED), d(10, 20),
         "yellow", ("behind",)),
        ("progress unknown: not judged on it", task(text="12月底前"), d(9, 30), "green", ()),
        ("last period missed, reported late", task(text="每月", updates=(d(4, 3), d(9, 2))), d(9, 5),
         "yellow", ("missed",)),
        ("earlier periods missed, the last met", task(text="每月", updates=(d(4, 3), d(8, 20))), d(9, 5),
         "green", ()),
        ("ongoing with a duty missed", task(text="每季度", status=Status.ONGOING, updates=(d(4, 3), d(6, 20))),
         d(10, 3), "yellow", ("missed",)),
        ("suspended is not lagging", task(text="12月底前", status=Status.SUSPENDED, percent=0), d(9, 30),
         "none", ()),
        ("suspended and overdue stays red", task(text="7月份", status=Status.SUSPENDED), d(9, 30), "red", ()),
        ("cancelled", task(text="6月底前", status=Status.CANCELLED), d(9, 30), "none", ()),
        ("done on time", task(text="7月份", status=Status.DONE, closed=d(7, 29)), d(9, 30), "done", ()),
        ("done after the due date", task(text="7月份", status=Status.DONE, closed=d(8, 14)), d(9, 30),
         "late", ("after_due",)),
        ("done, closing date unknown", task(text="7月份", status=Status.DONE), d(9, 30), "done", ()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_lights(name: str, t: Task, as_of: dt.date, color: str, reasons: tuple[str, ...]) -> None:
    light = light_of(t, as_of)
    assert (light.color, light.reasons) == (color, reasons), name


def test_done_after_a_postponement_is_late_and_says_so() -> None:
    t = task(text="9月底前", status=Status.DONE, closed=d(9, 20))
    moved = (Moved(d(6, 25), d(6, 30), d(9, 30)),)
    light = light_of(t, d(9, 30), moved)
    assert (light.color, light.reasons) == ("late", ("postponed",))
    assert light_reasons(light, (), "zh", Y, Supervision()) == ["期限延后后完成"]
    assert moves_words(moved, "zh", Y) == "6月30日 → 9月30日"
    late = light_of(task(text="7月份", status=Status.DONE, closed=d(8, 14)), d(9, 30))
    assert light_reasons(late, (), "zh", Y, Supervision()) == ["应于7月31日前完成，8月14日销号"]


def test_why_a_task_is_lagging_in_words() -> None:
    behind = light_of(task(text="12月底前", percent=30), d(9, 30))
    assert light_reasons(behind, (), "zh", Y, Supervision()) == ["进度 30%，落后于时间进度 66%"]
    t = task(text="每月", updates=(d(4, 3), d(9, 2)))
    periods = reporting_periods(t, d(9, 5), Every.MONTH, d(4, 1))
    assert light_reasons(light_of(t, d(9, 5)), periods, "zh", Y, Supervision()) == ["8月无进展"]


def test_lagging_thresholds_are_settings() -> None:
    t = task(text="12月底前", percent=50)  # 66% of the time gone: 16 points behind
    state = due_state(t, d(9, 30))
    strict = Rules(supervision=Supervision(behind_margin=10)).lights
    assert task_light(t, state, (), (), d(9, 30), d(4, 1), strict).color == "yellow"
    assert task_light(t, state, (), (), d(9, 30), d(4, 1)).color == "green"


def test_percentages_round_half_up_and_only_all_is_100() -> None:
    assert [percent_half_up(*x) for x in [(5, 9), (2, 3), (1, 2), (1, 8), (199, 200), (1, 300), (0, 3), (3, 3)]] \
        == [56, 67, 50, 13, 99, 1, 0, 100]


# --- the 红黑榜 -------------------------------------------------------------------------------------------------


def ranked_ledger(spec: dict[str, list[tuple[str, Status, str | None]]], registry: list[str] | None = None
                  ) -> Ledger:
    """Departments each leading tasks (id, status, deadline wording); one plan, one section."""
    tasks = [Task(id=tid, title=tid, status=status, lead=[name], deadline=deadline(text) if text else None,
                  closed=d(6, 1) if status is Status.DONE else None, updates=[Update(d(4, 2), "开始")])
             for name, items in spec.items() for tid, status, text in items]
    names = registry or list(spec)
    return Ledger([Plan("p", "方案", Y, sections=[Section("s", "板块", tasks=tasks)])],
                  Registry([Department(n) for n in names]))


DONE, OPEN = Status.DONE, Status.IN_PROGRESS


def rows_of(led: Ledger, as_of: dt.date = END_OF_SEPTEMBER, ranking: Ranking | None = None, **kw: object) -> list:
    rules = Rules(ranking=ranking or Ranking())
    return list(survey(led, as_of, rules, **kw).departments)  # type: ignore[arg-type]


def test_only_tasks_due_so_far_count_and_nothing_due_is_listed_apart() -> None:
    led = ranked_ledger({
        "甲科": [("a1", DONE, "6月底前"), ("a2", OPEN, "6月底前"), ("a3", OPEN, "12月底前")],  # 1 of 2 due
        "乙科": [("b1", OPEN, "12月底前"), ("b2", OPEN, "11月底前")],  # nothing due yet
        "丙科": [("c1", DONE, "12月底前")],  # done early: due, and done
    })
    rows = {r.dept.name: r for r in rows_of(led)}
    assert (rows["甲科"].basis.counted, rows["甲科"].basis.done, rows["甲科"].counts.counted) == (2, 1, 3)
    assert (rows["丙科"].rank, rows["甲科"].rank) == (1, 2)
    assert rows["乙科"].rank is None and rows["乙科"].flag is None and rows["乙科"].nothing_due
    assert rows_of(led, ranking=Ranking(basis="all"))[-1].nothing_due is False  # ranked on every lead task
    s = survey(led, d(9, 30))
    assert [r.dept.name for r in s.nothing_due] == ["乙科"]


def test_a_tie_takes_the_last_place_so_black_flags_remain() -> None:
    # 16 departments: 6 with distinct rates, then 10 all at 0% with the same overdue task each
    spec: dict[str, list[tuple[str, Status, str | None]]] = {}
    for i in range(6):
        spec[f"甲{i}"] = [(f"a{i}{j}", DONE if j < 6 - i else OPEN, "6月底前") for j in range(6)]
    for i in range(10):
        spec[f"乙{i}"] = [(f"b{i}", OPEN, "6月底前")]
    rows = [r for r in rows_of(ranked_ledger(spec)) if r.rank]
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5, 6] + [16] * 10
    assert [r.flag for r in rows][:6] == ["red"] * 6 and {r.flag for r in rows[6:]} == {"black"}
    assert {r.tied for r in rows[6:]} == {10}


def test_a_tie_for_first_is_first() -> None:
    rows = rows_of(ranked_ledger({n: [(f"{n}1", DONE, "6月底前")] for n in "甲乙丙"}),
                   ranking=Ranking(red=1, yellow=2))
    assert [(r.rank, r.flag) for r in rows] == [(1, "red")] * 3


def test_ties_are_broken_by_the_next_criterion() -> None:
    led = ranked_ledger({
        "甲科": [("a1", DONE, "6月底前"), ("a2", OPEN, "6月底前")],  # 50%, one overdue
        "乙科": [("b1", DONE, "6月底前"), ("b2", OPEN, "6月底前")],  # 50%, one overdue, done late
    })
    led.plans[0].sections[0].tasks[2].closed = d(7, 20)  # b1 closed after 6-30
    rows = rows_of(led)
    assert [(r.dept.name, r.rank, r.tied) for r in rows] == [("甲科", 1, 1), ("乙科", 2, 1)]  # on time breaks it
    assert (rows[0].value("on_time"), rows[1].value("on_time")) == (50, 0)


def test_the_score_weighs_postponements_and_missed_periods() -> None:
    led = ranked_ledger({
        "甲科": [("a1", DONE, "6月底前"), ("a2", DONE, "6月底前")],
        "乙科": [("b1", DONE, "6月底前"), ("b2", OPEN, "6月底前"), ("b3", OPEN, "每月")],
    })
    plain = rows_of(led)
    # b3's duty has had no update since April: overdue, so due, and not done: 1 of 3
    assert [(r.dept.name, r.score) for r in plain] == [("甲科", 100), ("乙科", 33)]
    weighted = Ranking(weights=(("completion", 1), ("postponed", 30), ("missed", 5)))
    rows = {r.dept.name: r for r in rows_of(led, ranking=weighted, postponements={"a1": 2})}
    assert rows["乙科"].missed == 4  # May to August without an update dated in them (September is not over)
    assert (rows["甲科"].score, rows["乙科"].score) == (100 - 60, 33 - 20)
    assert (rows["甲科"].rank, rows["乙科"].rank) == (1, 2)
    assert ranking_rules(weighted, "zh")[1] == \
        "得分 = 到期任务完成率 × 1 − 延期次数 × 30 − 未报送周期数 × 5；百分数四舍五入取整。"


def test_department_rows_keep_the_old_call() -> None:
    led = ranked_ledger({"甲科": [("a1", DONE, None)]})
    states = {t.id: due_state(t, d(9, 30)) for t in led.tasks()}
    [row] = department_rows(led, states, Ranking())
    assert (row.rank, row.flag, row.basis.done) == (1, "red", 1)


# --- quarters and streaks -------------------------------------------------------------------------------------


def test_a_quarter_is_ranked_by_its_last_month() -> None:
    past = {"2020-05": {"甲": "black"}, "2020-06": {"甲": "red"}, "2020-08": {"甲": "black"}}
    assert quarter_flags(past, d(9, 30), {"甲": "red"}) == {"2020-06": {"甲": "red"}, "2020-09": {"甲": "red"}}
    assert quarter_flags(past, d(9, 29), {"甲": "red"}) == {"2020-06": {"甲": "red"}}  # not a quarter's end


def test_streaks_run_over_consecutive_quarters_up_to_the_latest() -> None:
    quarters = {"2019-12": {"甲": "red", "乙": "black"}, "2020-03": {"甲": "red", "乙": "black", "丙": "black"},
                "2020-06": {"甲": "red", "乙": "black", "丙": "yellow"}, "2020-09": {"甲": "red", "乙": "black",
                                                                                   "丙": "black"}}
    runs = {s.dept: s for s in streaks(quarters)}
    assert runs["甲"] == Streak("甲", "red", ("2019-12", "2020-03", "2020-06", "2020-09"))
    assert len(runs["乙"].quarters) == 4 and runs["丙"].quarters == ("2020-09",)  # yellow broke it
    gap = {"2020-03": {"甲": "red"}, "2020-09": {"甲": "red"}}  # no ranking for June: no run across it
    assert streaks(gap)[0].quarters == ("2020-09",)


def test_the_survey_names_whom_to_commend_and_whom_to_talk_to() -> None:
    led = ranked_ledger({"甲科": [("a1", DONE, "6月底前")], "乙科": [("b1", OPEN, "6月底前")]})
    past = {"2020-06": {"甲科": "red", "乙科": "black"}, "2020-03": {"乙科": "black"}}
    s = survey(led, d(9, 30), Rules(ranking=Ranking(red=1, yellow=1, talk=3)), past=past)
    assert [(x.dept, len(x.quarters)) for x in s.commended] == [("甲科", 2)]
    assert [(x.dept, len(x.quarters)) for x in s.to_talk] == [("乙科", 3)]
    assert survey(led, d(9, 30), Rules(ranking=Ranking(red=1, yellow=1, talk=4)), past=past).to_talk == ()
    later = survey(led, d(9, 30), past={"2020-09": {"甲科": "black"}, **past})  # this month's own: the survey's
    assert later.quarters["2020-09"] == {"甲科": "red", "乙科": "red"}


# --- settings -------------------------------------------------------------------------------------------------


def test_settings_of_the_ranking_supervision_and_report(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "mkdocs.yml").write_text(
        "site_name: t\nextra:\n  portal:\n    ranking:\n      basis: all\n      score: {completion: 1, overdue: 10}\n"
        "      tie_break: [overdue, 完成率]\n      talk: 3\n    supervision:\n      cadence: 每季度\n"
        "      behind_margin: 30\n    report:\n      to: 局党组\n      issuer: 督查室\n", encoding="utf-8")
    cfg = read_config(folder / "mkdocs.yml", environ={})
    assert cfg.ranking == Ranking(basis="all", weights=(("completion", 1), ("overdue", 10)),
                                  tie_break=("overdue", "completion"), talk=3)
    assert cfg.supervision == Supervision(cadence="quarter", behind_margin=30)
    assert (cfg.report.to, cfg.report.issuer) == ("局党组", "督查室")
    assert Rules.of(cfg).cadence is Every.QUARTER


def test_a_score_of_nothing_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    from portal.problems import LedgerError

    folder = Path(str(tmp_path))
    (folder / "mkdocs.yml").write_text("site_name: t\nextra:\n  portal:\n    ranking:\n      score: {completion: 0}\n",
                                       encoding="utf-8")
    with pytest.raises(LedgerError) as err:
        read_config(folder / "mkdocs.yml", environ={})
    assert "ranking.score" in err.value.report()


# --- the sample at 2020-09-30 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> object:
    cfg = read_config(REPO / "mkdocs.yml", environ={})
    loaded = load(cfg)
    return survey(loaded.ledger, loaded.as_of, Rules.of(cfg))


def test_the_sample_as_the_issue_reads(sample: object) -> None:
    s = sample
    # The sample's monthly duty is t02's (每周二, judged monthly, last reported on 29 September): t01's
    # 每月至少安排一次 is how often an activity happens, no longer a deadline since issue 12.
    t02 = next(t for t in s.tasks if t.id == "t02")  # type: ignore[attr-defined]
    assert s.light(t02).color == "green"  # type: ignore[attr-defined]
    assert s.states["t02"].state == "upcoming"  # type: ignore[attr-defined]  # not "临期 · 今天到期"
    assert missed_words(s.periods["t02"], "zh", 2020) == "5月、7月 无进展"  # type: ignore[attr-defined]
    assert [t.id for t in s.late] == ["t46"]  # type: ignore[attr-defined]
    ranked = s.ranked  # type: ignore[attr-defined]
    assert len(ranked) > 10 and any(r.flag == "black" for r in ranked)
    assert not any(r.nothing_due and r.flag for r in s.departments)  # type: ignore[attr-defined]
    assert all(r.basis.counted for r in ranked)
    assert s.counts.late == 1 and s.counts.lagging == len(s.lagging) == 3  # type: ignore[attr-defined]
