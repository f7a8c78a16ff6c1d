"""What changed between two versions of a ledger, task by task, and how to say it.

Tasks are compared by digest first, so only tasks that changed are looked at
field by field. A change is plain data; ``describe`` words it for people
("状态：进行中 → 已完成", "期限：6月30日 → 9月30日（延期）").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from portal.deadlines.due import final_due, postponed
from portal.history.versions import LedgerState, TaskState
from portal.i18n import LABELS, STATUS_LABELS, format_date
from portal.ledger.fields import deadline_from_fields

#: Fields compared, in the order changes are listed.
LISTED = ("status", "percent", "deadline", "leader", "lead", "units", "title", "details", "updates", "measures",
          "evidence")


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one task. ``old`` and ``new`` are JSON data; ``postponed`` marks a later deadline."""

    task: str
    kind: str  # added | removed | one of LISTED
    old: Any = None
    new: Any = None
    title: str = ""  # the task's title in the newer version (older when removed)
    number: str = ""
    postponed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "kind": self.kind, "old": self.old, "new": self.new, "title": self.title,
                "number": self.number, "postponed": self.postponed}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Change:
        return cls(**d)


def final_due_iso(deadline: dict[str, Any] | None) -> str | None:
    """The final due date (:func:`portal.deadlines.due.final_due`) of a deadline's JSON data, as ISO text."""
    due = final_due(deadline_from_fields(deadline))
    return due.isoformat() if due else None


def diff_states(old: LedgerState | None, new: LedgerState | None) -> list[Change]:
    """The changes from ``old`` to ``new`` (either may be None: no ledger), tasks in plan order."""
    before = old.tasks if old else {}
    after = new.tasks if new else {}
    out: list[Change] = []
    if old is not None and new is not None and new.patched is not None and new.patched[0]() is old:
        # made from old by putting in a few tasks: the others are old's own, and no task came or went
        touched = new.patched[1]
        return [c for t in after if t in touched for c in _changed(before[t], after[t])]
    for task_id, state in after.items():
        prev = before.get(task_id)
        if prev is None:
            out.append(Change(task_id, "added", None, None, state.data["title"], state.data["number"]))
        elif prev.digest != state.digest:
            out.extend(diff_task(prev.data, state.data))
    for task_id, state in before.items():
        if task_id not in after:
            out.append(Change(task_id, "removed", None, None, state.data["title"], state.data["number"]))
    return out


def _changed(prev: TaskState, state: TaskState) -> list[Change]:
    return diff_task(prev.data, state.data) if prev.digest != state.digest else []


def diff_task(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Field changes of one task."""
    out: list[Change] = []

    def add(kind: str, old: Any, new: Any, later: bool = False) -> None:
        out.append(Change(b["id"], kind, old, new, b["title"], b["number"], later))

    for kind in ("status", "percent", "leader", "lead", "units", "title"):
        if a[kind] != b[kind]:
            add(kind, a[kind], b[kind])
    if a["deadline"] != b["deadline"]:
        later = postponed(deadline_from_fields(a["deadline"]), deadline_from_fields(b["deadline"]))
        add("deadline", _deadline_words(a["deadline"]), _deadline_words(b["deadline"]), later)
    if a["details"] != b["details"]:
        add("details", None, None)
    for kind in ("updates", "measures", "evidence"):
        added = [item for item in b[kind] if item not in a[kind]]
        if added:
            add(kind, None, added)
    order = {k: i for i, k in enumerate(LISTED)}
    out.sort(key=lambda c: order[c.kind])
    return out


def _deadline_words(deadline: dict[str, Any] | None) -> dict[str, Any] | None:
    if not deadline:
        return None
    return {"text": deadline["text"], "due": final_due_iso(deadline)}


def _date_words(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return format_date(d, lang, short_in_year=d.year)


def _word(lang: str, key: str) -> str:
    return LABELS[lang][f"change_{key}"]


def describe(change: Change, lang: str = "zh") -> str:
    """The change as a person reads it, e.g. '状态：进行中 → 已完成'."""
    L = LABELS[lang]
    kind = change.kind
    if kind in ("added", "removed", "details"):
        return _word(lang, kind)
    if kind in ("updates", "measures", "evidence"):
        items = [_item_words(kind, item) for item in change.new]
        return _word(lang, kind) + L["colon"] + L["list_sep"].join(items)
    old, new = (_value_words(kind, v, lang) for v in (change.old, change.new))
    none = _word(lang, "none")
    suffix = _word(lang, "postponed") if change.postponed else ""
    return f"{_word(lang, kind)}{L['colon']}{old or none} → {new or none}{suffix}"


def _value_words(kind: str, value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if kind == "status":
        return STATUS_LABELS[lang].get(value, str(value))
    if kind == "percent":
        return f"{value}%"
    if kind in ("lead", "units"):
        return LABELS[lang]["list_sep"].join(value)
    if kind == "deadline":
        due, text = _date_words(value["due"], lang), value["text"]
        if not due:
            return text
        if not text or text == value["due"]:
            return due
        return _word(lang, "due").format(text=text, due=due)
    return str(value)


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def md_text(text: str) -> str:
    """Ledger text made inert in Markdown: no markup, no HTML, one line."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(file: str, changes: list[Change], lang: str = "zh") -> str:
    """A merge request's summary of one ledger file: a bullet per task, its changes under it."""
    L = LABELS[lang]
    lines = [f"### {L['mr_title'].format(file=file)}", ""]
    if not changes:
        return "\n".join([*lines, L["mr_none"], ""])
    by_task: dict[str, list[Change]] = {}
    for change in changes:
        by_task.setdefault(change.task, []).append(change)
    postponed = sum(any(c.postponed for c in cs) for cs in by_task.values())
    summary = L["mr_count"].format(tasks=len(by_task), changes=len(changes))
    lines += [summary + L["clause_sep"] + L["mr_postponed"].format(n=postponed) if postponed else summary, ""]
    for task_id, task_changes in by_task.items():
        first = task_changes[0]
        lines.append(f"- **{md_text(first.number + first.title)}** (`{task_id}`)")
        for change in task_changes:
            words = md_text(describe(change, lang))
            lines.append(f"  - {'**' + words + '**' if change.postponed else words}")
    return "\n".join([*lines, ""])


def _item_words(kind: str, item: Any) -> str:
    if kind == "updates":
        return f"{item['date']} {item['text']}"
    if kind == "evidence":
        return str(item["title"])
    return str(item)
