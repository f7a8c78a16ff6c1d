"""The monthly progress report: one structure, worded once, with two renderers.

:func:`build_report` writes every heading and sentence of the report from a
survey (and, for a snapshot, the month-over-month figures), in the form of an
office's monthly rectification progress report (基本情况 / 各项任务进展情况 /
下一步工作 / 红黑榜). The page template (overrides/portal/report.html) and the
Word writer (:mod:`portal.outputs.docx`) only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.i18n import STATUS_LABELS, format_date, format_month, label, ordinal
from portal.ledger import model
from portal.month import MonthOverMonth
from portal.survey import Survey


@dataclass(frozen=True, slots=True)
class ReportTask:
    heading: str  # 'number title (status, overdue)'
    overdue: bool
    measures: str  # the measures as one sentence, '' without
    progress: str  # the latest update, dated, or a word that there is none


@dataclass(frozen=True, slots=True)
class ReportGroup:
    """A heading of part 二 (a section or an item) with its tasks and sub-groups."""

    heading: str
    tasks: tuple[ReportTask, ...] = ()
    groups: tuple[ReportGroup, ...] = ()


@dataclass(frozen=True, slots=True)
class RankLine:
    rank: int
    flag: str  # key: red | yellow | black
    flag_label: str
    name: str
    done: int
    counted: int
    percent: int
    overdue: int

    def cells(self) -> tuple[str, ...]:
        """The ranking table's cells, in the order of :attr:`Report.ranking_columns`."""
        return (str(self.rank), self.flag_label, self.name, f"{self.done}/{self.counted}", str(self.overdue),
                f"{self.percent}%")


@dataclass(frozen=True, slots=True)
class Part:
    """One numbered part of the report: 一、基本情况 …"""

    id: str
    heading: str


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    subtitle: str  # （截至2020年9月30日）
    parts: tuple[Part, ...]  # summary, progress, next, ranking: in this order
    summary: tuple[str, ...]  # paragraphs of 一、基本情况
    groups: tuple[ReportGroup, ...]  # 二、各项任务进展情况
    next_intro: str  # 三、下一步工作: the sentence before the list (or that all is done)
    next_steps: tuple[str, ...]  # a sentence per unfinished task
    ranking_columns: tuple[str, ...]
    ranking: tuple[RankLine, ...] = field(default=())  # 四、红黑榜
    no_ranking: str = ""  # what stands instead of an empty table

    def part(self, id: str) -> Part:
        return next(p for p in self.parts if p.id == id)


def build_report(survey: Survey, mom: MonthOverMonth | None, lang: str = "zh") -> Report:
    """The monthly progress report of the ledger surveyed at ``survey.as_of``."""
    plans = survey.ledger.plans
    d = survey.as_of
    plan = plans[0].title if len(plans) == 1 else label(lang, "report_title_plans")
    month = f"{d.year:04d}-{d.month:02d}"
    parts = tuple(Part(key, label(lang, "report_heading", n=ordinal(i, lang), text=label(lang, f"report_part_{key}")))
                  for i, key in enumerate(("summary", "progress", "next", "ranking"), 1))
    unfinished = [t for t in survey.tasks if t.status not in (model.Status.DONE, model.Status.CANCELLED)]
    return Report(
        title=label(lang, "report_title", plan=plan, year=d.year, month=d.month, name=format_month(month, lang)),
        subtitle=label(lang, "report_as_of", date=format_date(d, lang)),
        parts=parts,
        summary=_summary(survey, mom, lang),
        groups=tuple(_group(survey, s, label(lang, "report_group", n=ordinal(i, lang), text=s.title), lang)
                     for p in plans for i, s in enumerate(p.sections, 1)),
        next_intro=(label(lang, "report_next_intro", n=len(unfinished)) if unfinished
                    else label(lang, "report_all_done")),
        next_steps=tuple(_next_step(survey, t, lang) for t in unfinished),
        ranking_columns=(label(lang, "rank"), label(lang, "flag"), label(lang, "dept"),
                         label(lang, "report_col_done"), label(lang, "overdue"), label(lang, "completion")),
        ranking=tuple(RankLine(r.rank, r.flag or "black", label(lang, f"flag_{r.flag or 'black'}"), r.dept.name,
                               r.counts.done, r.counts.counted, r.counts.percent, r.counts.overdue)
                      for r in survey.ranked if r.rank is not None),
        no_ranking=label(lang, "report_no_ranking"),
    )


def _summary(survey: Survey, mom: MonthOverMonth | None, lang: str) -> tuple[str, ...]:
    c = survey.counts
    soon = label(lang, "report_soon", n=c.due_soon) if c.due_soon else label(lang, "report_no_soon")
    first = label(lang, "report_summary", date=format_date(survey.as_of, lang), total=c.total,
                  percent=c.percent, overdue=c.overdue, soon=soon, **c.by_status)
    if mom is None:
        return (first,)
    delta = ""
    if mom.prev:
        diff = mom.now.percent - mom.prev.percent
        change = (label(lang, "report_flat") if diff == 0 else label(lang, "report_up", n=diff) if diff > 0
                  else label(lang, "report_down", n=-diff))
        delta = label(lang, "report_delta", change=change)
    second = label(lang, "report_month", completed=len(mom.completed), new=len(mom.new_tasks),
                   overdue=len(mom.newly_overdue), postponed=len(mom.postponed), delta=delta)
    return first, second


def _group(survey: Survey, section: model.Section, heading: str, lang: str) -> ReportGroup:
    return ReportGroup(
        heading,
        tuple(_report_task(survey, t, lang) for t in section.tasks),
        tuple(_group(survey, sub, label(lang, "report_finding", text=sub.title), lang) for sub in section.sections),
    )


def _report_task(survey: Survey, task: model.Task, lang: str) -> ReportTask:
    overdue = survey.states[task.id].state == "overdue"
    state = STATUS_LABELS[lang][task.status.value] + (label(lang, "report_late") if overdue else "")
    measures = ""
    if task.measures:
        items = label(lang, "clause_sep").join(
            label(lang, "report_measure", n=ordinal(i, lang), text=m.rstrip("。；;"))
            for i, m in enumerate(task.measures, 1))
        measures = label(lang, "report_measures", items=items)
    last = task.latest_update
    update = (label(lang, "report_update", date=format_date(last.date, lang, short_in_year=last.date.year),
                    text=last.text) if last else label(lang, "report_no_update"))
    return ReportTask(label(lang, "report_task", task=task.number + task.title, state=state), overdue, measures,
                      label(lang, "report_progress", text=update))


def _next_step(survey: Survey, task: model.Task, lang: str) -> str:
    details = [
        label(lang, "report_next_lead", lead=label(lang, "list_sep").join(task.lead)) if task.lead else "",
        label(lang, "report_next_deadline", deadline=task.deadline.text) if task.deadline else "",
        label(lang, "report_next_status", status=STATUS_LABELS[lang][task.status.value])
        + (label(lang, "report_next_percent", percent=task.percent) if task.percent is not None else ""),
        label(lang, "report_next_late") if survey.states[task.id].state == "overdue" else "",
    ]
    return label(lang, "report_next_item", task=task.number + task.title,
                 details=label(lang, "clause_sep").join(x for x in details if x))
