"""Counts, completion rates and the 红黑榜 ranking of lead departments.

Completion rate of a group = done / (all − cancelled); ongoing tasks count as
on track. Pure functions of tasks and their due states at one as-of date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from portal.config import Ranking
from portal.deadlines.due import DueState
from portal.ledger import model
from portal.ledger.load import department_for


@dataclass(slots=True)
class Counts:
    """How many tasks of a group are in each status, overdue and due soon."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in model.Status})
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
    """Counts over tasks, with overdue and due soon taken from their due states."""
    c = Counts()
    for task in tasks:
        c.total += 1
        c.by_status[task.status.value] += 1
        state = states[task.id].state
        if state == "overdue":
            c.overdue += 1
        elif state == "due_soon":
            c.due_soon += 1
    return c


@dataclass(slots=True)
class DeptRow:
    """A department with its tasks and, when ranked, its place in the 红黑榜."""

    dept: model.Department
    lead_tasks: list[model.Task] = field(default_factory=list)
    shared_tasks: list[model.Task] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)  # of the tasks it leads
    rank: int | None = None
    flag: str | None = None  # red | yellow | black


def department_rows(ledger: model.Ledger, states: Mapping[str, DueState], ranking: Ranking) -> list[DeptRow]:
    """Every department that leads or shares a task, ranked ones first in rank order.

    Ranked: departments (not collectives) that lead at least one counted task,
    by completion rate, ties broken by fewer overdue; equal rate and overdue
    share a rank (1, 2, 2, 4). Flags follow the rank thresholds.
    """
    rows: dict[str, DeptRow] = {}
    order = {d.name: i for i, d in enumerate(ledger.registry.departments)}
    for task in ledger.tasks():
        for name in task.lead:
            _row(rows, ledger, name).lead_tasks.append(task)
        for name in task.units:
            if name not in task.lead:
                _row(rows, ledger, name).shared_tasks.append(task)
    for row in rows.values():
        row.counts = count(row.lead_tasks, states)
    first_seen = {name: i for i, name in enumerate(rows)}
    ranked = [r for r in rows.values() if r.dept.ranked and r.counts.rate is not None]
    ranked.sort(key=lambda r: (-(r.counts.rate or 0.0), r.counts.overdue,
                               order.get(r.dept.name, len(order) + first_seen[r.dept.name])))
    previous: tuple[float, int] | None = None
    for i, row in enumerate(ranked, 1):
        key = (row.counts.rate or 0.0, row.counts.overdue)
        row.rank = ranked[i - 2].rank if key == previous else i
        previous = key
        row.flag = "red" if row.rank <= ranking.red else "yellow" if row.rank <= ranking.yellow else "black"
    unranked = [r for r in rows.values() if r.rank is None]
    unranked.sort(key=lambda r: order.get(r.dept.name, len(order) + first_seen[r.dept.name]))
    return ranked + unranked


def _row(rows: dict[str, DeptRow], ledger: model.Ledger, name: str) -> DeptRow:
    row = rows.get(name)
    if row is None:
        row = rows[name] = DeptRow(department_for(ledger, name))
    return row
