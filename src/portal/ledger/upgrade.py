"""``portal fmt --upgrade``: the keys an older portal wrote (renamed or removed) rewritten, nothing else.

The schema records each such key on the mapping that had it (:class:`portal.ledger.schema.KeyChange`). The
file is edited as text at the positions the YAML reader reports, so comments, order, quoting and every other
line stay exactly as they were: a renamed key has its name replaced where it is written; a removed key loses
its lines (the key, its value, a comment at the end of those lines), and when it opened a list item
(``- old: …``) the item's next key takes its place after the dash. The result is read again and compared
with the file as it should now read; a file that would read otherwise is refused, and left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from portal.ledger import schema
from portal.ledger.yamlout import TAG_STR, _item_spec, _meaning, _obj_for, _write_atomically


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement in the text: characters ``start`` to ``end`` become ``text``."""

    start: int
    end: int
    text: str
    line: int  # 1-based, of the key
    key: str
    change: schema.KeyChange


def _walk(node: yaml.Node, spec: schema.Spec | None) -> Iterator[tuple[yaml.MappingNode, int, schema.KeyChange]]:
    """(mapping, index of the pair, change) of every older key in the tree under ``node``, read as ``spec``."""
    if isinstance(node, yaml.MappingNode):
        obj = _obj_for(spec)
        for i, (key_node, value_node) in enumerate(node.value):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            change = obj.changed.get(key) if obj is not None and isinstance(key, str) else None
            if change is not None:
                yield node, i, change
                if change.new is None:
                    continue
                key = change.new
            f = obj.fields.get(key) if obj is not None and isinstance(key, str) else None
            yield from _walk(value_node, f.spec if f else None)
    elif isinstance(node, yaml.SequenceNode):
        item = _item_spec(spec)
        for value_node in node.value:
            yield from _walk(value_node, item)


def _last_line(node: yaml.Node) -> int:
    """The 0-based line of a node's last character (a block collection ends where its last item does)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return max(_last_line(last[0]), _last_line(last[1])) if isinstance(last, tuple) else _last_line(last)
    end = node.end_mark
    # a block scalar (or an empty value) ends at the start of a later line: its content ends on the line before
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


class _Text:
    """Offsets of (line, column) positions in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def offset(self, line: int, column: int = 0) -> int:
        return self.starts[line] + column if line < len(self.starts) else len(self.text)


def _edit(text: _Text, mapping: yaml.MappingNode, index: int, change: schema.KeyChange) -> Edit:
    key_node, value_node = mapping.value[index]
    start, end = key_node.start_mark, key_node.end_mark
    where = (start.line + 1, str(key_node.value), change)
    if change.new is not None:
        if any(isinstance(k, yaml.ScalarNode) and k.value == change.new for k, _ in mapping.value):
            raise ValueError(f"{start.line + 1}:{start.column + 1}: both '{key_node.value}' and '{change.new}' "
                             f"are written here: keep one by hand")
        return Edit(text.offset(start.line, start.column), text.offset(end.line, end.column), change.new, *where)
    if mapping.flow_style:
        raise ValueError(f"{start.line + 1}:{start.column + 1}: '{key_node.value}' is in a {{ }} mapping: "
                         "delete it by hand")
    before = text.text[text.offset(start.line):text.offset(start.line, start.column)]
    if not before.strip():  # the key starts its line: its lines go
        return Edit(text.offset(start.line), text.offset(_last_line(value_node) + 1), "", *where)
    if index + 1 < len(mapping.value):  # '- old: …': the item's next key moves up after the dash
        following = mapping.value[index + 1][0].start_mark
        return Edit(text.offset(start.line, start.column), text.offset(following.line, following.column), "",
                    *where)
    # the item's only key: the item stays, empty
    return Edit(text.offset(start.line, start.column), text.offset(_last_line(value_node) + 1) - 1, "{}", *where)


def _expected(node: yaml.Node, spec: schema.Spec | None) -> Any:
    """What the file should read as once upgraded: ``node``'s meaning with the older keys changed."""
    if isinstance(node, yaml.MappingNode):
        obj = _obj_for(spec)
        pairs = []
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            change = obj.changed.get(key) if obj is not None and isinstance(key, str) else None
            if change is not None and change.new is None:
                continue
            if change is not None:
                key = change.new
                key_node = yaml.ScalarNode(TAG_STR, key)
            f = obj.fields.get(key) if obj is not None and isinstance(key, str) else None
            pairs.append((_meaning(key_node), _expected(value_node, f.spec if f else None)))
        return ("map", frozenset(pairs), len(pairs))
    if isinstance(node, yaml.SequenceNode):
        item = _item_spec(spec)
        return ("seq", tuple(_expected(v, item) for v in node.value))
    return _meaning(node)


def upgrade_text(text: str, root: schema.Obj) -> tuple[str, list[Edit]]:
    """``text`` (a ledger or registry read as ``root``) with its older keys changed, and the edits made.

    ValueError (line:column: problem) when the text does not parse, when a key cannot be changed in place,
    or when the result would not read as the upgraded file should.
    """
    try:
        # the pure-Python reader: its columns count characters, as the offsets here do
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
    if node is None:
        return text, []
    lines = _Text(text)
    edits = sorted((_edit(lines, m, i, c) for m, i, c in _walk(node, root)), key=lambda e: e.start)
    out = text
    for e in reversed(edits):
        out = out[:e.start] + e.text + out[e.end:]
    if edits:
        try:
            again = yaml.compose(out, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            again = None
        if again is None or _expected(again, root) != _expected(node, root):
            raise ValueError("the upgrade would change more than the older keys; edit them by hand "
                             "(please report this)")
    return out, edits


def upgrade_file(path: Path, check: bool = False) -> list[Edit]:
    """Upgrade a ledger or registry file in place (atomically) unless ``check``; the edits made or needed.

    A file whose top level has ``departments`` (and no ``sections``) is a registry, anything else a ledger.
    """
    original = path.read_bytes().decode("utf-8")
    bom = "\ufeff" if original.startswith("\ufeff") else ""
    text = original.removeprefix(bom)
    try:
        top = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
    keys = {k.value for k, _ in top.value} if isinstance(top, yaml.MappingNode) else set()
    root = schema.REGISTRY if "departments" in keys and "sections" not in keys else schema.LEDGER
    upgraded, edits = upgrade_text(text, root)
    if edits and not check:
        _write_atomically(path, bom + upgraded)
    return edits


__all__ = ["Edit", "upgrade_file", "upgrade_text"]
