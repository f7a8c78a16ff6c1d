"""The MkDocs integration: a thin adapter from MkDocs' events to the portal engine.

``on_config`` reads the portal's settings from the config MkDocs loaded and
loads and validates the ledger (stopping the build, before the old site is
touched, with one line per problem); ``on_files`` reads the history, surveys
the ledger once and adds the generated pages and exports; ``on_page_content``
renders portal pages through the templates in overrides/portal/ so that search,
the table of contents and print all see the same HTML. A monthly snapshot hands
its survey over directly (:func:`portal.build.given`).

The engine's overrides (``main.html``, partials, assets and the page templates) come
with the package: ``on_config`` puts them among the theme's folders, after the
project's ``custom_dir`` (which may override any of them) and before Material's.

The project's ``hooks/portal_hooks.py`` re-exports these functions; an installed
portal offers them as the MkDocs plugin ``progress-portal`` (:mod:`portal.plugin`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from portal.archive.store import (
    ArchiveBusy,
    ArchiveError,
    Record,
    archive_lock,
    copy_archive,
    lock_file,
    past_flags,
    publishable,
    snapshot_banner,
    take_version_selector,
)
from portal.build import Given, given
from portal.config import PortalConfig, from_mkdocs
from portal.history.cache import Cache
from portal.history.timeline import DEFAULT_TIMEZONE, History, load_history, terminal_progress
from portal.i18n import label, message
from portal.ledger import model
from portal.ledger.load import collector_paused, load_apart
from portal.logs import speak
from portal.memo import plain_meta
from portal.outputs.errors import error_page
from portal.outputs.markup import icons_css
from portal.outputs.material_search import (
    hand_over,
    has_search,
    material_index,
    own_dictionary,
    rest_indexer,
    scan_marked_pages_only,
    share_segmenter,
    utf8_index,
)
from portal.outputs.search import ledger_terms, page_entries, user_dictionary
from portal.outputs.segment import Segmenter, teach_jieba
from portal.outputs.site import PageSpec, Site, TocItem
from portal.outputs.tables import to_csv, to_json
from portal.outputs.xlsx import cached_xlsx
from portal.problems import LedgerError, printable
from portal.resources import overrides_dir
from portal.serving import (
    EXPORTS,
    LEDGER_MEMO,
    PAGES_MEMO,
    THEME_PAGES,
    keep_compiled,
    list_installed_once,
    poll_sooner,
    remember_pages,
)
from portal.survey import Rules, Survey, survey

log = logging.getLogger("mkdocs.hooks.portal")

_OWNED = "PORTAL_OWNS_SOURCE_DATE_EPOCH"  # marks a SOURCE_DATE_EPOCH that we set, not the user


@dataclass(slots=True)
class _Build:
    """What one build carries from event to event."""

    cfg: PortalConfig
    ledger: model.Ledger
    as_of: dt.date
    given: Given | None
    user_nav: bool
    terms: list[str]
    site: Site | None = field(default=None)
    segmenter: Segmenter | None = field(default=None)
    search_index: Any = field(default=None)  # Material's SearchIndex, when its search plugin is on
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # a page's, until Material indexes it
    history: History | None = field(default=None)  # read in on_config, in the time zone the ledger usually has


@dataclass(slots=True)
class _Broken:
    """A ledger or settings problem met while `mkdocs serve` runs: shown in the browser instead of a hang."""

    cfg: PortalConfig | None
    error: LedgerError


_build: _Build | None = None
_broken: _Broken | None = None
_serving = False


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _build, _broken
    handed = given()
    _build = _broken = None
    cfg: PortalConfig | None = None
    early: list[History] = []  # the history, read while a child process reads the ledger
    try:
        cfg = from_mkdocs(config)
        speak(cfg.lang)
        if handed is None:
            gc.unfreeze()  # what the last build (mkdocs serve) froze may be collected again
            loaded = load_apart(cfg, lambda: early.append(_read_history(cfg, DEFAULT_TIMEZONE)),
                                LEDGER_MEMO if _serving else None)
            # The ledger lives to the end of the build and has no cycles: out of the collector's sight, each full
            # collection of the pages and exports no longer walks its half a million objects (10,000 tasks).
            gc.freeze()
            ledger, as_of = loaded.ledger, loaded.as_of
            for warning in loaded.warnings.render(cfg.lang):
                log.info(warning)
        else:
            ledger, as_of = handed.survey.ledger, handed.survey.as_of
    except LedgerError as err:
        if not _serving:
            raise PluginError(err.report()) from None
        # Serving: say it in the terminal and in the browser, and keep serving, so that saving a fix reloads
        # the page into the portal (an exception here would leave the browser waiting with nothing to show).
        log.error(err.report())
        _broken = _Broken(cfg, err)
        _add_engine_theme(config)
        return config
    _reproducible(as_of)
    if handed is not None:
        month = handed.month
        config.extra["portal_snapshot"] = snapshot_banner(month.month, month.commit, as_of.isoformat(), cfg.lang)
    config.extra["portal_versions"] = take_version_selector(config.extra, config.plugins)
    _add_engine_theme(config)
    if _serving:
        list_installed_once(config.theme)
    # jieba learns the ledger's terms when the search index first segments a run it has not cached (on_files)
    _build = _Build(cfg, ledger, as_of, handed, config.nav is not None, ledger_terms(ledger))
    _build.history = early[0] if early else None
    return config


def _add_engine_theme(config: MkDocsConfig) -> None:
    """The engine's overrides as a theme folder: after the project's custom_dir, before Material's own."""
    engine = overrides_dir()
    dirs = config.theme.dirs
    if any(Path(d).resolve() == engine for d in dirs):
        return  # this repository: custom_dir is the engine's own folder
    dirs.insert(1 if config.theme.custom_dir else 0, str(engine))


def _template_dirs(config: MkDocsConfig) -> list[Path]:
    """Where page templates are looked up: ``portal/`` of each theme folder that has one, the project's first."""
    found = [Path(d) / "portal" for d in config.theme.dirs if (Path(d) / "portal").is_dir()]
    return found or [overrides_dir() / "portal"]


def _reproducible(as_of: dt.date) -> None:
    """The same ledger and as-of date give a byte-identical site: date the build by the as-of day."""
    if "SOURCE_DATE_EPOCH" not in os.environ or os.environ.get(_OWNED):
        stamp = dt.datetime.combine(as_of, dt.time(), dt.UTC).timestamp()
        os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp))
        os.environ[_OWNED] = "1"


def _current() -> _Build:
    if _build is None:
        raise PluginError("portal: on_config did not run")
    return _build


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    """`mkdocs serve` rebuilds when a ledger, the registry, an override or a portal template is saved."""
    cfg = _broken.cfg if _broken is not None else _current().cfg
    if cfg is None:  # the settings themselves are wrong: MkDocs watches mkdocs.yml
        return server
    paths = [cfg.path(rel) for rel in cfg.ledgers]
    if cfg.registry:
        paths.append(cfg.path(cfg.registry))
    if config.theme.custom_dir:
        paths.append(Path(config.theme.custom_dir).resolve())
    paths.append(overrides_dir())
    for path in dict.fromkeys(paths):
        if path.exists():
            server.watch(str(path))
    poll_sooner(server)  # a save seen within 0.1 s instead of 0.5 s
    EXPORTS.attach(server)  # the next rebuilds write tasks.xlsx and the others when they are asked for
    return server


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """The theme's compiled templates are kept for the next build (`mkdocs serve`'s, and the next process's);
    while serving, a page whose inputs are unchanged keeps its last HTML."""
    env = keep_compiled(env)
    return remember_pages(env, config) if _serving and _broken is None else env


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if _broken is not None:
        return _error_files(files, config, _broken)
    state = _current()
    cfg = state.cfg
    _refuse_links_out(files, cfg)
    template_dirs = _template_dirs(config)
    # What is made here (the survey, the history as the pages tell it) lives to the end of the build: no time to
    # look for garbage cycles among it.
    with collector_paused():
        if state.given is not None:
            history, surveyed, month, archive = state.given.history, state.given.survey, state.given.month, []
        else:
            history = _history(cfg, state.ledger, state.history)
            month, archive = None, _published(cfg)
            surveyed = survey(state.ledger, state.as_of, Rules.of(cfg), history.postponements(), history.moves(),
                              past_flags(archive))
        site = Site(surveyed, cfg, template_dirs, history, month, archive, memo=PAGES_MEMO if _serving else None)
        # Out of the collector's sight, as the ledger is: each collection while the pages are rendered no longer
        # walks the survey and the history (with 2,000 commits, the full collections alone were 0.15 s of a build).
        gc.freeze()
    state.site = site
    # A hand-written page at a portal page's own source (content/index.md) is its introduction; one that would
    # land on the same address from another source (content/guide.md against a plan with the id 'guide') is not.
    taken = {f.dest_uri: f.src_uri for f in files}
    for spec in site.pages.values():
        if files.get_file_from_path(spec.src_uri) is None:
            meta: dict[str, Any] = {"title": _html(spec.title)}
            if not spec.indexed:
                meta["search"] = {"exclude": True}
            front = json.dumps(meta, ensure_ascii=False)
            page = File.generated(config, spec.src_uri, content=f"---\n{front}\n---\n")
            if page.dest_uri in taken:
                log.warning(message(cfg.lang, "page_collision", {"page": spec.src_uri, "other": taken[page.dest_uri],
                                                                 "url": page.url}))
                continue
            files.append(page)
    exports: dict[str, Callable[[], str | bytes]] = {
        "tasks.json": lambda: to_json(surveyed, cfg.lang),
        "tasks.csv": lambda: to_csv(surveyed, cfg.lang),
        "tasks.xlsx": lambda: _xlsx(cfg, surveyed),
    }
    if _serving and EXPORTS.attached:  # written when a browser asks for one
        EXPORTS.offer(config.site_dir, exports)
        for uri in exports:  # listed, so that a hand-written page may link to one; empty until asked for
            files.append(File.generated(config, uri, content=b""))
    else:
        for uri, make in exports.items():
            files.append(_written(config, uri, make()))
    files.append(File.generated(config, "feed.xml", content=site.feed()))
    files.append(File.generated(config, "assets/stylesheets/icons.css", content=icons_css()))
    files.append(File.generated(config, "search/userdict.txt", content=user_dictionary(state.terms)))
    _start_search(state, config)
    if not state.user_nav:
        config.nav = _nav(site, files)
    site.start_memo({key: _url(files, spec.src_uri) for key, spec in site.pages.items()})
    return files


def _url(files: Files, src_uri: str) -> str:
    file = files.get_file_from_path(src_uri)
    return file.url if file else src_uri


def _written(config: MkDocsConfig, uri: str, content: str | bytes) -> File:
    """An export written into the site folder at once, as MkDocs would write it, and listed as a file already in
    place (MkDocs leaves it be): its text is not held in memory to the end of the build (tens of MiB)."""
    path = Path(config.site_dir) / uri
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return File.generated(config, uri, abs_src_path=str(path))


def _xlsx(cfg: PortalConfig, surveyed: Survey) -> bytes:
    """tasks.xlsx, the last one written again when its contents are the same (.cache/portal/exports.sqlite)."""
    cache = Cache(cfg.path(cfg.cache_dir) / "exports.sqlite" if cfg.cache_dir else None, lang=cfg.lang)
    try:
        return cached_xlsx(surveyed, cfg.lang, cache)
    finally:
        cache.close()


def _start_search(state: _Build, config: MkDocsConfig) -> None:
    """The build's segmenter, shared with Material's index (every plugin's on_config has run by now)."""
    state.search_index = material_index(config.plugins)
    if state.search_index is None:
        if has_search(config.plugins):  # a search plugin of another kind segments with jieba itself
            teach_jieba(state.terms)
        return
    cache = state.cfg.path(state.cfg.cache_dir) if state.cfg.cache_dir and not own_dictionary(config.plugins) else None
    state.segmenter = Segmenter(state.terms, cache, lang=state.cfg.lang)
    share_segmenter(state.search_index, state.segmenter)
    scan_marked_pages_only(config.plugins, state.site.memo if state.site else None)
    hand_over(state.search_index, state.entries, state.site.memo if state.site else None, state.terms)
    utf8_index(state.search_index)


def _error_files(files: Files, config: MkDocsConfig, broken: _Broken) -> Files:
    """While serving a ledger with errors: one page, at the site's root, listing every problem with its line."""
    cfg = broken.cfg or PortalConfig(root=Path(config.config_file_path or "mkdocs.yml").resolve().parent)
    if _serving and EXPORTS.attached:
        EXPORTS.offer(config.site_dir, {})  # no downloads of a ledger with errors, nor of the one before
    html = error_page(broken.error, cfg.root, _template_dirs(config)[0], broken.error.lang)
    for file in list(files.documentation_pages()):
        files.remove(file)
    front = json.dumps({"title": _html(label(broken.error.lang, "errors_title")), "search": {"exclude": True}},
                       ensure_ascii=False)
    files.append(File.generated(config, "index.md", content=f"---\n{front}\n---\n\n{html}\n"))
    config.nav = ["index.md"]
    return files


def _published(cfg: PortalConfig) -> list[Record]:
    """The months the live portal lists; a problem with the archive is said once, by on_post_build."""
    try:
        with archive_lock(lock_file(cfg), exclusive=False, lang=cfg.lang, log=log.info):
            return publishable(cfg.path(cfg.archive_dir), cfg.lang)
    except ArchiveError:
        return []


def _refuse_links_out(files: Files, cfg: PortalConfig) -> None:
    """Hand-written pages and assets that are links out of the project are not published (a warning each).

    Only the project's own files are checked (content/, overrides/); the theme's come from its package.
    """
    for file in list(files):
        if not file.abs_src_path:
            continue
        source = Path(os.path.abspath(file.abs_src_path))
        if not source.is_relative_to(cfg.root):
            continue
        target = source.resolve()
        if not target.is_relative_to(cfg.root):
            files.remove(file)
            shown = source.relative_to(cfg.root) if source.is_relative_to(cfg.root) else source
            log.warning(message(cfg.lang, "content_link", {"path": printable(str(shown)),
                                                         "target": printable(str(target))}))


def _read_history(cfg: PortalConfig, timezone: str) -> History:
    # The history's entries live to the end of the build: decoding them is not a time to look for garbage cycles.
    with collector_paused():
        return load_history(cfg, timezone, terminal_progress(label(cfg.lang, "reading_history")))


def _history(cfg: PortalConfig, ledger: model.Ledger, early: History | None) -> History:
    """The history in the plan's time zone (read again, from the cache, when the early read guessed another one),
    its problems logged."""
    timezone = ledger.plans[0].timezone if ledger.plans else DEFAULT_TIMEZONE
    history = early if early is not None and early.timezone == timezone else _read_history(cfg, timezone)
    if history.shallow:
        log.info("portal: shallow clone, the changelog shows only the history fetched; set GIT_DEPTH: 0")
    for skipped in history.skipped:
        log.info(f"portal: skipped {skipped.commit.sha[:8]} ({skipped.file}): {printable(skipped.message)}")
    for lost in history.unreadable:
        log.info(message(cfg.lang, "history_unreadable", {"commit": lost.commit.sha[:8], "file": lost.file,
                                                          "reason": printable(lost.reason)}))
    if history.failed:  # a warning: --strict builds stop rather than publish a site without its history
        log.warning(message(cfg.lang, "history_failed", {"reason": printable(history.failed)}))
    return history


def _nav(site: Site, files: Files) -> list[Any]:
    """The portal's pages as the plan nests, then the hand-written pages in file order."""

    def entry(spec: PageSpec) -> Any:
        if not spec.children:
            return {_html(spec.title): spec.src_uri}
        return {_html(spec.title): [spec.src_uri, *(entry(c) for c in spec.children)]}

    nav: list[Any] = []
    for spec in site.nav:
        if spec.kind == "plan" and len(site.ledger.plans) == 1:
            nav.append({site.L["plan"]: [spec.src_uri, *(entry(c) for c in spec.children)]})
        else:
            nav.append(entry(spec))
    generated = {spec.src_uri for spec in site.pages.values()}
    for file in files.documentation_pages():
        if file.src_uri not in generated:
            nav.append(file.src_uri)
    return nav


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    site = _build.site if _build is not None else None
    if site is None:
        return html
    spec = site.by_src.get(page.file.src_uri)
    if spec is None:
        return html

    rendered, toc = site.render(spec.key, page.url, lambda src_uri: _url(files, src_uri), intro=html)
    if toc:
        page.toc = TableOfContents([_anchor(item) for item in toc])
    _index_page(rendered, page, toc)
    return rendered


def _index_page(rendered: str, page: Page, toc: list[TocItem]) -> None:
    """A page of task cards: its entries wait for Material to index the page (in page order: MkDocs renders every
    page's content before it gives any page its context), and Material's parser skips it. While serving, a page
    whose HTML, address, title, headings and front matter are unchanged keeps its last entries."""
    state = _build
    search = page.meta.get("search") or {}
    if state is None or state.search_index is None or state.segmenter is None or search.get("exclude"):
        return
    index, segmenter = state.search_index, state.segmenter

    def make() -> list[dict[str, Any]] | None:
        return page_entries(rendered, page.url, segmenter=segmenter, meta=page.meta, rest=rest_indexer(index, page))

    memo = state.site.memo if state.site is not None else None
    meta = plain_meta(page.meta) if memo is not None else None
    if memo is None or meta is None:
        entries = make()
    else:
        inputs = (rendered, page.url, page.title, toc, meta, state.terms, index.config)
        entries = memo.recall(("search", page.file.src_uri), inputs, make)
    if entries is None:
        return
    state.entries[page.file.src_uri] = [dict(entry) for entry in entries]  # Material's index takes them as its own
    page.meta["search"] = {**search, "exclude": True}


def _html(text: str) -> str:
    """Ledger text as HTML: MkDocs' templates print page, nav and TOC titles without escaping."""
    return str(escape(text))


@event_priority(-50)  # after Material's search (0) wrote the index, before its offline plugin (-100) inlines it
def on_post_build(config: MkDocsConfig) -> None:
    """The live portal carries the published snapshots as they are, and the version lists that link them."""
    if _build is None:
        return
    if _build.segmenter is not None:
        _build.segmenter.save()
        log.debug(f"portal: {_build.segmenter.misses} runs of Han characters segmented, the rest from the cache")
    if _serving:
        log.debug(f"portal: kept from the last build {PAGES_MEMO.taken} fragments and {THEME_PAGES.taken} pages, "
                  f"made {PAGES_MEMO.made} and {THEME_PAGES.made}")
    if _build.given is None:
        cfg = _build.cfg
        try:
            with archive_lock(lock_file(cfg), exclusive=False, lang=cfg.lang, log=log.info):
                problems = copy_archive(cfg.path(cfg.archive_dir), Path(config.site_dir), cfg.lang)
        except ArchiveBusy as err:
            raise PluginError(str(err)) from None
        except ArchiveError as err:
            problems = [str(err)]
        for problem in problems:
            log.warning(printable(problem))


def _anchor(item: TocItem) -> AnchorLink:
    link = AnchorLink(_html(item.title), item.id, item.level)
    link.children = [_anchor(c) for c in item.children]
    return link
