"""A month's view: what changed between the end of last month and the end of this one.

Pure functions of two surveys (:mod:`portal.survey`). A snapshot build is
handed the result as a :class:`MonthBuild`; the monthly report (:mod:`portal.outputs.report`)
and the month page read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.deadlines.due import final_due, postponed
from portal.ledger import model
from portal.survey import Counts, Survey


@dataclass(frozen=True, slots=True)
class Headline:
    total: int
    counted: int
    done: int
    overdue: int
    due_soon: int
    percent: int
    by_status: dict[str, int]

    @classmethod
    def of(cls, c: Counts) -> Headline:
        return cls(c.total, c.counted, c.done, c.overdue, c.due_soon, c.percent, dict(c.by_status))


@dataclass(frozen=True, slots=True)
class TaskRef:
    id: str
    number: str
    title: str
    lead: tuple[str, ...]
    note: str = ""  # e.g. the old and new due dates of a postponement


@dataclass(frozen=True, slots=True)
class DeptMove:
    name: str
    rank_prev: int | None
    rank_now: int | None
    flag_prev: str | None
    flag_now: str | None

    @property
    def move(self) -> int | None:
        """Places gained (positive) or lost (negative) since last month."""
        if self.rank_prev is None or self.rank_now is None:
            return None
        return self.rank_prev - self.rank_now


@dataclass(frozen=True, slots=True)
class MonthOverMonth:
    month: str  # YYYY-MM
    as_of: str
    prev_month: str | None
    now: Headline
    prev: Headline | None
    completed: tuple[TaskRef, ...] = ()
    newly_overdue: tuple[TaskRef, ...] = ()
    postponed: tuple[TaskRef, ...] = ()
    new_tasks: tuple[TaskRef, ...] = ()
    removed: tuple[TaskRef, ...] = ()
    departments: tuple[DeptMove, ...] = ()


@dataclass(frozen=True, slots=True)
class MonthBuild:
    """What a snapshot build of one month is handed besides its survey."""

    month: str  # YYYY-MM
    commit: str
    mom: MonthOverMonth | None = None


def _ref(task: model.Task, note: str = "") -> TaskRef:
    return TaskRef(task.id, task.number, task.title, tuple(task.lead), note)


def compare(prev: Survey | None, now: Survey, month: str, prev_month: str | None = None) -> MonthOverMonth:
    """What changed between last month's end (``prev``, None before the ledger existed) and ``now``."""
    before = {t.id: t for t in prev.tasks} if prev else {}
    completed, newly_overdue, moved, new = [], [], [], []
    for task in now.tasks:
        old = before.get(task.id)
        if old is None:
            new.append(_ref(task))
        if task.status is model.Status.DONE and (old is None or old.status is not model.Status.DONE):
            completed.append(_ref(task))
        was_overdue = prev is not None and old is not None and prev.states[old.id].state == "overdue"
        if now.states[task.id].state == "overdue" and not was_overdue:
            newly_overdue.append(_ref(task))
        if old is not None and postponed(old.deadline, task.deadline):
            old_due, new_due = final_due(old.deadline), final_due(task.deadline)
            assert old_due and new_due
            moved.append(_ref(task, f"{old_due.isoformat()} → {new_due.isoformat()}"))
    ids_now = {t.id for t in now.tasks}
    removed = [_ref(t) for t in (prev.tasks if prev else ()) if t.id not in ids_now]
    ranks_prev = {r.dept.name: r for r in prev.departments} if prev else {}
    moves = []
    for row in now.ranked:
        old_row = ranks_prev.get(row.dept.name)
        moves.append(DeptMove(row.dept.name, old_row.rank if old_row else None, row.rank,
                              old_row.flag if old_row else None, row.flag))
    return MonthOverMonth(
        month=month, as_of=now.as_of.isoformat(), prev_month=prev_month if prev else None,
        now=Headline.of(now.counts), prev=Headline.of(prev.counts) if prev else None,
        completed=tuple(completed), newly_overdue=tuple(newly_overdue), postponed=tuple(moved),
        new_tasks=tuple(new), removed=tuple(removed), departments=tuple(moves),
    )
