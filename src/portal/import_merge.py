"""Re-import a revised plan (调整方案) into the ledger that tracks it: ``portal import revised.docx --into tasks.yaml``.

The revised plan's structure and wording replace the old ones; what the office recorded stays. A task of the new
plan matches a task of the ledger by (in this order) the same title, the same number under a section of the same
title, or the closest wording (title and details, a similarity of at least 0.6); each old task matches once.
A matched task keeps its id and everything the plan does not say (status, percent, closing date, updates,
evidence, metrics, tags, a deadline's marks of milestones met when its wording is unchanged); it takes the new
number, title, details and deadline, and the responsibility, term, problem and measures the revision gives.
Sections match by title or number and keep their ids. New tasks get ids no task of the ledger has; old tasks
without a match are removed (listed, with a warning when they had progress: it stays in git history). The ledger
is edited in place with ruamel, so its comments survive, and written in the house style (``portal fmt``).
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from typing import Any

#: what the plan says about a task (replaced by the revision); everything else is the office's record (kept)
PLAN_KEYS = ("number", "title", "details", "leader", "lead", "units", "deadline", "term", "problem", "measures")
#: of those, what every import reads from the plan's text: gone from the revision means gone from the plan. The
#: others are kept when the revision does not say them (an outline gives no measures; the office may have added some)
ALWAYS_READ = ("number", "title", "details", "deadline")
SECTION_KEYS = ("number", "title", "details", "leader", "lead", "units")
PROGRESS_KEYS = ("status", "percent", "closed", "updates", "evidence", "metrics")
MATCH_RATIO = 0.6


@dataclass
class Changes:
    """What a re-import did, for the report."""

    kept: list[str] = field(default_factory=list)  # ids of matched tasks (changed or not)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, keys that changed)
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    removed: list[tuple[str, str, bool]] = field(default_factory=list)  # (id, title, had progress)


def _walk_tasks(sections: list[Any], path: tuple[str, ...] = ()) -> list[tuple[Any, tuple[str, ...]]]:
    out: list[tuple[Any, tuple[str, ...]]] = []
    for s in sections or []:
        here = (*path, str(s.get("title", "")))
        out.extend((t, here) for t in s.get("tasks", []) or [])
        out.extend(_walk_tasks(s.get("sections", []) or [], here))
    return out


def _walk_sections(sections: list[Any]) -> list[Any]:
    out: list[Any] = []
    for s in sections or []:
        out.append(s)
        out.extend(_walk_sections(s.get("sections", []) or []))
    return out


def _wording(deadline: Any) -> Any:
    """A deadline without its marks: the words as a list (a mapping part reduced to its text)."""
    if deadline is None:
        return None
    parts = deadline if isinstance(deadline, list) else [deadline]
    return [str(p.get("text", p.get("due", ""))) if isinstance(p, dict) else str(p) for p in parts]


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain lists and dicts, for comparing."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if not isinstance(value, str) else str(value)


def _text(task: Any) -> str:
    return f"{task.get('title', '')}\n{task.get('details', '')}"


def match_tasks(old: list[tuple[Any, tuple[str, ...]]],
                new: list[tuple[dict[str, Any], tuple[str, ...]]]) -> dict[int, int]:
    """new index -> old index: same title, then same number under a same-titled section, then closest wording."""
    matched: dict[int, int] = {}
    used: set[int] = set()
    by_title: dict[str, list[int]] = {}
    for i, (task, _) in enumerate(old):
        by_title.setdefault(str(task.get("title", "")), []).append(i)
    for j, (task, _) in enumerate(new):
        candidates = [i for i in by_title.get(task.get("title", ""), []) if i not in used]
        if candidates:
            matched[j] = candidates[0]
            used.add(candidates[0])
    for j, (task, path) in enumerate(new):
        if j in matched or not task.get("number"):
            continue
        for i, (old_task, old_path) in enumerate(old):
            if i not in used and str(old_task.get("number", "")) == task["number"] and old_path[-1:] == path[-1:]:
                matched[j] = i
                used.add(i)
                break
    scores = []
    for j, (task, _) in enumerate(new):
        if j in matched:
            continue
        for i, (old_task, _) in enumerate(old):
            if i in used:
                continue
            ratio = difflib.SequenceMatcher(None, _text(task), _text(old_task), autojunk=False).ratio()
            if ratio >= MATCH_RATIO:
                scores.append((ratio, j, i))
    for _, j, i in sorted(scores, reverse=True):
        if j not in matched and i not in used:
            matched[j] = i
            used.add(i)
    return matched


def merge_into(old_text: str, new: dict[str, Any]) -> tuple[str, Changes]:
    """The ledger ``old_text`` revised to the plan ``new`` (imported data), and what changed."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from portal.importer import _suffixed
    from portal.ledger.model import STATUS_ZH, Status
    from portal.ledger.yamlout import format_text

    yaml = YAML()
    yaml.preserve_quotes = True
    root = yaml.load(old_text)
    if not isinstance(root, dict) or not isinstance(root.get("sections"), list):
        raise ValueError("not a ledger")
    changes = Changes()
    old_tasks = _walk_tasks(root["sections"])
    new_tasks = _walk_tasks(new["sections"])
    matched = match_tasks(old_tasks, new_tasks)
    old_sections = _walk_sections(root["sections"])
    taken = {str(t.get("id", "")) for t, _ in old_tasks} | {str(s.get("id", "")) for s in old_sections}
    section_used: set[int] = set()

    def fresh(base: str) -> str:
        k = 0
        while _suffixed(base, k) in taken:
            k += 1
        taken.add(_suffixed(base, k))
        return _suffixed(base, k)

    new_index = {id(t): j for j, (t, _) in enumerate(new_tasks)}

    def task_map(task: dict[str, Any]) -> Any:
        j = new_index[id(task)]
        if j not in matched:
            out = CommentedMap(task)
            out["id"] = fresh(task["id"]) if task["id"] in taken else task["id"]
            taken.add(out["id"])
            changes.added.append((out["id"], task["title"]))
            return out
        old = old_tasks[matched[j]][0]
        changed = []
        for key in PLAN_KEYS:
            if key == "deadline" and _wording(old.get(key)) == _wording(task.get(key)):
                continue  # same words: the ledger's marks of milestones met stay
            if key not in task and key not in ALWAYS_READ:
                continue
            if _plain(old.get(key)) != _plain(task.get(key)):
                changed.append(key)
                if key in task:
                    old[key] = task[key]
                else:
                    del old[key]
        changes.kept.append(str(old["id"]))
        if changed:
            changes.changed.append((str(old["id"]), changed))
        return old

    def section_map(section: dict[str, Any]) -> Any:
        k = next((i for i, s in enumerate(old_sections) if i not in section_used
                  and str(s.get("title", "")) == section["title"]), None)
        if k is None:
            k = next((i for i, s in enumerate(old_sections) if i not in section_used and section.get("number")
                      and str(s.get("number", "")) == section["number"]), None)
        if k is not None:
            section_used.add(k)
            out = old_sections[k]
            for key in SECTION_KEYS:
                if key in section:
                    out[key] = section[key]
                elif key in out:
                    del out[key]
        else:
            out = CommentedMap((key, value) for key, value in section.items() if key not in ("sections", "tasks"))
            out["id"] = fresh(section["id"]) if section["id"] in taken else section["id"]
            taken.add(out["id"])
        for key in ("sections", "tasks"):
            if section.get(key):
                seq = CommentedSeq(section_map(s) if key == "sections" else task_map(s) for s in section[key])
                out[key] = seq
            elif key in out:
                del out[key]
        return out

    sections = CommentedSeq(section_map(s) for s in new["sections"])
    kept = {id(old_tasks[i][0]) for i in matched.values()}
    for task, _ in old_tasks:
        if id(task) not in kept:
            progress = any(task.get(k) for k in PROGRESS_KEYS if k != "status") or task.get("status") not in (
                None, Status.NOT_STARTED.value, STATUS_ZH[Status.NOT_STARTED])
            changes.removed.append((str(task.get("id", "")), str(task.get("title", "")), bool(progress)))
    root["sections"] = sections
    for key in ("title", "issuer", "source"):
        if new["plan"].get(key) and root["plan"].get(key) != new["plan"][key]:
            root["plan"][key] = new["plan"][key]
    stream = io.StringIO()
    yaml.dump(root, stream)
    return format_text(stream.getvalue(), "ledger"), changes
