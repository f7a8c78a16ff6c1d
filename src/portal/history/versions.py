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
import weakref
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from operator import attrgetter
from typing import Any

from portal.history.cache import Cache
from portal.ledger import model
from portal.ledger.fields import task_fields
from portal.ledger.load import read_plan
from portal.ledger.schema import INVALID, TASK, Context
from portal.ledger.yamlread import Reader, SequenceNode, compose_text
from portal.problems import Problems

# Literal searches (fast in C), each checked to stand at the start of its line. Texts are cut as UTF-8 bytes:
# a newline is never part of another character, so every piece starts and ends where a character does.
MARK_RE = re.compile(rb"(?:tasks|sections):[ \t]*(?:#[^\n]*)?(?=\n|$)|- +id:[ \t]*([^\n#]*?)[ \t]*(?:#[^\n]*)?(?=\n|$)")
#: A line that starts a list item with its id: the chunk a cut that lost its way picks up again from.
ITEM_RE = re.compile(rb" *- +id:[ \t]*([^\n#]*?)[ \t]*(?:#[^\n]*)?(?=\n|$)")
BOM = b"\xef\xbb\xbf"
TEXT, SKELETON = attrgetter("text"), attrgetter("skeleton")
NEVER = dt.date.max  # history does not judge updates against an as-of date


class VersionError(Exception):
    """A version of the ledger that does not parse; the message says where."""


@dataclass(frozen=True, slots=True)
class TaskState:
    """One task in one version: its fields (responsibility as inherited) and their digest."""

    id: str
    data: dict[str, Any]
    digest: str


@dataclass(slots=True, weakref_slot=True)
class LedgerState:
    plan_id: str
    title: str
    year: int
    timezone: str
    tasks: dict[str, TaskState] = field(default_factory=dict)  # in plan order
    #: the state this one was made from by putting in the tasks named (the rest are the same objects), while
    #: that state lives: a diff from it need look at those tasks only
    patched: tuple[weakref.ref[LedgerState], frozenset[str]] | None = None


def digest(data: object) -> str:
    """A stable hash of JSON data: equal data, equal digest, across runs and machines."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Chunk:
    task_id: str  # as written after 'id:', possibly quoted
    text: str  # the item, dedented to column 0


Stack = tuple[tuple[int, str], ...]  # the open list keys ('tasks', 'sections') at a point: (indent, name)


@dataclass(slots=True, eq=False)
class Segment:
    """A piece of a ledger text (UTF-8): a task chunk (``name`` set) or the skeleton text between chunks (a gap).

    ``stack`` is what the cut knows after it, so that a later version that keeps the text up to here can take
    the cut up from this point. A segment is shared by the cuts of every version that has it unchanged.
    """

    text: bytes
    name: str | None  # the chunk's id as written; None for a gap
    indent: int  # the column of the chunk's dash (0 for a gap)
    stack: Stack
    skeleton: bytes  # what it stands as in the skeleton: a gap as itself, a chunk as a two-line placeholder
    key: str = ""  # the chunk's cache key, for ``year``
    year: int = 0
    task: str = ""  # the id the chunk reads as, once read


def _segment(text: bytes, name: bytes | None, indent: int, stack: Stack) -> Segment:
    if name is None:
        return Segment(text, None, 0, stack, text)
    placeholder = b" " * indent + b"- id: " + name + b"\n" + b" " * (indent + 2) + b"title: _\n"
    return Segment(text, name.decode("utf-8"), indent, stack, placeholder)


@dataclass(slots=True, eq=False)
class Cut:
    """A ledger text (UTF-8, without a byte order mark) cut into segments. ``fresh`` are the segments cut anew;
    the rest came from the base cut, whose segments ``replaced`` stand where the fresh ones are."""

    data: bytes
    segments: list[Segment]
    fresh: list[Segment]
    replaced: list[Segment]
    skeleton: bytes = b""
    starts: list[int] = field(default_factory=list)  # where each segment starts, and the end

    @property
    def chunks(self) -> list[Segment]:
        return [s for s in self.segments if s.name is not None]


def split(text: str) -> tuple[str, list[Chunk]]:
    """The skeleton (tasks replaced by placeholders) and the task chunks of a ledger text."""
    whole = cut(text.encode("utf-8"))
    return whole.skeleton.decode("utf-8"), [Chunk(s.name, s.text.decode("utf-8")) for s in whole.chunks
                                            if s.name is not None]


def cut(data: bytes, base: Cut | None = None) -> Cut:
    """The text cut into segments; with the cut of an earlier version, only what differs is cut again.

    UnicodeDecodeError when the text (what is cut anew of it) is not UTF-8. Walking the text, a run of the
    base's segments is kept where the text goes on with it and the cut would read it the same (the same lists
    open before it; its last chunk ending where it did, its last piece without a final newline still last);
    elsewhere the text is cut item by item until it meets the base again (at the segment after, or at the
    chunk of the id it comes to). The skeleton and the chunks are those a cut of the whole text gives.
    """
    data = data.removeprefix(BOM)
    stack: list[tuple[int, str]] = []
    if base is None:
        data.decode("utf-8")  # UnicodeDecodeError when it is not
        segments, _ = _cut_from(data, 0, stack, whole=True)
        return _made(data, segments, segments, [])
    old, starts, view = base.segments, base.starts, memoryview(base.data)
    length = len(data)
    out: list[Segment] = []
    fresh: list[Segment] = []
    replaced: list[Segment] = []
    by_name: dict[str, int] | None = None
    pos = i = 0
    synced = True  # the lists open at pos are those open before old[i]
    while pos < length:
        candidates = [i]
        if not synced or not _fits(data, pos, old, i, view, starts):
            if by_name is None:
                by_name = {s.name: n for n, s in enumerate(old) if s.name is not None}
            item = ITEM_RE.match(data, pos)
            candidates = [by_name.get(item[1].decode("utf-8", "replace"), -1)] if item else []
            candidates += [i, i + 1] if not synced else [i + 1]
        for n in candidates:
            if not i <= n < len(old) or tuple(stack) != (old[n - 1].stack if n else ()):
                continue
            k = _run(data, pos, old, n, view, starts)
            if k > n:
                replaced.extend(old[i:n])
                out.extend(old[n:k])
                pos += starts[k] - starts[n]
                stack[:] = old[k - 1].stack
                i, synced = k, True
                break
        else:
            step, pos = _cut_from(data, pos, stack, whole=False)
            for segment in step:
                segment.text.decode("utf-8")  # UnicodeDecodeError when it is not
            out.extend(step)
            fresh.extend(step)
            synced = False
    replaced.extend(old[i:])
    return _made(data, out, fresh, replaced)


def _made(data: bytes, segments: list[Segment], fresh: list[Segment], replaced: list[Segment]) -> Cut:
    """The cut, with its skeleton and the segments' offsets."""
    starts = list(accumulate(map(len, map(TEXT, segments)), initial=0))
    return Cut(data, segments, fresh, replaced, b"".join(map(SKELETON, segments)), starts)


def _fits(data: bytes, pos: int, old: list[Segment], n: int, view: memoryview, starts: list[int]) -> bool:
    """Whether old segment ``n`` at least stands at ``pos`` (a quick look before a run is measured)."""
    return n < len(old) and data.startswith(view[starts[n]:starts[n + 1]], pos)


def _run(data: bytes, pos: int, old: list[Segment], n: int, view: memoryview, starts: list[int]) -> int:
    """How far (to which old segment, exclusive) the base's segments from ``n`` on stand at ``pos`` as a cut
    of ``data`` would make them, the lists open before ``n`` being those open at ``pos``; ``n`` when none."""
    same = _common(data, pos, view, starts[n])
    k = bisect_right(starts, starts[n] + same) - 1  # segments n .. k-1 are in the text as they were
    if k <= n:
        return n
    # Inside the run every piece is followed by the piece it was followed by, so it reads as it did; only the
    # last one can end differently now.
    last = old[k - 1]
    end = pos + starts[k] - starts[n]
    if end < len(data) and not (last.text.endswith(b"\n")
                                and (last.name is None or _ends_item(data, end, last.indent))):
        k -= 1
    return k


def _common(data: bytes, pos: int, view: memoryview, at: int) -> int:
    """The length of the common start of ``data[pos:]`` and ``view[at:]``, in compares of growing spans."""
    limit = min(len(data) - pos, len(view) - at)
    same, span = 0, 512
    while same < limit:  # grow while equal
        size = min(span, limit - same)
        if not data.startswith(view[at + same:at + same + size], pos + same):
            break
        same += size
        span *= 4
    else:
        return same
    low, high = same, same + size  # equal up to low, unequal by high: halve
    while high - low > 1:
        mid = (low + high) // 2
        if data.startswith(view[at + low:at + mid], pos + low):
            low = mid
        else:
            high = mid
    return low


def _cut_from(data: bytes, pos: int, stack: list[tuple[int, str]], *, whole: bool) -> tuple[list[Segment], int]:
    """Segments of ``data`` from ``pos`` (a line start) given the lists open there: up to the end of the text,
    or (``whole`` false) of its next chunk. ``stack`` is left as it is where the segments end."""
    segments: list[Segment] = []
    done = pos  # text before this offset is already in segments
    for m in MARK_RE.finditer(data, pos):
        if m.start() < done:
            continue  # inside a chunk already cut
        line_start = data.rfind(b"\n", 0, m.start()) + 1
        lead = data[line_start:m.start()].strip(b" ")
        indent = m.start() - line_start  # the column of the key, or of the item's dash
        if m[1] is None:  # 'tasks:' or 'sections:', alone or as the first key of an item ('- tasks:')
            if lead not in (b"", b"-"):
                continue  # inside some text
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m[0].split(b":", 1)[0].decode("ascii")))
            continue
        if lead:
            continue  # '- id:' inside some text, or in a layout we do not cut
        keep = len(stack)
        while keep and stack[keep - 1][0] > indent:
            keep -= 1
        if not keep or stack[keep - 1][1] != "tasks":
            del stack[keep:]
            continue
        end = _item_end(data, line_start, indent)
        if done < line_start:  # the gap knows the lists open before this item closed any
            segments.append(_segment(data[done:line_start], None, 0, tuple(stack)))
        del stack[keep:]
        segments.append(_segment(data[line_start:end], m[1], indent, tuple(stack)))
        done = end
        if not whole:
            return segments, done
    if done < len(data):
        segments.append(_segment(data[done:], None, 0, tuple(stack)))
    return segments, len(data)


_END_RE: dict[int, re.Pattern[bytes]] = {}
_NEXT_RE: dict[int, re.Pattern[bytes]] = {}


def _item_end(text: bytes, pos: int, indent: int) -> int:
    """Where the list item starting at ``pos`` ends: the next line indented no deeper than its dash."""
    pattern = _END_RE.get(indent)
    if pattern is None:
        pattern = _END_RE[indent] = re.compile(rb"\n(?= {0,%d}[^ \n])" % indent)
    m = pattern.search(text, pos)
    return m.start() + 1 if m else len(text)


def _ends_item(text: bytes, pos: int, indent: int) -> bool:
    """Whether the line at ``pos`` closes a list item whose dash is at ``indent`` (see ``_item_end``)."""
    pattern = _NEXT_RE.get(indent)
    if pattern is None:
        pattern = _NEXT_RE[indent] = re.compile(rb" {0,%d}[^ \n]" % indent)
    return pattern.match(text, pos) is not None


class StateReader:
    """Reads ledger texts into LedgerStates through the cache.

    Each text is cut taking up the cut of the text read before it (in a walk through history, mostly its
    parent), so only the region that changed is cut, hashed and looked at; when the skeleton is the same, the
    state is the earlier one with the tasks of that region put in.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        # (chunk key, skeleton key) -> state: a task unchanged since the last version costs one hash
        self._states: dict[tuple[str, str], TaskState] = {}
        self._cut: Cut | None = None  # the cut of the text read last
        self._last: tuple[str, LedgerState] | None = None  # its skeleton key and state, when read by chunks

    def read(self, text: str, file: str) -> LedgerState:
        """The state of one version; VersionError when it does not parse."""
        return self.read_bytes(text.encode("utf-8"), file)

    def read_bytes(self, data: bytes, file: str) -> LedgerState:
        """The state of one version as git keeps it (UTF-8, perhaps with a byte order mark); VersionError when it
        is not UTF-8 or does not parse."""
        last, self._last = self._last, None
        try:
            now = cut(data, self._cut)
        except UnicodeDecodeError as exc:
            raise VersionError(f"{file}: not UTF-8") from exc
        self._cut = now
        chunks = now.chunks
        skeleton_key = "s:" + hashlib.sha1(now.skeleton).hexdigest()
        try:
            skeleton = self._cached(skeleton_key, lambda: _parse_skeleton(now.skeleton.decode("utf-8"), file))
            state = None
            if last is not None and last[0] == skeleton_key:
                state = self._patch(last[1], now, skeleton, skeleton_key, file)
            if state is None:
                state = self._assemble(chunks, skeleton, skeleton_key, file)
        except VersionError:
            if not chunks:
                raise
            return self._whole(now.data.decode("utf-8"), file)
        if state is None:
            return self._whole(now.data.decode("utf-8"), file)  # the cut did not match the plan's structure
        self._last = (skeleton_key, state)
        return state

    def keep(self) -> dict[str, Any] | None:
        """How the text read last was cut and read, as small JSON data for :meth:`take_up` in a later process
        (each segment's length, id, indent, open lists, cache key and task with its digest); None when that text
        was not read by chunks."""
        if self._cut is None or self._last is None:
            return None
        skeleton_key, state = self._last
        tasks = state.tasks
        return {"skeleton": skeleton_key, "year": state.year,
                "segments": [[len(s.text), s.name, s.indent, s.stack, s.key, s.year, s.task,
                              tasks[s.task].digest if s.task in tasks else ""] for s in self._cut.segments]}

    def take_up(self, data: bytes, kept: dict[str, Any], file: str) -> LedgerState | None:
        """The state of ``data`` (a version as git keeps it) from what :meth:`keep` gave after reading it, made
        the text read last so that the next text is cut taking it up: no cut, hash or digest of the whole text,
        the chunks' data read from the cache in a few queries. None when ``kept`` does not fit the text or the
        cache does not have every chunk (then the text is read as any other)."""
        data = data.removeprefix(BOM)
        try:
            segments, known, pos = [], {}, 0
            skeleton_key, year = kept["skeleton"], kept["year"]
            for size, name, indent, stack, key, key_year, task, task_digest in kept["segments"]:
                segment = _segment(data[pos:pos + size], None if name is None else name.encode("utf-8"), indent,
                                   tuple((column, kind) for column, kind in stack))
                segment.key, segment.year, segment.task = key, key_year, task
                segments.append(segment)
                pos += size
                if name is not None:
                    known[task] = (key, task_digest)
        except (KeyError, TypeError, ValueError):  # not what keep() wrote
            return None
        now = _made(data, segments, segments, [])
        if pos != len(data) or skeleton_key != "s:" + hashlib.sha1(now.skeleton).hexdigest():
            return None
        try:
            skeleton = self._cached(skeleton_key, lambda: _parse_skeleton(now.skeleton.decode("utf-8"), file))
        except VersionError:
            return None
        own = self.cache.get_many([key for key, _ in known.values()])
        for task, (key, task_digest) in known.items():
            fields = own.get(key)
            if (fields is None or "error" in fields or fields.get("id") != task or task not in skeleton["inherited"]
                    or skeleton["year"] != year):
                return None
            # what _memo makes of the chunk, its digest as it was worked out when the text was read
            self._states.setdefault((key, skeleton_key), TaskState(
                task, _effective(fields, skeleton["inherited"][task]), task_digest))
        state = self._assemble(now.chunks, skeleton, skeleton_key, file)
        if state is None:
            return None
        self._cut, self._last = now, (skeleton_key, state)
        return state

    def _own(self, chunks: list[Segment], skeleton: dict[str, Any], skeleton_key: str,
             file: str) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """Each chunk's task id, with its cache key and, unless its state is known, its data."""
        year = skeleton["year"]
        own: dict[str, tuple[str, dict[str, Any] | None]] = {}
        for chunk in chunks:
            if chunk.year != year or not chunk.key:
                chunk.key, chunk.year = "c:" + hashlib.sha1(f"{year}\n".encode() + chunk.text).hexdigest(), year
            key = chunk.key
            known = self._states.get((key, skeleton_key))
            data = None if known else self._cached(key, lambda c=chunk: _parse_chunk(c.text.decode(), year, file))
            chunk.task = known.id if known else data["id"]  # type: ignore[index]
            own[chunk.task] = (key, data)
        return own

    def _memo(self, key: str, skeleton_key: str, data: dict[str, Any] | None, inherited: dict[str, Any]) -> TaskState:
        memo = self._states.get((key, skeleton_key))
        if memo is None:
            assert data is not None
            memo = self._states[(key, skeleton_key)] = _state(_effective(data, inherited))
        return memo

    def _assemble(self, chunks: list[Segment], skeleton: dict[str, Any], skeleton_key: str,
                  file: str) -> LedgerState | None:
        """The state from every chunk; None when the chunks and the skeleton's placeholders do not match."""
        own = self._own(chunks, skeleton, skeleton_key, file)
        if len(own) != len(chunks) or set(skeleton["placeholders"]) != set(own):
            return None
        state = LedgerState(skeleton["plan"], skeleton["title"], skeleton["year"], skeleton["timezone"])
        for task_id, is_placeholder in skeleton["order"]:
            if not is_placeholder:
                _add(state, _effective(skeleton["inline"][task_id], skeleton["inherited"][task_id]))
                continue
            key, data = own[task_id]
            state.tasks[task_id] = self._memo(key, skeleton_key, data, skeleton["inherited"][task_id])
        return state

    def _patch(self, last: LedgerState, now: Cut, skeleton: dict[str, Any], skeleton_key: str,
               file: str) -> LedgerState | None:
        """The state of a text whose skeleton is that of the text read last: ``last`` with the tasks of the
        region cut anew put in. None when that region's tasks are not the ones it replaced (then the whole
        state is assembled, and judged, again)."""
        fresh = [s for s in now.fresh if s.name is not None]
        gone = {s.task for s in now.replaced if s.name is not None}
        own = self._own(fresh, skeleton, skeleton_key, file)
        if len(own) != len(fresh) or set(own) != gone or "" in gone:
            return None
        state = LedgerState(last.plan_id, last.title, last.year, last.timezone, dict(last.tasks),
                            (weakref.ref(last), frozenset(own)))
        for task_id, (key, data) in own.items():
            state.tasks[task_id] = self._memo(key, skeleton_key, data, skeleton["inherited"][task_id])
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
