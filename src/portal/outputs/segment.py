"""Chinese word segmentation for the search index: jieba's words, computed once per run of Han characters.

Material's search segments each run of Han characters with ``jieba.cut`` (HMM on) and joins the words with
zero-width spaces; the portal also lists every dictionary word inside a run (its hidden sub-words). Both come
from the same directed graph of dictionary words (``jieba.dt.get_DAG``), so :class:`Segmenter` builds it once
per run, cuts the way ``jieba.Tokenizer.__cut_DAG`` does (best route, then finalseg's HMM for runs of unknown
single characters) and remembers both answers for the rest of the build.

The answers are kept on disk (``.cache/portal/search.sqlite``, one value per dictionary) so that a rebuild
segments only the runs it has not seen. The value is keyed by jieba's version, its main dictionary and the
ledger terms taught to it: any change of those starts afresh. Until a run is not found there, jieba's
dictionary is not even loaded. The few runs a save adds are cut with the dictionary's words looked up one by
one in a copy on disk (``.cache/portal/jieba-dictionary.sqlite``, :class:`DiskFrequencies`): loading the whole
dictionary costs 0.6 s and 60 MiB, a build that edited one task needs a few hundred of its half a million
words. Past a budget of lookups (a new ledger, an empty cache) the whole dictionary is loaded after all. Each
segmenter has a jieba tokenizer of its own, taught the ledger's terms: jieba's shared one is left as it is.

The cache on disk is the history's kind (:class:`portal.history.cache.Cache`): one build at a time, set aside
when damaged or foreign, not used when it cannot be written. It is only read at the start and written at the
end, so it is held for moments.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
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
DICTIONARY_FILE = "jieba-dictionary.sqlite"
#: Words looked up on disk before the whole dictionary is loaded instead: about 0.35 s of lookups, against 0.6 s.
LOOKUP_BUDGET = 50_000
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


class _OverBudget(Exception):
    """More words were looked up on disk than loading the whole dictionary would cost."""


class DiskFrequencies:
    """jieba's word frequencies (its ``FREQ``), read from a copy on disk a word at a time, each word once.

    A tokenizer given this in place of its dictionary cuts as with the whole dictionary loaded: jieba only asks
    whether a word is known (``in``), its frequency (``[]``, ``get``), and adds the words it is taught
    (kept here, in memory). Raises :class:`_OverBudget` past ``budget`` lookups.
    """

    def __init__(self, db: sqlite3.Connection, budget: int | None = None) -> None:
        self._db = db
        self._known: dict[str, int | None] = {}
        self.lookups = 0
        self.budget = LOOKUP_BUDGET if budget is None else budget

    def _look(self, word: str) -> int | None:
        if word in self._known:
            return self._known[word]
        self.lookups += 1
        if self.lookups > self.budget:
            raise _OverBudget
        row = self._db.execute("SELECT n FROM freq WHERE word = ?", (word,)).fetchone()
        n = row[0] if row is not None else None
        if n is not None and type(n) is not int:
            raise sqlite3.DatabaseError(f"not a frequency: {word!r}")
        self._known[word] = n
        return n

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._look(word) is not None

    def __getitem__(self, word: str) -> int:
        n = self._look(word)
        if n is None:
            raise KeyError(word)
        return n

    def get(self, word: str, default: int | None = None) -> int | None:
        n = self._look(word)
        return default if n is None else n

    def __setitem__(self, word: str, n: int) -> None:
        self._known[word] = n

    def close(self) -> None:
        self._db.close()


def _dictionary_stamp(tokenizer: Any) -> str:
    """Which dictionary a copy on disk was made from: jieba's version, the file, its size and time."""
    # jieba names its own dictionary None (the package's dict.txt); another one by its path
    path = str(tokenizer.dictionary or Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME))
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    return f"jieba {jieba.__version__}\n{path}\n{stat.st_size} {stat.st_mtime_ns}"


def _open_copy(path: Path, stamp: str) -> tuple[sqlite3.Connection, int] | None:
    """The copy of the dictionary at ``path`` and jieba's total, if it is one of this dictionary; else None."""
    if not stamp or not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return None
    total = meta.get("total")
    if meta.get("stamp") != stamp or not isinstance(total, int) or total <= 0:
        db.close()
        return None
    return db, total


def _write_copy(path: Path, stamp: str, freq: dict[str, int], total: int) -> None:
    """A copy of jieba's dictionary at ``path`` (written aside, then put in place); nothing when it cannot be."""
    aside = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside.unlink(missing_ok=True)
        db = sqlite3.connect(aside)
        try:
            db.execute("CREATE TABLE freq(word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
            db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value)")
            db.executemany("INSERT INTO freq VALUES (?, ?)", freq.items())
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("stamp", stamp), ("total", total)])
            db.commit()
        finally:
            db.close()
        os.replace(aside, path)
    except (OSError, sqlite3.Error):  # a read-only or full disk: the next build loads the dictionary again
        with contextlib.suppress(OSError):
            aside.unlink(missing_ok=True)


class Segmenter:
    """jieba's words for runs of Han characters, each run segmented once; optionally kept on disk."""

    def __init__(self, terms: Sequence[str], cache_dir: Path | None = None, *, lang: str = "zh") -> None:
        self.terms = list(terms)
        self.key = dictionary_key(self.terms)
        self.lang = lang
        # Every miss is cut after teach_jieba, which first takes back what an earlier build of this process taught:
        # the cuts are a fresh process's, so the cache on disk serves serve's rebuilds too.
        self.cache_dir = cache_dir
        self.tokenizer: Any = None  # this segmenter's own jieba, taught the terms (made on the first miss)
        self.whole = False  # whether the tokenizer holds the whole dictionary (else it reads the copy on disk)
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
        try:
            if self.tokenizer is None:
                self._start_jieba()
            cut, inner = _answers(self.tokenizer, run)
        except _OverBudget:
            self._load_whole()
            cut, inner = _answers(self.tokenizer, run)
        except sqlite3.Error:  # a damaged copy: the whole dictionary, and a new copy for the next build
            self._load_whole(rewrite=True)
            cut, inner = _answers(self.tokenizer, run)
        # The other answer is kept aside for this build, and kept on disk only if it is asked for too.
        self._stored_cut.setdefault(run, cut)
        self._stored_inner.setdefault(run, inner)
        return cut, inner

    def _start_jieba(self) -> None:
        """A tokenizer of this segmenter's own: on the copy of the dictionary on disk when there is one."""
        jieba.setLogLevel(logging.WARNING)  # jieba's English lines on loading are not for an office's terminal
        copy = None
        if self.cache_dir is not None:
            tokenizer = jieba.Tokenizer(jieba.dt.dictionary)
            copy = _open_copy(self.cache_dir / DICTIONARY_FILE, _dictionary_stamp(tokenizer))
        if copy is None:
            self._load_whole()
            return
        db, total = copy
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = DiskFrequencies(db), total, True
        self.tokenizer = tokenizer
        self._teach()

    def _load_whole(self, rewrite: bool = False) -> None:
        """A tokenizer with the whole dictionary in memory; its copy on disk made for the next build if missing
        (or ``rewrite``: damaged)."""
        if self.tokenizer is not None and isinstance(self.tokenizer.FREQ, DiskFrequencies):
            self.tokenizer.FREQ.close()
        tokenizer = jieba.Tokenizer(jieba.dt.dictionary)
        tokenizer.initialize()
        if self.cache_dir is not None:
            stamp = _dictionary_stamp(tokenizer)
            path = self.cache_dir / DICTIONARY_FILE
            found = None if rewrite else _open_copy(path, stamp)
            if found is None:
                _write_copy(path, stamp, tokenizer.FREQ, tokenizer.total)
            else:
                found[0].close()
        self.tokenizer, self.whole = tokenizer, True
        self._teach()

    def _teach(self) -> None:
        for term in self.terms:
            self.tokenizer.add_word(term, freq=USER_WORD_FREQ)

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
        if self.tokenizer is not None and isinstance(self.tokenizer.FREQ, DiskFrequencies):
            self.tokenizer.FREQ.close()
            self.tokenizer = None
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


def _answers(tokenizer: Any, run: str) -> tuple[str, str]:
    """A run cut as jieba.cut cuts it (HMM on), and every dictionary word inside it: from one graph."""
    dag = tokenizer.get_DAG(run)
    inner = ZWSP.join(dict.fromkeys(run[start:end + 1] for start, ends in dag.items() for end in ends if end > start))
    # Characters jieba does not hand to its graph whole (extension A, 〇 …): its own cut, as Material calls it.
    words = _cut_dag(tokenizer, run, dag) if JIEBA_HAN_RE.fullmatch(run) else list(tokenizer.cut(run))
    return ZWSP.join(words), inner


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
