"""The history's cache on disk (.cache/portal/history.sqlite): a disposable key-value store.

Everything in it can be read again from git, so it never stops a build:

* one build at a time uses it: a lock file beside it (``history.sqlite.lock``, flock) is held while the
  history is read; another build waits up to ``LOCK_WAIT`` seconds, then reads without it (one log line);
* a file that is not a cache of this layout (garbage, truncated, an older or newer layout, tables it does
  not know) is set aside as ``history.sqlite.broken`` and a new one is made (one log line); the layout is
  kept in ``PRAGMA user_version``;
* a cache that cannot be written (a read-only folder or file, a full disk) or that another program keeps
  locked is not used for the rest of the build (one log line): the history is read without it;
* what is learnt is committed as it goes (every ``COMMIT_EVERY`` values or ``COMMIT_SECONDS``), so a build
  killed during a long first read keeps most of what it read.

Without a path it lives in memory only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from portal.i18n import LANGS, message

try:
    import fcntl
except ImportError:  # not on POSIX: no lock, as before the lock was added
    fcntl = None  # type: ignore[assignment]


LAYOUT = 2  # PRAGMA user_version: 2 = table kv(key TEXT PRIMARY KEY, value TEXT NOT NULL) of JSON values
LOCK_WAIT = 10.0  # seconds a build waits for another one to finish with the cache
BUSY_TIMEOUT = 2.0  # seconds sqlite waits for a lock held by another program
COMMIT_EVERY = 256  # values written between commits, at most ...
COMMIT_SECONDS = 1.0  # ... or seconds
GET_MANY = 500  # keys a query of get_many asks for (sqlite allows 999 parameters before 3.32)
KV_COLUMNS = [("key", "TEXT", 1), ("value", "TEXT", 0)]  # name, type, part of the primary key

log = logging.getLogger("mkdocs.hooks.portal")

#: sqlite's error names that say the file itself is not a usable cache: set it aside and make a new one.
BROKEN = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_FORMAT", "SQLITE_ERROR", "SQLITE_SCHEMA", "SQLITE_MISMATCH")


class NotACache(Exception):
    """The file opens but is not a cache of this layout."""


class Cache:
    """A small key-value store on disk (sqlite), or in memory when no path is given.

    Values read or written stay in memory for the life of the object, so a cache that fails half way keeps
    serving what it had; from then on it is memory only.
    """

    def __init__(self, path: Path | None = None, *, lang: str = "zh", wait: float | None = None) -> None:
        self.path = path
        self.lang = lang if lang in LANGS else "zh"
        self._mem: dict[str, Any] = {}
        self._db: sqlite3.Connection | None = None
        self._lock: int | None = None
        self._pending = 0
        self._last_commit = time.monotonic()
        #: why the cache on disk is not used ("" while it is): busy, unwritable, failed
        self.uncached = "" if path is not None else "memory"
        if path is not None:
            self._open(path, LOCK_WAIT if wait is None else wait)

    # --- the store --------------------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        if key in self._mem:
            return self._mem[key]
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            value = json.loads(row[0]) if row else None
        except sqlite3.DatabaseError as err:
            self._failed(err)
            return None
        except (ValueError, TypeError) as err:  # a value that is not JSON: the file was damaged
            self._set_aside_now(f"{type(err).__name__}: {err}")
            return None
        if value is not None:
            self._mem[key] = value
        return value

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The values of those of ``keys`` that have one, read a few hundred a query (one query each costs more
        than the value when thousands are read)."""
        out = {key: self._mem[key] for key in keys if key in self._mem}
        todo = [key for key in keys if key not in out]
        if self._db is None:
            return out
        try:
            for start in range(0, len(todo), GET_MANY):
                part = todo[start:start + GET_MANY]
                query = f"SELECT key, value FROM kv WHERE key IN ({','.join('?' * len(part))})"
                for key, text in self._db.execute(query, part).fetchall():
                    value = json.loads(text)
                    if value is not None:
                        out[key] = self._mem[key] = value
        except sqlite3.DatabaseError as err:
            self._failed(err)
        except (ValueError, TypeError) as err:  # a value that is not JSON: the file was damaged
            self._set_aside_now(f"{type(err).__name__}: {err}")
        return out

    def put(self, key: str, value: Any) -> None:
        self._mem[key] = value
        if self._db is None:
            return
        try:
            self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value, ensure_ascii=False)))
        except sqlite3.DatabaseError as err:
            self._failed(err)
            return
        self._pending += 1
        if self._pending >= COMMIT_EVERY or time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self._db is None:
            return
        try:
            self._db.commit()
        except sqlite3.DatabaseError as err:
            self._failed(err)
            return
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        self.commit()
        self._close_db()
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    # --- opening ----------------------------------------------------------------------------------------------

    def _open(self, path: Path, wait: float) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o666)  # not inherited (PEP 446)
        except OSError as err:
            self._without("cache_unwritable", err.strerror or str(err))
            return
        try:
            locked = _flock(fd, wait)
        except OSError as err:
            os.close(fd)
            self._without("cache_unwritable", err.strerror or str(err))
            return
        if not locked:
            os.close(fd)
            self._without("cache_busy", "", seconds=f"{wait:g}")
            return
        self._lock = fd
        try:
            self._db = _connect(path)
        except sqlite3.DatabaseError as err:
            if _kind(err) != "broken":
                self._without("cache_unwritable", _reason(err))
                return
            self._set_aside_now(_reason(err))
        except NotACache as err:
            self._set_aside_now(str(err))

    def _without(self, code: str, reason: str, **params: str) -> None:
        """Go on in memory only, saying why once."""
        self._close_db()
        if not self.uncached:
            self.uncached = code.removeprefix("cache_")
            log.info(self._text(code, reason=reason, **params))

    def _failed(self, err: sqlite3.DatabaseError) -> None:
        if _kind(err) == "broken":
            self._set_aside_now(_reason(err))
        elif _kind(err) == "busy":
            self._without("cache_busy", _reason(err), seconds=f"{BUSY_TIMEOUT:g}")
        elif _kind(err) == "unwritable":
            self._without("cache_unwritable", _reason(err))
        else:
            self._without("cache_failed", _reason(err))

    def _set_aside_now(self, reason: str) -> None:
        """Rename the file (and its journal) out of the way, make a new cache and put in what is known."""
        assert self.path is not None
        self._close_db()
        aside = self.path.with_name(self.path.name + ".broken")
        try:
            for suffix in ("-journal", "-wal", "-shm"):
                stray = Path(f"{aside}{suffix}")
                if stray.exists():
                    stray.unlink()
            os.replace(self.path, aside)
            for suffix in ("-journal", "-wal", "-shm"):  # sqlite would apply a journal to the new file
                journal = Path(f"{self.path}{suffix}")
                if journal.exists():
                    os.replace(journal, f"{aside}{suffix}")
            self._db = _connect(self.path)
            self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                                 ((k, json.dumps(v, ensure_ascii=False)) for k, v in self._mem.items()))
            self._db.commit()
        except (OSError, sqlite3.DatabaseError, NotACache) as err:
            self._without("cache_unwritable", getattr(err, "strerror", None) or str(err))
            return
        if not self.uncached:
            log.info(self._text("cache_set_aside", reason=reason, aside=aside.name))

    def _close_db(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()  # what was not committed is rolled back
            self._db = None

    def _text(self, code: str, **params: str) -> str:
        return message(self.lang, code, {"path": self.path, **params})


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to a cache of this layout, made when the file is new; NotACache or sqlite's error when the
    file is something else."""
    db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
    try:
        db.execute("PRAGMA synchronous = NORMAL")  # a disposable cache: no need to wait for the disk twice
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master"))
        if version == 0 and not tables:  # a new file
            db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(f"PRAGMA user_version = {LAYOUT}")
            db.commit()
            return db
        if version != LAYOUT:
            raise NotACache(f"layout {version}, expected {LAYOUT}")
        columns = [(r[1], r[2], r[5]) for r in db.execute("PRAGMA table_info(kv)")]
        if tables != ["kv", "sqlite_autoindex_kv_1"] or columns != KV_COLUMNS:
            raise NotACache(f"tables {', '.join(tables) or '(none)'}")
    except BaseException:
        db.close()
        raise
    return db


def _flock(fd: int, wait: float) -> bool:
    if fcntl is None:
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        except OSError as err:  # a file system without locks: go on unlocked, as before
            if err.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                return True
            raise


def _kind(err: sqlite3.DatabaseError) -> str:
    name = getattr(err, "sqlite_errorname", "") or ""
    if name.startswith(BROKEN) or (not name and not isinstance(err, sqlite3.OperationalError)):
        return "broken"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_FULL",
                        "SQLITE_IOERR")):
        return "unwritable"
    return "other"


def _reason(err: sqlite3.DatabaseError) -> str:
    name = getattr(err, "sqlite_errorname", "")
    return f"{err} ({name})" if name else str(err)
