"""Run a MkDocs build in this process, into a given folder, with the portal's environment."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path


class BuildFailed(Exception):
    """The build stopped; MkDocs has already logged why (one line per problem)."""


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a build, then put them back."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_site(config_file: Path, site_dir: Path, *, strict: bool = True, env: Mapping[str, str] | None = None,
               verbose: bool = False) -> None:
    """Build the portal of ``config_file`` into ``site_dir``; BuildFailed when MkDocs stops."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    setup_logging(verbose)
    with environment(env or {}):
        try:
            config = load_config(str(config_file), site_dir=str(site_dir), strict=strict)
            build(config)
        except (Abort, ConfigurationError) as exc:
            raise BuildFailed(str(exc)) from None


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
