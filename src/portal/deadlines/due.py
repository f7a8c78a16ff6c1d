"""Due states: whether a task is overdue, due soon or upcoming on an as-of date.

Recurring parts are judged period by period (:func:`next_due`), at the office's reporting cadence when that is
coarser (:func:`judged_every`: a weekly habit is reported monthly); :func:`due_state` decides a task and
:func:`reporting_periods` lists the periods a recurring task has had, each met or missed. Where a task's clock
starts is :func:`task_start`; a deadline moved later is :func:`postponed` (with its dates: :class:`Moved`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from portal.deadlines.calendar import month_end
from portal.ledger.model import Deadline, DeadlinePart, Every, Status, Task

__all__ = ["DueState", "Moved", "Period", "due_state", "final_due", "judged_every", "next_due", "part_due",
           "plan_start", "postponed", "reporting_periods", "task_start"]

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


@dataclass(frozen=True, slots=True)
class Moved:
    """One postponement of a task (from the ledger's history): when, and its final due date before and after."""

    when: dt.date  # the day of the commit that moved it, in the plan's time zone
    old: dt.date
    new: dt.date


# ---------------------------------------------------------------------------
# Where a task's clock starts
# ---------------------------------------------------------------------------


def _records(task: Task) -> Iterator[dt.date]:
    """The dates a task's entry records: updates, window starts, milestones met, the closing date."""
    yield from (u.date for u in task.updates)
    for part in task.deadline.parts if task.deadline else []:
        if part.kind == "window" and part.start:
            yield part.start
        if part.done:
            yield part.done
    if task.closed:
        yield task.closed


def plan_start(tasks: Iterable[Task]) -> dt.date | None:
    """When a plan's work began, as its ledger shows: the earliest date any of its tasks records (None: none).

    The plan itself carries no date; its recurring duties (每月 reads as every month of the plan's year) are
    judged from here, not from January when the plan was issued in April.
    """
    return min((d for task in tasks for d in _records(task)), default=None)


def task_start(task: Task, start_of_plan: dt.date | None) -> dt.date | None:
    """When a task's clock starts: its plan's start, or its own earliest record when that is earlier."""
    return min((d for d in (start_of_plan, *_records(task)) if d is not None), default=None)


# ---------------------------------------------------------------------------
# Recurring periods
# ---------------------------------------------------------------------------


_EVERY_ORDER = (Every.WEEK, Every.MONTH, Every.QUARTER, Every.HALF_YEAR, Every.YEAR)


def judged_every(every: Every, cadence: Every | None) -> Every:
    """The period a recurring part is judged by: its own, or the reporting cadence when that is coarser.

    The office collects progress once per cadence (每月一报告): a weekly habit (每周二学习) is one monthly
    duty, met by one dated update in the month; a quarterly duty stays quarterly.
    """
    if cadence is None or _EVERY_ORDER.index(every) >= _EVERY_ORDER.index(cadence):
        return every
    return cadence


def _judged(part: DeadlinePart, cadence: Every | None) -> DeadlinePart:
    """The part as it is judged at ``cadence`` (a weekly part judged monthly is due at each month's end)."""
    assert part.every is not None
    every = judged_every(part.every, cadence)
    return part if every is part.every else replace(part, every=every, weekday=None)


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


def _current_period(part: DeadlinePart, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, due) of the first period of a recurring part due on or after ``as_of``; None after the range."""
    assert part.every is not None
    if part.due and as_of > part.due:
        return None
    d = max(as_of, part.start) if part.start else as_of
    for _ in range(3):
        first, last = _calendar_period(part.every, d)
        period = _clamped(part, first, last)
        if period and period[1] >= as_of:
            return period
        if part.due and last >= part.due:
            return None
        d = last + _ONE_DAY
    return None


def next_due(part: DeadlinePart, as_of: dt.date) -> dt.date | None:
    """The due date of a part as seen on ``as_of``, whatever the task's updates say.

    For a recurring part: the due date of the period containing ``as_of`` (clamped to the part's
    range: the first period's if ``as_of`` is before it, None after it ends). When that period's
    due already passed (weekly on a weekday earlier than ``as_of``'s), the next period's. For any
    other part: ``part.due``. What a task still owes is :func:`part_due`.
    """
    if part.kind != "recurring" or part.every is None:
        return part.due
    period = _current_period(part, as_of)
    return period[1] if period else None


def _reported(task: Task, start: dt.date, end: dt.date) -> bool:
    return any(start <= u.date <= end for u in task.updates)


def _open_recurring_due(task: Task, judged: DeadlinePart, as_of: dt.date) -> dt.date | None:
    """The due date a recurring part still owes on ``as_of``: the current period's, or, when an update dated in
    that period has met it already, the next period's (a met period is never due today)."""
    period = _current_period(judged, as_of)
    if period and _reported(task, period[0], as_of):
        after = _current_period(judged, period[1] + _ONE_DAY)
        return after[1] if after else None
    return period[1] if period else None


def part_due(task: Task, part: DeadlinePart, as_of: dt.date, cadence: Every | None = None) -> dt.date | None:
    """The date ``part`` of ``task`` is next due on ``as_of``: what the deadline shows beside each part.

    A recurring part: the due date of the next period not yet met, judged at ``cadence``; a milestone met or an
    ongoing part: None; any other part: its due date.
    """
    if part.kind == "ongoing" or part.done is not None:
        return None
    if part.kind == "recurring" and part.every is not None:
        return _open_recurring_due(task, _judged(part, cadence), as_of)
    return part.due


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period of a recurring duty: met when an update is dated in it."""

    every: Every  # the period it is judged by (the cadence, or the part's own when coarser)
    start: dt.date
    end: dt.date  # the period's last day (clamped to the part's range)
    due: dt.date  # the day it is due (its end, or a weekly part's weekday)
    met: bool


def _passed_periods(part: DeadlinePart, as_of: dt.date, since: dt.date | None) -> Iterator[tuple[dt.date, dt.date,
                                                                                                   dt.date]]:
    """(start, end, due) of each period of a judged recurring part due before ``as_of``, from the one that
    contains ``since`` (or the part's start), oldest first."""
    assert part.every is not None
    starts = [d for d in (part.start, since) if d is not None]
    if not starts:
        return
    d = max(starts)
    for _ in range(5000):  # a weekly duty over a century; ranges are a plan's few years
        if part.due and d > part.due:
            return
        first, last = _calendar_period(part.every, d)
        period = _clamped(part, first, last)
        if period is not None:
            if period[1] >= as_of:
                return
            end = min(last, part.due) if part.due else last
            if since is None or period[1] >= since:  # a period due before the work began is not judged
                yield period[0], end, period[1]
        d = last + _ONE_DAY


def reporting_periods(task: Task, as_of: dt.date, cadence: Every | None = None,
                      since: dt.date | None = None) -> tuple[Period, ...]:
    """Every passed period of the task's recurring duties, judged at ``cadence``, met or missed, oldest first.

    A period is met by an update dated in it (from its first to its last day); a report sent after the period
    does not meet it (it only keeps the task from being overdue). Periods before ``since`` (the task's start)
    are not judged, nor are those of a closed or suspended task. Two parts judged by the same period (每周二 and
    每月 at a monthly cadence) give it once.
    """
    if task.status in (Status.DONE, Status.CANCELLED, Status.SUSPENDED) or task.deadline is None:
        return ()
    seen: dict[tuple[Every, dt.date], Period] = {}
    for part in task.deadline.parts:
        if part.kind != "recurring" or part.every is None:
            continue
        judged = _judged(part, cadence)
        assert judged.every is not None
        for start, end, due in _passed_periods(judged, as_of, since):
            key = (judged.every, start)
            if key not in seen:
                seen[key] = Period(judged.every, start, end, due, _reported(task, start, end))
    return tuple(sorted(seen.values(), key=lambda p: (p.due, p.start)))


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


def _open_dues(task: Task, as_of: dt.date, cadence: Every | None, since: dt.date | None) -> tuple[_Dues, _Dues]:
    """(overdue, upcoming) due dates of the task's unmet parts, in part order."""
    overdue: _Dues = []
    upcoming: _Dues = []
    for part in task.deadline.parts if task.deadline else []:
        if part.kind == "ongoing" or part.done is not None:
            continue  # never due, or a milestone already met
        if part.kind == "recurring" and part.every is not None:
            judged = _judged(part, cadence)
            passed = _last_passed_period(judged, as_of)
            # A passed period is overdue until any update from its start up to the as-of day (a late report);
            # one that ended before the task's start is not judged.
            if passed and (since is None or passed[1] >= since) and not _reported(task, passed[0], as_of):
                overdue.append((passed[1], part))
                continue
            due = _open_recurring_due(task, judged, as_of)
        else:
            due = part.due
        if due is not None:
            (overdue if due < as_of else upcoming).append((due, part))
    return overdue, upcoming


def due_state(task: Task, as_of: dt.date, soon_days: int = 7, cadence: Every | None = None,
              since: dt.date | None = None) -> DueState:
    """Whether ``task`` is overdue, due soon, upcoming, without a date, or closed on ``as_of``.

    As-of is the whole day: a part due 06-30 is overdue from 07-01 on, and due soon while
    0 <= due - as_of <= ``soon_days``. Done and cancelled tasks are closed; ongoing (长期坚持)
    tasks are never overdue. Otherwise the earliest overdue part decides, else the earliest
    upcoming one. Recurring parts are judged at ``cadence`` (their own period when None) from
    ``since`` (the task's start, :func:`task_start`); a period already met is not due.
    """
    if task.status in (Status.DONE, Status.CANCELLED):
        final = final_due(task.deadline)
        return DueState("closed", final, (final - as_of).days if final else None, None)
    if task.status is Status.ONGOING:
        return _NONE
    overdue, upcoming = _open_dues(task, as_of, cadence, since)
    if overdue:
        due, part = min(overdue, key=lambda x: x[0])
        return DueState("overdue", due, (due - as_of).days, part)
    if upcoming:
        due, part = min(upcoming, key=lambda x: x[0])
        days = (due - as_of).days
        return DueState("due_soon" if days <= soon_days else "upcoming", due, days, part)
    return _NONE

