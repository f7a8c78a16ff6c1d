"""Run a MkDocs build in this process, into a given folder, optionally handing the portal its data directly.

A monthly snapshot has already surveyed its month when it builds: it passes a
:class:`Given` to :func:`build_site`, and the hooks (:mod:`portal.mkdocs_hooks`)
take it from :func:`given` instead of loading the ledger and reading history
again. Nothing travels through the environment.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from portal.history.timeline import History
from portal.month import MonthBuild
from portal.survey import Survey


class BuildFailed(Exception):
    """The build stopped; MkDocs has already logged why (one line per problem)."""


@dataclass(frozen=True, slots=True)
class Given:
    """What a snapshot build is handed: the month's survey, its history and the month itself."""

    survey: Survey
    history: History
    month: MonthBuild


_GIVEN: contextvars.ContextVar[Given | None] = contextvars.ContextVar("portal_given", default=None)


def given() -> Given | None:
    """The data handed to the build running in this context, if any."""
    return _GIVEN.get()


@contextlib.contextmanager
def giving(data: Given | None) -> Iterator[None]:
    token = _GIVEN.set(data)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def build_site(config_file: Path, site_dir: Path, *, strict: bool = True, verbose: bool = False,
               given: Given | None = None) -> None:
    """Build the portal of ``config_file`` into ``site_dir``; BuildFailed when MkDocs stops."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    setup_logging(verbose)
    with giving(given):
        try:
            config = load_config(str(config_file), site_dir=str(site_dir), strict=strict)
            build(config)
        except (Abort, ConfigurationError) as exc:
            raise BuildFailed(str(exc)) from None


def default_engine() -> str:
    """MkDocs where it is installed, else ProperDocs (an installation that kept only the maintained engine)."""
    return "mkdocs" if importlib.util.find_spec("mkdocs") is not None else "properdocs"


def build_site_with(engine: str, config_file: Path, site_dir: Path, *, strict: bool = True,
                    verbose: bool = False) -> None:
    """Build the portal of ``config_file`` into ``site_dir`` with ``engine``; BuildFailed when it stops.

    MkDocs builds in this process (:func:`build_site`). ProperDocs runs in a process of its own: once loaded it
    answers every later ``import mkdocs…``, which cannot be undone for modules this process already holds.
    """
    if engine == "mkdocs":
        build_site(config_file, site_dir, strict=strict, verbose=verbose)
        return
    args = [sys.executable, "-m", engine, "build", "-f", str(config_file), "-d", str(site_dir)]
    args += ["--strict"] * strict + ["--verbose"] * verbose
    if subprocess.run(args, cwd=config_file.parent, check=False).returncode != 0:
        raise BuildFailed("")  # the engine has said why on stderr


def setup_logging(verbose: bool = False) -> None:
    """MkDocs' own CLI sets up its logging; when we call build() directly we do it the same way."""
    from mkdocs.__main__ import ColorFormatter  # type: ignore[attr-defined]

    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "_portal", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(ColorFormatter())
        handler._portal = True  # type: ignore[attr-defined]
        logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
