"""Counts, completion rates and the 红黑榜 ranking, on hand-built ledgers."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.config import Ranking
from portal.deadlines.due import DueState, due_state
from portal.ledger import model
from portal.ledger.load import load_text
from portal.ledger.model import Department, Ledger, Plan, Registry, Section, Status, Task
from portal.problems import LedgerError
from portal.survey import count, department_rows

AS_OF = dt.date(2020, 9, 30)
OVERDUE = DueState("overdue", dt.date(2020, 6, 30), -92, None)
SOON = DueState("due_soon", dt.date(2020, 10, 5), 5, None)
UPCOMING = DueState("upcoming", dt.date(2020, 12, 31), 92, None)
NONE = DueState("none", None, None, None)
CLOSED = DueState("closed", dt.date(2020, 6, 30), -92, None)


def task(id: str, status: Status = Status.IN_PROGRESS, lead: tuple[str, ...] = (), units: tuple[str, ...] = (),
         deadline: model.Deadline | None = None) -> Task:
    return Task(id=id, title=f"任务{id}", status=status, lead=list(lead), units=list(units), deadline=deadline)


def ledger(tasks: list[Task], departments: list[Department] | None = None) -> Ledger:
    plan = Plan("p", "方案", 2020, sections=[Section("s1", "板块", tasks=tasks)])
    return Ledger([plan], Registry(departments or []))


def states_for(tasks: list[Task], overdue: set[str] = frozenset(), soon: set[str] = frozenset()) -> dict[str, DueState]:
    out = {}
    for t in tasks:
        if t.status in (Status.DONE, Status.CANCELLED):
            out[t.id] = CLOSED
        elif t.id in overdue:
            out[t.id] = OVERDUE
        elif t.id in soon:
            out[t.id] = SOON
        else:
            out[t.id] = UPCOMING
    return out


# --- count --------------------------------------------------------------------------------------------------------


def test_completion_rate_leaves_out_cancelled() -> None:
    tasks = [
        task("a", Status.DONE),
        task("b", Status.DONE),
        task("c", Status.IN_PROGRESS),
        task("d", Status.NOT_STARTED),
        task("e", Status.CANCELLED),
        task("f", Status.CANCELLED),
    ]
    c = count(tasks, states_for(tasks, overdue={"c"}, soon={"d"}))
    assert c.total == 6
    assert c.counted == 4
    assert c.done == 2
    assert c.rate == 0.5
    assert c.percent == 50
    assert (c.overdue, c.due_soon) == (1, 1)
    assert c.by_status == {"not_started": 1, "in_progress": 1, "done": 2, "ongoing": 0, "suspended": 0,
                           "cancelled": 2}


def test_ongoing_is_not_done_and_never_overdue() -> None:
    past = model.Deadline("6月底前", [model.DeadlinePart("date", "6月底前", due=dt.date(2020, 6, 30))])
    tasks = [task("a", Status.ONGOING, deadline=past), task("b", Status.DONE, deadline=past)]
    states = {t.id: due_state(t, AS_OF) for t in tasks}
    assert states["a"].state == "none"
    c = count(tasks, states)
    assert (c.done, c.counted, c.overdue) == (1, 2, 0)
    assert c.rate == 0.5


def test_percent_rounds_half_up() -> None:
    # Issue 15: percentages were cut (2/3 showed 66%, 5/9 55%); they are rounded half up.
    tasks = [task("a", Status.DONE), task("b", Status.DONE), task("c")]
    assert count(tasks, states_for(tasks)).percent == 67
    nine = [task(f"n{i}", Status.DONE if i < 5 else Status.IN_PROGRESS) for i in range(9)]
    assert count(nine, states_for(nine)).percent == 56
    many = [task(f"t{i}", Status.DONE) for i in range(199)] + [task("x")]
    assert count(many, states_for(many)).percent == 99  # 99.5% never shows as 100%: only all done is 100%
    few = [task("y", Status.DONE)] + [task(f"z{i}") for i in range(299)]
    assert count(few, states_for(few)).percent == 1  # nor one done of 300 as 0%


def test_rate_of_nothing_counted_is_none() -> None:
    tasks = [task("a", Status.CANCELLED)]
    c = count(tasks, states_for(tasks))
    assert c.rate is None
    assert c.percent == 0
    assert count([], {}).rate is None


# --- department_rows ----------------------------------------------------------------------------------------------

A, B, C, D, E = "办公室", "机关党委", "人教科", "财务科", "法规科"
REGISTRY = [Department(n) for n in (A, B, C, D, E)]


#: The tests below rank on every lead task (basis 'all', the rule before issue 15): they are about the order, ties
#: and flags; the default basis, the tasks due so far, has its own tests further down.
def every(**kw: int) -> Ranking:
    return Ranking(basis="all", **kw)


def ranks(rows: list) -> list[tuple[str, int | None, str | None]]:
    return [(r.dept.name, r.rank, r.flag) for r in rows]


def test_ranked_by_rate_then_fewer_overdue() -> None:
    tasks = [
        # A: 1/2 done, 1 overdue
        task("a1", Status.DONE, lead=(A,)), task("a2", lead=(A,)),
        # B: 2/2 done
        task("b1", Status.DONE, lead=(B,)), task("b2", Status.DONE, lead=(B,)),
        # C: 1/2 done, none overdue: ahead of A at the same rate
        task("c1", Status.DONE, lead=(C,)), task("c2", lead=(C,)),
        # D: 0/1
        task("d1", lead=(D,)),
    ]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks, overdue={"a2"}), every(red=1, yellow=3))
    assert ranks(rows) == [(B, 1, "red"), (C, 2, "yellow"), (A, 3, "yellow"), (D, 4, "black")]
    assert rows[2].counts.overdue == 1


def test_equal_rate_and_overdue_share_a_rank() -> None:
    tasks = [
        task("a1", Status.DONE, lead=(A,)),
        task("b1", Status.DONE, lead=(B,)), task("b2", lead=(B,)),
        task("c1", Status.DONE, lead=(C,)), task("c2", lead=(C,)),
        task("d1", lead=(D,)),
    ]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks), every(red=1, yellow=2))
    # B and C tie for places 2-3: they share the last of them (issue 15: they shared place 2, so a tie at the
    # boundary lifted the whole tail out of its colour); a shared rank gets the same flag; registry order within
    assert ranks(rows) == [(A, 1, "red"), (B, 3, "black"), (C, 3, "black"), (D, 4, "black")]
    assert [r.tied for r in rows] == [1, 2, 2, 1]


def test_equal_rate_different_overdue_do_not_share() -> None:
    tasks = [
        task("b1", Status.DONE, lead=(B,)), task("b2", lead=(B,)),
        task("c1", Status.DONE, lead=(C,)), task("c2", lead=(C,)),
    ]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks, overdue={"b2"}), every(red=1, yellow=2))
    assert ranks(rows) == [(C, 1, "red"), (B, 2, "yellow")]


def test_equal_rates_from_different_counts_share_a_rank() -> None:
    tasks = [
        task("a1", Status.DONE, lead=(A,)), task("a2", lead=(A,)), task("a3", lead=(A,)),  # 1/3
        *(task(f"b{i}", Status.DONE if i < 2 else Status.IN_PROGRESS, lead=(B,)) for i in range(6)),  # 2/6
    ]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks), every())
    assert [r.rank for r in rows] == [1, 1]


@pytest.mark.parametrize(
    ("red", "yellow", "flags"),
    [
        (2, 3, ["red", "red", "yellow", "black", "black"]),
        (0, 0, ["black"] * 5),
        (5, 5, ["red"] * 5),
        (1, 4, ["red", "yellow", "yellow", "yellow", "black"]),
    ],
)
def test_flags_follow_thresholds(red: int, yellow: int, flags: list[str]) -> None:
    # five departments with distinct rates: A 5/5, B 4/5, C 3/5, D 2/5, E 1/5
    tasks = [task(f"{n}{i}", Status.DONE if i < 5 - k else Status.IN_PROGRESS, lead=(n,))
             for k, n in enumerate((A, B, C, D, E)) for i in range(5)]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks), every(red=red, yellow=yellow))
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5]
    assert [r.flag for r in rows] == flags


def test_collectives_are_listed_but_not_ranked() -> None:
    group = Department("机关各科室", kind="group")
    tasks = [
        task("g1", Status.DONE, lead=("机关各科室",)),
        task("a1", lead=(A,), units=("机关各科室",)),
    ]
    rows = department_rows(ledger(tasks, [group, *REGISTRY]), states_for(tasks), every())
    assert ranks(rows) == [(A, 1, "red"), ("机关各科室", None, None)]
    g = rows[1]
    assert [t.id for t in g.lead_tasks] == ["g1"]
    assert [t.id for t in g.shared_tasks] == ["a1"]
    assert g.counts.rate == 1.0  # counted, shown, but not ranked


def test_department_whose_lead_tasks_are_all_cancelled_is_not_ranked() -> None:
    tasks = [
        task("a1", Status.CANCELLED, lead=(A,)),
        task("a2", Status.CANCELLED, lead=(A,)),
        task("b1", lead=(B,)),
    ]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks), every())
    assert ranks(rows) == [(B, 1, "red"), (A, None, None)]
    assert rows[1].counts.total == 2
    assert rows[1].counts.rate is None


def test_shared_only_department_is_listed_unranked() -> None:
    tasks = [task("a1", lead=(A,), units=(A, C))]
    rows = department_rows(ledger(tasks, REGISTRY), states_for(tasks), every())
    assert ranks(rows) == [(A, 1, "red"), (C, None, None)]
    assert rows[0].shared_tasks == ()  # a lead is not also counted as sharing
    assert [t.id for t in rows[1].shared_tasks] == ["a1"]


def test_unranked_rows_in_registry_order_then_first_seen() -> None:
    group = Department("机关各科室", kind="group")
    tasks = [
        task("x1", lead=("未登记科室",)),  # not in the registry: an ad-hoc department, ranked
        task("c1", Status.CANCELLED, lead=(C,)),
        task("g1", lead=("机关各科室",)),
        task("a1", units=(A,)),
    ]
    rows = department_rows(ledger(tasks, [*REGISTRY, group]), states_for(tasks), every())
    assert ranks(rows) == [("未登记科室", 1, "red"), (A, None, None), (C, None, None), ("机关各科室", None, None)]
    assert rows[0].dept.slug == "未登记科室"


def test_task_with_several_leads_counts_for_each() -> None:
    tasks = [task("t1", Status.DONE, lead=(A, B)), task("t2", lead=(B,))]
    rows = {r.dept.name: r for r in department_rows(ledger(tasks, REGISTRY), states_for(tasks), every())}
    assert rows[A].counts.rate == 1.0
    assert rows[B].counts.rate == 0.5
    assert (rows[A].rank, rows[B].rank) == (1, 2)


def test_alias_and_name_of_one_department_count_once() -> None:
    registry = Registry([Department(A, ["局办公室"])])
    text = """\
plan:
  id: p
  title: 方案
  year: 2020
sections:
  - id: s1
    title: 板块
    tasks:
      - id: t1
        title: 任务一
        lead: 办公室
        status: 已完成
      - id: t2
        title: 任务二
        lead: 办公室、局办公室
"""
    try:
        plan = load_text(text, as_of=AS_OF, registry=registry)
    except LedgerError as err:  # reporting the repeated name would also be a fix
        assert [(p.line, p.column) for p in err.problems.errors] == [(15, 19)]
        return
    led = Ledger([plan], registry)
    states = {t.id: due_state(t, AS_OF) for t in led.tasks()}
    [row] = department_rows(led, states, every())
    assert [t.id for t in row.lead_tasks] == ["t1", "t2"]
    assert row.counts.rate == 0.5
