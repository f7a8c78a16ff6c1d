"""Problems found in the ledger, each with the place it points at."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.i18n import message

#: Characters that must not reach a terminal or a log as they are: C0 and C1 controls (ESC starts the terminal
#: sequences that retitle a window, clear the screen or rewrite what was printed; a line break would forge a
#: line of its own), DEL, the line and paragraph separators, and the bidirectional controls that reorder what
#: is shown ("Trojan Source").
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")  # and lone surrogates, from undecodable bytes
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: str) -> str:
    """``text`` safe to print: each control character shown as a visible escape (``\\x1b``, ``\\n``).

    Ordinary text, Chinese and spaces included, is kept as it is. Every message about a file goes through
    this (in :meth:`Problem.render`), since the file's words are someone else's.
    """
    return _UNPRINTABLE.sub(_escape, text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem at ``file:line:column`` (1-based)."""

    file: str
    line: int
    column: int
    code: str
    params: tuple[tuple[str, object], ...] = ()
    severity: str = "error"  # error | warning

    def render(self, lang: str = "zh") -> str:
        """``path:line:column: message``, with a warning marker for warnings."""
        params = {k: printable(v) if isinstance(v, str) else v for k, v in self.params}
        text = message(lang, self.code, params)
        file = printable(self.file)
        where = f"{file}:{self.line}:{self.column}" if self.line else file
        if self.severity == "warning":
            return f"{where}: {message(lang, 'warning', {})}: {text}"
        return f"{where}: {text}"


@dataclass(slots=True)
class Problems:
    """Collects problems across files, so that every problem is reported at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.file, p.line, p.column, p.code))

    def render(self, lang: str = "zh") -> list[str]:
        return [p.render(lang) for p in self.sorted()]


class LedgerError(Exception):
    """The ledger has errors; ``problems`` lists them all (warnings included)."""

    def __init__(self, problems: Problems, lang: str = "zh") -> None:
        self.problems = problems
        self.lang = lang
        super().__init__("\n".join(problems.render(lang)))

    def report(self) -> str:
        """Every problem on its own line, then a one-line summary."""
        summary = message(
            self.lang,
            "summary_errors",
            {"errors": len(self.problems.errors), "warnings": len(self.problems.warnings)},
        )
        return "\n".join([*self.problems.render(self.lang), summary])
