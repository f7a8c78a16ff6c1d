"""The monthly progress report: one structure, worded once, with two renderers.

:func:`build_report` writes every heading and sentence of the report from a
survey (and, for a snapshot, the month-over-month figures), in the form of an
office's monthly rectification progress report (基本情况 / 各项任务进展情况 /
下一步工作 / 红黑榜), finished as a 公文: a title of the form 关于…的报告, the
主送机关, the 落款 (issuer and date), quotes inside quotes as ‘ ’ (:func:`nest_quotes`),
the late, postponed and lagging tasks named, the ranking with its rules. The page
template (overrides/portal/report.html) and the Word writer
(:mod:`portal.outputs.docx`) only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from portal.config import ReportSettings
from portal.i18n import STATUS_LABELS, format_date, label, ordinal
from portal.ledger import model
from portal.month import MonthOverMonth
from portal.outputs.signals import light_reasons, moves_words, ranking_rules, streak_words
from portal.survey import Survey


def nest_quotes(text: str) -> str:
    """Quotes inside quotes as a Chinese text sets them: “…‘…’…” (and “ ” again a level further in).

    Ledger text quotes with “ ” at every level (关于“坚决整治违反中央“八项规定”精神问题”); a closing quote
    without its opening one is left as it is.
    """
    out = []
    depth = 0
    for ch in text:
        if ch == "“":
            depth += 1
            out.append("“" if depth % 2 else "‘")
        elif ch == "”" and depth:
            out.append("”" if depth % 2 else "’")
            depth -= 1
        else:
            out.append(ch)
    return "".join(out)


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
    done: int  # of the tasks the ranking counts (due so far)
    counted: int
    percent: int
    overdue: int
    postponed: int = 0
    score: int = 0

    def cells(self) -> tuple[str, ...]:
        """The ranking table's cells, in the order of :attr:`Report.ranking_columns`."""
        return (str(self.rank), self.flag_label, self.name, f"{self.done}/{self.counted}", str(self.overdue),
                str(self.postponed), f"{self.percent}%", str(self.score))


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
    to: str = ""  # 主送机关, with its colon: '市市场监督管理局党组：' ('' without one)
    issuer: str = ""  # 落款: who sends it ('' without one)
    date: str = ""  # 落款: the date, 2020年9月30日
    ranking_notes: tuple[str, ...] = ()  # under the table: the rules, the departments with nothing due

    def part(self, id: str) -> Part:
        return next(p for p in self.parts if p.id == id)


def report_title(settings: ReportSettings, plan: str, year: int, month: int, lang: str) -> str:
    """关于《plan》2020年9月落实情况的报告, or the office's own form with {plan}, {year} and {month} filled in."""
    if not settings.title:
        return label(lang, "report_title_form", plan=plan, year=year, month=month)
    return settings.title.replace("{plan}", plan).replace("{year}", str(year)).replace("{month}", str(month))


def build_report(survey: Survey, mom: MonthOverMonth | None, lang: str = "zh",
                 settings: ReportSettings | None = None) -> Report:
    """The monthly progress report of the ledger surveyed at ``survey.as_of``."""
    settings = settings or ReportSettings()
    plans = survey.ledger.plans
    d = survey.as_of
    plan = plans[0].title if len(plans) == 1 else label(lang, "report_title_plans")
    parts = tuple(Part(key, label(lang, "report_heading", n=ordinal(i, lang), text=label(lang, f"report_part_{key}")))
                  for i, key in enumerate(("summary", "progress", "next", "ranking"), 1))
    unfinished = [t for t in survey.tasks if t.status not in (model.Status.DONE, model.Status.CANCELLED)]
    to = settings.to or (plans[0].issuer if plans else "")
    ranking = survey.rules.ranking
    notes = [label(lang, "report_rules", rules="".join(ranking_rules(ranking, lang)))]
    if survey.quarters:
        notes.append(label(lang, "report_streaks", commend=ranking.commend, talk=ranking.talk,
                           commended=streak_words(survey.commended, lang), talked=streak_words(survey.to_talk, lang)))
    if survey.nothing_due:
        notes.append(label(lang, "report_nothing_due",
                           names=label(lang, "list_sep").join(r.dept.name for r in survey.nothing_due)))
    report = Report(
        title=report_title(settings, plan, d.year, d.month, lang),
        subtitle=label(lang, "report_as_of", date=format_date(d, lang)),
        parts=parts,
        summary=_summary(survey, mom, lang),
        groups=tuple(_group(survey, s, label(lang, "report_group", n=ordinal(i, lang), text=s.title), lang)
                     for p in plans for i, s in enumerate(p.sections, 1)),
        next_intro=(label(lang, "report_next_intro", n=len(unfinished)) if unfinished
                    else label(lang, "report_all_done")),
        next_steps=tuple(_next_step(survey, t, lang) for t in unfinished),
        ranking_columns=(label(lang, "rank"), label(lang, "flag"), label(lang, "dept"),
                         label(lang, "report_col_basis"), label(lang, "overdue"), label(lang, "col_postponed"),
                         label(lang, "completion"), label(lang, "report_col_score")),
        ranking=tuple(RankLine(r.rank, r.flag or "black", label(lang, f"flag_{r.flag or 'black'}"), r.dept.name,
                               r.basis.done, r.basis.counted, r.basis.percent, r.basis.overdue, r.postponed,
                               r.score or 0)
                      for r in survey.ranked if r.rank is not None),
        no_ranking=label(lang, "report_no_ranking"),
        to=label(lang, "report_to", to=to) if to else "",
        issuer=settings.issuer,
        date=format_date(d, lang),
        ranking_notes=tuple(notes),
    )
    return _nested(report)


def _nested(value: object) -> object:
    """Every text of the report with its quotes nested (:func:`nest_quotes`)."""
    if isinstance(value, str):
        return nest_quotes(value)
    if isinstance(value, tuple):
        return tuple(_nested(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return replace(value, **{f.name: _nested(getattr(value, f.name)) for f in fields(value)})  # type: ignore
    return value


def _summary(survey: Survey, mom: MonthOverMonth | None, lang: str) -> tuple[str, ...]:
    c = survey.counts
    soon = label(lang, "report_soon", n=c.due_soon) if c.due_soon else label(lang, "report_no_soon")
    first = label(lang, "report_summary", date=format_date(survey.as_of, lang), total=c.total,
                  percent=c.percent, overdue=c.overdue, soon=soon, **c.by_status)
    if mom is None:
        return (first, *_signals(survey, lang))
    delta = ""
    if mom.prev:
        diff = mom.now.percent - mom.prev.percent
        change = (label(lang, "report_flat") if diff == 0 else label(lang, "report_up", n=diff) if diff > 0
                  else label(lang, "report_down", n=-diff))
        delta = label(lang, "report_delta", change=change)
    second = label(lang, "report_month", completed=len(mom.completed), new=len(mom.new_tasks),
                   overdue=len(mom.newly_overdue), postponed=len(mom.postponed), delta=delta)
    return first, second, *_signals(survey, lang)


def _signals(survey: Survey, lang: str) -> tuple[str, ...]:
    """The lights in a sentence, then the late, postponed and lagging tasks by name, each with why."""
    c = survey.counts
    year = survey.as_of.year
    sep = label(lang, "clause_sep")
    out = [label(lang, "report_lights", red=c.overdue, yellow=c.lagging, late=c.late)]

    def name(task: model.Task) -> str:
        return task.number + task.title

    def why(task: model.Task) -> str:
        return label(lang, "clause_sep").join(light_reasons(survey.light(task), survey.periods.get(task.id, ()),
                                                             lang, year, survey.rules.supervision))

    if survey.late:
        out.append(label(lang, "report_late_intro", n=len(survey.late)) + sep.join(
            label(lang, "report_late_item", task=name(t), why=why(t)) for t in survey.late) + label(lang, "full_stop"))
    moved = [t for t in survey.tasks if survey.moves.get(t.id)]
    if moved:
        out.append(label(lang, "report_moved_intro", n=len(moved)) + sep.join(
            label(lang, "report_moved_item", task=name(t), moves=moves_words(survey.moves[t.id], lang, year))
            for t in moved) + label(lang, "full_stop"))
    if survey.lagging:
        out.append(label(lang, "report_lagging_intro", n=len(survey.lagging)) + sep.join(
            label(lang, "report_late_item", task=name(t), why=why(t)) for t in survey.lagging)
            + label(lang, "full_stop"))
    return tuple(out)


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
