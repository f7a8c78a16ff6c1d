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

from portal.history.versions import LedgerState
from portal.i18n import STATUS_LABELS

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


def final_due(deadline: dict[str, Any] | None) -> str | None:
    """The last due date of a deadline's data (ISO), or None."""
    if not deadline:
        return None
    dues = [p["due"] for p in deadline["parts"] if p["due"] and p["kind"] != "recurring"]
    return max(dues) if dues else None


def diff_states(old: LedgerState | None, new: LedgerState | None) -> list[Change]:
    """The changes from ``old`` to ``new`` (either may be None: no ledger), tasks in plan order."""
    before = old.tasks if old else {}
    after = new.tasks if new else {}
    out: list[Change] = []
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


def diff_task(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Field changes of one task."""
    out: list[Change] = []

    def add(kind: str, old: Any, new: Any, postponed: bool = False) -> None:
        out.append(Change(b["id"], kind, old, new, b["title"], b["number"], postponed))

    for kind in ("status", "percent", "leader", "lead", "units", "title"):
        if a[kind] != b[kind]:
            add(kind, a[kind], b[kind])
    if a["deadline"] != b["deadline"]:
        old_due, new_due = final_due(a["deadline"]), final_due(b["deadline"])
        later = bool(old_due and new_due and new_due > old_due)
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
    return {"text": deadline["text"], "due": final_due(deadline)}


def _date_words(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return d.isoformat() if lang == "en" else f"{d.month}月{d.day}日"


WORDS = {
    "zh": {"added": "新增任务", "removed": "删除任务", "status": "状态", "percent": "进度", "deadline": "期限",
           "leader": "责任领导", "lead": "牵头单位", "units": "责任单位", "title": "任务名称",
           "details": "具体内容已修改", "updates": "新增进展", "measures": "新增整改措施", "evidence": "新增佐证材料",
           "postponed": "（延期）", "none": "无", "sep": "、", "colon": "："},
    "en": {"added": "task added", "removed": "task removed", "status": "status", "percent": "progress",
           "deadline": "deadline", "leader": "leader", "lead": "lead", "units": "units", "title": "title",
           "details": "details edited", "updates": "update added", "measures": "measure added",
           "evidence": "evidence added", "postponed": " (postponed)", "none": "none", "sep": ", ", "colon": ": "},
}


def describe(change: Change, lang: str = "zh") -> str:
    """The change as a person reads it, e.g. '状态：进行中 → 已完成'."""
    w = WORDS[lang]
    kind = change.kind
    if kind in ("added", "removed", "details"):
        return w[kind]
    if kind in ("updates", "measures", "evidence"):
        items = [_item_words(kind, item) for item in change.new]
        return w[kind] + w["colon"] + w["sep"].join(items)
    old, new = (_value_words(kind, v, lang) for v in (change.old, change.new))
    suffix = w["postponed"] if change.postponed else ""
    return f"{w[kind]}{w['colon']}{old or w['none']} → {new or w['none']}{suffix}"


def _value_words(kind: str, value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if kind == "status":
        return STATUS_LABELS[lang].get(value, str(value))
    if kind == "percent":
        return f"{value}%"
    if kind in ("lead", "units"):
        return WORDS[lang]["sep"].join(value)
    if kind == "deadline":
        due, text = _date_words(value["due"], lang), value["text"]
        if not due:
            return text
        if not text or text == value["due"]:
            return due
        return f"{text}（{due}）" if lang == "zh" else f"{text} ({due})"
    return str(value)


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")
SUMMARY = {
    "zh": {"title": "台账变更：`{file}`", "none": "没有任务变更。", "count": "{tasks} 项任务，{changes} 处变更",
           "postponed": "其中 {n} 项任务期限延后。"},
    "en": {"title": "Ledger changes: `{file}`", "none": "No task changed.", "count": "{tasks} tasks, {changes} changes",
           "postponed": "{n} of them postponed."},
}


def md_text(text: str) -> str:
    """Ledger text made inert in Markdown: no markup, no HTML, one line."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(file: str, changes: list[Change], lang: str = "zh") -> str:
    """A merge request's summary of one ledger file: a bullet per task, its changes under it."""
    s = SUMMARY[lang]
    lines = [f"### {s['title'].format(file=file)}", ""]
    if not changes:
        return "\n".join([*lines, s["none"], ""])
    by_task: dict[str, list[Change]] = {}
    for change in changes:
        by_task.setdefault(change.task, []).append(change)
    postponed = sum(any(c.postponed for c in cs) for cs in by_task.values())
    summary = s["count"].format(tasks=len(by_task), changes=len(changes))
    lines += [summary + ("；" if lang == "zh" else "; ") + s["postponed"].format(n=postponed) if postponed
              else summary, ""]
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
