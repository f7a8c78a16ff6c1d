"""Due states: whether a task is overdue, due soon or upcoming on an as-of date.

Recurring parts are judged period by period (:func:`next_due`); :func:`due_state` decides a task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.deadlines.calendar import month_end
from portal.ledger.model import Deadline, DeadlinePart, Every, Status, Task

__all__ = ["DueState", "due_state", "final_due", "next_due", "postponed"]

_ONE_DAY = dt.timedelta(days=1)

# ---------------------------------------------------------------------------
# The final due date, and postponement
# ---------------------------------------------------------------------------


def final_due(deadline: Deadline | None) -> dt.date | None:
    """A deadline's final due date: the last date one of its dated or window parts is due.

    Recurring parts are left out: the end of a recurring part's range is when a duty stops
    (每月报送 until the year's end), not a date the work is due by, and extending a duty is not a
    postponement. A deadline with no dated part (only recurring or ongoing) has no final due date.
    """
    if deadline is None:
        return None
    dues = [p.due for p in deadline.parts if p.due is not None and p.kind != "recurring"]
    return max(dues) if dues else None


def postponed(old: Deadline | None, new: Deadline | None) -> bool:
    """Whether ``new`` moves the final due date of ``old`` later (the one rule for 延期)."""
    before, after = final_due(old), final_due(new)
    return before is not None and after is not None and after > before


# ---------------------------------------------------------------------------
# Recurring periods
# ---------------------------------------------------------------------------


def _calendar_period(every: Every, d: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar week (Mon-Sun), month, quarter, half or year containing ``d``."""
    if every is Every.WEEK:
        monday = d - dt.timedelta(days=d.weekday())
        return monday, monday + dt.timedelta(days=6)
    if every is Every.YEAR:
        return dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    months = {Every.MONTH: 1, Every.QUARTER: 3, Every.HALF_YEAR: 6}[every]
    first = (d.month - 1) // months * months + 1
    return dt.date(d.year, first, 1), month_end(d.year, first + months - 1)


def _clamped(part: DeadlinePart, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, due) of a calendar period clipped to the part's range; None when its due is outside it.

    A period is due at its end, or for weekly parts with a weekday on that weekday of its week.
    """
    lo, hi = part.start, part.due
    start = max(first, lo) if lo else first
    if part.every is Every.WEEK and part.weekday is not None:
        due = first + dt.timedelta(days=part.weekday)
    else:
        due = min(last, hi) if hi else last
    if (lo and due < lo) or (hi and due > hi):
        return None
    return start, due


def _last_passed_period(part: DeadlinePart, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, due) of the most recent period of a recurring part due before ``as_of``, if any."""
    if part.every is None:
        return None
    d = as_of - _ONE_DAY
    if part.due and d > part.due:
        d = part.due
    for _ in range(4):  # at most two or three steps back: this period, the previous, one outside the range
        if part.start and d < part.start:
            return None
        first, last = _calendar_period(part.every, d)
        period = _clamped(part, first, last)
        if period and period[1] < as_of:
            return period
        d = first - _ONE_DAY
    return None


def next_due(part: DeadlinePart, as_of: dt.date) -> dt.date | None:
    """The due date of a part as seen on ``as_of``.

    For a recurring part: the due date of the period containing ``as_of`` (clamped to the part's
    range: the first period's if ``as_of`` is before it, None after it ends). When that period's
    due already passed (weekly on a weekday earlier than ``as_of``'s), the next period's. For any
    other part: ``part.due``.
    """
    if part.kind != "recurring" or part.every is None:
        return part.due
    if part.due and as_of > part.due:
        return None
    d = max(as_of, part.start) if part.start else as_of
    for _ in range(3):
        first, last = _calendar_period(part.every, d)
        period = _clamped(part, first, last)
        if period and period[1] >= as_of:
            return period[1]
        if part.due and last >= part.due:
            return None
        d = last + _ONE_DAY
    return None


# ---------------------------------------------------------------------------
# Due state of a task
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueState:
    """Where a task stands against its deadline on an as-of date."""

    state: str  # 'overdue' | 'due_soon' | 'upcoming' | 'none' (no date: ongoing or no deadline) | 'closed'
    due: dt.date | None  # the due date that decides the state (the earliest open one), None if none
    days: int | None  # (due - as_of).days; negative when overdue
    part: DeadlinePart | None  # the part that decides it


_NONE = DueState("none", None, None, None)
_Dues = list[tuple[dt.date, DeadlinePart]]


def _open_dues(task: Task, as_of: dt.date) -> tuple[_Dues, _Dues]:
    """(overdue, upcoming) due dates of the task's unmet parts, in part order."""
    overdue: _Dues = []
    upcoming: _Dues = []
    for part in task.deadline.parts if task.deadline else []:
        if part.kind == "ongoing" or part.done is not None:
            continue  # never due, or a milestone already met
        if part.kind == "recurring" and part.every is not None:
            passed = _last_passed_period(part, as_of)
            # A passed period is met by any update from its start up to the as-of day.
            if passed and not any(passed[0] <= u.date <= as_of for u in task.updates):
                overdue.append((passed[1], part))
                continue
            due = next_due(part, as_of)
        else:
            due = part.due
        if due is not None:
            (overdue if due < as_of else upcoming).append((due, part))
    return overdue, upcoming


def due_state(task: Task, as_of: dt.date, soon_days: int = 7) -> DueState:
    """Whether ``task`` is overdue, due soon, upcoming, without a date, or closed on ``as_of``.

    As-of is the whole day: a part due 06-30 is overdue from 07-01 on, and due soon while
    0 <= due - as_of <= ``soon_days``. Done and cancelled tasks are closed; ongoing (长期坚持)
    tasks are never overdue. Otherwise the earliest overdue part decides, else the earliest
    upcoming one.
    """
    if task.status in (Status.DONE, Status.CANCELLED):
        final = final_due(task.deadline)
        return DueState("closed", final, (final - as_of).days if final else None, None)
    if task.status is Status.ONGOING:
        return _NONE
    overdue, upcoming = _open_dues(task, as_of)
    if overdue:
        due, part = min(overdue, key=lambda x: x[0])
        return DueState("overdue", due, (due - as_of).days, part)
    if upcoming:
        due, part = min(upcoming, key=lambda x: x[0])
        days = (due - as_of).days
        return DueState("due_soon" if days <= soon_days else "upcoming", due, days, part)
    return _NONE

