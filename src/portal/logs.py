"""MkDocs' own log lines in the portal's language: a Chinese office's terminal shows no English line."""

from __future__ import annotations

import logging
import re

from portal.i18n import MKDOCS_LOG


class LogWords(logging.Filter):
    """Rewrites the log records of MkDocs (and its live-reload server) that the catalogue has words for."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.table = [(re.compile(pattern, re.DOTALL), words) for pattern, words in MKDOCS_LOG.get(lang, [])]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.table and record.name.startswith("mkdocs"):
            text = record.getMessage()
            said = self.say(text)
            if said != text:
                record.msg, record.args = said, None
        return True

    def say(self, text: str) -> str:
        """``text`` in this language when the catalogue has words for it, else as it is."""
        for pattern, words in self.table:
            found = pattern.fullmatch(text)
            if found:
                return words.format(*found.groups())
        return text


def speak(lang: str, logger: logging.Logger | None = None) -> None:
    """Put the words of ``lang`` on every handler of MkDocs' logger (once; the language may change)."""
    logger = logger or logging.getLogger("mkdocs")
    for handler in logger.handlers:
        for old in [f for f in handler.filters if isinstance(f, LogWords)]:
            handler.removeFilter(old)
        handler.addFilter(LogWords(lang))
