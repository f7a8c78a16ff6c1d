"""Answers written into a ledger file in place: only the lines of the tasks that change differ.

The file is not dumped again as a whole. Its nodes are located with the validator's YAML reader (positions of every
key and value), and each change is a splice of the original text: a status or percent replaced where it is
written (or a line added among the task's keys in the schema's order), new updates and evidence appended after the
last item of the task's list (or the list added). Each new piece is rendered by the house-style emitter of
:mod:`portal.ledger.yamlout` (ruamel.yaml round-trip: plain where possible, quoted where YAML would misread it, a
literal block for text with line breaks), indented as the list it joins. Comments, blank lines, key order, quoting
and every other task stay byte for byte as they were; a comment on the line after a list stays where it was
(ruamel, appending to its own tree, would carry it along with the list's last item).

:func:`apply` returns the new text and, for every piece written, its lines in the new text and what it came from,
so that a problem the validator finds in a new line can be put back on the form cell that supplied it.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode

from portal.ledger import schema
from portal.ledger.yamlout import _RESOLVER_12, TAG_STR, _dump, _Normaliser, _string

TASK_KEYS = list(schema.TASK.fields)


@dataclass(slots=True)
class TaskEdit:
    """What changes in one task, and where each change came from (``refs``: an opaque source per piece)."""

    task_id: str
    status: str | None = None  # as written in the ledger: the Chinese word
    percent: int | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)  # {date, text, by}
    evidence: list[Any] = field(default_factory=list)  # a URL, or {title, url}
    refs: dict[str, Any] = field(default_factory=dict)  # "status", "percent", ("updates", i), ("evidence", i)

    def __bool__(self) -> bool:
        return self.status is not None or self.percent is not None or bool(self.updates) or bool(self.evidence)


@dataclass(frozen=True, slots=True)
class Piece:
    """Lines (1-based, inclusive) of the new text that one change wrote, and the change's source."""

    first: int
    last: int
    task_id: str
    ref: Any


class EditError(ValueError):
    """A task's place in the file cannot take the change (never for a ledger in the house style)."""

    def __init__(self, task_id: str, reason: str) -> None:
        self.task_id = task_id
        super().__init__(f"{task_id}: {reason}")


@dataclass(order=True, slots=True)
class Splice:
    """Text that replaces ``text[start:end]`` of the original (an insertion when they are equal)."""

    start: int
    end: int
    text: str = field(compare=False)
    task_id: str = field(compare=False)
    ref: Any = field(compare=False)


def task_nodes(root: yaml.Node | None) -> Iterator[tuple[str, yaml.MappingNode]]:
    """(id, mapping node) of every task in a ledger's node tree, in file order."""
    if not isinstance(root, yaml.MappingNode):
        return
    todo: list[yaml.Node] = [v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "sections"]
    while todo:
        node = todo.pop(0)
        if isinstance(node, yaml.SequenceNode):
            todo[:0] = node.value
        elif isinstance(node, yaml.MappingNode):
            keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            if "sections" in keys or "tasks" in keys:  # a section
                todo[:0] = [keys[k] for k in ("tasks", "sections") if k in keys]
            elif isinstance(keys.get("id"), yaml.ScalarNode):
                yield keys["id"].value.strip(), node


def plan(text: str, edits: Mapping[str, TaskEdit]) -> list[Splice]:
    """The splices that write ``edits`` (by task id) into ``text``, in text order. KeyError for an id not in it."""
    gc_was = gc.isenabled()
    gc.disable()  # composing a large ledger makes a million objects and no cycles: the collector would triple it
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    finally:
        if gc_was:
            gc.enable()
    splices: list[Splice] = []
    found: set[str] = set()
    for task_id, node in task_nodes(root):
        change = edits.get(task_id)
        if change:
            found.add(task_id)
            splices += _task_splices(text, node, change)
    missing = [i for i, e in edits.items() if e and i not in found]
    if missing:
        raise KeyError(", ".join(missing))
    splices.sort()
    return splices


def render(text: str, splices: list[Splice]) -> tuple[str, list[Piece]]:
    """``text`` with ``splices`` (any subset of a plan, in order) made; the lines each one wrote."""
    out: list[str] = []
    pieces: list[Piece] = []
    at = 0
    line = 1
    for s in splices:
        before = text[at:s.start]
        out.append(before)
        line += before.count("\n")
        out.append(s.text)
        first = line + (1 if s.text.startswith("\n") else 0)
        line += s.text.count("\n")
        last = line - (1 if s.text.endswith("\n") else 0)
        pieces.append(Piece(first, max(first, last), s.task_id, s.ref))
        at = s.end
    out.append(text[at:])
    return "".join(out), pieces


def apply(text: str, edits: Mapping[str, TaskEdit]) -> tuple[str, list[Piece]]:
    """``text`` with ``edits`` (by task id) spliced in, and the lines each change wrote."""
    return render(text, plan(text, edits))


# --- one task ----------------------------------------------------------------------------------------------------


def _task_splices(text: str, node: yaml.MappingNode, edit: TaskEdit) -> list[Splice]:
    keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    indent = node.start_mark.column
    out: list[Splice] = []
    new_keys: list[tuple[str, list[tuple[str, Any]]]] = []  # keys the task lacks: (key, [(lines, ref)])
    for key, value in (("status", edit.status), ("percent", edit.percent)):
        if value is None:
            continue
        rendered = _scalar(value)
        if key in keys:
            v = keys[key][1]
            if not isinstance(v, yaml.ScalarNode):
                raise EditError(edit.task_id, f"{key} is not a single value")
            out.append(Splice(v.start_mark.index, v.end_mark.index, rendered, edit.task_id, edit.refs.get(key)))
        else:
            new_keys.append((key, [(f"{' ' * indent}{key}: {rendered}\n", edit.refs.get(key))]))
    for key, items, spec in (("updates", edit.updates, schema.UPDATE), ("evidence", edit.evidence, None)):
        if not items:
            continue
        # Each item is a splice of its own (all at one place, in order), so that any first few can be written.
        refs = [edit.refs.get((key, i)) for i in range(len(items))]
        if key not in keys:
            lines = [_item(item, spec, indent + 2, indent + 4) for item in items]
            lines[0] = f"{' ' * indent}{key}:\n{lines[0]}"
            new_keys.append((key, list(zip(lines, refs, strict=True))))
            continue
        k, v = keys[key]
        if isinstance(v, yaml.SequenceNode) and v.flow_style is False and v.value:
            dash = v.start_mark.column
            inner = v.value[0].start_mark.column if isinstance(v.value[0], yaml.MappingNode) else dash + 2
            at = _after(text, v)
            for item, ref in zip(items, refs, strict=True):
                out.append(Splice(at, at, _at_line(text, at, _item(item, spec, dash, inner)), edit.task_id, ref))
            continue
        # A flow list ([] or [a, b]), a single item written alone, or nothing: written again as a block list.
        old = _old_items(text, v)
        if old is None:
            raise EditError(edit.task_id, f"{key} is not a list")
        start = text.find(":", k.end_mark.index) + 1
        end = max(start, v.end_mark.index)
        head = "".join(f"{' ' * (indent + 2)}- {written}\n" for written in old)
        for i, (item, ref) in enumerate(zip(items, refs, strict=True)):
            lines = "\n" + (head if i == 0 else "") + _item(item, spec, indent + 2, indent + 4).rstrip("\n")
            out.append(Splice(start, end, lines, edit.task_id, ref) if i == 0 else Splice(end, end, lines, edit.task_id,
                                                                                           ref))
    if new_keys:
        order = {k: i for i, k in enumerate(TASK_KEYS)}
        for key, parts in new_keys:
            # After the last key that comes before it in the schema's order (id and title always do).
            before = [k for k in keys if order.get(k, len(order)) < order[key]]
            anchor = max(before, key=lambda k: keys[k][0].start_mark.index) if before else None
            at = _after(text, keys[anchor][1]) if anchor else _line_start(text, node.start_mark.index)
            for lines, ref in parts:
                out.append(Splice(at, at, _at_line(text, at, lines), edit.task_id, ref))
    return out


def _scalar(value: Any) -> str:
    """One value as the house style writes it after ``key: ``."""
    fast = _plain(value)
    return fast if fast is not None else _dump({"k": _Normaliser().scalar(value, None)})[3:].rstrip("\n")


def _plain(value: Any) -> str | None:
    """The value written plain, when both YAML 1.1 (the validator) and 1.2 (ruamel) read that back as it is; None
    when it needs the emitter (quotes, a literal block). Rendering a short text with ruamel takes a millisecond, and
    the round writes thousands of them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    styled = _string(value, False)
    if type(styled) is not str or _RESOLVER_12.resolve(RuamelScalarNode, styled, (True, False)) != TAG_STR:
        return None
    try:
        back = yaml.load(f"k: {styled}", Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    return styled if back == {"k": value} else None


def _item(item: Any, spec: schema.Obj | None, dash: int, inner: int) -> str:
    """A list item's lines: ``- `` at column ``dash``, its keys at column ``inner``."""
    if isinstance(item, Mapping):
        obj = spec or schema.EVIDENCE_OBJ
        fast = [(k, _plain(item[k])) for k in obj.fields if item.get(k) is not None]
        if all(text is not None for _, text in fast) and set(item) <= set(obj.fields):
            lines = [f"{k}: {text}" for k, text in fast]
        else:
            lines = _dump(_Normaliser().mapping(item, obj, ())).rstrip("\n").split("\n")
    else:
        lines = [_scalar(item)]
    gap = max(1, inner - dash - 1)
    head = f"{' ' * dash}-{' ' * gap}{lines[0]}"
    return "\n".join([head, *(f"{' ' * inner}{line}" if line else "" for line in lines[1:])]) + "\n"


def _at_line(text: str, at: int, lines: str) -> str:
    """``lines`` to insert at ``at``, a line start, or the end of a file without a final line break."""
    return lines if at == 0 or text[at - 1] == "\n" else "\n" + lines.rstrip("\n")


def _old_items(text: str, v: yaml.Node) -> list[str] | None:
    """The items of a flow list or a single value as written, to be written again as block items; None: not a list."""
    if isinstance(v, yaml.ScalarNode):
        if v.style is None and v.value in ("", "~", "null", "Null", "NULL"):
            return []
        return [text[v.start_mark.index:v.end_mark.index]] if "\n" not in text[v.start_mark.index:v.end_mark.index] \
            else None
    if isinstance(v, yaml.SequenceNode) and (v.flow_style or not v.value):
        items = []
        for item in v.value:
            written = text[item.start_mark.index:item.end_mark.index]
            if "\n" in written:
                return None
            items.append(written)
        return items
    return None


def _end(node: yaml.Node) -> int:
    """Where the text of a value ends: after its last scalar or flow collection (not after comments that follow)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    ends = [_end(n) for n in _children(node)]
    return max(ends) if ends else node.end_mark.index


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield k
            yield v


def _after(text: str, node: yaml.Node) -> int:
    """The start of the line after a value's last line (a block scalar already ends at one)."""
    end = _end(node)
    if end > 0 and text[end - 1] == "\n":
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1
