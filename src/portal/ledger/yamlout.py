"""Write and format ledger YAML for people and for reviewable diffs.

The house style is the sample ledger's: block style, Chinese unescaped, two-space
mappings with list items indented under their key, keys in the schema's order,
short lists of names (``lead``, ``units``, ``tags``, ``aliases``) and deadlines
made only of phrases (``deadline: [4月份, 每月]``) on one line in flow style,
strings quoted (with double quotes) only when YAML would otherwise read them as
something else (to the validator's YAML 1.1 reader as well as to ruamel's 1.2),
long text on one line and never folded, text with line breaks as a literal block,
dates as YYYY-MM-DD, no line wrapping. Numbers, booleans, nulls and dates in an
existing file are written exactly as they were typed (``1.10``, ``+1``, ``~``).

``dump_ledger`` writes a new ledger from plain data; ``format_text`` and
``format_file`` normalise an existing ledger or registry (``portal fmt``) without
changing what the validator reads and keeping every comment.

How comments survive: ruamel attaches a full-line comment to the end of whatever
node precedes it, often the last scalar of an unrelated nested block, so its own
comment slots move with the wrong keys when keys are reordered. Instead, the
comments are found in the source text (outside every token the scanner reports),
each is tied to a node by its path (a full-line comment to the node below it, an
end-of-line comment to the last node started before it), the data is written
without comments, and the comments are put back at the output lines of their
nodes. Before returning, the output is composed again with the validator's YAML
reader and compared with the input, so that formatting can never silently change
what the ledger says.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import PlainScalarString, ScalarString
from ruamel.yaml.tokens import ScalarToken

from portal.ledger import schema
from portal.ledger.yamlread import MAX_BYTES, MAX_DEPTH, _too_deep

SCHEMA_COMMENTS = {
    "ledger": "# yaml-language-server: $schema=./schema/ledger.schema.json",
    "departments": "# yaml-language-server: $schema=./schema/departments.schema.json",
}
ROOTS: dict[str, schema.Obj] = {"ledger": schema.LEDGER, "departments": schema.REGISTRY}

TAG_STR = "tag:yaml.org,2002:str"
#: Lines are never wrapped: a wrapped line of Chinese would read back with a space in it.
WIDTH = 1 << 30
#: What a literal block can carry verbatim (YAML's printable set without the exotic line breaks
#: U+0085, U+2028, U+2029, a BOM or a carriage return, which would be read back as something else).
LITERAL_SAFE = re.compile("[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")

Path_ = tuple[Any, ...]  # where a node sits: mapping keys and list indexes from the root


# --- scalars ----------------------------------------------------------------------------------------------------


class _Quoted(str):
    """A string written in double quotes: as a plain scalar it would read back as another type."""

    __slots__ = ()


class _Literal(str):
    """A string with line breaks, written as a literal block (``|-``)."""

    __slots__ = ()


class _Verbatim(str):
    """A number, boolean, null or date written exactly as it was typed.

    ruamel would rewrite some of them (``+1`` as ``1``, ``True`` as ``true``), and the
    ledger's readers see the typed text of a scalar (a ``number`` of ``1.10`` is text).
    """

    __slots__ = ()


class _Emitter(RoundTripEmitter):
    """ruamel's emitter with double quotes wherever it would choose single quotes (the house style)."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, knowing the styled strings above."""

    def represent_quoted(self, data: str) -> Any:
        return self.represent_scalar(TAG_STR, str(data), style='"')

    def represent_literal(self, data: str) -> Any:
        return self.represent_scalar(TAG_STR, str(data), style="|")

    def represent_verbatim(self, data: str) -> Any:
        # The tag YAML resolves the text to makes the emitter write it plain, without a tag.
        tag = self.dumper.resolver.resolve(RuamelScalarNode, str(data), (True, False))
        return self.represent_scalar(tag, str(data))


_Representer.add_representer(_Quoted, _Representer.represent_quoted)
_Representer.add_representer(_Literal, _Representer.represent_literal)
_Representer.add_representer(_Verbatim, _Representer.represent_verbatim)

#: The validator reads ledgers with PyYAML, that is YAML 1.1: "yes", "on" or "1:20" are not strings there.
_RESOLVER_11 = yaml.resolver.Resolver()
_RESOLVER_12 = VersionedResolver()  # what ruamel reads and writes


def _reads_as_other_type(text: str) -> bool:
    """True when the validator's YAML 1.1 reader would not read ``text``, unquoted, as a string."""
    return _RESOLVER_11.resolve(yaml.ScalarNode, text, (True, False)) != TAG_STR


def _literal_ok(text: str) -> bool:
    """True when a literal block reads back as exactly ``text``."""
    # libyaml refuses a literal block whose line starts with a tab where it expects the indentation.
    return bool(LITERAL_SAFE.fullmatch(text)) and not any(line.startswith("\t") for line in text.split("\n"))


#: Characters that may not start a plain scalar, and those that may not appear in one inside [ ].
PLAIN_FIRST_BAD = set("-?:,[]{}#&*!|>'\"%@`")
FLOW_BAD = set(",[]{}")


def _plain_unsafe(text: str, flow: bool) -> bool:
    """True when ``text`` cannot be written as a plain scalar (in a flow list when ``flow``).

    ruamel's emitter decides this too, but lets some texts through that it cannot read back
    (``[: z]`` in a flow list), so unsafe texts are quoted before the emitter sees them.
    """
    return (not text or text != text.strip() or text[0] in PLAIN_FIRST_BAD or text.endswith(":")
            or ": " in text or " #" in text or "\t" in text
            or (flow and (any(ch in FLOW_BAD for ch in text) or ":" in text)))


def _string(value: str, was_plain: bool, flow: bool = False) -> str:
    """A string in the house style: plain where possible, a literal block when it has line breaks."""
    text = str(value)
    if "\n" in text:
        # Trailing line breaks (from '|' or '>' without '-', or "…\n") are dropped: the ledger's reader strips them.
        text = text.rstrip("\n")
    if "\n" in text:
        return _Literal(text) if _literal_ok(text) and not flow else _Quoted(text)
    # The validator reads a plain text through str.strip(), which also drops an ideographic or no-break space at
    # either end, and a quoted one as it is. Quoting a text typed plain with such a space would add it to what the
    # validator reads (a property test found '标题\u3000' becoming '"标题\u3000"'): it stays plain.
    core = text.strip()
    if was_plain and core and core != text and not _plain_unsafe("x" + core[1:], flow):
        return text  # YAML read it plain where it was typed; _check_same refuses it if the emitter quotes it
    if _plain_unsafe(text, flow) or (not was_plain and _reads_as_other_type(text)):
        return _Quoted(text)
    # A string typed plain stays plain even where YAML 1.1 reads it as another type ('yes'): its meaning
    # to the validator must not change. The emitter quotes whatever YAML 1.2 would misread.
    return text


# --- the schema ---------------------------------------------------------------------------------------------------


def _obj_for(spec: schema.Spec | None) -> schema.Obj | None:
    """The declared mapping that a mapping in the place of ``spec`` is."""
    if isinstance(spec, schema._Placeholder):
        return _obj_for(spec.target)
    if isinstance(spec, schema.Obj):
        return spec
    if isinstance(spec, schema.ListOf) and spec.single:
        return _obj_for(spec.item)
    if isinstance(spec, schema.DeadlineSpec):
        return schema.DEADLINE_PART
    if isinstance(spec, schema._EvidenceSpec):
        return schema.EVIDENCE_OBJ
    return None


def _item_spec(spec: schema.Spec | None) -> schema.Spec | None:
    """The declared kind of the items of a list in the place of ``spec``."""
    if isinstance(spec, schema._Placeholder):
        return _item_spec(spec.target)
    if isinstance(spec, schema.ListOf):
        return spec.item
    if isinstance(spec, schema.DeadlineSpec):
        return spec  # each item of a deadline list is a deadline's single form
    return None


def _one_line(spec: schema.Spec | None) -> bool:
    """True for lists written on one line when all their items are: short lists of names and of deadline phrases.

    The names are the lists that may also be typed as one string split on 、，, (lead, units, tags, aliases);
    a deadline made only of phrases or dates (``deadline: [4月份, 4月底前]``) is written so in the sample ledger.
    """
    return (isinstance(spec, schema.ListOf) and spec.split) or isinstance(spec, schema.DeadlineSpec)


# --- comments in the source ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Notes:
    """The comments and blank lines of a source text, each tied to a node (by path) or to the head or tail."""

    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    # path -> [(source line, text)]; text '' is a blank line
    before: dict[Path_, list[tuple[int, str]]] = field(default_factory=dict)
    eol: dict[Path_, list[tuple[int, str]]] = field(default_factory=dict)
    plain: dict[tuple[int, int], str] = field(default_factory=dict)  # (line, column) -> plain scalar as typed

    def inside(self, path: Path_) -> bool:
        """True when a comment is tied to a node below ``path``."""
        n = len(path)
        return any(len(p) > n and p[:n] == path for p in (*self.before, *self.eol))


def _scan(text: str) -> tuple[list[tuple[int, int]], dict[tuple[int, int], str]]:
    """The character spans of all tokens, and the text of every plain scalar by its position."""
    spans: list[tuple[int, int]] = []
    plain: dict[tuple[int, int], str] = {}
    for token in YAML(typ="rt").scan(text):
        begin, start, end = token.start_mark.index, token.start_mark, token.end_mark
        if isinstance(token, ScalarToken) and token.style in ("|", ">"):
            # A block scalar's token starts at its indicator and so covers a comment after '|-' on that line.
            begin = text.find("\n", begin) + 1 or end.index
        if end.index > begin:
            spans.append((begin, end.index))
        if isinstance(token, ScalarToken) and token.plain:
            plain[(start.line, start.column)] = token.value
    spans.sort()
    return spans, plain


def _comment_lines(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int, str, bool]]:
    """(line, column, text, whole line) of every comment, and (line, 0, '', True) of every blank line."""
    starts = [s for s, _ in spans]

    def in_token(index: int) -> bool:
        i = bisect_right(starts, index) - 1
        return i >= 0 and index < spans[i][1]

    offset = 0
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            if not in_token(offset):
                yield number, 0, "", True
        else:
            for col in (i for i, ch in enumerate(line) if ch == "#"):
                if (col == 0 or line[col - 1] in " \t") and not in_token(offset + col):
                    yield number, col, line[col:].rstrip(), not line[:col].strip()
                    break
        offset += len(line) + 1


def _node_positions(node: Any, path: Path_, out: list[tuple[int, int, int, Path_]], flow_children: bool) -> None:
    """(line, column, depth, path) of every mapping key and list item, into ``out``.

    With ``flow_children`` False the contents of flow collections are left out: a comment after
    ``[a, b]`` is about the key, not about ``b``.
    """
    if isinstance(node, CommentedMap):
        if node.fa.flow_style() and not flow_children:
            return
        for key, value in node.items():
            pos = node.lc.data.get(key)
            if pos is not None:
                out.append((pos[0], pos[1], len(path), (*path, key)))
                if pos[2] > pos[0] and not isinstance(value, CommentedMap | CommentedSeq):
                    # A text on the line below its key: a comment between the two is about the key.
                    out.append((pos[2], pos[3], len(path), (*path, key)))
            _node_positions(value, (*path, key), out, flow_children)
    elif isinstance(node, CommentedSeq):
        if node.fa.flow_style() and not flow_children:
            return
        for i, value in enumerate(node):
            pos = node.lc.data.get(i)
            if pos is not None:
                out.append((pos[0], pos[1], len(path), (*path, i)))
            _node_positions(value, (*path, i), out, flow_children)


def _collect_notes(text: str, root: Any) -> _Notes:
    """Tie every comment and blank line of ``text`` to the node it belongs to."""
    spans, plain = _scan(text)
    notes = _Notes(plain=plain)
    nodes: list[tuple[int, int, int, Path_]] = []
    _node_positions(root, (), nodes, flow_children=False)
    nodes.sort(key=lambda n: (n[0], n[1], n[2]))
    keys = [(n[0], n[1]) for n in nodes]
    first_line = nodes[0][0] if nodes else 1 << 62
    for line, col, comment, whole in _comment_lines(text, spans):
        if line < first_line:
            notes.head.append(comment)
        elif whole:
            # A comment on its own line is about the node below it: the outermost that starts on the next line.
            i = bisect_left(keys, (line + 1, -1))
            if i == len(nodes):
                notes.tail.append(comment)
            else:
                notes.before.setdefault(nodes[i][3], []).append((line, comment))
        else:
            # A comment at the end of a line is about the last node that started before it.
            i = bisect_left(keys, (line, col)) - 1
            notes.eol.setdefault(nodes[i][3], []).append((line, comment))
    notes.head = _tidy(notes.head, start=True, end=False)  # a blank line between header and data is kept
    notes.tail = _tidy(notes.tail, start=False, end=True)
    for path, lines in notes.before.items():
        texts = _tidy([t for _, t in lines], start=False, end=False)
        notes.before[path] = [(lines[0][0], t) for t in texts]
    return notes


def _tidy(lines: list[str], start: bool, end: bool) -> list[str]:
    """Runs of blank lines become one; none at the ``start`` or ``end`` of the file where those are set."""
    out: list[str] = []
    for line in lines:
        if line or not out or out[-1]:
            out.append(line)
    if start:
        while out and not out[0]:
            out.pop(0)
    if end:
        while out and not out[-1]:
            out.pop()
    return out


# --- normalising the data -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Normaliser:
    """Rebuilds data in the house style: schema key order, block or flow style, scalar styles."""

    notes: _Notes | None = None  # None for new data from Python (dump_ledger)

    def value(self, value: Any, spec: schema.Spec | None, path: Path_, pos: tuple[int, int] | None,
              flow: bool = False) -> Any:
        if isinstance(value, Mapping):
            return self.mapping(value, _obj_for(spec), path)
        if isinstance(value, list | tuple):
            return self.sequence(value, spec, path)
        return self.scalar(value, pos, flow)

    def mapping(self, data: Mapping[Any, Any], obj: schema.Obj | None, path: Path_) -> CommentedMap:
        known = list(obj.fields) if obj else []
        # Unknown keys are never dropped: they follow the known ones, in the order they were written.
        order = [k for k in known if k in data] + [k for k in data if not (isinstance(k, str) and k in known)]
        positions = data.lc.data if isinstance(data, CommentedMap) else {}
        if isinstance(data, CommentedMap) and data.merge:
            # ruamel hands over merged keys as the mapping's own; writing them would not be the file's text.
            raise ValueError("YAML merge keys (<<) are not supported: write the keys out")
        out = CommentedMap()
        out.fa.set_block_style()
        for key in order:
            value = data[key]
            if value is None and self.notes is None:
                continue  # new data: an absent value is left out rather than written as an empty field
            pos = positions.get(key)
            f = obj.fields.get(key) if obj and isinstance(key, str) else None
            out[self.key(key, pos)] = self.value(value, f.spec if f else None, (*path, key),
                                                 (pos[2], pos[3]) if pos else None)
        return out

    def sequence(self, data: list[Any] | tuple[Any, ...], spec: schema.Spec | None, path: Path_) -> CommentedSeq:
        item = _item_spec(spec)
        positions = data.lc.data if isinstance(data, CommentedSeq) else {}
        one_line = all(not isinstance(v, Mapping | list | tuple) and "\n" not in str(v).rstrip("\n") for v in data)
        # A list of names with comments between its items stays a block, so that each comment stays by its name.
        flow = _one_line(spec) and one_line and not (self.notes and self.notes.inside(path))
        out = CommentedSeq()
        for i, value in enumerate(data):
            pos = positions.get(i)
            out.append(self.value(value, item, (*path, i), (pos[0], pos[1]) if pos else None, flow))
        if flow:
            out.fa.set_flow_style()
        else:
            out.fa.set_block_style()
        return out

    def key(self, key: Any, pos: list[int] | None) -> Any:
        if isinstance(key, str):
            text = _string(key, self.was_plain(key))
            return _Quoted(text) if isinstance(text, _Literal) else text  # a key is never a block
        return self.scalar(key, (pos[0], pos[1]) if pos else None)

    def was_plain(self, value: str) -> bool:
        return self.notes is not None and (not isinstance(value, ScalarString) or isinstance(value, PlainScalarString))

    def scalar(self, value: Any, pos: tuple[int, int] | None, flow: bool = False) -> Any:
        if isinstance(value, str):
            return _string(value, self.was_plain(value), flow)
        typed = self.notes.plain.get(pos) if self.notes is not None and pos is not None else None
        # An empty value has its position at the next token (the next key): only a typed text that YAML reads
        # as a number, boolean, null or date is the value's own.
        if typed is not None and _RESOLVER_12.resolve(RuamelScalarNode, typed, (True, False)) != TAG_STR:
            return _Verbatim(typed)
        if isinstance(value, float) and math.isfinite(value):
            return _Verbatim(_float_text(value))
        return value


def _float_text(value: float) -> str:
    """A float as both YAML 1.1 and 1.2 read it: 1e-07 is a string to YAML 1.1, 1.0e-07 a float."""
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


# --- writing ------------------------------------------------------------------------------------------------------


def _yaml() -> YAML:
    """A ruamel YAML instance set up for the house style."""
    y = YAML(typ="rt")
    y.Emitter = _Emitter
    y.Representer = _Representer
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = WIDTH
    y.allow_unicode = True
    y.preserve_quotes = True
    return y


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def dump_ledger(data: dict[str, Any]) -> str:
    """A new ledger file from plain data (dicts, lists, str, int, date), with the schema comment line first.

    Keys come in the schema's order; keys whose value is None are left out.
    """
    body = _dump(_Normaliser().mapping(data, schema.LEDGER, ()))
    return SCHEMA_COMMENTS["ledger"] + "\n" + body


def _parse(text: str) -> Any:
    """The round-trip tree of ``text``; ValueError with ruamel's line:column message when it does not parse."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        what = "; ".join(p for p in (exc.context, exc.problem) if p)
        raise ValueError(f"{where}{what}") from exc
    except YAMLError as exc:
        raise ValueError(str(exc)) from exc


def _guess_kind(root: Any) -> str:
    return "departments" if isinstance(root, Mapping) and "departments" in root and "sections" not in root else (
        "ledger")


def format_text(text: str, kind: str = "ledger") -> str:
    """An existing ledger (kind "ledger") or registry ("departments") in the house style, comments kept.

    Raises ValueError when the text does not parse, or (never expected) when the formatted text would
    read differently.
    """
    return _format(text, kind)


def _format(text: str, kind: str | None) -> str:
    if kind is not None and kind not in ROOTS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(ROOTS)}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    _refuse_bombs(text)
    root = _parse(text)
    if not isinstance(root, CommentedMap):
        raise ValueError("the top level must be a mapping (plan:, sections: or departments:)")
    kind = kind or _guess_kind(root)
    notes = _collect_notes(text, root)
    body = _dump(_Normaliser(notes).mapping(root, ROOTS[kind], ()))
    out = _put_back(body, notes)
    _check_same(text, out)
    return out


def _refuse_bombs(text: str) -> None:
    """The validator's limits on size and nesting, and no alias of a list or mapping.

    ruamel walks a shared collection once per alias: a 1 KB "billion laughs" file ran `portal fmt` out of
    memory (2 GB in 40 s), and nesting thousands deep overflowed the stack, before these checks.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    deep = _too_deep(text)
    if deep:
        raise ValueError(f"{deep}:1: nesting deeper than {MAX_DEPTH} levels")
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return  # _parse says where and why
    seen: set[int] = set()
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:
            mark = node.start_mark
            raise ValueError(f"{mark.line + 1}:{mark.column + 1}: YAML aliases (*) of lists or mappings are not "
                             "supported: write the content out")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        else:  # the value of a merge key ('<<: *base') is an alias by design: refused below with its own message
            todo.extend(n for k, v in node.value for n in (k, v) if k.tag != "tag:yaml.org,2002:merge" or n is k)


def _put_back(body: str, notes: _Notes) -> str:
    """``body`` with the comments and blank lines of ``notes`` at the output lines of their nodes."""
    lines = body.rstrip("\n").split("\n")
    nodes: list[tuple[int, int, int, Path_]] = []
    _node_positions(_yaml().load(body), (), nodes, flow_children=True)
    line_of: dict[Path_, int] = {}
    for line, _, _, path in sorted(nodes, key=lambda n: n[:3]):
        line_of.setdefault(path, line)
    above: dict[int, list[tuple[int, str]]] = {}
    after: dict[int, list[tuple[int, str]]] = {}
    for target, source in ((above, notes.before), (after, notes.eol)):
        for path, entries in source.items():
            # Every source path is in the output (nothing is dropped); the ancestor fallback is for YAML merge keys.
            while path and path not in line_of:
                path = path[:-1]
            target.setdefault(line_of.get(path, len(lines) - 1), []).extend(entries)
    out = list(notes.head)
    for number, line in enumerate(lines):
        if number in above:
            indent = " " * (len(line) - len(line.lstrip(" ")))
            # Notes of several nodes that start on one line keep their order in the source.
            out.extend(indent + t if t else "" for _, t in sorted(above[number], key=lambda e: e[0]))
        if number in after:
            line += "".join("  " + t for _, t in sorted(after[number], key=lambda e: e[0]))
        out.append(line)
    out.extend(notes.tail)
    return "\n".join(_tidy(out, start=True, end=True)) + "\n"


# --- the safety check ---------------------------------------------------------------------------------------------


def _meaning(node: yaml.Node) -> Any:
    """What the validator's YAML reader sees in a node, apart from key order and scalar style."""
    if isinstance(node, yaml.MappingNode):
        return ("map", frozenset((_meaning(k), _meaning(v)) for k, v in node.value), len(node.value))
    if isinstance(node, yaml.SequenceNode):
        return ("seq", tuple(_meaning(v) for v in node.value))
    value = node.value
    if node.tag == "tag:yaml.org,2002:null":
        value = None
    elif node.tag == TAG_STR:
        # as the validator reads text (schema.Text): a plain one stripped, a quoted or block one without its
        # trailing line breaks (see _string)
        value = value.strip() if not node.style else value.rstrip("\n")
    return (node.tag, value)


def _check_same(before: str, after: str) -> None:
    """Refuse an output that the validator would read differently from the input."""
    try:
        old = yaml.compose(before, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"the file does not parse as the validator reads it: {exc}") from exc
    new = yaml.compose(after, Loader=yaml.CSafeLoader)
    if old is None or new is None or _meaning(old) != _meaning(new):
        raise ValueError("formatting would change what the file says; it is left as it is (please report this)")


# --- files --------------------------------------------------------------------------------------------------------


def format_file(path: Path, kind: str | None = None, check: bool = False) -> bool:
    """Format a ledger or registry file in place (atomically) unless ``check``; True when it changed or would.

    Without ``kind``, a file whose top level has ``departments`` is a registry, anything else a ledger.
    Raises ValueError (line:column: problem, as format_text) when the file cannot be formatted; the caller
    names the file.
    """
    original = path.read_bytes().decode("utf-8")
    formatted = _format(original, kind)
    if formatted == original:
        return False
    if not check:
        _write_atomically(path, formatted)
    return True


def _write_atomically(path: Path, text: str) -> None:
    """Replace a file's content so that a reader sees either the old or the new file, never half of one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp creates the file private; keep the original's permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["dump_ledger", "format_file", "format_text"]
