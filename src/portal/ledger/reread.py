"""A ledger read again one top-level section at a time: what `mkdocs serve` does on each save.

A save changes a task or two; composing and validating the whole file again is most of the time of a rebuild
that renders only what changed. So the file is cut at its top-level sections (``sections:`` and the ``- ``
items under it, in block style): the rest of the file (the plan's header and any other key) is read as usual,
with the sections left out, and each section is composed and read on its own, at its own lines, unless the
last rebuild read the same lines at the same place with the same year, as-of date and registry: then what that
read gave (the section, the ids and names it noted, its problems) is taken again.

What this gives is what reading the whole file gives: the lines keep their numbers (a section is composed after
as many empty lines as precede it), so every problem points where it would. A file this cannot cut safely (flow
style, several documents, line breaks other than LF and CRLF) or a section that does not compose on its own (an
alias to an anchor in another section, a bracket left open) is read whole, as a plain build reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from portal.ledger import model
from portal.ledger.schema import INVALID, SECTION, Context
from portal.ledger.yamlread import Node, Reader, SequenceNode, compose_text
from portal.memo import Memo
from portal.problems import Problem, Problems

SECTIONS_LINE_RE = re.compile(r"sections:[ \t]*(?:#.*)?\r?")
ITEM_RE = re.compile(r"( *)- ")
#: Line breaks YAML counts besides LF (a CR alone, NEL, LS, PS): a file with one is read whole.
OTHER_BREAKS_RE = re.compile(r"\r(?!\n)|[\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Piece:
    """One top-level section's lines: the index of its first line, and its text."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Cut:
    """A ledger's text without its top-level sections (their lines left empty), and the sections."""

    rest: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class _Read:
    """What reading one section gave: the section (or INVALID) and what the read noted in the context."""

    value: Any
    ids: tuple[tuple[Node, str], ...]
    page_ids: tuple[tuple[Node, str], ...]
    names: tuple[tuple[Node, str], ...]
    problems: tuple[Problem, ...]


class _Whole(Exception):
    """The file is to be read whole."""


def cut_sections(text: str) -> Cut | None:
    """The ledger's text cut at its top-level sections, or None when it cannot be cut safely."""
    if text.startswith(("%", "---")) or "\n---" in text or "\n..." in text or "\n%" in text \
            or OTHER_BREAKS_RE.search(text):
        return None
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if SECTIONS_LINE_RE.fullmatch(line)]
    if len(starts) != 1:
        return None
    first = starts[0]
    indent = None
    pieces: list[list[int]] = []  # [first line, end line) of each item
    end = len(lines)
    for i in range(first + 1, len(lines)):
        line = lines[i]
        body = line.lstrip(" ")
        if not body.strip() or body.startswith("#"):
            continue
        match = ITEM_RE.match(line)
        if indent is None:
            if match is None:
                return None  # not a block list of sections (flow style, or empty)
            indent = len(match.group(1))
        if match is not None and len(match.group(1)) == indent:
            pieces.append([i, i + 1])
            continue
        if len(line) - len(body) <= indent:  # the list has ended: another top-level key, say
            end = i
            break
        if not pieces:
            return None
        pieces[-1][1] = i + 1
    if not pieces:
        return None
    for k, piece in enumerate(pieces):  # blank lines and comments between items go with the item before
        piece[1] = pieces[k + 1][0] if k + 1 < len(pieces) else end
    rest = list(lines)
    rest[first] = "sections: []"
    for start, stop in pieces:
        for i in range(start, stop):
            rest[i] = ""
    return Cut("\n".join(rest), tuple(Piece(start, "\n".join(lines[start:stop])) for start, stop in pieces))


def read_sections(cut: Cut, ctx: Context, memo: Memo) -> list[model.Section]:
    """The top-level sections of a cut ledger, each read on its own or taken from the last read; what each
    read noted (ids, page ids, names, problems) is added to ``ctx`` in file order. Raises _Whole."""
    reader = ctx.reader
    sections: list[model.Section] = []
    for piece in cut.pieces:
        inputs = (ctx.year, ctx.as_of, ctx.registry_file, reader.lang, ctx.registry)
        got = memo.recall((reader.file, piece.line, piece.text), inputs,
                          lambda piece=piece: _read_piece(piece, reader, ctx))
        ctx.ids.extend(got.ids)
        ctx.page_ids.extend(got.page_ids)
        ctx.names.extend(got.names)
        for problem in got.problems:
            reader.problems.add(problem)
        if got.value is not INVALID:
            sections.append(got.value)
    return sections


def _read_piece(piece: Piece, reader: Reader, ctx: Context) -> _Read:
    scratch = Reader(reader.file, Problems(), reader.lang)
    root = compose_text("\n" * piece.line + piece.text, scratch)
    if not isinstance(root, SequenceNode) or len(root.value) != 1 or scratch.problems.items:
        raise _Whole
    own = Context(scratch, year=ctx.year, registry=ctx.registry, registry_file=ctx.registry_file, as_of=ctx.as_of)
    value = SECTION.read(root.value[0], own)
    return _Read(value, tuple(own.ids), tuple(own.page_ids), tuple(own.names), tuple(scratch.problems.items))


def cut_text(data: bytes) -> tuple[str, Cut] | None:
    """The text of a ledger file and its cut, or None when it is to be read whole (not UTF-8, say)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    cut = cut_sections(text)
    return None if cut is None else (text, cut)
