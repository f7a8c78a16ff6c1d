"""The MkDocs hooks of this portal: the engine's integration, installed with the portal package."""

from portal.mkdocs_hooks import on_config, on_env, on_files, on_page_content, on_post_build, on_serve, on_startup

__all__ = ["on_config", "on_env", "on_files", "on_page_content", "on_post_build", "on_serve", "on_startup"]
