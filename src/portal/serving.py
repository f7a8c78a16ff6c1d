"""`mkdocs serve` from save to page: a save seen sooner, compiled theme templates kept between rebuilds.

MkDocs' live-reload server watches with a polling observer that looks every 0.5 s, then waits 0.1 s for
the writing to settle and rebuilds. The portal's watched files are few (the ledgers, the registry, the
overrides and the content folder), so looking every 0.1 s costs little and takes ~0.2 s off every save
on average. Polling stays: it sees saves on every file system (native watchers miss some, which is why
MkDocs polls). Every rebuild still builds the whole site, but takes from the last one each card, table row and
page of search entries whose inputs are unchanged (:data:`PAGES_MEMO`).
"""

from __future__ import annotations

import logging
import os
import posixpath
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from watchdog.observers.polling import PollingObserver

from portal.memo import Memo, plain_meta, plain_toc
from portal.outputs.site import MemoryBytecodeCache

log = logging.getLogger("mkdocs.hooks.portal")

#: Seconds between two looks at the watched files while serving (MkDocs' own default is 0.5).
SAVE_POLL = 0.1

#: The theme's compiled templates (main.html, Material's base.html and partials), kept across the rebuilds of
#: one `mkdocs serve`; each rebuild makes a new theme environment, which would otherwise compile them again.
THEME_CODE = MemoryBytecodeCache("theme")


#: The top-level sections of the ledgers as the last rebuild read them: a save reads again only the sections whose
#: lines changed (see :mod:`portal.ledger.reread`).
LEDGER_MEMO = Memo()

#: The cards, table rows and search entries of the last build of this `mkdocs serve`, for the next: a save
#: renders again only what it changed (see :mod:`portal.memo`).
PAGES_MEMO = Memo()


def poll_sooner(server: Any, interval: float = SAVE_POLL) -> bool:
    """Have MkDocs' live-reload ``server`` look at its watched files every ``interval`` seconds.

    Called from ``on_serve``, before the server starts its observer: the watches made so far move to a new
    polling observer, and those made later go to it as well. Anything unexpected (another MkDocs, an observer
    already running) leaves the server as it is. True when the interval was changed.
    """
    observer = getattr(server, "observer", None)
    watched = getattr(server, "_watched_paths", None)
    if not isinstance(observer, PollingObserver) or observer.is_alive() or not isinstance(watched, dict):
        return False
    if not callable(getattr(server, "watch", None)) or not callable(getattr(server, "unwatch", None)):
        return False
    counts = dict(watched)
    for path, count in counts.items():
        for _ in range(count):
            server.unwatch(path)
    server.observer = PollingObserver(timeout=interval)
    for path, count in counts.items():
        for _ in range(count):
            server.watch(path)
    log.debug(f"portal: watching for saves every {interval} s")
    return True


#: The files of each installed theme folder (Material's holds 10,000 icons), listed once per `mkdocs serve`.
_LISTINGS: dict[str, list[str]] = {}


def list_installed_once(theme: Any) -> None:
    """Each build's theme environment lists the files of installed packages' theme folders from memory.

    MkDocs lists every file of every theme folder at the start of each build, to copy the theme's assets, and
    drops the hidden ones (Material's 14,000 icons under ``.icons``) name by name. An installed package does not
    change while `mkdocs serve` runs: its listing is made once, without its hidden folders (a template there is
    still found by name: loading a template does not use the listing). The project's own folders (overrides/)
    are listed anew each time, in full. Anything unexpected leaves the theme as it is.
    """
    make_env = getattr(theme, "get_env", None)
    if not callable(make_env):
        return

    def get_env() -> jinja2.Environment:
        env = make_env()
        loader = env.loader
        if type(loader) is jinja2.FileSystemLoader:
            env.loader.list_templates = _listing(loader)  # type: ignore[method-assign, union-attr]
        return env

    try:
        theme.get_env = get_env
    except AttributeError:  # a theme object that takes no attributes
        return


def _listing(loader: jinja2.FileSystemLoader) -> Callable[[], list[str]]:
    """``loader.list_templates``, with the folders inside installed packages listed once (by Jinja's own walk)."""

    def list_templates() -> list[str]:
        found: set[str] = set()
        for folder in loader.searchpath:
            if not _installed(folder):
                found.update(jinja2.FileSystemLoader(folder, followlinks=loader.followlinks).list_templates())
                continue
            names = _LISTINGS.get(folder)
            if names is None:
                names = jinja2.FileSystemLoader(folder, followlinks=loader.followlinks).list_templates()
                names = _LISTINGS[folder] = [n for n in names if not any(p.startswith(".") for p in n.split("/"))]
            found.update(names)
        return sorted(found)

    return list_templates


def _installed(folder: str) -> bool:
    parts = Path(folder).parts
    return "site-packages" in parts or "dist-packages" in parts


def keep_compiled(env: jinja2.Environment) -> jinja2.Environment:
    """The theme's environment with its compiled templates kept for the next build (in memory for this process,
    in Jinja's private per-user folder for the next one).

    A template edited in between is compiled again (the cache checks its source); an environment that already
    has a bytecode cache keeps its own.
    """
    if env.bytecode_cache is None:
        env.bytecode_cache = THEME_CODE
    return env


# --- the theme's page outputs ---------------------------------------------------------------------------------------

#: Each page's HTML as the theme wrote it in the last build of this `mkdocs serve`, with what it was made from.
THEME_PAGES = Memo()

#: What MkDocs puts in a page's template context. A plugin that adds more (say, a blog) makes the page render anew.
_CONTEXT_KEYS = frozenset({"nav", "pages", "base_url", "extra_css", "extra_javascript", "mkdocs_version",
                           "build_date_utc", "config", "page"})


def remember_pages(env: jinja2.Environment, config: Any, memo: Memo = THEME_PAGES) -> jinja2.Environment:
    """The theme's environment, with each page template rendering a page only when something it shows changed.

    MkDocs asks the environment for a page's template (``main.html``) and renders it with the page's context. Here
    that template renders through :class:`_Remembered`: a page whose content, headings, front matter, neighbours and
    address are as in the last build, under the same navigation, settings and theme files, gets the last build's
    HTML. A save of one task leaves most pages of the site as they were, and the theme's templates (the navigation
    on every page) were most of the time of the rebuild.
    """
    get_template = env.get_template
    state: dict[str, Any] = {}

    def remembering(name: Any, parent: str | None = None, globals: Any = None) -> Any:
        template = get_template(name, parent, globals)
        page = getattr(config, "_current_page", None)
        # Only MkDocs' own call for the page being built (the theme's includes name their parent template).
        if parent is not None or globals is not None or page is None or not isinstance(template, jinja2.Template):
            return template
        return _Remembered(template, memo, config, state)

    env.get_template = remembering  # type: ignore[method-assign]
    return env


class _Remembered:
    """A page template whose output for a page is taken from the memo when the page and its frame are unchanged."""

    def __init__(self, template: jinja2.Template, memo: Memo, config: Any, state: dict[str, Any]) -> None:
        self.template = template
        self.memo = memo
        self.config = config
        self.state = state  # this build's: whether the memo was started for it

    def render(self, *args: Any, **kwargs: Any) -> str:
        context = dict(*args, **kwargs)
        page = context.get("page")
        inputs = _page_inputs(context) if set(context) <= _CONTEXT_KEYS and page is not None else None
        if inputs is None:
            return self.template.render(context)
        if "started" not in self.state:
            self.state["started"] = True
            self.memo.start(_frame(self.config, context))
        return self.memo.recall((self.template.name, page.file.src_uri), inputs,
                                lambda: self.template.render(context))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.template, name)


def _page_inputs(context: dict[str, Any]) -> tuple[Any, ...] | None:
    """What of a page the theme shows: None for a page of a kind other than MkDocs' own (a blog post, say)."""
    from mkdocs.structure.pages import Page

    page = context["page"]
    if type(page) is not Page:
        return None
    meta = plain_meta(page.meta)
    if meta is None:
        return None
    return (page.url, page.file.src_uri, page.file.dest_uri, page.title, page.content, page.markdown,
            plain_toc(page.toc), meta, page.canonical_url, page.edit_url, page.is_homepage,
            _link(page.previous_page), _link(page.next_page), tuple(_link(a) for a in page.ancestors),
            context["base_url"], tuple(map(str, context["extra_css"])), tuple(map(str, context["extra_javascript"])),
            context["build_date_utc"], context["mkdocs_version"])


def _link(item: Any) -> tuple[str, str, str] | None:
    if item is None:
        return None
    return (type(item).__name__, str(getattr(item, "title", "")), str(getattr(item, "url", "") or ""))


def _nav_value(items: Any) -> tuple[Any, ...]:
    return tuple((*_link(item), _nav_value(getattr(item, "children", None) or ())) for item in items)  # type: ignore[misc]


def _frame(config: Any, context: dict[str, Any]) -> tuple[Any, ...]:
    """What every page of the build shows alike: the settings (every option and each plugin's), the navigation,
    the list of pages, and the state of the theme's folders outside installed packages (the project's overrides,
    the engine's templates when it is not installed)."""
    settings = tuple((key, repr(value)) for key, value in config.items() if key != "plugins")
    plugins = tuple((name, type(plugin).__qualname__, repr(dict(getattr(plugin, "config", {}) or {})))
                    for name, plugin in config.plugins.items())
    pages = tuple(f.src_uri for f in context["pages"])
    return (settings, plugins, _nav_value(context["nav"]), pages, _theme_files(config.theme.dirs))


def _theme_files(dirs: list[str]) -> tuple[tuple[str, int, int], ...]:
    """Every file of the theme folders that are not inside an installed package: path, size, modification time."""
    out: list[tuple[str, int, int]] = []
    for folder in dirs:
        if _installed(folder):
            continue
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


# --- exports on request -------------------------------------------------------------------------------------------


class LazyExports:
    """The downloads (tasks.xlsx, .csv, .json) of a `mkdocs serve` rebuild, written when first asked for.

    A rebuild on each save need not write 1 MB of spreadsheet nobody opens: once the server is known
    (:meth:`attach`, from ``on_serve``), each build offers its exports (:meth:`offer`) and the server writes one
    into the site folder when a browser first requests it, from the build that was last completed. Before the
    server is known (the first build), or with a server of another make, the build writes them as a plain build
    does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Callable[[], str | bytes]] = {}
        self._site = Path()
        self.attached = False

    def attach(self, server: Any) -> bool:
        """Have MkDocs' live-reload ``server`` write an offered export before it serves the request for it."""
        serve = getattr(server, "_serve_request", None)
        cond = getattr(server, "_epoch_cond", None)
        if not callable(serve) or cond is None or not isinstance(getattr(server, "mount_path", None), str):
            return False

        def built() -> bool:  # MkDocs' own test that no rebuild is under way
            return bool(server._visible_epoch == server._wanted_epoch)

        def serve_request(environ: dict[str, Any], start_response: Any) -> Any:
            path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "ignore")
            if path.startswith(server.mount_path):
                name = posixpath.normpath("/" + path[len(server.mount_path):]).lstrip("/")
                if name in self._pending:
                    with cond:
                        cond.wait_for(built)
                    self.write(name)
            return serve(environ, start_response)

        server._serve_request = serve_request
        self.attached = True
        return True

    def offer(self, site_dir: str, exports: dict[str, Callable[[], str | bytes]]) -> None:
        """This build's exports, by their path in ``site_dir``: none is written until asked for."""
        with self._lock:
            self._site = Path(site_dir)
            self._pending = dict(exports)
            for name in exports:  # one written from an earlier build while this one started
                (self._site / name).unlink(missing_ok=True)

    def write(self, name: str) -> None:
        """Write the offered export ``name`` into the site folder (once)."""
        with self._lock:
            make = self._pending.pop(name, None)
            if make is None:
                return
            path = self._site / name
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            made = make()
            partial.write_bytes(made.encode("utf-8") if isinstance(made, str) else made)
            os.replace(partial, path)


#: The exports of this `mkdocs serve`'s last rebuild, written on request.
EXPORTS = LazyExports()
