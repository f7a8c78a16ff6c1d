"""One JSON form of a task's own fields, readable back into a task (history, tasks.json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.ledger import model


def _date(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def deadline_fields(d: model.Deadline | None) -> dict[str, Any] | None:
    if d is None:
        return None
    parts = [
        {
            "kind": p.kind,
            "text": p.text,
            "due": _date(p.due),
            "start": _date(p.start),
            "every": p.every.value if p.every else None,
            "weekday": None if p.weekday is None else p.weekday + 1,
            "done": _date(p.done),
        }
        for p in d.parts
    ]
    return {"text": d.text, "parts": parts}


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def deadline_from_fields(d: dict[str, Any] | None) -> model.Deadline | None:
    if d is None:
        return None
    parts = [
        model.DeadlinePart(
            kind=p["kind"], text=p["text"], due=_day(p["due"]), start=_day(p["start"]),
            every=model.Every(p["every"]) if p["every"] else None,
            weekday=None if p["weekday"] is None else p["weekday"] - 1, done=_day(p["done"]),
        )
        for p in d["parts"]
    ]
    return model.Deadline(d["text"], parts)


def task_fields(task: model.Task) -> dict[str, Any]:
    """A task's own fields as plain JSON data (responsibility as inherited); the inverse of task_from_fields."""
    return {
        "id": task.id,
        "number": task.number,
        "title": task.title,
        "details": task.details,
        "leader": task.leader,
        "lead": task.lead,
        "units": task.units,
        "deadline": deadline_fields(task.deadline),
        "term": task.term.value if task.term else None,
        "status": task.status.value,
        "percent": task.percent,
        "closed": _date(task.closed),
        "problem": task.problem,
        "measures": task.measures,
        "metrics": [{"name": m.name, "target": m.target, "actual": m.actual, "unit": m.unit} for m in task.metrics],
        "updates": [{"date": u.date.isoformat(), "text": u.text, "by": u.by} for u in task.updates],
        "evidence": [{"title": e.title, "url": e.url} for e in task.evidence],
        "tags": task.tags,
    }


def task_from_fields(d: dict[str, Any]) -> model.Task:
    """A task from the data task_fields made."""
    return model.Task(
        id=d["id"], title=d["title"], number=d["number"], details=d["details"], leader=d["leader"],
        lead=list(d["lead"]), units=list(d["units"]), deadline=deadline_from_fields(d["deadline"]),
        term=model.Term(d["term"]) if d["term"] else None, status=model.Status(d["status"]), percent=d["percent"],
        closed=_day(d["closed"]), problem=d["problem"], measures=list(d["measures"]),
        metrics=[model.Metric(m["name"], m["target"], m["actual"], m["unit"]) for m in d["metrics"]],
        updates=[model.Update(dt.date.fromisoformat(u["date"]), u["text"], u["by"]) for u in d["updates"]],
        evidence=[model.Evidence(e["title"], e["url"]) for e in d["evidence"]], tags=list(d["tags"]),
    )
