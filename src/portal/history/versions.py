"""A ledger version as per-task states, parsing only what is new.

A ledger text is cut into task chunks (each ``- id:`` item of a ``tasks:``
list) and a skeleton (everything else, with each task left as a two-line
placeholder so that the plan's nesting and inherited responsibility still
read). Chunks and skeletons are parsed once per distinct text, through a cache
on disk keyed by the text's hash, so reading a version costs a hash per task and
a parse only for what changed. When the cut does not fit the file (an unusual
layout), the whole text is parsed instead: slower, never different.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from portal.history.cache import Cache
from portal.ledger import model
from portal.ledger.fields import task_fields
from portal.ledger.load import read_plan
from portal.ledger.schema import INVALID, TASK, Context
from portal.ledger.yamlread import Reader, SequenceNode, compose_text
from portal.problems import Problems

# Literal searches (fast in C), each checked to stand at the start of its line.
MARK_RE = re.compile(r"(?:tasks|sections):[ \t]*(?:#[^\n]*)?(?=\n|$)|- +id:[ \t]*([^\n#]*?)[ \t]*(?:#[^\n]*)?(?=\n|$)")
NEVER = dt.date.max  # history does not judge updates against an as-of date


class VersionError(Exception):
    """A version of the ledger that does not parse; the message says where."""


@dataclass(frozen=True, slots=True)
class TaskState:
    """One task in one version: its fields (responsibility as inherited) and their digest."""

    id: str
    data: dict[str, Any]
    digest: str


@dataclass(slots=True)
class LedgerState:
    plan_id: str
    title: str
    year: int
    timezone: str
    tasks: dict[str, TaskState] = field(default_factory=dict)  # in plan order


def digest(data: object) -> str:
    """A stable hash of JSON data: equal data, equal digest, across runs and machines."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Chunk:
    task_id: str  # as written after 'id:', possibly quoted
    text: str  # the item, dedented to column 0


def split(text: str) -> tuple[str, list[Chunk]]:
    """The skeleton (tasks replaced by placeholders) and the task chunks of a ledger text."""
    stack: list[tuple[int, str]] = []  # open list keys: (indent, name)
    pieces: list[str] = []
    chunks: list[Chunk] = []
    done = 0  # text before this offset is already in pieces or chunks
    for m in MARK_RE.finditer(text):
        if m.start() < done:
            continue  # inside a chunk already cut
        line_start = text.rfind("\n", 0, m.start()) + 1
        lead = text[line_start:m.start()].strip(" ")
        indent = m.start() - line_start  # the column of the key, or of the item's dash
        if m[1] is None:  # 'tasks:' or 'sections:', alone or as the first key of an item ('- tasks:')
            if lead not in ("", "-"):
                continue  # inside some text
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m[0].split(":", 1)[0]))
            continue
        if lead:
            continue  # '- id:' inside some text, or in a layout we do not cut
        name, pos = m[1], line_start
        while stack and stack[-1][0] > indent:
            stack.pop()
        if not stack or stack[-1][1] != "tasks":
            continue
        end = _item_end(text, pos, indent)
        pieces.append(text[done:pos])
        pieces.append(f"{' ' * indent}- id: {name}\n{' ' * (indent + 2)}title: _\n")
        chunks.append(Chunk(name, text[pos:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces), chunks


_END_RE: dict[int, re.Pattern[str]] = {}


def _item_end(text: str, pos: int, indent: int) -> int:
    """Where the list item starting at ``pos`` ends: the next line indented no deeper than its dash."""
    pattern = _END_RE.get(indent)
    if pattern is None:
        pattern = _END_RE[indent] = re.compile(rf"\n(?= {{0,{indent}}}[^ \n])")
    m = pattern.search(text, pos)
    return m.start() + 1 if m else len(text)


class StateReader:
    """Reads ledger texts into LedgerStates through the cache."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        # (chunk key, skeleton key) -> state: a task unchanged since the last version costs one hash
        self._states: dict[tuple[str, str], TaskState] = {}

    def read(self, text: str, file: str) -> LedgerState:
        """The state of one version; VersionError when it does not parse."""
        skeleton_text, chunks = split(text)
        skeleton_key = "s:" + hashlib.sha1(skeleton_text.encode("utf-8")).hexdigest()
        try:
            skeleton = self._cached(skeleton_key, lambda: _parse_skeleton(skeleton_text, file))
            year = skeleton["year"]
            keys = ["c:" + hashlib.sha1(f"{year}\n{c.text}".encode()).hexdigest() for c in chunks]
            own: dict[str, tuple[str, dict[str, Any] | None]] = {}
            for key, chunk in zip(keys, chunks, strict=True):
                known = self._states.get((key, skeleton_key))
                data = None if known else self._cached(key, lambda c=chunk: _parse_chunk(c.text, year, file))
                own[known.id if known else data["id"]] = (key, data)  # type: ignore[index]
        except VersionError:
            if not chunks:
                raise
            return self._whole(text, file)
        if len(own) != len(chunks) or set(skeleton["placeholders"]) != set(own):
            return self._whole(text, file)  # the cut did not match the plan's structure: parse it all
        state = LedgerState(skeleton["plan"], skeleton["title"], skeleton["year"], skeleton["timezone"])
        for task_id, is_placeholder in skeleton["order"]:
            if not is_placeholder:
                _add(state, _effective(skeleton["inline"][task_id], skeleton["inherited"][task_id]))
                continue
            key, data = own[task_id]
            memo = self._states.get((key, skeleton_key))
            if memo is None:
                assert data is not None
                memo = self._states[(key, skeleton_key)] = _state(_effective(data, skeleton["inherited"][task_id]))
            state.tasks[task_id] = memo
        return state

    def _cached(self, key: str, parse: Any) -> dict[str, Any]:
        value = self.cache.get(key)
        if value is None:
            value = parse()
            self.cache.put(key, value)
        if "error" in value:
            raise VersionError(value["error"])
        return value

    def _whole(self, text: str, file: str) -> LedgerState:
        plan = _read_plan(text, file)
        state = LedgerState(plan.id, plan.title, plan.year, plan.timezone)
        for task in plan.walk_tasks():
            _add(state, {**task_fields(task), "section": list(task.section_path)})
        return state


def _state(data: dict[str, Any]) -> TaskState:
    return TaskState(data["id"], data, digest(data))


def _add(state: LedgerState, data: dict[str, Any]) -> None:
    state.tasks[data["id"]] = _state(data)


def _effective(own: dict[str, Any], inherited: dict[str, Any]) -> dict[str, Any]:
    data = dict(own)
    for key in ("leader", "lead", "units"):
        data[key] = own[key] or inherited[key]
    data["section"] = inherited["section"]
    return data


def _read_plan(text: str, file: str) -> model.Plan:
    problems = Problems()
    reader = Reader(file, problems)
    root = compose_text(text, reader)
    plan = read_plan(root, reader, None, "", NEVER, []) if root is not None else None
    if plan is None:
        first = problems.sorted()[0].render() if problems.items else f"{file}: empty"
        raise VersionError(first)
    return plan


def _parse_skeleton(text: str, file: str) -> dict[str, Any]:
    """Plan header, the order of tasks, and what each placeholder inherits."""
    try:
        plan = _read_plan(text, file)
    except VersionError as err:
        return {"error": str(err)}
    order: list[tuple[str, bool]] = []
    inherited: dict[str, Any] = {}
    inline: dict[str, Any] = {}
    placeholders: list[str] = []
    for task in plan.walk_tasks():
        is_placeholder = task.title == "_" and not task.details and task.status is model.Status.NOT_STARTED
        order.append((task.id, is_placeholder))
        if is_placeholder:
            placeholders.append(task.id)
        else:  # a task the cut did not take out (its first key is not id): read with the skeleton
            inline[task.id] = {**task_fields(task), "section": list(task.section_path)}
        inherited[task.id] = {"leader": task.leader, "lead": task.lead, "units": task.units,
                              "section": list(task.section_path)}
    return {"plan": plan.id, "title": plan.title, "year": plan.year, "timezone": plan.timezone, "order": order,
            "inherited": inherited, "inline": inline, "placeholders": placeholders}


def _parse_chunk(text: str, year: int, file: str) -> dict[str, Any]:
    problems = Problems()
    reader = Reader(file, problems)
    root = compose_text(text, reader)
    if not isinstance(root, SequenceNode) or len(root.value) != 1:
        first = problems.sorted()[0].render() if problems.items else f"{file}: task does not read"
        return {"error": first}
    task = TASK.read(root.value[0], Context(reader, year=year, as_of=NEVER))
    if task is INVALID:
        return {"error": problems.sorted()[0].render()}
    return task_fields(task)
