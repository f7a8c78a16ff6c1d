"""Traffic lights (亮灯): how a task stands, in the office's colours, decided once.

- **red** (逾期): the task is overdue (:func:`portal.deadlines.due.due_state`).
- **yellow** (滞后): an open task that is lagging: due soon with little progress; or its progress behind the
  elapsed share of its window by more than a set margin; or the last reporting period of a recurring duty
  passed without an update dated in it.
- **green** (正常): an open task on track.
- **done** (按期完成) and **late** (逾期完成): a done task, on time or not. Late is done after the final due date
  (the closing date, 销号日期, after it), or done after its deadline was postponed (延期后完成).
- **none**: cancelled; suspended tasks are only ever red (still overdue) or none.

A section's or department's light is its worst task's (:func:`group_light`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from portal.deadlines.due import DueState, Moved, Period, final_due
from portal.ledger.model import Status, Task

__all__ = ["LIGHTS", "Light", "LightRules", "group_light", "percent_half_up", "progress_of", "schedule_share",
           "task_light"]

#: The colours, the worst first.
LIGHTS = ("red", "yellow", "green", "late", "done", "none")


@dataclass(frozen=True, slots=True)
class LightRules:
    """When an open task is lagging (both in percentage points, 0-100)."""

    soon_progress: int = 50  # due soon with progress below this: lagging
    behind_margin: int = 20  # progress this far behind the elapsed share of the task's window: lagging


@dataclass(frozen=True, slots=True)
class Light:
    """A task's light and why: ``reasons`` of a yellow light are ``soon``, ``behind`` and ``missed``; of a late
    one ``after_due`` and ``postponed``."""

    color: str  # red | yellow | green | done | late | none
    reasons: tuple[str, ...] = ()
    expected: int | None = None  # with 'behind': the elapsed share of the window, in whole percent
    progress: int | None = None  # with 'soon' or 'behind': the progress it was judged by
    finished: dt.date | None = None  # with a done light: the closing date, when the ledger gives it
    due: dt.date | None = None  # with a done light: the final due date it was judged against


def percent_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` in whole percent, rounded half up (5/9 → 56, 2/3 → 67): every percentage the
    portal shows. Only all shows as 100% and only none as 0% (199/200 → 99, 1/300 → 1)."""
    percent = (200 * numerator + denominator) // (2 * denominator)
    if 0 < numerator < denominator:
        return min(max(percent, 1), 99)
    return percent


def progress_of(task: Task) -> int | None:
    """The progress a task reports: its percent, 0 when not started, None when unknown."""
    if task.percent is not None:
        return task.percent
    return 0 if task.status is Status.NOT_STARTED else None


def schedule_share(task: Task, as_of: dt.date, start: dt.date | None) -> int | None:
    """The share of its window a task's time has used on ``as_of``, in whole percent; None when not judged.

    The window runs from the start of its open dated parts (a window's first day; for a date, the task's
    ``start``) to the last of their due dates; judged only strictly inside it.
    """
    parts = [p for p in (task.deadline.parts if task.deadline else []) if p.kind in ("date", "window")
             and p.done is None and p.due is not None]
    if not parts:
        return None
    end = max(p.due for p in parts if p.due is not None)
    starts = [p.start if p.kind == "window" and p.start else start for p in parts]
    begin = min((s for s in starts if s is not None), default=None)
    if begin is None or not begin < as_of <= end:
        return None
    return percent_half_up((as_of - begin).days, (end - begin).days)


def task_light(task: Task, state: DueState, periods: Sequence[Period], moved: Sequence[Moved], as_of: dt.date,
               start: dt.date | None, rules: LightRules | None = None) -> Light:
    """The light of ``task`` on ``as_of`` from its due state, its reporting periods and its postponements."""
    rules = rules or LightRules()
    if task.status is Status.CANCELLED:
        return Light("none")
    if task.status is Status.DONE:
        due = final_due(task.deadline)
        reasons = []
        if due is not None and task.closed is not None and task.closed > due:
            reasons.append("after_due")
        if moved:
            reasons.append("postponed")
        return Light("late" if reasons else "done", tuple(reasons), finished=task.closed, due=due)
    if state.state == "overdue":
        return Light("red")
    if task.status is Status.SUSPENDED:
        return Light("none")
    reasons = []
    progress = progress_of(task)
    expected = None
    if (state.state == "due_soon" and state.part is not None and state.part.kind != "recurring"
            and progress is not None and progress < rules.soon_progress):
        reasons.append("soon")
    share = schedule_share(task, as_of, start) if progress is not None else None
    if share is not None and progress is not None and share - progress > rules.behind_margin:
        reasons.append("behind")
        expected = share
    if _last_period_missed(periods):
        reasons.append("missed")
    if reasons:
        return Light("yellow", tuple(reasons), expected, progress)
    return Light("green")


def _last_period_missed(periods: Sequence[Period]) -> bool:
    """Whether the latest passed period of any of the task's duties was missed (earlier misses are history)."""
    latest: dict[object, Period] = {}
    for period in periods:
        latest[period.every] = period  # oldest first: the last one stays
    return any(not p.met for p in latest.values())


def group_light(colors: Sequence[str]) -> str:
    """A section's or department's light: red if any task is red, else yellow if any is, else green."""
    if "red" in colors:
        return "red"
    if "yellow" in colors:
        return "yellow"
    return "green"
