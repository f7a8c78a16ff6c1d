"""The page `mkdocs serve` shows while the ledger has errors: every problem with its place and its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from portal.i18n import LABELS
from portal.ledger.yamlread import Reader, read_bounded
from portal.problems import LedgerError, Problems, printable


@dataclass(frozen=True, slots=True)
class ShownProblem:
    where: str  # file:line:column
    text: str  # the message
    line: str  # the line of the file it points at, '' when there is none to quote
    warning: bool


def quoted_problems(error: LedgerError, root: Path) -> list[ShownProblem]:
    """Each problem of ``error`` with the line it points at, read as validation reads (bounded, in the project)."""
    texts: dict[str, list[str] | None] = {}
    out = []
    for problem in error.problems.sorted():
        line = ""
        if problem.line > 0:
            if problem.file not in texts:
                data = read_bounded(root / problem.file, Reader(problem.file, Problems()), root=root)
                texts[problem.file] = data.decode("utf-8-sig", "replace").splitlines() if data is not None else None
            lines = texts[problem.file]
            if lines is not None and problem.line <= len(lines):
                line = printable(lines[problem.line - 1].rstrip())
        rendered = problem.render(error.lang)
        where, _, text = rendered.partition(": ")
        out.append(ShownProblem(where, text, line, problem.severity == "warning"))
    return out


def error_page(error: LedgerError, root: Path, template_dir: Path, lang: str) -> str:
    """The HTML of the error page (through overrides/portal/errors.html, autoescaped)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template("errors.html").render(L=LABELS[lang], problems=quoted_problems(error, root),
                                                  count=len(error.problems.errors))
