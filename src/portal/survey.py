"""The survey: everything derived from a ledger at an as-of date, computed once.

A :class:`Survey` holds each task's due state and light (亮灯), the reporting
periods of its recurring duties, the counts of the whole ledger, of each plan
and of each section, the department rows and the 红黑榜, each deadline moved
later (with its dates), and the lists the pages show (overdue, due soon, late,
next deadlines, latest updates). Pages, the feed, tasks.json, the CSV, the Excel
台账, the Word report, the CLI and the monthly snapshots all read one survey;
nothing else counts. The counting rule itself is :func:`count`: the history's
progress points use it too, on older versions of the ledger.

Completion rate of a group = done / (all − cancelled), in whole percent rounded
half up; ongoing tasks count as on track. The 红黑榜 (:func:`department_rows`)
ranks by a score the office configures (:class:`portal.config.Ranking`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from portal.config import PortalConfig, Ranking, Supervision
from portal.deadlines.due import (
    DueState,
    Moved,
    Period,
    due_state,
    plan_start,
    reporting_periods,
    task_start,
)
from portal.deadlines.lights import Light, LightRules, group_light, percent_half_up, task_light
from portal.ledger import model
from portal.ledger.load import department_for
from portal.round.periods import Reporting, ReportingRule, who_reported

_NO_POSTPONEMENTS: Mapping[str, int] = MappingProxyType({})
_NO_LIGHTS: Mapping[str, Light] = MappingProxyType({})
_NO_PERIODS: Mapping[str, tuple[Period, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings that decide derived facts: when a task is due soon or lagging, how departments are flagged."""

    due_soon_days: int = 7
    ranking: Ranking = field(default_factory=Ranking)
    reporting: ReportingRule = field(default_factory=ReportingRule)
    supervision: Supervision = field(default_factory=Supervision)

    @classmethod
    def of(cls, cfg: PortalConfig) -> Rules:
        return cls(cfg.due_soon_days, cfg.ranking, reporting=cfg.reporting, supervision=cfg.supervision)

    @property
    def cadence(self) -> model.Every:
        """The period recurring duties are judged at: the supervision setting, else the reporting cadence."""
        reporting = {"monthly": "month", "quarterly": "quarter"}.get(self.reporting.cadence, "month")
        return model.Every(self.supervision.cadence or reporting)

    @property
    def lights(self) -> LightRules:
        return LightRules(self.supervision.soon_progress, self.supervision.behind_margin)


@dataclass(frozen=True, slots=True)
class Counts:
    """How many tasks of a group are in each status, overdue and due soon."""

    total: int = 0
    by_status: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({s.value: 0 for s in model.Status}))
    overdue: int = 0
    due_soon: int = 0
    lagging: int = 0  # yellow lights
    late: int = 0  # done late (逾期完成)

    @property
    def light(self) -> str:
        """The group's light: red with any task overdue, yellow with any lagging, else green."""
        return group_light(["red"] * self.overdue + ["yellow"] * self.lagging)

    @property
    def on_time(self) -> int:
        """Done on time (done but not late)."""
        return self.done - self.late

    @property
    def done(self) -> int:
        return self.by_status["done"]

    @property
    def counted(self) -> int:
        """The denominator of the completion rate: all tasks but the cancelled."""
        return self.total - self.by_status["cancelled"]

    @property
    def rate(self) -> float | None:
        return self.done / self.counted if self.counted else None

    @property
    def percent(self) -> int:
        """Completion rate in whole percent, rounded half up (5/9 → 56%, 2/3 → 67%), as every percentage is."""
        return percent_half_up(self.done, self.counted) if self.counted else 0

    @property
    def on_time_percent(self) -> int:
        """On-time completion rate: done on time / (all − cancelled), in whole percent rounded half up."""
        return percent_half_up(self.on_time, self.counted) if self.counted else 0


def count(tasks: Iterable[model.Task], states: Mapping[str, DueState],
          lights: Mapping[str, Light] = _NO_LIGHTS) -> Counts:
    """The counting rule: tasks by status, overdue and due soon taken from their due states, lagging and late
    from their lights (when given)."""
    total = overdue = due_soon = lagging = late = 0
    by_status = {s.value: 0 for s in model.Status}
    for task in tasks:
        total += 1
        by_status[task.status.value] += 1
        state = states[task.id].state
        if state == "overdue":
            overdue += 1
        elif state == "due_soon":
            due_soon += 1
        light = lights.get(task.id)
        if light is not None:
            lagging += light.color == "yellow"
            late += light.color == "late"
    return Counts(total, MappingProxyType(by_status), overdue, due_soon, lagging, late)


def count_at(tasks: Iterable[model.Task], as_of: dt.date, rules: Rules | None = None) -> Counts:
    """The counts of ``tasks`` judged on ``as_of``: for a version of the ledger other than the surveyed one."""
    tasks = list(tasks)
    soon = (rules or Rules()).due_soon_days
    return count(tasks, {t.id: due_state(t, as_of, soon) for t in tasks})


@dataclass(frozen=True, slots=True)
class DeptRow:
    """A department with its tasks and, when ranked, its place in the 红黑榜.

    ``counts`` are of every task it leads; ``basis`` of those the ranking counts (with ``basis: due``, the lead
    tasks due so far: done, or overdue). Shared tasks (责任单位) are listed, never counted.
    """

    dept: model.Department
    lead_tasks: tuple[model.Task, ...] = ()
    shared_tasks: tuple[model.Task, ...] = ()
    counts: Counts = field(default_factory=Counts)  # of the tasks it leads
    rank: int | None = None
    flag: str | None = None  # red | yellow | black
    postponed: int = 0  # times the deadlines of the tasks it leads were moved later
    basis: Counts = field(default_factory=Counts)  # of the lead tasks the ranking counts
    missed: int = 0  # reporting periods its lead tasks missed
    score: int | None = None  # when ranked
    nothing_due: bool = False  # a ranked kind of department with no lead task due yet: listed apart (无到期任务)
    tied: int = 1  # how many departments share its rank

    def value(self, criterion: str) -> int:
        """A criterion of the 红黑榜 for this department (percent, or a count)."""
        return {"completion": self.basis.percent, "on_time": self.basis.on_time_percent,
                "overdue": self.basis.overdue, "postponed": self.postponed, "missed": self.missed}[criterion]

    @property
    def light(self) -> str:
        return self.counts.light


#: Criteria where more is better; the others are counts where fewer is better.
_MORE_IS_BETTER = {"completion", "on_time"}


def score_of(row: DeptRow, ranking: Ranking) -> int:
    """The 红黑榜 score: each criterion's value times its weight, percentages added and counts subtracted."""
    return sum((1 if c in _MORE_IS_BETTER else -1) * w * row.value(c) for c, w in ranking.weights)


def _in_basis(task: model.Task, states: Mapping[str, DueState], basis: str) -> bool:
    """Whether the ranking counts a lead task: with basis 'due', when it is done or overdue (due so far)."""
    if task.status is model.Status.CANCELLED:
        return False
    return basis == "all" or task.status is model.Status.DONE or states[task.id].state == "overdue"


def department_rows(ledger: model.Ledger, states: Mapping[str, DueState], ranking: Ranking,
                    postponements: Mapping[str, int] = _NO_POSTPONEMENTS,
                    lights: Mapping[str, Light] = _NO_LIGHTS,
                    periods: Mapping[str, tuple[Period, ...]] = _NO_PERIODS) -> list[DeptRow]:
    """Every department that leads or shares a task, ranked ones first in rank order.

    Ranked: departments (not collectives) with at least one lead task in the basis, by score, equal scores
    told apart by the tie-break criteria in turn. Departments equal in all of them share a rank: the first
    place when they tie for first, else the last place they occupy (six tied for places 7-12 are all 12th), so
    that a tie never lifts the whole tail out of its colour. Flags follow the rank thresholds.
    """
    lead: dict[str, list[model.Task]] = {}
    shared: dict[str, list[model.Task]] = {}
    for task in ledger.tasks():
        for name in task.lead:
            lead.setdefault(name, [])
            shared.setdefault(name, [])
            lead[name].append(task)
        for name in task.units:
            if name not in task.lead:
                lead.setdefault(name, [])
                shared.setdefault(name, []).append(task)
    order = {d.name: i for i, d in enumerate(ledger.registry.departments)}
    first_seen = {name: i for i, name in enumerate(lead)}

    def position(name: str) -> int:
        return order.get(name, len(order) + first_seen[name])

    rows: dict[str, DeptRow] = {}
    for name, tasks in lead.items():
        rows[name] = DeptRow(
            department_for(ledger, name), tuple(tasks), tuple(shared[name]), count(tasks, states, lights),
            postponed=sum(postponements.get(t.id, 0) for t in tasks),
            basis=count((t for t in tasks if _in_basis(t, states, ranking.basis)), states, lights),
            missed=sum(not p.met for t in tasks for p in periods.get(t.id, ())))
    ranked = [n for n in lead if rows[n].dept.ranked and rows[n].basis.counted]
    scores = {n: score_of(rows[n], ranking) for n in ranked}

    def key(name: str) -> tuple[int, ...]:
        row = rows[name]
        return (-scores[name], *(-row.value(c) if c in _MORE_IS_BETTER else row.value(c)
                                 for c in ranking.tie_break))

    ranked.sort(key=lambda n: (key(n), position(n)))
    places: dict[str, tuple[int, str, int]] = {}
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and key(ranked[j + 1]) == key(ranked[i]):
            j += 1
        rank = 1 if i == 0 else j + 1
        flag = "red" if rank <= ranking.red else "yellow" if rank <= ranking.yellow else "black"
        for name in ranked[i:j + 1]:
            places[name] = (rank, flag, j - i + 1)
        i = j + 1
    unranked = sorted((n for n in lead if n not in places), key=position)

    def row(name: str) -> DeptRow:
        r = rows[name]
        if name not in places:
            nothing_due = r.dept.ranked and ranking.basis == "due" and r.counts.counted > 0
            return replace(r, nothing_due=nothing_due)
        rank, flag, tied = places[name]
        return replace(r, rank=rank, flag=flag, score=scores[name], tied=tied)

    return [row(n) for n in [*ranked, *unranked]]


@dataclass(frozen=True, slots=True)
class Streak:
    """A department's run of one flag over consecutive quarters, up to the latest quarter ranked."""

    dept: str
    flag: str  # red | black
    quarters: tuple[str, ...]  # 'YYYY-MM' of each quarter's last month, oldest first


def _quarter_before(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number <= 3 else f"{year:04d}-{number - 3:02d}"


def quarter_flags(past: Mapping[str, Mapping[str, str]], as_of: dt.date,
                  now: Mapping[str, str]) -> dict[str, Mapping[str, str]]:
    """The 红黑榜 of each quarter: the flags of its last month (March, June, September, December), from the
    published monthly rankings (``past``, by 'YYYY-MM') and, when ``as_of`` ends a quarter, this survey's."""
    out = {m: flags for m, flags in past.items() if int(m[5:7]) % 3 == 0}
    if as_of.month % 3 == 0 and (as_of + dt.timedelta(days=1)).month != as_of.month:
        out[f"{as_of.year:04d}-{as_of.month:02d}"] = now
    return dict(sorted(out.items()))


def streaks(quarters: Mapping[str, Mapping[str, str]]) -> tuple[Streak, ...]:
    """Each department's run of red or black flags over consecutive quarters, ending at the latest quarter
    ranked (a quarter without a ranking, or another flag, breaks the run); runs of one quarter included."""
    if not quarters:
        return ()
    months = sorted(quarters)
    latest = months[-1]
    out = []
    for dept, flag in quarters[latest].items():
        if flag not in ("red", "black"):
            continue
        run = [latest]
        month = _quarter_before(latest)
        while quarters.get(month, {}).get(dept) == flag:
            run.insert(0, month)
            month = _quarter_before(month)
        out.append(Streak(dept, flag, tuple(run)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Survey:
    """A ledger at an as-of date, with every fact derived from it. Build it with :func:`survey`."""

    ledger: model.Ledger
    as_of: dt.date
    rules: Rules
    tasks: tuple[model.Task, ...]
    states: Mapping[str, DueState]
    counts: Counts
    plan_counts: Mapping[str, Counts]  # by plan id
    section_counts: Mapping[tuple[str, str], Counts]  # by (plan id, section id), every section at any depth
    departments: tuple[DeptRow, ...]  # ranked first, in rank order
    postponements: Mapping[str, int]  # task id -> times its deadline was moved later (from history)
    overdue: tuple[model.Task, ...]  # the earliest due first
    due_soon: tuple[model.Task, ...]
    upcoming: tuple[model.Task, ...]  # open tasks due soon or later, the soonest first: the next deadlines
    updates: tuple[tuple[model.Task, model.Update], ...]  # every progress update, the newest first
    _dept_index: Mapping[str, DeptRow] = field(repr=False, compare=False)
    reporting: Reporting | None = None  # who has reported in the period of the as-of date (portal.round.periods)
    lights: Mapping[str, Light] = field(default_factory=dict)  # task id -> its light (亮灯)
    periods: Mapping[str, tuple[Period, ...]] = field(default_factory=dict)  # task id -> passed reporting periods
    moves: Mapping[str, tuple[Moved, ...]] = field(default_factory=dict)  # task id -> its postponements, oldest first
    lagging: tuple[model.Task, ...] = ()  # yellow lights, in plan order
    late: tuple[model.Task, ...] = ()  # done late (逾期完成), in plan order
    quarters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # quarter's last month -> dept -> flag
    streaks: tuple[Streak, ...] = ()  # runs of red or black up to the latest quarter ranked

    @property
    def commended(self) -> tuple[Streak, ...]:
        """Red flags in ``ranking.commend`` quarters or more in a row: 通报表扬."""
        return tuple(s for s in self.streaks if s.flag == "red" and len(s.quarters) >= self.rules.ranking.commend)

    @property
    def to_talk(self) -> tuple[Streak, ...]:
        """Black flags in ``ranking.talk`` quarters or more in a row: 约谈 the head of the department."""
        return tuple(s for s in self.streaks if s.flag == "black" and len(s.quarters) >= self.rules.ranking.talk)

    def dept(self, name: str) -> DeptRow | None:
        """The row of a department by its name (as written in the ledger)."""
        return self._dept_index.get(name)

    def in_state(self, kind: str) -> tuple[model.Task, ...]:
        """Tasks whose due state is ``kind`` (overdue or due_soon), the earliest due first."""
        return {"overdue": self.overdue, "due_soon": self.due_soon}[kind]

    def of_section(self, plan_id: str, section: model.Section) -> Counts:
        return self.section_counts[(plan_id, section.id)]

    def light(self, task: model.Task) -> Light:
        return self.lights.get(task.id) or Light("none")

    def missed(self, task: model.Task) -> tuple[Period, ...]:
        """The reporting periods of a task's recurring duties that passed without an update dated in them."""
        return tuple(p for p in self.periods.get(task.id, ()) if not p.met)

    @property
    def ranked(self) -> tuple[DeptRow, ...]:
        return tuple(r for r in self.departments if r.rank is not None)

    @property
    def nothing_due(self) -> tuple[DeptRow, ...]:
        """Departments that would be ranked but have no lead task due yet (listed apart: 无到期任务)."""
        return tuple(r for r in self.departments if r.nothing_due)


def update_order(pair: tuple[model.Task, model.Update]) -> tuple[dt.date, str]:
    """The order of progress updates, reversed for the newest first: by date, then by task id."""
    return pair[1].date, pair[0].id


def survey(ledger: model.Ledger, as_of: dt.date, rules: Rules | None = None,
           postponements: Mapping[str, int] | None = None,
           moves: Mapping[str, Sequence[Moved]] | None = None,
           past: Mapping[str, Mapping[str, str]] | None = None) -> Survey:
    """Survey ``ledger`` on ``as_of``: every derived fact, once.

    ``moves`` are the postponements the history records, with their dates; ``postponements`` (times per task)
    default to how many there are. ``past`` holds the flags of the months published before ('YYYY-MM' ->
    department -> flag), for the quarters' rankings and the streaks across them.
    """
    rules = rules or Rules()
    moved_dates = MappingProxyType({k: tuple(v) for k, v in (moves or {}).items() if v})
    if postponements is None:
        postponements = {k: len(v) for k, v in moved_dates.items()}
    moved: Mapping[str, int] = MappingProxyType(dict(postponements))
    tasks = tuple(ledger.tasks())
    starts: dict[str, dt.date | None] = {}
    for plan in ledger.plans:
        begun = plan_start(plan.walk_tasks())
        starts.update({t.id: task_start(t, begun) for t in plan.walk_tasks()})
    cadence = rules.cadence
    states = MappingProxyType({t.id: due_state(t, as_of, rules.due_soon_days, cadence, starts.get(t.id))
                               for t in tasks})
    periods = MappingProxyType({t.id: p for t in tasks if (p := reporting_periods(t, as_of, cadence,
                                                                                   starts.get(t.id)))})
    lights = MappingProxyType({t.id: task_light(t, states[t.id], periods.get(t.id, ()), moved_dates.get(t.id, ()),
                                                as_of, starts.get(t.id), rules.lights) for t in tasks})
    sections: dict[tuple[str, str], Counts] = {}
    for plan in ledger.plans:
        for section in plan.walk_sections():
            sections[(plan.id, section.id)] = count(section.walk_tasks(), states, lights)
    departments = tuple(department_rows(ledger, states, rules.ranking, moved, lights, periods))

    def by_due(kind: str) -> tuple[model.Task, ...]:
        chosen = [t for t in tasks if states[t.id].state == kind]
        chosen.sort(key=lambda t: (states[t.id].due or dt.date.max, t.id))
        return tuple(chosen)

    upcoming = [t for t in tasks if states[t.id].due and states[t.id].state in ("due_soon", "upcoming")]
    upcoming.sort(key=lambda t: (states[t.id].due, t.id))
    updates = [(t, u) for t in tasks for u in t.updates]
    updates.sort(key=update_order, reverse=True)
    earlier = {m: f for m, f in (past or {}).items() if m < f"{as_of.year:04d}-{as_of.month:02d}"}
    quarters = quarter_flags(earlier, as_of, {r.dept.name: r.flag for r in departments if r.flag})
    return Survey(
        ledger=ledger, as_of=as_of, rules=rules, tasks=tasks, states=states, counts=count(tasks, states, lights),
        plan_counts=MappingProxyType({p.id: count(p.walk_tasks(), states, lights) for p in ledger.plans}),
        section_counts=MappingProxyType(sections), departments=departments, postponements=moved,
        overdue=by_due("overdue"), due_soon=by_due("due_soon"), upcoming=tuple(upcoming), updates=tuple(updates),
        _dept_index=MappingProxyType({r.dept.name: r for r in departments}),
        reporting=who_reported(tasks, ledger.registry, as_of, rules.reporting, (r.dept for r in departments)),
        lights=lights, periods=periods, moves=moved_dates,
        lagging=tuple(t for t in tasks if lights[t.id].color == "yellow"),
        late=tuple(t for t in tasks if lights[t.id].color == "late"),
        quarters=MappingProxyType(quarters), streaks=streaks(quarters),
    )
