"""Chinese search that finds what Ctrl+F in a spreadsheet finds, indexed by the portal itself.

Material's search segments Chinese with jieba and the browser matches whole
tokens or their prefixes, so 器械 inside 医疗器械 is not found. At build time we
(1) teach jieba the ledger's own words (departments, leaders, plan terms), and
(2) add to each task card's index entry every dictionary word that occurs inside
its text but is not already one of its tokens, in a hidden element: searchable,
never shown in the result.

The portal writes the entries of its pages of task cards itself (:func:`page_entries`): it knows where each
card begins and ends, so it takes the card's text with a few regular expressions instead of Material's HTML
parser, leaves out the card's change record (变更记录), and adds the sub-words as it goes. The rest of such
a page (its introduction, summary and sub-section headings) is small and still goes through Material's own
parser, so those entries are Material's exactly. Segmentation is :mod:`portal.outputs.segment`'s.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from portal.ledger import model
from portal.outputs.segment import USER_WORD_FREQ, ZWSP, Segmenter, teach_jieba

__all__ = ["HIDDEN_OPEN", "ledger_terms", "page_entries", "teach_jieba", "user_dictionary"]

TAG_RE = re.compile(r"<[^>]+>")
TOKEN_SPLIT_RE = re.compile(r"[\s\u200b\u3000\-、。，．？！；]+")  # the zh search separator in mkdocs.yml
HAN_RE = re.compile(r"[\u3400-\u9fff]{2,}")
HIDDEN_OPEN = '<span class="pp-search-terms" hidden>'

#: A task card as _card.html writes it: from its opening tag to the first ``</article>`` after it (cards do not
#: nest and ledger Markdown cannot write <article>).
CARD_OPEN, CARD_CLOSE = '<article class="pp-card', "</article>"
CARD_HEADING_RE = re.compile(r'<(h[1-6]) id="([^"]+)"[^>]*>(.*?)</\1>', re.S)
HISTORY_OPEN = '<details class="pp-history">'  # the change record: not indexed word by word
HEADERLINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
#: Tags Material's parser keeps (bare) in an entry's text; every other tag is dropped, its text kept.
KEPT_TAG_RE = re.compile(r"<(/?)(p|code|pre|li|ol|ul|sub|sup)(?:\s[^>]*)?>")
EMPTY_KEPT_RE = re.compile(r"\x00(p|code|pre|li|ol|ul|sub|sup)\x01\s*\x00/\1\x01")
SPACE_RE = re.compile(r"\s+")
#: What Material's parser treats apart (skipped blocks, sections of their own): such a card goes through it.
UNUSUAL_RE = re.compile(r"data-search-exclude|<h[1-6][^>]*\sid=|<(?:script|style|object)[\s>]|linenodiv")


def ledger_terms(ledger: model.Ledger) -> list[str]:
    """Words of the ledger that a general dictionary does not know: departments, leaders, tags, titles' terms."""
    terms: set[str] = set()
    for dept in ledger.registry.departments:
        terms.update([dept.name, *dept.aliases])
    for task in ledger.tasks():
        terms.update(task.lead)
        terms.update(task.units)
        terms.update(task.tags)
        if task.leader and "×" not in task.leader:
            terms.add(task.leader)
    for plan in ledger.plans:
        for section in plan.walk_sections():
            terms.update(section.lead)
            terms.update(section.units)
    return sorted(t for t in terms if len(t) >= 2 and HAN_RE.search(t))


def user_dictionary(terms: Iterable[str]) -> str:
    """The terms in jieba's user-dictionary format, one per line (published for transparency)."""
    return "".join(f"{t} {USER_WORD_FREQ} n\n" for t in terms)


def plain(html_text: str) -> str:
    """The text of an index entry without markup and without jieba's zero-width separators."""
    return html.unescape(TAG_RE.sub(" ", html_text)).replace(ZWSP, "")


def with_hidden_words(title: str, text: str, segmenter: Segmenter) -> str:
    """A card's segmented text with the dictionary words inside it that are not yet its tokens, hidden."""
    tokens = set(TOKEN_SPLIT_RE.split(TAG_RE.sub(ZWSP, f"{title}{ZWSP}{text}")))  # as the browser indexes them
    seen: dict[str, None] = {}
    for run in HAN_RE.findall(f"{plain(title)}。{plain(text)}"):
        inner = segmenter.inner(run)
        if inner:
            seen.update(dict.fromkeys(inner.split(ZWSP)))
    words = [w for w in seen if w not in tokens]
    return text + HIDDEN_OPEN + ZWSP.join(words) + "</span>" if words else text


def indexed_text(fragment: str) -> str:
    """HTML as Material's parser puts it in an entry: kept tags bare, other tags dropped, text escaped, and
    whitespace runs as one space (the separator splits on any whitespace, so the tokens are the same)."""
    marked = KEPT_TAG_RE.sub("\x00\\1\\2\x01", fragment)
    marked = html.escape(html.unescape(TAG_RE.sub("", marked)), quote=False)
    marked = EMPTY_KEPT_RE.sub("", marked)
    return SPACE_RE.sub(" ", marked).strip().replace("\x00", "<").replace("\x01", ">")


@dataclass(frozen=True, slots=True)
class Card:
    """One task card of a page: where it is, its anchor, and its title and text as an index has them."""

    start: int
    end: int
    anchor: str
    title: str
    text: str


def read_card(card_html: str, start: int) -> Card | None:
    """A card's heading and text (its change record left out); None for one Material must parse itself."""
    heading = CARD_HEADING_RE.search(card_html)
    if heading is None:
        return None
    body = card_html[heading.end():]
    history = body.find(HISTORY_OPEN)
    body = body[:history] if history >= 0 else body.removesuffix("</article>")
    if UNUSUAL_RE.search(body) or UNUSUAL_RE.search(heading.group(3)):
        return None
    title = indexed_text(HEADERLINK_RE.sub("", heading.group(3)))
    return Card(start, start + len(card_html), heading.group(2), title, indexed_text(body))


def card_spans(page_html: str) -> Iterator[tuple[int, int]]:
    """Where each card of a page starts and ends. Found by plain search: a pattern that looks for the end at every
    character took 3 ms a page of 100 cards, most of it in their change records."""
    at = page_html.find(CARD_OPEN)
    while at >= 0:
        if page_html[at + len(CARD_OPEN):at + len(CARD_OPEN) + 1] not in (" ", '"'):
            at = page_html.find(CARD_OPEN, at + 1)
            continue
        close = page_html.find(CARD_CLOSE, at)
        if close < 0:
            return
        end = close + len(CARD_CLOSE)
        yield at, end
        at = page_html.find(CARD_OPEN, end)


def page_entries(page_html: str, url: str, *, segmenter: Segmenter, rest: Callable[[str], list[dict[str, Any]]],
                 meta: Mapping[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """The search entries of a page of task cards, in page order, as Material would write them (plus the
    cards' hidden sub-words); None for a page without cards, or one that Material should parse itself.

    ``rest`` indexes the page's HTML outside its cards with Material's parser (the page's own entry, headings
    of sub-sections, hand-written text); its entries carry the anchors they had in the whole page.
    """
    cards: list[Card] = []
    for start, end in card_spans(page_html):
        card = read_card(page_html[start:end], start)
        if card is None:
            return None
        cards.append(card)
    if not cards:
        return None
    outside = "".join(page_html[a:b] for a, b in zip([0] + [c.end for c in cards],
                                                     [c.start for c in cards] + [len(page_html)], strict=True))
    placed: list[tuple[int, int, dict[str, Any]]] = []
    where = -1
    for order, entry in enumerate(rest(outside)):
        anchor = entry["location"].partition("#")[2]
        if anchor:  # Material's entries come in page order: each heading is after the one before
            where = page_html.find(f'id="{anchor}"', where + 1)
            if where < 0:
                return None
        placed.append((where, order, entry))
    extra = _page_fields(meta or {})
    for card in cards:
        title = segmenter.segment(card.title)
        text = with_hidden_words(title, segmenter.segment(card.text), segmenter)
        placed.append((card.start, 0, {"location": f"{url}#{card.anchor}", "title": title, "text": text, **extra}))
    return [entry for _, _, entry in sorted(placed, key=lambda p: (p[0], p[1]))]


def _page_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The fields Material adds to every entry of a page from its front matter: tags and boost."""
    extra: dict[str, Any] = {}
    tags = meta.get("tags")
    if isinstance(tags, list):
        extra["tags"] = [str(n) for n in tags if n and isinstance(n, (str, int, float, bool))]
    search = meta.get("search") or {}
    if "boost" in search:
        extra["boost"] = search["boost"]
    return extra
