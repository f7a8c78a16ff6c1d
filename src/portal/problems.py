"""Problems found in the ledger, each with the place it points at."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.i18n import message


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
        text = message(lang, self.code, dict(self.params))
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
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



# C0 and C1 controls, DEL, bidirectional overrides and isolates, line and paragraph separators, lone surrogates
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                           "\ud800-\udfff]")


def printable(text: str) -> str:
    """Text from a file or a repository made safe for a terminal or a log: the characters a terminal would act
    on shown as escapes (\\x1b, \\u202e)."""
    return _UNSAFE_CHARS.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)
