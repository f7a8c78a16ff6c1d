"""Calendar helpers in the plan's time zone: month ends, today, the end of a day."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

# ---------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------


def month_end(year: int, month: int) -> dt.date:
    """The last day of ``month`` in ``year``; ValueError for a month outside 1-12."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def today_in(tz: str) -> dt.date:
    """Today's date in the IANA time zone ``tz`` (e.g. 'Asia/Shanghai')."""
    return dt.datetime.now(ZoneInfo(tz)).date()


def end_of_day(d: dt.date, tz: str) -> dt.datetime:
    """The last instant (23:59:59.999999) of ``d`` in ``tz``, as an aware datetime."""
    return dt.datetime.combine(d, dt.time.max, tzinfo=ZoneInfo(tz))


