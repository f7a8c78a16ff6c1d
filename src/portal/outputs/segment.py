"""Chinese word segmentation for the search index: jieba's words, computed once per run of Han characters.

Material's search segments each run of Han characters with ``jieba.cut`` (HMM on) and joins the words with
zero-width spaces; the portal also lists every dictionary word inside a run (its hidden sub-words). Both come
from the same directed graph of dictionary words (``jieba.dt.get_DAG``), so :class:`Segmenter` builds it once
per run, cuts the way ``jieba.Tokenizer.__cut_DAG`` does (best route, then finalseg's HMM for runs of unknown
single characters) and remembers both answers for the rest of the build.

The answers are kept on disk (``.cache/portal/search.sqlite``, one value per dictionary) so that a rebuild
segments only the runs it has not seen. The value is keyed by jieba's version, its main dictionary and the
ledger terms taught to it: any change of those starts afresh. Until a run is not found there, jieba's
dictionary is not even loaded; it is loaded, and taught the ledger's terms, on the first miss.

The cache on disk is the history's kind (:class:`portal.history.cache.Cache`): one build at a time, set aside
when damaged or foreign, not used when it cannot be written. It is only read at the start and written at the
end, so it is held for moments.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jieba
import jieba.finalseg
from backrefs import bre

from portal.history.cache import Cache
from portal.i18n import message

ZWSP = "\u200b"
USER_WORD_FREQ = 20000  # high enough that jieba keeps these words whole
HAN_SCRIPT_RE = bre.compile(r"(\p{script: Han}+)", bre.UNICODE)  # Material's SearchIndex._segment_chinese
JIEBA_HAN_RE = re.compile(r"[\u4e00-\u9fd5]+")  # a run jieba.cut hands whole to its DAG cutter (re_han_default)
CACHE_FILE = "search.sqlite"
FORMAT = 1  # of the value on disk: {"cut": {run: words joined by ZWSP}, "inner": {run: words joined by ZWSP}}

log = logging.getLogger("mkdocs.hooks.portal")

#: What jieba's dictionary held before the portal taught it words: word -> frequency (None: absent), and the
#: total. `mkdocs serve` builds again in the same process; each teaching starts from jieba's own dictionary.
_UNTAUGHT: dict[str, int | None] = {}
_UNTAUGHT_TOTAL: list[int] = []


class SearchCache(Cache):
    """The history's cache on disk, saying *search cache* in its messages."""

    def _text(self, code: str, **params: str) -> str:
        return message(self.lang, f"search_{code}", {"path": self.path, **params})


def teach_jieba(terms: Iterable[str]) -> None:
    """Add the ledger's words to jieba's dictionary (this loads the dictionary, about half a second).

    The words an earlier build in this process taught are taken back first: jieba adds every word's frequency to
    its total again, so teaching the same words twice would cut text differently from a fresh process.
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


def dictionary_key(terms: Sequence[str]) -> str:
    """What the words depend on: jieba's version and dictionary, and the terms taught to it."""
    digest = hashlib.sha256()
    for part in (f"format {FORMAT}", f"jieba {jieba.__version__}", f"dict {jieba.dt.dictionary}",
                 f"freq {USER_WORD_FREQ}", *sorted(terms)):
        digest.update(part.encode("utf-8") + b"\n")
    return f"segments:{digest.hexdigest()}"


class Segmenter:
    """jieba's words for runs of Han characters, each run segmented once; optionally kept on disk."""

    def __init__(self, terms: Sequence[str], cache_dir: Path | None = None, *, lang: str = "zh") -> None:
        self.terms = list(terms)
        self.key = dictionary_key(self.terms)
        self.lang = lang
        # Every miss is cut after teach_jieba, which first takes back what an earlier build of this process taught:
        # the cuts are a fresh process's, so the cache on disk serves serve's rebuilds too.
        self.cache_dir = cache_dir
        self.ready = False  # jieba taught this build's terms
        self.misses = 0
        self._stored_cut: dict[str, str] = {}
        self._stored_inner: dict[str, str] = {}
        self._cut: dict[str, str] = {}
        self._inner: dict[str, str] = {}
        if self.cache_dir is not None:
            self._read()

    # --- what Material and the index ask -------------------------------------------------------------------------

    def segment(self, data: str) -> str:
        """``data`` with every Han run cut into words, as Material's ``SearchIndex._segment_chinese`` returns it."""
        return HAN_SCRIPT_RE.sub(self._replace, data).strip(ZWSP)

    def _replace(self, match: Any) -> str:
        return ZWSP + self.cut(match.group(0)) + ZWSP

    def cut(self, run: str) -> str:
        """jieba.cut(run) with HMM, the words joined by zero-width spaces."""
        return self._answer(run, 0, self._cut, self._stored_cut)

    def inner(self, run: str) -> str:
        """Every dictionary word of two or more characters inside ``run``, in order, joined by zero-width spaces."""
        return self._answer(run, 1, self._inner, self._stored_inner)

    def _answer(self, run: str, which: int, asked: dict[str, str], stored: dict[str, str]) -> str:
        """One of a run's two answers: asked before in this build, else on disk, else computed (both at once)."""
        words = asked.get(run)
        if words is None:
            words = stored.get(run)
            if words is None:
                words = self._compute(run)[which]
            asked[run] = words
        return words

    # --- jieba --------------------------------------------------------------------------------------------------

    def _compute(self, run: str) -> tuple[str, str]:
        """Both answers for a run from one graph."""
        self.misses += 1
        if not self.ready:
            teach_jieba(self.terms)
            self.ready = True
        tokenizer = jieba.dt
        dag = tokenizer.get_DAG(run)
        inner = ZWSP.join(dict.fromkeys(run[start:end + 1] for start, ends in dag.items()
                                        for end in ends if end > start))
        # Characters jieba does not hand to its graph whole (extension A, 〇 …): its own cut, as Material calls it.
        words = _cut_dag(tokenizer, run, dag) if JIEBA_HAN_RE.fullmatch(run) else list(jieba.cut(run))
        cut = ZWSP.join(words)
        # The other answer is kept aside for this build, and kept on disk only if it is asked for too.
        self._stored_cut.setdefault(run, cut)
        self._stored_inner.setdefault(run, inner)
        return cut, inner

    # --- the cache on disk --------------------------------------------------------------------------------------

    def _read(self) -> None:
        assert self.cache_dir is not None
        cache = SearchCache(self.cache_dir / CACHE_FILE, lang=self.lang)
        try:
            value = cache.get(self.key)
        finally:
            cache.close()
        if isinstance(value, dict) and isinstance(value.get("cut"), dict) and isinstance(value.get("inner"), dict):
            self._stored_cut, self._stored_inner = value["cut"], value["inner"]

    def save(self) -> None:
        """Keep this build's runs on disk, when some were new or some stored ones were not used."""
        if self.cache_dir is None:
            return
        if not self.misses and len(self._cut) == len(self._stored_cut) and \
                len(self._inner) == len(self._stored_inner):
            return  # every run was on disk and every run on disk was used
        cache = SearchCache(self.cache_dir / CACHE_FILE, lang=self.lang)
        try:
            cache.put(self.key, {"cut": self._cut, "inner": self._inner})
        finally:
            cache.close()


def _cut_dag(tokenizer: Any, sentence: str, dag: dict[int, list[int]]) -> list[str]:
    """jieba.Tokenizer.__cut_DAG on a graph already built: the best route, unknown runs through finalseg."""
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(sentence, dag, route)
    freq = tokenizer.FREQ
    words: list[str] = []
    buf = ""
    x, n = 0, len(sentence)

    def flush(buf: str) -> None:
        if len(buf) == 1:
            words.append(buf)
        elif not freq.get(buf):
            words.extend(jieba.finalseg.cut(buf))
        else:
            words.extend(buf)

    while x < n:
        y = route[x][1] + 1
        if y - x == 1:
            buf += sentence[x:y]
        else:
            if buf:
                flush(buf)
                buf = ""
            words.append(sentence[x:y])
        x = y
    if buf:
        flush(buf)
    return words
