"""`mkdocs serve` from save to page: a save seen sooner, compiled theme templates kept between rebuilds.

MkDocs' live-reload server watches with a polling observer that looks every 0.5 s, then waits 0.1 s for
the writing to settle and rebuilds. The portal's watched files are few (the ledgers, the registry, the
overrides and the content folder), so looking every 0.1 s costs little and takes ~0.2 s off every save
on average. Polling stays: it sees saves on every file system (native watchers miss some, which is why
MkDocs polls). Every rebuild still builds the whole site, so no page is ever stale.
"""

from __future__ import annotations

import logging
from typing import Any

import jinja2
from watchdog.observers.polling import PollingObserver

from portal.outputs.site import MemoryBytecodeCache

log = logging.getLogger("mkdocs.hooks.portal")

#: Seconds between two looks at the watched files while serving (MkDocs' own default is 0.5).
SAVE_POLL = 0.1

#: The theme's compiled templates (main.html, Material's base.html and partials), kept across the rebuilds of
#: one `mkdocs serve`; each rebuild makes a new theme environment, which would otherwise compile them again.
THEME_CODE = MemoryBytecodeCache("theme")


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


def keep_compiled(env: jinja2.Environment) -> jinja2.Environment:
    """The theme's environment with its compiled templates kept for the next build (in memory for this process,
    in Jinja's private per-user folder for the next one).

    A template edited in between is compiled again (the cache checks its source); an environment that already
    has a bytecode cache keeps its own.
    """
    if env.bytecode_cache is None:
        env.bytecode_cache = THEME_CODE
    return env
