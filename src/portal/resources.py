"""What the portal package carries besides code: its version and its Material overrides and page templates.

In this repository the overrides are ``overrides/`` (the sample's ``theme.custom_dir``); a wheel carries the same
folder as ``portal/overrides/`` (pyproject.toml maps it). A build puts that folder among the theme's folders
(:func:`portal.mkdocs_hooks.on_config`), so an office's ``mkdocs.yml`` needs no ``custom_dir`` of its own.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from portal import __version__

DISTRIBUTION = "progress-portal"
_PACKAGE = Path(__file__).resolve().parent


def overrides_dir() -> Path:
    """The engine's overrides folder: ``main.html``, ``partials/``, ``assets/`` and the page templates ``portal/``."""
    for candidate in (_PACKAGE / "overrides", _PACKAGE.parents[1] / "overrides"):  # installed, then a checkout
        if (candidate / "portal" / "dashboard.html").is_file():
            return candidate
    raise FileNotFoundError(f"the portal's templates are missing: neither {_PACKAGE / 'overrides'} "
                            f"nor {_PACKAGE.parents[1] / 'overrides'} holds portal/dashboard.html")


def versions() -> list[tuple[str, str]]:
    """The portal's version and those of the engines it runs on, as installed (for ``portal --version``)."""
    found = [("portal", __version__)]
    for name in ("mkdocs", "properdocs", "mkdocs-material"):
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return found
