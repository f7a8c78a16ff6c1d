"""Turn a surveyed ledger into page HTML through the Jinja templates under overrides/portal/.

:class:`Site` keeps the build's pages (which page shows which task, the
navigation), its Jinja environment and its Markdown renderer; every figure it
shows comes from the :class:`~portal.survey.Survey`. It knows nothing of MkDocs:
the hook gives it each page's URL and a way to find the URL of another page, so
that tests can render without a build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.bccache
from markupsafe import Markup

from portal.archive.store import Record
from portal.config import PortalConfig
from portal.deadlines.due import DueState, part_due
from portal.deadlines.lights import Light
from portal.history.changes import Change, describe
from portal.history.timeline import Entry, History
from portal.i18n import LABELS, STATUS_LABELS, TERM_LABELS, format_date, format_month
from portal.ledger import model
from portal.ledger.load import department_for
from portal.memo import Memo
from portal.month import MonthBuild, MonthOverMonth
from portal.outputs.changelog import Telling
from portal.outputs.markup import STATUS_ICONS, MarkdownText, icon, relative_url
from portal.outputs.report import Report, build_report
from portal.outputs.signals import (
    light_reasons,
    light_word,
    lights_rule,
    missed_words,
    moves_words,
    quarter_words,
    ranking_rules,
    streak_words,
)
from portal.survey import Counts, DeptRow, Survey, update_order

#: Up to this many departments each get an entry in the navigation; with more, the list page links them. Every
#: page carries the whole navigation, so 1,000 entries on 1,000 pages made the build pages × departments.
NAV_DEPARTMENTS_MAX = 40
UNINDEXED = {"table", "overdue", "department", "month", "report", "changelog"}

class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory across builds (`mkdocs serve` rebuilds in one process), and on disk for the
    next process in Jinja's own per-user cache folder (created private and owned by the user, outside the project,
    so a repository can never bring compiled code of its own).

    Each build has its own environment, since its globals are that build's data; the code is shared,
    keyed by the template's name, file and source checksum, so an edited template is compiled again.
    Compiled code depends on the environment's syntax options: one cache per kind of environment (``kind``).
    """

    def __init__(self, kind: str = "") -> None:
        self._code: dict[str, bytes] = {}
        self._disk: jinja2.BytecodeCache | None = None
        if kind:
            try:
                self._disk = jinja2.FileSystemBytecodeCache(pattern=f"__progress_portal_{kind}_%s.cache")
            except (OSError, RuntimeError):  # no private temporary folder to be had: memory only
                self._disk = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
            return
        if self._disk is not None:
            try:
                self._disk.load_bytecode(bucket)
            except (OSError, ValueError, EOFError, TypeError):  # a damaged or foreign file: compile again
                bucket.reset()
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:  # a full or read-only disk costs the next build a compilation, nothing else
            with contextlib.suppress(OSError):
                self._disk.dump_bytecode(bucket)


_TEMPLATE_CODE = MemoryBytecodeCache("pages")


@dataclass(slots=True)
class PageSpec:
    """A page the portal generates: where it lives and what it shows."""

    key: str
    src_uri: str
    kind: str
    title: str
    plan: model.Plan | None = None
    section: model.Section | None = None
    dept: DeptRow | None = None
    children: list[PageSpec] = field(default_factory=list)  # sub-pages, for the navigation

    @property
    def indexed(self) -> bool:
        """Whether search indexes the page: not the lists that only repeat the cards' text.

        Material skips an excluded page before parsing it, which for 10,000 tasks saves most of the build.
        """
        return self.kind not in UNINDEXED


@dataclass(slots=True)
class TocItem:
    title: str
    id: str
    level: int
    children: list[TocItem] = field(default_factory=list)


class Site:
    """The pages of one build over one survey; renders a page by key."""

    def __init__(self, survey: Survey, cfg: PortalConfig, template_dir: Path | Sequence[Path],
                 history: History | None = None,
                 month: MonthBuild | None = None, archive: list[Record] | None = None,
                 memo: Memo | None = None) -> None:
        self.survey = survey
        self.ledger = survey.ledger
        self.as_of = survey.as_of
        self.cfg = cfg
        self.month = month  # set when building a month's snapshot
        self.archive = archive or []  # published snapshots (records), for the live portal's archive page
        self.history = history or History()
        self.lang = cfg.lang
        self.telling = Telling(self.history, self.lang, self.commit_url)  # each commit and change worded once
        self.L = LABELS[self.lang]
        self.pages: dict[str, PageSpec] = {}
        self._dept_keys: dict[str, str] = {}  # department name as written -> key of its page
        self._fragments: dict[tuple[Hashable, ...], Markup] = {}  # key -> HTML of a shared fragment, see render()
        self._facts: dict[str, tuple[Any, ...]] = {}  # task id -> what a fragment of it shows, see facts()
        self.memo = memo  # the last build's fragments (`mkdocs serve`): see start_memo()
        self.task_page: dict[str, str] = {}  # task id -> key of the page with its card
        self.nav = self._plan_pages()
        self.by_src = {spec.src_uri: spec for spec in self.pages.values()}
        self.markdown = MarkdownText()
        self.env = self._environment(template_dir)

    # --- what the survey knows, as the templates name it ------------------------------------------------------

    @property
    def tasks(self) -> tuple[model.Task, ...]:
        return self.survey.tasks

    @property
    def states(self) -> Mapping[str, DueState]:
        return self.survey.states

    @property
    def counts(self) -> Counts:
        return self.survey.counts

    @property
    def depts(self) -> tuple[DeptRow, ...]:
        return self.survey.departments

    @property
    def postponed(self) -> Mapping[str, int]:
        return self.survey.postponements

    @property
    def mom(self) -> MonthOverMonth | None:
        return self.month.mom if self.month else None

    # --- the pages -------------------------------------------------------------------------------------------

    def _add(self, spec: PageSpec) -> PageSpec:
        self.pages[spec.key] = spec
        return spec

    def _plan_pages(self) -> list[PageSpec]:
        """Every generated page, as a navigation tree in reading order."""
        L = self.L
        nav = [self._add(PageSpec("dashboard", "index.md", "dashboard", L["dashboard"]))]
        for plan in self.ledger.plans:
            overview = self._add(PageSpec(f"plan:{plan.id}", f"{plan.id}/index.md", "plan",
                                          L["plan_overview"] if len(self.ledger.plans) == 1 else plan.title, plan))
            overview.children = [self._section_page(plan, s) for s in plan.sections]
            nav.append(overview)
        nav.append(self._add(PageSpec("table", "table.md", "table", L["table"])))
        nav.append(self._add(PageSpec("overdue", "overdue.md", "overdue", L["overdue_page"])))
        nav.append(self._add(PageSpec("changelog", "changelog.md", "changelog", L["changelog"])))
        if self.month:
            nav.append(self._add(PageSpec("month", "month.md", "month", L["month_page"])))
            nav.append(self._add(PageSpec("report", "report.md", "report", L["report_page"])))
        else:
            nav.append(self._add(PageSpec("archive", "archive/index.md", "archive", L["archive_page"])))
        depts = self._add(PageSpec("departments", "departments/index.md", "departments", L["departments"]))
        for row in self.depts:
            page = self._add(PageSpec(f"dept:{row.dept.slug}", f"departments/{row.dept.slug}.md", "department",
                                      row.dept.name, dept=row))
            if len(self.depts) <= NAV_DEPARTMENTS_MAX:
                depts.children.append(page)
        nav.append(depts)
        return nav

    def _section_page(self, plan: model.Plan, section: model.Section) -> PageSpec:
        key = f"section:{plan.id}:{section.id}"
        spec = self._add(PageSpec(key, f"{plan.id}/{section.id}.md", "section", section_title(section), plan,
                                  section))
        for task in section.tasks:
            self.task_page[task.id] = key
        for sub in section.sections:
            if sub.depth <= self.cfg.page_depth:
                spec.children.append(self._section_page(plan, sub))
            else:
                for task in sub.walk_tasks():
                    self.task_page[task.id] = key
        return spec

    def dept_page(self, name: str) -> str:
        """The key of the page of the department a ledger names, each name resolved once per build."""
        key = self._dept_keys.get(name)
        if key is None:
            # A name written on a section that every task under it overrides leads and shares no task, so it has
            # no page (survey.department_rows): link the list of departments instead of failing the build.
            key = f"dept:{department_for(self.ledger, name).slug}"
            key = self._dept_keys[name] = key if key in self.pages else "departments"
        return key

    def inline_sections(self, section: model.Section) -> list[model.Section]:
        """The sub-sections shown on a section's own page (those without a page of their own)."""
        return [s for s in section.sections if s.depth > self.cfg.page_depth]

    def page_sections(self, section: model.Section) -> list[model.Section]:
        return [s for s in section.sections if s.depth <= self.cfg.page_depth]

    # --- rendering -------------------------------------------------------------------------------------------

    def render(
        self, key: str, page_url: str, url_for: Callable[[str], str], intro: str = ""
    ) -> tuple[str, list[TocItem]]:
        """The HTML and table of contents of the page ``key`` at ``page_url``.

        ``url_for(src_uri)`` gives the site URL of another page; links are made
        relative to ``page_url`` so the site works from any folder and from disk.
        """
        spec = self.pages[key]
        # A page links the same few pages once per card: each target's relative URL is worked out once per page.
        links: dict[str, str] = {}

        def href(target: str, anchor: str = "") -> str:
            url = links.get(target)
            if url is None:
                url = links[target] = relative_url(url_for(self.pages[target].src_uri), page_url)
            return f"{url}#{anchor}" if anchor else url

        def task_href(task: model.Task) -> str:
            return href(self.task_page[task.id], task.id)

        def dept_href(name: str) -> str:
            return href(self.dept_page(name))

        template = self.env.get_template(f"{spec.kind}.html")
        html = template.render(
            page=spec, site=self, intro=Markup(intro), href=href, task_href=task_href, dept_href=dept_href,
            asset=lambda path: relative_url(path, page_url),
        )
        return html, self.toc(spec)

    def once(self, *key: Hashable, caller: Callable[[], str], task: model.Task | None = None) -> Markup:
        """A fragment several pages show alike (a task's badge, its row on each department's page), rendered once
        per build: ``{% call once('badge', task.id) %}…{% endcall %}``. The key names everything the fragment
        shows that differs from page to page (its relative links), and the task or thing it shows.

        With ``task=``, the fragment shows nothing of the ledger but that task, its :meth:`facts` and what the key
        names: under `mkdocs serve` it is then taken from the last build when those are unchanged (:mod:`portal.memo`).
        """
        fragment = self._fragments.get(key)
        if fragment is None:
            if task is not None and self.memo is not None:
                fragment = self.memo.recall(key, self.facts(task), lambda: Markup(caller()))
            else:
                fragment = Markup(caller())
            self._fragments[key] = fragment
        return fragment

    def remember(self, *key: Hashable, caller: Callable[[], str], task: model.Task) -> Markup:
        """A fragment of one task shown on one page (its card, its row in the table): under `mkdocs serve` taken
        from the last build when the task's :meth:`facts`, the frame and the key are unchanged, else rendered.
        ``{% call remember('card', page.key, task.id, task=task) %}…{% endcall %}``: the key names everything the
        fragment shows beyond the task and its facts. A plain build renders it and keeps nothing."""
        if self.memo is None:
            return Markup(caller())
        return self.memo.recall(key, self.facts(task), lambda: Markup(caller()))

    def facts(self, task: model.Task) -> tuple[Any, ...]:
        """Everything a task's card or row shows of the survey and the history, with the task itself: two builds
        with equal facts (and equal frames) show the task alike."""
        facts = self._facts.get(task.id)
        if facts is None:
            survey, tid = self.survey, task.id
            facts = (task, survey.states.get(tid), survey.lights.get(tid), survey.periods.get(tid),
                     survey.moves.get(tid), survey.postponements.get(tid), self.telling.tasks.get(tid),
                     self.task_page.get(tid))
            if self.memo is not None:  # the last build's equal facts: each of the task's fragments compares at once
                facts = self.memo.recall(("facts", tid), facts, lambda: facts)
            self._facts[tid] = facts
        return facts

    def start_memo(self, urls: Mapping[str, str]) -> None:
        """Begin this build's use of the memo: the last build's fragments are kept if the frame is the same.

        The frame is what a task's fragment may show beyond its facts: the settings, dates and rules, the ledger's
        departments and plan headings, the pages and their addresses (``urls``, by page key: a department page that
        comes or goes changes the links of every card naming it), and the page templates' sources.
        """
        if self.memo is None:
            return
        plans = tuple((p.id, p.title, p.year, p.issuer, p.source, p.timezone, p.path) for p in self.ledger.plans)
        self.memo.start((self.cfg, self.lang, self.as_of, self.survey.rules, self.ledger.registry, plans,
                         tuple(urls.items()), self.history.timezone, self.month, self._template_sources()))

    def _template_sources(self) -> tuple[tuple[str, str], ...]:
        """The source of every page template as this build's loader finds it (an edit while serving shows)."""
        loader = self.env.loader
        assert loader is not None
        return tuple((name, loader.get_source(self.env, name)[0]) for name in sorted(loader.list_templates()))

    def feed(self, limit: int = 50) -> str:
        """The Atom feed of changes: one entry per commit and ledger file, newest first."""
        entries = sorted(self.history.entries, key=lambda e: (e.commit.date, e.commit.sha), reverse=True)[:limit]
        base = self.cfg.site_url.rstrip("/") + "/" if self.cfg.site_url else "./"
        plans = ",".join(p.id for p in self.ledger.plans)
        updated = entries[0].commit.date.isoformat() if entries else f"{self.as_of.isoformat()}T00:00:00Z"
        return self.env.get_template("feed.html").render(
            site=self, entries=entries, base=base, updated=updated, feed_id=f"urn:progress-portal:{plans}")

    def toc(self, spec: PageSpec) -> list[TocItem]:
        """Sections and task cards of a section page; none for other pages."""
        if spec.section is None:
            return []

        def items(section: model.Section, level: int) -> list[TocItem]:
            out = [TocItem(task_title(t), t.id, level) for t in section.tasks]
            for sub in self.inline_sections(section):
                out.append(TocItem(section_title(sub), sub.id, level, items(sub, level + 1)))
            return out

        return items(spec.section, 2)

    # --- helpers the templates call ----------------------------------------------------------------------------

    def _environment(self, template_dir: Path | Sequence[Path]) -> jinja2.Environment:
        """Templates from ``template_dir``, or from the first of several folders that has each template."""
        folders = [template_dir] if isinstance(template_dir, Path) else list(template_dir)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            bytecode_cache=_TEMPLATE_CODE,
        )
        survey = self.survey
        env.globals.update(
            L=self.L,
            as_of=self.as_of,
            survey=survey,
            icon=icon,
            status_label=self.status_label,
            status_icon=lambda t: STATUS_ICONS[t if isinstance(t, str) else t.status.value],
            tasks_in_state=survey.in_state,
            describe=lambda change: describe(change, self.lang),
            commit_url=self.commit_url,
            edit_url=self.edit_url,
            local=self.history.local,
            chart=self.progress_chart,
            state=lambda t: survey.states[t.id],
            section_counts=survey.of_section,
            plan_counts=lambda plan: survey.plan_counts[plan.id],
            section_title=section_title,
            task_title=task_title,
            term_label=lambda t: TERM_LABELS[self.lang][t.term.value] if t.term else "",
            fmt_date=self.fmt_date,
            fmt_month=lambda month: format_month(month, self.lang),
            due_text=self.due_text,
            part_due=lambda t, p: part_due(t, p, self.as_of, survey.rules.cadence),
            light=survey.light,
            light_word=lambda color: light_word(color, self.lang),
            light_why=self.light_why,
            missed_words=lambda t: missed_words(survey.periods.get(t.id, ()), self.lang, self.as_of.year),
            moves_words=lambda t: moves_words(survey.moves.get(t.id, ()), self.lang, self.as_of.year),
            lights_rule=lights_rule(survey.rules.supervision, self.lang, survey.rules.cadence.value),
            ranking_rules=ranking_rules(survey.rules.ranking, self.lang),
            quarter_words=lambda month: quarter_words(month, self.lang),
            streak_words=lambda streaks: streak_words(streaks, self.lang),
            next_deadlines=self.next_deadlines,
            latest_updates=self.latest_updates,
            section_of=self.section_of,
            label=lambda key, **kw: self.L[key].format(**kw),
            statuses=[s.value for s in model.Status],
            status_labels=STATUS_LABELS[self.lang],
            list_sep=self.L["list_sep"],
            once=self.once,
            remember=self.remember,
        )
        env.filters["md"] = self.markdown
        env.filters["date"] = self.fmt_date
        return env

    def status_label(self, task_or_key: model.Task | str) -> str:
        key = task_or_key if isinstance(task_or_key, str) else task_or_key.status.value
        return STATUS_LABELS[self.lang][key]

    def fmt_date(self, d: dt.date | None, short: bool = False) -> str:
        """A date in the site's language; ``short`` leaves out the year when it is the as-of date's."""
        return format_date(d, self.lang, short_in_year=self.as_of.year if short else None)

    def due_text(self, state: DueState) -> str:
        """Words for a due state: 逾期 12 天, 还剩 3 天, 今天到期."""
        if state.days is None:
            return ""
        if state.state == "overdue":
            return self.L["days_overdue"].format(n=-state.days)
        if state.days == 0:
            return self.L["due_today"]
        return self.L["days_left"].format(n=state.days)

    def light_why(self, task: model.Task) -> str:
        """Why a task has its light: '进度 50%，落后于时间进度 75%'; '' for green, done on time and none."""
        light: Light = self.survey.light(task)
        reasons = light_reasons(light, self.survey.periods.get(task.id, ()), self.lang, self.as_of.year,
                                self.survey.rules.supervision)
        return self.L["clause_sep"].join(reasons)

    def next_deadlines(self, limit: int = 10) -> list[model.Task]:
        """Open tasks by their next due date, the soonest first (overdue ones have their own page)."""
        return list(self.survey.upcoming[:limit])

    def latest_updates(
        self, limit: int = 10, tasks: tuple[model.Task, ...] | list[model.Task] | None = None
    ) -> list[tuple[model.Task, model.Update]]:
        """The newest progress updates, of every task or of ``tasks``."""
        if tasks is None:
            return list(self.survey.updates[:limit])
        # The survey's order, of these tasks' updates only (a department's page, thirty times a build): equal keys
        # are one task's updates, which keep their order in both.
        own = {t.id: t for t in tasks}.values()
        pairs = [(t, u) for t in own for u in t.updates]
        return sorted(pairs, key=update_order, reverse=True)[:limit]

    def edit_url(self, task: model.Task) -> str:
        """A link to the task's lines in the repository's web interface, or '' without repo_url."""
        repo = self.cfg.repo_url.rstrip("/")
        if not repo or not task.line:
            return ""
        plan = next((p for p in self.ledger.plans if p.id == task.plan_id), None)
        path = quote(plan.path if plan and plan.path else self.cfg.ledgers[0])
        form = self.cfg.edit_url or ("{repo_url}/blob/{branch}/{path}#L{line}" if "github.com" in repo
                                     else "{repo_url}/-/blob/{branch}/{path}#L{line}")
        return form.format(repo_url=repo, branch=quote(self.cfg.branch), path=path, line=task.line)

    def commit_url(self, sha: str) -> str:
        """A link to the commit on the hosting service, or '' without repo_url."""
        if not self.cfg.repo_url:
            return ""
        return self.cfg.commit_url.format(repo_url=self.cfg.repo_url.rstrip("/"), sha=sha)

    @functools.cached_property
    def task_history(self) -> dict[str, list[tuple[Entry, Change]]]:
        """Each task's changes, newest first, for a project's own copy of an older card template (the engine's
        shows ``telling.tasks``: the same, each change worded once)."""
        return self.history.by_task()

    def grouped_changes(self, entry: Entry) -> list[tuple[str, str, list[Change]]]:
        """An entry's changes by task: (task id, '（5）title', changes), for a project's own copy of an older
        changelog or feed template (the engine's show ``telling.told(entry).groups``, the changes worded)."""
        out: dict[str, tuple[str, str, list[Change]]] = {}
        for change in entry.changes:
            title = f"{change.number}{change.title}"
            out.setdefault(change.task, (change.task, title, []))[2].append(change)
        return list(out.values())

    def progress_chart(self, width: int = 600, height: int = 180) -> dict[str, object] | None:
        """Polylines of done, in progress and overdue over the history's points, in SVG user units."""
        points = self.history.points
        if not points:
            return None
        pad_left, pad_bottom, pad_top = 32, 22, 8
        top = max(max(p.total for p in points), 1)
        span = max(len(points) - 1, 1)

        def x(i: int) -> float:
            return round(pad_left + (width - pad_left - 8) * (i / span if len(points) > 1 else 0.5), 1)

        def y(v: int) -> float:
            return round(pad_top + (height - pad_top - pad_bottom) * (1 - v / top), 1)

        series = []
        for key, label in (("done", "done_count"), ("in_progress", "in_progress"), ("overdue", "overdue")):
            values = [getattr(p, key) for p in points]
            coords = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
            series.append({"key": key, "label": self.L.get(label) or STATUS_LABELS[self.lang][key],
                           "points": coords, "last": values[-1], "last_x": x(len(values) - 1),
                           "last_y": y(values[-1])})
        ticks = sorted({0, len(points) - 1, (len(points) - 1) // 2})
        fmt = "%m-%d" if self.history.granularity == "week" else "%Y-%m"
        return {"width": width, "height": height, "series": series, "top": top, "y_top": y(top), "y_zero": y(0),
                "x_left": pad_left, "x_right": width - 8,
                "ticks": [{"x": x(i), "label": points[i].date.strftime(fmt)} for i in ticks],
                "granularity": self.history.granularity, "points": points}

    @functools.cached_property
    def report(self) -> Report:
        """The monthly report of this build (a snapshot's month, or the live as-of date)."""
        return build_report(self.survey, self.mom, self.lang, self.cfg.report)

    def archive_rows(self) -> list[dict[str, Any]]:
        """Published months, newest first, each with the change from the month before."""
        rows = []
        previous = None
        for record in sorted(self.archive, key=lambda r: r.month):
            rows.append({"record": record,
                         "d_percent": record.percent - previous.percent if previous else None,
                         "d_overdue": record.overdue - previous.overdue if previous else None})
            previous = record
        return rows[::-1]

    def section_of(self, task: model.Task) -> model.Section:
        """The top-level section a task belongs to."""
        plan = next(p for p in self.ledger.plans if p.id == task.plan_id)
        return next(s for s in plan.sections if s.id == task.section_path[0])


def section_title(section: model.Section) -> str:
    """'一、全面加强思想建设' — the printed number and the title, as the plan prints them."""
    return section.label


def task_title(task: model.Task) -> str:
    return f"{task.number}{task.title}" if task.number else task.title


