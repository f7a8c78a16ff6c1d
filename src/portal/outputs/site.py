"""Turn a loaded ledger into page HTML through the Jinja templates under overrides/portal/.

:class:`Site` computes everything derived once per build (due states, counts,
the ranking, which page shows which task) and renders a page by key. It knows
nothing of MkDocs: the hook gives it each page's URL and a way to find the URL
of another page, so that tests can render without a build.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.bccache
import markdown
import nh3
from markupsafe import Markup, escape

from portal.config import PortalConfig
from portal.deadlines.due import DueState, due_state, next_due
from portal.history.changes import Change, describe
from portal.history.timeline import Entry, History
from portal.i18n import LABELS, STATUS_LABELS, TERM_LABELS
from portal.ledger import model
from portal.ledger.load import department_for
from portal.month import MonthOverMonth, MonthState, Report, build_report
from portal.survey import Counts, DeptRow, count, department_rows

STATUS_ICONS = {
    "not_started": "circle-outline",
    "in_progress": "progress-clock",
    "done": "check-circle",
    "ongoing": "autorenew",
    "suspended": "pause-circle",
    "cancelled": "cancel",
}
STATE_ICONS = {"overdue": "alert-circle", "due_soon": "clock-alert-outline", "closed": "check", "upcoming": "calendar"}
FLAG_ICON = "flag"
UNINDEXED = {"table", "overdue", "department", "month", "report"}

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "a", "blockquote", "del", "sup", "sub",
    "hr", "table", "thead", "tbody", "tr", "th", "td", "h4", "h5", "h6", "span",
}
MARKDOWN_HINT = re.compile(r"[*_`\[\]<>#|~\\]|^\s*(?:[-+]|\d+\.)\s|\n\s*\n", re.MULTILINE)
#: Python-Markdown looks for the end of every '[' afresh, so its time grows with the number of '[' times the
#: length of the text: 20,000 '[' took a minute, per text, in every build. Above this product (about 50 ms)
#: the text is shown as plain text; real texts with a few links are far below it.
MARKDOWN_BRACKET_BUDGET = 200_000


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory across builds (`mkdocs serve` rebuilds in one process).

    Each build has its own environment, since its globals are that build's data; the code is shared,
    keyed by the template's source checksum, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _MemoryBytecodeCache()


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
    """Everything one build shows, computed once; renders pages by key."""

    def __init__(self, ledger: model.Ledger, as_of: dt.date, cfg: PortalConfig, template_dir: Path,
                 history: History | None = None, mom: MonthOverMonth | None = None,
                 archive: list[Any] | None = None) -> None:
        self.ledger = ledger
        self.mom = mom  # set when building a month's snapshot
        self.archive = archive or []  # published snapshots (records), for the live portal's archive page
        self.history = history or History()
        self.task_history = self.history.by_task()
        self.postponed = self.history.postponements()
        self.as_of = as_of
        self.cfg = cfg
        self.lang = cfg.lang
        self.L = LABELS[self.lang]
        self.tasks = ledger.tasks()
        self.states: dict[str, DueState] = {
            t.id: due_state(t, as_of, cfg.due_soon_days) for t in self.tasks
        }
        self.counts = count(self.tasks, self.states)
        self.depts = department_rows(ledger, self.states, cfg.ranking)
        self.dept_rows = {r.dept.name: r for r in self.depts}
        self.pages: dict[str, PageSpec] = {}
        self.task_page: dict[str, str] = {}  # task id -> key of the page with its card
        self.nav = self._plan_pages()
        self.by_src = {spec.src_uri: spec for spec in self.pages.values()}
        self.env = self._environment(template_dir)
        self._md = _markdown()

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
        if self.cfg.snapshot:
            nav.append(self._add(PageSpec("month", "month.md", "month", L["month_page"])))
            nav.append(self._add(PageSpec("report", "report.md", "report", L["report_page"])))
        else:
            nav.append(self._add(PageSpec("archive", "archive/index.md", "archive", L["archive_page"])))
        depts = self._add(PageSpec("departments", "departments/index.md", "departments", L["departments"]))
        for row in self.depts:
            depts.children.append(self._add(PageSpec(f"dept:{row.dept.slug}", f"departments/{row.dept.slug}.md",
                                                     "department", row.dept.name, dept=row)))
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

        def href(target: str, anchor: str = "") -> str:
            url = relative_url(url_for(self.pages[target].src_uri), page_url)
            return f"{url}#{anchor}" if anchor else url

        def task_href(task: model.Task) -> str:
            return href(self.task_page[task.id], task.id)

        def dept_href(name: str) -> str:
            # A name written on a section that every task under it overrides leads and shares no task, so it has
            # no page (stats.department_rows): link the list of departments instead of failing the build.
            key = f"dept:{department_for(self.ledger, name).slug}"
            return href(key if key in self.pages else "departments")

        template = self.env.get_template(f"{spec.kind}.html")
        html = template.render(
            page=spec, site=self, intro=Markup(intro), href=href, task_href=task_href, dept_href=dept_href,
            asset=lambda path: relative_url(path, page_url),
        )
        return html, self.toc(spec)

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

    def _environment(self, template_dir: Path) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            bytecode_cache=_TEMPLATE_CODE,
        )
        env.globals.update(
            L=self.L,
            as_of=self.as_of,
            icon=icon,
            status_label=self.status_label,
            status_icon=lambda t: STATUS_ICONS[t if isinstance(t, str) else t.status.value],
            tasks_in_state=self.tasks_in_state,
            describe=lambda change: describe(change, self.lang),
            commit_url=self.commit_url,
            local=self.history.local,
            postponed_in=lambda tasks: sum(self.postponed[t.id] for t in tasks),
            chart=self.progress_chart,
            state=lambda t: self.states[t.id],
            counts=lambda tasks: count(tasks, self.states),
            section_title=section_title,
            task_title=task_title,
            term_label=lambda t: TERM_LABELS[self.lang][t.term.value] if t.term else "",
            fmt_date=self.fmt_date,
            due_text=self.due_text,
            part_due=lambda p: next_due(p, self.as_of),
            next_deadlines=self.next_deadlines,
            latest_updates=self.latest_updates,
            section_of=self.section_of,
            label=lambda key, **kw: self.L[key].format(**kw),
            statuses=[s.value for s in model.Status],
            status_labels=STATUS_LABELS[self.lang],
        )
        env.filters["md"] = self.markdown
        env.filters["date"] = self.fmt_date
        return env

    def status_label(self, task_or_key: model.Task | str) -> str:
        key = task_or_key if isinstance(task_or_key, str) else task_or_key.status.value
        return STATUS_LABELS[self.lang][key]

    def fmt_date(self, d: dt.date | None, short: bool = False) -> str:
        if d is None:
            return ""
        if self.lang == "en":
            return d.isoformat()
        if short and d.year == self.as_of.year:
            return f"{d.month}月{d.day}日"
        return f"{d.year}年{d.month}月{d.day}日"

    def due_text(self, state: DueState) -> str:
        """Words for a due state: 逾期 12 天, 还剩 3 天, 今天到期."""
        if state.days is None:
            return ""
        if state.state == "overdue":
            return self.L["days_overdue"].format(n=-state.days)
        if state.days == 0:
            return self.L["due_today"]
        return self.L["days_left"].format(n=state.days)

    def next_deadlines(self, limit: int = 10) -> list[model.Task]:
        """Open tasks by their next due date, overdue first."""
        open_ = [t for t in self.tasks if self.states[t.id].due and self.states[t.id].state in
                 ("overdue", "due_soon", "upcoming")]
        open_.sort(key=lambda t: (self.states[t.id].state != "overdue", self.states[t.id].due, t.id))
        return [t for t in open_ if self.states[t.id].state != "overdue"][:limit]

    def latest_updates(
        self, limit: int = 10, tasks: list[model.Task] | None = None
    ) -> list[tuple[model.Task, model.Update]]:
        pairs = [(t, u) for t in (self.tasks if tasks is None else tasks) for u in t.updates]
        pairs.sort(key=lambda p: (p[1].date, p[0].id), reverse=True)
        return pairs[:limit]

    def commit_url(self, sha: str) -> str:
        """A link to the commit on the hosting service, or '' without repo_url."""
        if not self.cfg.repo_url:
            return ""
        return self.cfg.commit_url.format(repo_url=self.cfg.repo_url.rstrip("/"), sha=sha)

    def grouped_changes(self, entry: Entry) -> list[tuple[str, str, list[Change]]]:
        """An entry's changes by task: (task id, '（5）title', changes)."""
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
        month = self.cfg.snapshot["month"] if self.cfg.snapshot else self.as_of.strftime("%Y-%m")
        state = MonthState(month, self.as_of, self.ledger, self.states, self.counts, self.depts)
        return build_report(state, self.mom, self.lang)

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

    def tasks_in_state(self, kind: str) -> list[model.Task]:
        """Tasks whose due state is ``kind``, the earliest due first."""
        tasks = [t for t in self.tasks if self.states[t.id].state == kind]
        tasks.sort(key=lambda t: (self.states[t.id].due or dt.date.max, t.id))
        return tasks

    def section_of(self, task: model.Task) -> model.Section:
        """The top-level section a task belongs to."""
        plan = next(p for p in self.ledger.plans if p.id == task.plan_id)
        return next(s for s in plan.sections if s.id == task.section_path[0])

    def section_counts(self, section: model.Section) -> Counts:
        return count(section.walk_tasks(), self.states)

    @functools.cache  # noqa: B019 - one Site per build; texts repeat across pages
    def markdown(self, text: str) -> Markup:
        """Ledger Markdown as safe HTML: no raw HTML, no script links (nh3 sanitises the output)."""
        if not text:
            return Markup("")
        if not MARKDOWN_HINT.search(text) or text.count("[") * len(text) > MARKDOWN_BRACKET_BUDGET:
            return _plain(text)
        self._md.reset()
        try:
            html = self._md.convert(text)
        except RecursionError:  # lists or quotes nested hundreds deep ('1. 1. 1. …'): Python-Markdown recurses
            return _plain(text)
        clean = nh3.clean(html, tags=ALLOWED_TAGS, url_schemes={"http", "https", "mailto"},
                          link_rel="noopener noreferrer")
        return Markup(clean)


def _plain(text: str) -> Markup:
    """Text as one escaped paragraph, line breaks kept: for text without Markdown, or too costly to read as it."""
    return Markup("<p>" + str(escape(text.strip())).replace("\n", "<br>\n") + "</p>")


def _markdown() -> markdown.Markdown:
    """Markdown for ledger text: raw HTML is not recognised, so '<script>' stays text (escaped)."""
    md = markdown.Markdown(extensions=["sane_lists", "tables"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def section_title(section: model.Section) -> str:
    """'一、全面加强思想建设' — the printed number and the title, as the plan prints them."""
    return section.label


def task_title(task: model.Task) -> str:
    return f"{task.number}{task.title}" if task.number else task.title


def relative_url(url: str, base: str) -> str:
    """``url`` (site-relative) as seen from the page at ``base`` (site-relative)."""
    if url.startswith(("http:", "https:", "mailto:")):
        return url
    base_dir = base if base.endswith("/") or not base else posixpath.dirname(base) + "/"
    rel = posixpath.relpath("/" + url, "/" + base_dir.rstrip("/") if base_dir.strip("/") else "/")
    if url.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return "./" if rel in ("./", "./.", ".") else rel


#: Every icon the templates use; icons.css carries each once, so a page of 10,000 rows does not repeat SVG.
ICONS = sorted({*STATUS_ICONS.values(), *STATE_ICONS.values(), FLAG_ICON, "arrow-up", "arrow-down",
                "file-word-outline", "filter-remove-outline", "rss"})


@functools.cache
def icon(name: str) -> Markup:
    """A Material Design icon: a decorative span painted by icons.css (the meaning is always in words beside it)."""
    if name not in ICONS:
        raise KeyError(f"icon {name!r} is not in render.ICONS")
    return Markup(f'<span class="pp-icon pp-icon--{name}" aria-hidden="true"></span>')


def icons_css() -> str:
    """The stylesheet that paints every icon, from mkdocs-material's bundled SVGs (nothing is fetched)."""
    rules = []
    for name in ICONS:
        svg = (_ICON_DIR / f"{name}.svg").read_text(encoding="utf-8").strip().replace('"', "'")
        data = "data:image/svg+xml," + quote(svg, safe=" =:/'")  # inside url("…"): no double quote left
        rules.append(f'.pp-icon--{name}{{-webkit-mask-image:url("{data}");mask-image:url("{data}")}}')
    return "\n".join(rules) + "\n"


def _material_icons() -> Path:
    import material

    return Path(material.__file__).parent / "templates" / ".icons" / "material"


_ICON_DIR = _material_icons()

