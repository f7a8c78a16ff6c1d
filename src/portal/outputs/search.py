"""Chinese search that finds what Ctrl+F in a spreadsheet finds.

Material's search segments Chinese with jieba and the browser matches whole
tokens or their prefixes, so 器械 inside 医疗器械 is not found. At build time we
(1) teach jieba the ledger's own words (departments, leaders, plan terms), and
(2) add to each task card's index entry every dictionary word that occurs inside
its text but is not already one of its tokens, in a hidden element: searchable,
never shown in the result.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import jieba

from portal.ledger import model

ZWSP = "\u200b"
TAG_RE = re.compile(r"<[^>]+>")
TOKEN_SPLIT_RE = re.compile(r"[\s\u200b\u3000\-、。，．？！；]+")  # the zh search separator in mkdocs.yml
HAN_RE = re.compile(r"[\u3400-\u9fff]{2,}")
USER_WORD_FREQ = 20000  # high enough that jieba keeps these words whole
HIDDEN_OPEN = '<span class="pp-search-terms" hidden>'


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


#: What jieba's dictionary held before the portal taught it words: word -> frequency (None: absent), and the total.
#: `mkdocs serve` builds again in the same process; each build starts from jieba's own dictionary.
_UNTAUGHT: dict[str, int | None] = {}
_UNTAUGHT_TOTAL: list[int] = []


def teach_jieba(terms: Iterable[str]) -> None:
    """Add the ledger's words to jieba's dictionary for this build (Material segments with the same jieba).

    The words an earlier build in this process taught are taken back first: jieba adds every word's frequency
    to its total again, so teaching the same words twice would cut text differently from a fresh process.
    """
    # jieba announces loading its dictionary in English on every build ("Building prefix dict …"): not a line
    # for an office's terminal. Its own problems still show.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.dt
    tokenizer.check_initialized()
    for word, freq in _UNTAUGHT.items():
        if freq is None:
            tokenizer.FREQ.pop(word, None)
        else:
            tokenizer.FREQ[word] = freq
    if _UNTAUGHT_TOTAL:
        tokenizer.total = _UNTAUGHT_TOTAL[0]
    _UNTAUGHT.clear()
    _UNTAUGHT_TOTAL[:] = [tokenizer.total]
    for term in terms:
        for end in range(1, len(term) + 1):  # add_word adds the word's prefixes too
            _UNTAUGHT.setdefault(term[:end], tokenizer.FREQ.get(term[:end]))
        jieba.add_word(term, freq=USER_WORD_FREQ)


def user_dictionary(terms: Iterable[str]) -> str:
    """The terms in jieba's user-dictionary format, one per line (published for transparency)."""
    return "".join(f"{t} {USER_WORD_FREQ} n\n" for t in terms)


def inner_words(text: str) -> list[str]:
    """Every dictionary word of two or more characters occurring inside ``text``, in order of first occurrence."""
    seen: dict[str, None] = {}
    for run in HAN_RE.findall(text):
        dag = jieba.get_DAG(run)
        for start, ends in dag.items():
            for end in ends:
                if end > start:
                    seen.setdefault(run[start:end + 1], None)
    return list(seen)


def plain(html_text: str) -> str:
    """The text of an index entry without markup and without jieba's zero-width separators."""
    return html.unescape(TAG_RE.sub(" ", html_text)).replace(ZWSP, "")


def augment(index: dict, task_ids: set[str]) -> tuple[dict, int]:
    """The index with hidden sub-words on every task card's entry, and how many words were added."""
    added = 0
    for doc in index.get("docs", []):
        title, text = doc.get("title", ""), doc.get("text", "")
        if doc.get("location", "").rpartition("#")[2] not in task_ids or HIDDEN_OPEN in text:
            continue
        tokens = set(TOKEN_SPLIT_RE.split(TAG_RE.sub(ZWSP, f"{title}{ZWSP}{text}")))  # as Material indexed them
        words = [w for w in inner_words(f"{plain(title)}。{plain(text)}") if w not in tokens]
        if words:
            doc["text"] = text + HIDDEN_OPEN + ZWSP.join(words) + "</span>"
            added += len(words)
    return index, added


def augment_file(site_dir: Path, task_ids: set[str]) -> int:
    """Rewrite the built site's search index in place; the number of words added (0 without an index)."""
    path = site_dir / "search" / "search_index.json"
    if not path.exists():
        return 0
    index = json.loads(path.read_text(encoding="utf-8"))
    index, added = augment(index, task_ids)
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return added
