"""The month's view: what changed since last month's end, and the monthly progress report.

Pure functions of two loaded ledgers and their as-of dates. The report is one
structure with two renderers: the page template (overrides/portal/report.html)
and the Word document (portal.outputs.docx), in the form of the office's monthly
rectification progress report (基本情况 / 各项任务进展 / 下一步工作 / 红黑榜).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from portal.config import PortalConfig
from portal.deadlines.due import DueState, due_state
from portal.i18n import STATUS_LABELS
from portal.ledger import model
from portal.survey import Counts, DeptRow, count, department_rows

CN_NUMBERS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (up to 99), as 公文 headings number."""
    if n <= 10:
        return CN_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUMBERS[tens - 1]) + "十" + (CN_NUMBERS[ones - 1] if ones else "")


@dataclass(slots=True)
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


@dataclass(slots=True)
class TaskRef:
    id: str
    number: str
    title: str
    lead: list[str]
    note: str = ""  # e.g. the old and new due dates of a postponement


@dataclass(slots=True)
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


@dataclass(slots=True)
class MonthOverMonth:
    month: str  # YYYY-MM
    as_of: str
    prev_month: str | None
    now: Headline
    prev: Headline | None
    completed: list[TaskRef] = field(default_factory=list)
    newly_overdue: list[TaskRef] = field(default_factory=list)
    postponed: list[TaskRef] = field(default_factory=list)
    new_tasks: list[TaskRef] = field(default_factory=list)
    removed: list[TaskRef] = field(default_factory=list)
    departments: list[DeptMove] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MonthOverMonth:
        refs = ("completed", "newly_overdue", "postponed", "new_tasks", "removed")
        return cls(
            month=d["month"], as_of=d["as_of"], prev_month=d["prev_month"], now=Headline(**d["now"]),
            prev=Headline(**d["prev"]) if d["prev"] else None,
            **{k: [TaskRef(**r) for r in d[k]] for k in refs},
            departments=[DeptMove(**m) for m in d["departments"]],
        )


@dataclass(slots=True)
class MonthState:
    """A ledger at one month's end, with everything the comparison needs."""

    month: str
    as_of: dt.date
    ledger: model.Ledger
    states: dict[str, DueState]
    counts: Counts
    depts: list[DeptRow]

    @classmethod
    def of(cls, month: str, as_of: dt.date, ledger: model.Ledger, cfg: PortalConfig) -> MonthState:
        tasks = ledger.tasks()
        states = {t.id: due_state(t, as_of, cfg.due_soon_days) for t in tasks}
        return cls(month, as_of, ledger, states, count(tasks, states), department_rows(ledger, states, cfg.ranking))


def _ref(task: model.Task, note: str = "") -> TaskRef:
    return TaskRef(task.id, task.number, task.title, list(task.lead), note)


def compare(prev: MonthState | None, now: MonthState) -> MonthOverMonth:
    """What changed between last month's end and this month's end."""
    mom = MonthOverMonth(now.month, now.as_of.isoformat(), prev.month if prev else None, Headline.of(now.counts),
                         Headline.of(prev.counts) if prev else None)
    before = {t.id: t for t in prev.ledger.tasks()} if prev else {}
    for task in now.ledger.tasks():
        old = before.get(task.id)
        if old is None:
            mom.new_tasks.append(_ref(task))
        if task.status is model.Status.DONE and (old is None or old.status is not model.Status.DONE):
            mom.completed.append(_ref(task))
        was_overdue = prev is not None and old is not None and prev.states[old.id].state == "overdue"
        if now.states[task.id].state == "overdue" and not was_overdue:
            mom.newly_overdue.append(_ref(task))
        old_due = old.deadline.final_due if old and old.deadline else None
        new_due = task.deadline.final_due if task.deadline else None
        if old_due and new_due and new_due > old_due:
            mom.postponed.append(_ref(task, f"{old_due.isoformat()} → {new_due.isoformat()}"))
    ids_now = {t.id for t in now.ledger.tasks()}
    mom.removed = [_ref(t) for t in (prev.ledger.tasks() if prev else []) if t.id not in ids_now]
    ranks_prev = {r.dept.name: r for r in prev.depts} if prev else {}
    for row in now.depts:
        if row.rank is None:
            continue
        old_row = ranks_prev.get(row.dept.name)
        mom.departments.append(DeptMove(row.dept.name, old_row.rank if old_row else None, row.rank,
                                        old_row.flag if old_row else None, row.flag))
    return mom


# --- the report ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReportTask:
    number: str
    title: str
    status: str  # label
    lead: str
    deadline: str
    percent: int | None
    measures: list[str]
    progress: str  # the latest update, dated, or a word that there is none
    overdue: bool


@dataclass(slots=True)
class ReportGroup:
    """A heading of part 二 (a section or an item) with its tasks and sub-groups."""

    heading: str
    tasks: list[ReportTask] = field(default_factory=list)
    groups: list[ReportGroup] = field(default_factory=list)


@dataclass(slots=True)
class RankLine:
    rank: int
    flag: str
    name: str
    done: int
    counted: int
    percent: int
    overdue: int


@dataclass(slots=True)
class Report:
    title: str
    as_of: str
    summary: list[str]  # paragraphs of 一、基本情况
    groups: list[ReportGroup]  # 二、各项任务进展情况
    next_steps: list[ReportTask]  # 三、下一步工作: every unfinished task
    ranking: list[RankLine]  # 四、红黑榜


FLAG_WORDS = {"red": "红旗", "yellow": "黄旗", "black": "黑旗"}


def build_report(now: MonthState, mom: MonthOverMonth | None, lang: str = "zh") -> Report:
    """The monthly progress report of the ledger at ``now``."""
    plans = now.ledger.plans
    d = now.as_of
    title = (plans[0].title if len(plans) == 1 else "各项工作") + f"{d.year}年{d.month}月进展情况报告"
    return Report(
        title=title,
        as_of=f"{d.year}年{d.month}月{d.day}日",
        summary=_summary(now, mom, lang),
        groups=[_group(now, s, f"（{cn_number(i)}）{s.title}") for p in plans for i, s in enumerate(p.sections, 1)],
        next_steps=[_report_task(now, t, lang) for t in now.ledger.tasks()
                    if t.status not in (model.Status.DONE, model.Status.CANCELLED)],
        ranking=[RankLine(r.rank, FLAG_WORDS[r.flag or "black"], r.dept.name, r.counts.done, r.counts.counted,
                          r.counts.percent, r.counts.overdue) for r in now.depts if r.rank is not None],
    )


def _summary(now: MonthState, mom: MonthOverMonth | None, lang: str) -> list[str]:
    c = now.counts
    s = {k: c.by_status[k] for k in c.by_status}
    d = now.as_of
    first = (f"截至{d.year}年{d.month}月{d.day}日，方案确定的{c.total}项任务中，已完成{s['done']}项，"
             f"正在推进{s['in_progress']}项，长期坚持{s['ongoing']}项，未启动{s['not_started']}项，"
             f"暂缓{s['suspended']}项，已取消{s['cancelled']}项，完成率{c.percent}%。"
             f"逾期{c.overdue}项，{'临期' if c.due_soon else '无临期任务'}{c.due_soon if c.due_soon else ''}"
             f"{'项' if c.due_soon else ''}。")
    out = [first]
    if mom is not None:
        delta = f"，完成率较上月{_delta(mom)}" if mom.prev else ""
        out.append(f"本月完成{len(mom.completed)}项，新增任务{len(mom.new_tasks)}项，新增逾期{len(mom.newly_overdue)}项，"
                   f"期限延后{len(mom.postponed)}项{delta}。")
    return out


def _delta(mom: MonthOverMonth) -> str:
    assert mom.prev is not None
    diff = mom.now.percent - mom.prev.percent
    return "持平" if diff == 0 else f"提高{diff}个百分点" if diff > 0 else f"下降{-diff}个百分点"


def _group(now: MonthState, section: model.Section, heading: str) -> ReportGroup:
    group = ReportGroup(heading, [_report_task(now, t, "zh") for t in section.tasks])
    for sub in section.sections:
        group.groups.append(_group(now, sub, f"关于“{sub.title}”"))
    return group


def _report_task(now: MonthState, task: model.Task, lang: str) -> ReportTask:
    last = task.latest_update
    progress = f"{last.date.month}月{last.date.day}日：{last.text}" if last else "暂无进展记录。"
    return ReportTask(
        number=task.number, title=task.title, status=STATUS_LABELS[lang][task.status.value],
        lead="、".join(task.lead), deadline=task.deadline.text if task.deadline else "",
        percent=task.percent, measures=list(task.measures), progress=progress,
        overdue=now.states[task.id].state == "overdue",
    )
