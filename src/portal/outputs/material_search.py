"""The portal's search entries handed to Material's search plugin, which writes the one index file.

Material's ``SearchIndex`` keeps its entries in a list and writes them after the build; the portal appends
the entries of its pages of task cards there itself (made while the page is rendered, handed over when
Material comes to index the page, so in page order) and marks those pages excluded, so that Material does
not parse them. It also gives the index the portal's
cached segmenter, which cuts exactly as ``jieba.cut`` does, so that hand-written pages do not load jieba's
dictionary when every run of theirs is in the cache. Nothing happens without the search plugin, or with it
disabled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from portal.memo import Memo, plain_meta, plain_toc
from portal.outputs.segment import Segmenter

PLUGIN_NAMES = ("search", "material/search")
MARKS_RE = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")  # what Material's search takes out of every page


def material_index(plugins: Mapping[str, Any]) -> Any | None:
    """The search plugin's ``SearchIndex`` when it is Material's (or works like it) and enabled; else None."""
    for name in PLUGIN_NAMES:
        plugin = plugins.get(name)
        if plugin is None:
            continue
        config = getattr(plugin, "config", None)
        if not getattr(config, "enabled", True):
            return None
        index = getattr(plugin, "search_index", None)
        methods = ("add_entry_from_context", "_segment_chinese", "generate_search_index")
        usable = isinstance(getattr(index, "entries", None), list) and isinstance(getattr(index, "config", None),
                                                                                  dict) \
            and all(callable(getattr(index, name, None)) for name in methods)
        return index if usable else None
    return None


def has_search(plugins: Mapping[str, Any]) -> bool:
    """Whether a search plugin is configured at all (Material's or another)."""
    return any(name in plugins for name in PLUGIN_NAMES)


def own_dictionary(plugins: Mapping[str, Any]) -> bool:
    """Whether Material's search loads a jieba dictionary of the project's own (then nothing is cached on disk)."""
    for name in PLUGIN_NAMES:
        config = getattr(plugins.get(name), "config", None)
        if config is not None and (getattr(config, "jieba_dict", None) or getattr(config, "jieba_dict_user", None)):
            return True
    return False


def share_segmenter(index: Any, segmenter: Segmenter) -> None:
    """Material's index segments hand-written pages with the portal's cached segmenter (the same words)."""
    index._segment_chinese = segmenter.segment


def hand_over(index: Any, entries: dict[str, list[dict[str, Any]]], memo: Memo | None = None,
              terms: Sequence[str] = ()) -> None:
    """When Material indexes a page whose entries the portal made (``entries``, by source path), it takes them.

    Material's search indexes each page in its ``on_page_context``, in page order; a hook of the portal's own
    for that event would be missed by a project whose ``hooks/portal_hooks.py`` predates it. With a ``memo``
    (`mkdocs serve`), the entries Material makes of any other page are kept, and taken again for a page whose
    HTML, address, title, headings and front matter are unchanged (``terms``: the words the segmenter was taught).
    """
    material = index.add_entry_from_context

    def indexed(page: Any) -> list[dict[str, Any]]:
        before = len(index.entries)
        material(page)
        made = index.entries[before:]
        del index.entries[before:]
        return made

    def add_entry_from_context(page: Any) -> None:
        made = entries.pop(page.file.src_uri, None)
        meta = plain_meta(page.meta) if made is None and memo is not None else None
        if meta is not None:
            assert memo is not None
            inputs = (page.content, page.url, page.title, plain_toc(page.toc), meta, tuple(terms), index.config)
            made = [dict(e) for e in memo.recall(("material-search", page.file.src_uri), inputs,
                                                 lambda: indexed(page))]
        if made is None:
            material(page)
        else:
            index.entries.extend(made)

    index.add_entry_from_context = add_entry_from_context


def utf8_index(index: Any) -> None:
    """Material writes the index file as UTF-8 text rather than ASCII escapes (half the size for Chinese), as
    the portal's index was before it wrote its entries itself: Material's ``generate_search_index`` (9.x), with
    ``ensure_ascii`` off. A test compares the two on a dirty reload."""

    def generate_search_index(prev: Any) -> str:
        # Material's merge under `mkdocs serve --dirty`: the rebuilt page's entries replace its previous ones.
        if prev and index.entries:
            path = index.entries[0]["location"]
            index.entries = [e for e in prev.entries if not e["location"].startswith(path)] + index.entries
        if prev and not index.entries:
            index.entries = prev.entries
        config = {key: index.config[key] for key in ("lang", "separator", "pipeline", "fields")}
        return json.dumps({"config": config, "docs": index.entries}, ensure_ascii=False, separators=(",", ":"),
                          default=str)

    index.generate_search_index = generate_search_index


def rest_indexer(index: Any, page: Any) -> Callable[[str], list[dict[str, Any]]]:
    """Material's own entries for the part of a page outside its cards (a scratch index, same settings)."""

    def rest(html: str) -> list[dict[str, Any]]:
        scratch = type(index)(**index.config)  # Material's own methods, the portal's segmenter
        scratch._segment_chinese = index._segment_chinese
        meta = dict(page.meta)
        meta["search"] = {k: v for k, v in (meta.get("search") or {}).items() if k != "exclude"}
        scratch.add_entry_from_context(SimpleNamespace(content=html, toc=page.toc, url=page.url, meta=meta,
                                                       title=page.title))
        return list(scratch.entries)

    return rest


def scan_marked_pages_only(plugins: Any, memo: Memo | None = None) -> bool:
    """Material's search strips ``data-search-*`` attributes from a page only when the page has one.

    Material's ``on_page_context`` indexes the page, then removes those attributes with a regular expression that
    tries every character of the page (5 ms for a page of 100 cards, 0.8 s for 10,000 tasks): on a page without
    the text ``data-search-`` it can match nothing, so the page is left as it is without the scan. With a ``memo``
    (`mkdocs serve`), a page whose HTML is the last build's gets the last build's result. The event's entry in
    MkDocs' list is replaced by one that does the same; anything unexpected leaves it as it was. True when
    replaced.
    """
    plugin = next((plugins.get(name) for name in PLUGIN_NAMES if plugins.get(name) is not None), None)
    events = getattr(plugins, "events", {}).get("page_context")
    material = type(plugin).__dict__.get("on_page_context") if plugin is not None else None
    if not isinstance(events, list) or material is None or material_index(plugins) is None:
        return False
    for i, method in enumerate(events):
        if getattr(method, "__self__", None) is plugin and getattr(method, "__func__", None) is material:
            events[i] = _marked_only(plugin, method, memo)
            origins = getattr(plugins, "_event_origins", None)
            if isinstance(origins, dict):
                origins[events[i]] = origins.get(method, "search")
            return True
    return False


def _marked_only(plugin: Any, material: Callable[..., Any], memo: Memo | None) -> Callable[..., Any]:
    def on_page_context(context: Any, *, page: Any, config: Any, nav: Any) -> Any:
        content = page.content or ""
        if "data-search-" not in content:
            plugin.search_index.add_entry_from_context(page)  # what Material does first, the one thing left to do
            return None
        if memo is None:
            return material(context, page=page, config=config, nav=nav)
        plugin.search_index.add_entry_from_context(page)
        page.content = memo.recall(("unmarked", page.file.src_uri), content, lambda: MARKS_RE.sub("", content))
        return None

    on_page_context.mkdocs_priority = getattr(material, "mkdocs_priority", 0)  # type: ignore[attr-defined]
    return on_page_context
