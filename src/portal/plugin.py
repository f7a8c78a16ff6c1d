"""The portal as a MkDocs plugin, for a project that installed the ``progress-portal`` package.

An office's ``mkdocs.yml`` lists it after Material's plugins and needs neither ``hooks:`` nor
``theme.custom_dir`` (the templates come with the package)::

    plugins:
      - search
      - privacy
      - progress-portal

It calls the same functions as ``hooks/portal_hooks.py`` (:mod:`portal.mkdocs_hooks`), so a project may use
either, but not both. ProperDocs finds the plugin by the same entry point.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from portal import mkdocs_hooks as hooks


class PortalPlugin(BasePlugin):  # type: ignore[type-arg]
    """The progress portal: the ledger's pages, exports and search words in a Material site."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        hooks.on_startup(command, dirty)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for name, other in config.plugins.items():
            if getattr(other, "on_config", None) is hooks.on_config:  # a hooks file re-exporting the same functions
                raise PluginError(f"portal: mkdocs.yml lists both the progress-portal plugin and the hooks {name}; "
                                  "keep one of them")
        return hooks.on_config(config)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        return hooks.on_files(files, config)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        return hooks.on_env(env, config, files)

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return hooks.on_page_content(html, page, config, files)

    @event_priority(-50)  # after Material's search wrote the index, before its offline plugin inlines it
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        hooks.on_post_build(config)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        return hooks.on_serve(server, config, builder)
