"""MkDocs hooks: a thin adapter from MkDocs' events to the portal engine.

on_config loads and validates the ledger (stopping the build, before the old
site is touched, with one line per problem); on_files adds the generated
pages, tasks.json and tasks.csv; on_page_content renders portal pages through
the templates in overrides/portal/ so that search, the table of contents and
print all see the same HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from portal.archive.publish import copy_archive, month_data, read_index, snapshot_banner
from portal.config import read_config
from portal.history.timeline import History, load_history, terminal_progress
from portal.ledger.load import Loaded, load
from portal.outputs.search import augment_file, ledger_terms, teach_jieba, user_dictionary
from portal.outputs.site import PageSpec, Site, TocItem, icons_css
from portal.outputs.tables import to_csv, to_json
from portal.outputs.xlsx import to_xlsx
from portal.problems import LedgerError

log = logging.getLogger("mkdocs.hooks.portal")

_state: dict[str, Any] = {}
_OWNED = "PORTAL_OWNS_SOURCE_DATE_EPOCH"  # marks a SOURCE_DATE_EPOCH that we set, not the user


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        cfg = read_config(config.config_file_path)
        loaded = load(cfg)
    except LedgerError as err:
        raise PluginError(err.report()) from None
    for warning in loaded.warnings.render(cfg.lang):
        log.info(warning)
    _state.clear()
    _state.update(cfg=cfg, loaded=loaded, user_nav=config.nav is not None)
    _reproducible(loaded.as_of)
    if cfg.snapshot:
        config.extra["portal_snapshot"] = snapshot_banner(cfg, loaded.as_of)
    _state["terms"] = ledger_terms(loaded.ledger)
    teach_jieba(_state["terms"])  # before Material's search segments the pages
    return config


def _reproducible(as_of: dt.date) -> None:
    """The same ledger and as-of date give a byte-identical site: date the build by the as-of day."""
    if "SOURCE_DATE_EPOCH" not in os.environ or os.environ.get(_OWNED):
        stamp = dt.datetime.combine(as_of, dt.time(), dt.UTC).timestamp()
        os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp))
        os.environ[_OWNED] = "1"


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    """`mkdocs serve` rebuilds when a ledger, the registry or a portal template is saved."""
    cfg = _state["cfg"]
    paths = [cfg.path(rel) for rel in cfg.ledgers]
    if cfg.registry:
        paths.append(cfg.path(cfg.registry))
    paths.append(Path(config.theme.custom_dir or "overrides").resolve())
    for path in paths:
        if path.exists():
            server.watch(str(path))
    return server


def on_files(files: Files, config: MkDocsConfig) -> Files:
    loaded: Loaded = _state["loaded"]
    template_dir = Path(config.theme.custom_dir or "overrides") / "portal"
    cfg = _state["cfg"]
    history = _history(cfg, loaded)
    archive = [] if cfg.snapshot else read_index(cfg.path(cfg.archive_dir))
    site = Site(loaded.ledger, loaded.as_of, cfg, template_dir, history, month_data(cfg), archive)
    _state["site"] = site
    for spec in site.pages.values():
        if files.get_file_from_path(spec.src_uri) is None:
            meta: dict[str, Any] = {"title": _html(spec.title)}
            if not spec.indexed:
                meta["search"] = {"exclude": True}
            front = json.dumps(meta, ensure_ascii=False)
            files.append(File.generated(config, spec.src_uri, content=f"---\n{front}\n---\n"))
    titles = {(p.id, s.id): s.label for p in loaded.ledger.plans for s in p.sections}
    files.append(File.generated(config, "tasks.json", content=to_json(loaded.ledger, site.states, loaded.as_of,
                                                                     site.lang)))
    files.append(File.generated(config, "tasks.csv", content=to_csv(loaded.ledger, site.states, site.lang, titles)))
    files.append(File.generated(config, "tasks.xlsx", content=to_xlsx(loaded.ledger, site.states, site.depts,
                                                                     loaded.as_of, site.lang)))
    files.append(File.generated(config, "feed.xml", content=site.feed()))
    files.append(File.generated(config, "assets/stylesheets/icons.css", content=icons_css()))
    files.append(File.generated(config, "search/userdict.txt", content=user_dictionary(_state["terms"])))
    if not _state["user_nav"]:
        config.nav = _nav(site, files)
    return files


def _history(cfg: Any, loaded: Loaded) -> History:
    timezone = loaded.ledger.plans[0].timezone if loaded.ledger.plans else "Asia/Shanghai"
    history = load_history(cfg, timezone, terminal_progress("读取历史" if cfg.lang == "zh" else "Reading history"))
    if history.shallow:
        log.info("portal: shallow clone, the changelog shows only the history fetched; set GIT_DEPTH: 0")
    for skipped in history.skipped:
        log.info(f"portal: skipped {skipped.commit.sha[:8]} ({skipped.file}): {skipped.message}")
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
    site: Site | None = _state.get("site")
    if site is None:
        return html
    spec = site.by_src.get(page.file.src_uri)
    if spec is None:
        return html

    def url_for(src_uri: str) -> str:
        file = files.get_file_from_path(src_uri)
        return file.url if file else src_uri

    rendered, toc = site.render(spec.key, page.url, url_for, intro=html)
    if toc:
        page.toc = TableOfContents([_anchor(item) for item in toc])
    return rendered


def _html(text: str) -> str:
    """Ledger text as HTML: MkDocs' templates print page, nav and TOC titles without escaping."""
    return str(escape(text))


def on_post_build(config: MkDocsConfig) -> None:
    """The live portal carries the published snapshots as they are, and the version lists that link them."""
    cfg = _state.get("cfg")
    if cfg is None:
        return
    # runs after Material's search plugin wrote the index, and before the offline plugin inlines it
    added = augment_file(Path(config.site_dir), {t.id for t in _state["loaded"].ledger.tasks()})
    log.debug(f"portal: {added} sub-words added to the search index")
    if not cfg.snapshot:
        copy_archive(cfg.path(cfg.archive_dir), Path(config.site_dir), cfg.lang)


def _anchor(item: TocItem) -> AnchorLink:
    link = AnchorLink(_html(item.title), item.id, item.level)
    link.children = [_anchor(c) for c in item.children]
    return link
