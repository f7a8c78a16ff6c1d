"""The survey: everything derived from a ledger at an as-of date, computed once.

A :class:`Survey` holds each task's due state, the counts of the whole ledger, of
each plan and of each section, the department rows and the 红黑榜, how often
each deadline was moved later, and the lists the pages show (overdue, due soon,
next deadlines, latest updates). Pages, the feed, tasks.json, the CSV, the Excel
台账, the Word report, the CLI and the monthly snapshots all read one survey;
nothing else counts. The counting rule itself is :func:`count`: the history's
progress points use it too, on older versions of the ledger.

Completion rate of a group = done / (all − cancelled); ongoing tasks count as
on track.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from portal.config import PortalConfig, Ranking
from portal.deadlines.due import DueState, due_state
from portal.ledger import model
from portal.ledger.load import department_for
from portal.round.periods import Reporting, ReportingRule, who_reported

_NO_POSTPONEMENTS: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings that decide derived facts: when a task is due soon, how departments are flagged."""

    due_soon_days: int = 7
    ranking: Ranking = field(default_factory=Ranking)
    reporting: ReportingRule = field(default_factory=ReportingRule)

    @classmethod
    def of(cls, cfg: PortalConfig) -> Rules:
        return cls(cfg.due_soon_days, cfg.ranking, cfg.reporting)


@dataclass(frozen=True, slots=True)
class Counts:
    """How many tasks of a group are in each status, overdue and due soon."""

    total: int = 0
    by_status: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({s.value: 0 for s in model.Status}))
    overdue: int = 0
    due_soon: int = 0

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
        """Completion rate in whole percent, rounded down so that 99.6% never shows as 100%."""
        rate = self.rate
        return int(rate * 100) if rate is not None else 0


def count(tasks: Iterable[model.Task], states: Mapping[str, DueState]) -> Counts:
    """The counting rule: tasks by status, overdue and due soon taken from their due states."""
    total = overdue = due_soon = 0
    by_status = {s.value: 0 for s in model.Status}
    for task in tasks:
        total += 1
        by_status[task.status.value] += 1
        state = states[task.id].state
        if state == "overdue":
            overdue += 1
        elif state == "due_soon":
            due_soon += 1
    return Counts(total, MappingProxyType(by_status), overdue, due_soon)


def count_at(tasks: Iterable[model.Task], as_of: dt.date, rules: Rules | None = None) -> Counts:
    """The counts of ``tasks`` judged on ``as_of``: for a version of the ledger other than the surveyed one."""
    tasks = list(tasks)
    soon = (rules or Rules()).due_soon_days
    return count(tasks, {t.id: due_state(t, as_of, soon) for t in tasks})


@dataclass(frozen=True, slots=True)
class DeptRow:
    """A department with its tasks and, when ranked, its place in the 红黑榜."""

    dept: model.Department
    lead_tasks: tuple[model.Task, ...] = ()
    shared_tasks: tuple[model.Task, ...] = ()
    counts: Counts = field(default_factory=Counts)  # of the tasks it leads
    rank: int | None = None
    flag: str | None = None  # red | yellow | black
    postponed: int = 0  # times the deadlines of the tasks it leads were moved later


def department_rows(ledger: model.Ledger, states: Mapping[str, DueState], ranking: Ranking,
                    postponements: Mapping[str, int] = _NO_POSTPONEMENTS) -> list[DeptRow]:
    """Every department that leads or shares a task, ranked ones first in rank order.

    Ranked: departments (not collectives) that lead at least one counted task,
    by completion rate, ties broken by fewer overdue; equal rate and overdue
    share a rank (1, 2, 2, 4). Flags follow the rank thresholds.
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

    depts = {name: department_for(ledger, name) for name in lead}
    counts = {name: count(tasks, states) for name, tasks in lead.items()}
    ranked = [n for n in lead if depts[n].ranked and counts[n].rate is not None]
    ranked.sort(key=lambda n: (-(counts[n].rate or 0.0), counts[n].overdue, position(n)))
    places: dict[str, tuple[int, str]] = {}
    previous: tuple[float, int] | None = None
    rank = 0
    for i, name in enumerate(ranked, 1):
        key = (counts[name].rate or 0.0, counts[name].overdue)
        rank = rank if key == previous else i
        previous = key
        places[name] = (rank, "red" if rank <= ranking.red else "yellow" if rank <= ranking.yellow else "black")
    unranked = sorted((n for n in lead if n not in places), key=position)

    def row(name: str) -> DeptRow:
        rank, flag = places.get(name, (None, None))
        return DeptRow(depts[name], tuple(lead[name]), tuple(shared[name]), counts[name], rank, flag,
                       sum(postponements.get(t.id, 0) for t in lead[name]))

    return [row(n) for n in [*ranked, *unranked]]


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

    def dept(self, name: str) -> DeptRow | None:
        """The row of a department by its name (as written in the ledger)."""
        return self._dept_index.get(name)

    def in_state(self, kind: str) -> tuple[model.Task, ...]:
        """Tasks whose due state is ``kind`` (overdue or due_soon), the earliest due first."""
        return {"overdue": self.overdue, "due_soon": self.due_soon}[kind]

    def of_section(self, plan_id: str, section: model.Section) -> Counts:
        return self.section_counts[(plan_id, section.id)]

    @property
    def ranked(self) -> tuple[DeptRow, ...]:
        return tuple(r for r in self.departments if r.rank is not None)


def survey(ledger: model.Ledger, as_of: dt.date, rules: Rules | None = None,
           postponements: Mapping[str, int] | None = None) -> Survey:
    """Survey ``ledger`` on ``as_of``: every derived fact, once."""
    rules = rules or Rules()
    moved: Mapping[str, int] = MappingProxyType(dict(postponements or {}))
    tasks = tuple(ledger.tasks())
    states = MappingProxyType({t.id: due_state(t, as_of, rules.due_soon_days) for t in tasks})
    sections: dict[tuple[str, str], Counts] = {}
    for plan in ledger.plans:
        for section in plan.walk_sections():
            sections[(plan.id, section.id)] = count(section.walk_tasks(), states)
    departments = tuple(department_rows(ledger, states, rules.ranking, moved))

    def by_due(kind: str) -> tuple[model.Task, ...]:
        chosen = [t for t in tasks if states[t.id].state == kind]
        chosen.sort(key=lambda t: (states[t.id].due or dt.date.max, t.id))
        return tuple(chosen)

    upcoming = [t for t in tasks if states[t.id].due and states[t.id].state in ("due_soon", "upcoming")]
    upcoming.sort(key=lambda t: (states[t.id].due, t.id))
    updates = [(t, u) for t in tasks for u in t.updates]
    updates.sort(key=lambda p: (p[1].date, p[0].id), reverse=True)
    return Survey(
        ledger=ledger, as_of=as_of, rules=rules, tasks=tasks, states=states, counts=count(tasks, states),
        plan_counts=MappingProxyType({p.id: count(p.walk_tasks(), states) for p in ledger.plans}),
        section_counts=MappingProxyType(sections), departments=departments, postponements=moved,
        overdue=by_due("overdue"), due_soon=by_due("due_soon"), upcoming=tuple(upcoming), updates=tuple(updates),
        _dept_index=MappingProxyType({r.dept.name: r for r in departments}),
        reporting=who_reported(tasks, ledger.registry, as_of, rules.reporting, (r.dept for r in departments)),
    )
