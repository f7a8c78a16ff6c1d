"""Ledger text and icons as safe HTML: Markdown without raw HTML, sanitised; icons painted by one stylesheet."""

from __future__ import annotations

import functools
import posixpath
import re
from pathlib import Path
from urllib.parse import quote

import markdown
import nh3
from markupsafe import Markup, escape

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
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "a", "blockquote", "del", "sup", "sub",
    "hr", "table", "thead", "tbody", "tr", "th", "td", "h4", "h5", "h6", "span",
}
MARKDOWN_HINT = re.compile(r"[*_`\[\]<>#|~\\]|^\s*(?:[-+]|\d+\.)\s|\n\s*\n", re.MULTILINE)
#: Python-Markdown looks for the end of every '[' afresh, so its time grows with the number of '[' times the
#: length of the text: 20,000 '[' took a minute, per text, in every build. Above this product (about 50 ms)
#: the text is shown as plain text; real texts with a few links are far below it.
MARKDOWN_BRACKET_BUDGET = 200_000



class MarkdownText:
    """Renders ledger Markdown for one build, each distinct text once."""

    def __init__(self) -> None:
        self._md = _markdown()

    @functools.cache  # noqa: B019 - one renderer per build; texts repeat across pages
    def __call__(self, text: str) -> Markup:
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

