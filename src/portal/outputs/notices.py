"""督办通知单: for each department with red or yellow items, a notice naming them, and a summary for the leader.

One structure per notice, worded once from the survey (:func:`build_notices`); :mod:`portal.outputs.docx`
lays it out as a 公文 (`portal notices`). A notice goes to the department that leads the items (主送), says
what is wrong with each (overdue, lagging and why, the periods without an update, the postponements) with its
deadline and latest progress, asks for a written reply by a date, and is signed by the office (落款).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.config import ReportSettings
from portal.i18n import format_date, label, ordinal
from portal.ledger import model
from portal.outputs.report import nest_quotes
from portal.outputs.signals import light_reasons, light_word, missed_words, moves_words
from portal.survey import DeptRow, Survey

__all__ = ["Notice", "NoticeItem", "NoticeSummary", "build_notices", "file_name"]


@dataclass(frozen=True, slots=True)
class NoticeItem:
    heading: str  # 一、（45）task title
    lines: tuple[str, ...]  # 完成时限…; 存在问题…; 最新进展…


@dataclass(frozen=True, slots=True)
class Notice:
    dept: str
    title: str  # 督办通知单
    number: str  # 发文字号, a placeholder to fill in: 〔2020〕　号
    to: str  # 主送: the department, with its colon
    intro: str
    items: tuple[NoticeItem, ...]
    closing: str  # the reply asked for, by a date
    issuer: str
    date: str


@dataclass(frozen=True, slots=True)
class NoticeSummary:
    """One page for the leader: each department noticed, with its red and yellow items."""

    title: str
    subtitle: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    issuer: str
    date: str


def _items(survey: Survey, row: DeptRow) -> list[model.Task]:
    return [t for t in row.lead_tasks if survey.light(t).color in ("red", "yellow")]


def build_notices(survey: Survey, lang: str = "zh", settings: ReportSettings | None = None,
                  reply_days: int = 7) -> tuple[tuple[Notice, ...], NoticeSummary]:
    """A notice for each department (not a collective) that leads a red or yellow task, and the summary."""
    settings = settings or ReportSettings()
    as_of = survey.as_of
    year = as_of.year
    date = format_date(as_of, lang)
    reply = format_date(as_of + dt.timedelta(days=reply_days), lang, short_in_year=year)
    notices = []
    rows = []
    for row in survey.departments:
        tasks = _items(survey, row)
        if not tasks or not row.dept.ranked:
            continue
        red = sum(survey.light(t).color == "red" for t in tasks)
        items = tuple(_item(survey, t, i, lang) for i, t in enumerate(tasks, 1))
        notices.append(Notice(
            dept=row.dept.name,
            title=label(lang, "notice_title"),
            number=label(lang, "notice_number", year=year),
            to=label(lang, "report_to", to=row.dept.name),
            intro=label(lang, "notice_intro", date=date, n=len(tasks), red=red, yellow=len(tasks) - red),
            items=items,
            closing=label(lang, "notice_closing", reply=reply, office=settings.issuer or label(lang, "notice_office")),
            issuer=settings.issuer,
            date=date,
        ))
        rows.append((row.dept.name, str(red), str(len(tasks) - red),
                     label(lang, "list_sep").join(t.number or t.title for t in tasks)))
    summary = NoticeSummary(
        title=label(lang, "notice_summary_title"),
        subtitle=label(lang, "report_as_of", date=date),
        intro=label(lang, "notice_summary_intro", n=len(notices), reply=reply),
        columns=(label(lang, "dept"), label(lang, "lamp_red"), label(lang, "lamp_yellow"), label(lang, "task")),
        rows=tuple(rows),
        issuer=settings.issuer,
        date=date,
    )
    return tuple(notices), summary


def _item(survey: Survey, task: model.Task, n: int, lang: str) -> NoticeItem:
    year = survey.as_of.year
    light = survey.light(task)
    state = survey.states[task.id]
    periods = survey.periods.get(task.id, ())
    deadline = task.deadline.text if task.deadline else label(lang, "no_deadline")
    if state.due is not None:
        deadline = label(lang, "notice_due", text=deadline, due=format_date(state.due, lang, short_in_year=year))
    problems = []
    reasons = label(lang, "clause_sep").join(light_reasons(light, periods, lang, year, survey.rules.supervision))
    if light.color == "red" and state.days is not None:
        problems.append(label(lang, "days_overdue", n=-state.days))
    elif reasons:
        problems.append(light_word(light.color, lang) + label(lang, "colon") + reasons)
    missed = missed_words(periods, lang, year)
    if missed:
        problems.append(missed)
    moves = survey.moves.get(task.id, ())
    if moves:
        problems.append(label(lang, "postponed_with_dates", n=len(moves), moves=moves_words(moves, lang, year)))
    last = task.latest_update
    progress = (label(lang, "report_update", date=format_date(last.date, lang, short_in_year=year), text=last.text)
                if last else label(lang, "report_no_update"))
    lines = (
        label(lang, "notice_deadline", deadline=deadline),
        label(lang, "notice_problem", problems=label(lang, "clause_sep").join(problems)),
        label(lang, "notice_progress", progress=progress),
    )
    heading = label(lang, "report_heading", n=ordinal(n, lang), text=task.number + task.title)
    return NoticeItem(nest_quotes(heading), tuple(nest_quotes(x) for x in lines))


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def file_name(notice: Notice, month: str) -> str:
    """The notice's file: '2020-09 督办通知单 办公室.docx', with characters no file system takes removed."""
    name = _UNSAFE.sub("", f"{month} {notice.title} {notice.dept}").strip(" .") or month
    return name[:120] + ".docx"
