"""Who has reported: the reporting period of an as-of date and the departments that sent nothing in it (未报送).

Every period (monthly by default, or quarterly) each department reports the progress of the tasks it leads by a
fixed day (``extra.portal.reporting``: ``cadence`` and ``day``, default monthly by the 25th). A department has
reported for a period when one of the updates dated in the period (up to the as-of date) is its own: ``by`` names
it (or one of its aliases), or ``by`` is empty on a task it leads. Departments expected to report are those (not
collectives) that lead at least one open task (neither done nor cancelled); an open task without any update in
the period is listed as having none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from portal.deadlines.calendar import month_end
from portal.i18n import LABELS, cn_number, format_date, format_month, message
from portal.ledger import model

CADENCES = ("monthly", "quarterly")
CLOSED = (model.Status.DONE, model.Status.CANCELLED)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class ReportingRule:
    """How often departments report and by which day of the period's last month (clamped to the month's end)."""

    cadence: str = "monthly"  # monthly | quarterly
    day: int = 25


@dataclass(frozen=True, slots=True)
class Period:
    """One reporting period: its first and last day and the day the report is due."""

    cadence: str
    start: dt.date
    end: dt.date
    due: dt.date

    @property
    def key(self) -> str:
        """'2020-09' for a month, '2020-Q3' for a quarter: what a form records."""
        if self.cadence == "quarterly":
            return f"{self.start.year}-Q{self.quarter}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def quarter(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def quarter_cn(self) -> str:
        return cn_number(self.quarter)

    def label(self, lang: str) -> str:
        """'2020年9月' or '2020年第三季度' (English: '2020-09', '2020 Q3')."""
        if self.cadence == "quarterly":
            return LABELS[lang]["round_quarter"].format(y=self.start.year, q=self.quarter, qn=self.quarter_cn)
        return format_month(self.key, lang)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def period_of(day: dt.date, rule: ReportingRule | None = None) -> Period:
    """The reporting period that ``day`` falls in."""
    rule = rule or ReportingRule()
    months = 3 if rule.cadence == "quarterly" else 1
    first = (day.month - 1) // months * months + 1
    last = first + months - 1
    end = month_end(day.year, last)
    return Period(rule.cadence, dt.date(day.year, first, 1), end, end.replace(day=min(end.day, rule.day)))


def parse_month(text: str) -> dt.date | None:
    """The first day of a month written 'YYYY-MM', or None."""
    m = MONTH_RE.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
        return None
    return dt.date(int(m[1]), int(m[2]), 1)


@dataclass(frozen=True, slots=True)
class DeptReport:
    """A department expected to report in a period: its open lead tasks, when it reported, what has no update."""

    dept: model.Department
    open_tasks: tuple[model.Task, ...]
    reported: dt.date | None  # the latest of its own updates in the period; None: 未报送
    stale: tuple[model.Task, ...]  # its open lead tasks without any update in the period


@dataclass(frozen=True, slots=True)
class Reporting:
    """Who has reported in the period of the as-of date. Built by :func:`who_reported`; the survey holds one."""

    period: Period
    as_of: dt.date
    rows: tuple[DeptReport, ...]  # departments expected to report, in registry order
    stale: tuple[model.Task, ...]  # open tasks without an update in the period, in plan order
    _index: Mapping[str, DeptReport] = field(default_factory=dict, repr=False, compare=False)

    @property
    def late(self) -> bool:
        """True once the period's report day has passed."""
        return self.as_of > self.period.due

    @property
    def missing(self) -> tuple[DeptReport, ...]:
        """The departments that sent nothing in the period (未报送)."""
        return tuple(r for r in self.rows if r.reported is None)

    @property
    def reported(self) -> tuple[DeptReport, ...]:
        return tuple(r for r in self.rows if r.reported is not None)

    def of(self, name: str) -> DeptReport | None:
        """The row of a department by name, or None when it is not expected to report."""
        return self._index.get(name)


def who_reported(tasks: Iterable[model.Task], registry: model.Registry, as_of: dt.date,
                 rule: ReportingRule | None = None, departments: Iterable[model.Department] = ()) -> Reporting:
    """Who has reported in the period of ``as_of``; ``departments`` are those of the survey (registry order first)."""
    period = period_of(as_of, rule)
    until = min(period.end, as_of)
    tasks = list(tasks)
    order = {d.name: i for i, d in enumerate(registry.departments)}
    known: dict[str, model.Department] = {}
    for d in departments:
        known.setdefault(d.name, d)
    lead_open: dict[str, list[model.Task]] = {}
    reported: dict[str, dt.date] = {}
    stale: list[model.Task] = []
    for task in tasks:
        is_open = task.status not in CLOSED
        if is_open:
            for name in task.lead:
                lead_open.setdefault(name, []).append(task)
        fresh = False
        for update in task.updates:
            if not period.start <= update.date <= until:
                continue
            fresh = True
            by = update.by.strip()
            if by:
                found = registry.resolve(by)
                names = [found.name if found else by]
            else:
                names = task.lead
            for name in names:
                if update.date > reported.get(name, dt.date.min):
                    reported[name] = update.date
        if is_open and not fresh:
            stale.append(task)
    stale_ids = {t.id for t in stale}
    rows = []
    for name in sorted(lead_open, key=lambda n: (order.get(n, len(order)), n)):
        dept = known.get(name) or registry.resolve(name) or model.Department(name)
        if not dept.ranked:
            continue  # a collective (机关各科室) does not report as one
        mine = tuple(lead_open[name])
        rows.append(DeptReport(dept, mine, reported.get(name), tuple(t for t in mine if t.id in stale_ids)))
    return Reporting(period, as_of, tuple(rows), tuple(stale), MappingProxyType({r.dept.name: r for r in rows}))


def render_status(reporting: Reporting, lang: str = "zh") -> list[str]:
    """``portal status``: the period, who has not reported, and the tasks without progress by lead department."""
    L = LABELS[lang]
    sep = L["list_sep"]
    r = reporting
    lines = [message(lang, "status_head", {
        "period": r.period.label(lang), "due": format_date(r.period.due, lang),
        "late": message(lang, "status_late", {}) if r.late else "", "expected": len(r.rows),
        "reported": len(r.reported), "missing": len(r.missing)})]
    names = sep.join(row.dept.name for row in r.missing)
    lines.append(message(lang, "status_missing", {"names": names}) if names else message(lang, "status_all", {}))
    if r.stale:
        lines += ["", message(lang, "status_stale_head", {"n": len(r.stale)})]
        listed: set[str] = set()
        for row in r.rows:
            if row.stale:
                listed.update(t.id for t in row.stale)
                tasks = L["clause_sep"].join(map(_short, row.stale))
                lines.append(message(lang, "status_stale_dept", {"dept": row.dept.name, "n": len(row.stale),
                                                                 "tasks": tasks}))
        rest = [t for t in r.stale if t.id not in listed]
        if rest:
            lines.append(message(lang, "status_stale_dept", {"dept": L["round_no_lead"], "n": len(rest),
                                                             "tasks": L["clause_sep"].join(map(_short, rest))}))
    return lines


def _short(task: model.Task, limit: int = 30) -> str:
    text = f"{task.number}{task.title}"
    return text if len(text) <= limit else text[:limit] + "…"
