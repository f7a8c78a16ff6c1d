"""Machine-readable copies of the ledger: tasks.json and tasks.csv.

Both carry the derived fields (inherited responsibility, due state at the
as-of date). CSV is UTF-8 with a BOM so that Excel opens it, and every cell a
spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from portal.deadlines.due import DueState
from portal.i18n import STATUS_LABELS
from portal.ledger import model
from portal.ledger.fields import _date, task_fields

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def task_record(task: model.Task, state: DueState, lang: str) -> dict[str, Any]:
    """A task as a JSON-ready mapping, with where it sits and its derived fields."""
    fields = task_fields(task)
    return {
        "id": fields.pop("id"),
        "plan": task.plan_id,
        "section_path": list(task.section_path),
        **fields,
        "status_label": STATUS_LABELS[lang][task.status.value],
        "due_state": state.state,
        "due": _date(state.due),
        "days_to_due": state.days,
    }


def _section_record(s: model.Section) -> dict[str, Any]:
    return {
        "id": s.id,
        "number": s.number,
        "title": s.title,
        "leader": s.leader,
        "lead": s.lead,
        "units": s.units,
        "sections": [_section_record(sub) for sub in s.sections],
        "tasks": [t.id for t in s.tasks],
    }


def to_json(ledger: model.Ledger, states: Mapping[str, DueState], as_of: dt.date, lang: str) -> str:
    """tasks.json: the plans' outline and every task, normalised."""
    doc = {
        "as_of": as_of.isoformat(),
        "plans": [
            {
                "id": p.id,
                "title": p.title,
                "year": p.year,
                "issuer": p.issuer,
                "source": p.source,
                "timezone": p.timezone,
                "sections": [_section_record(s) for s in p.sections],
            }
            for p in ledger.plans
        ],
        "tasks": [task_record(t, states[t.id], lang) for t in ledger.tasks()],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


CSV_HEADERS = {
    "zh": ["方案", "板块", "序号", "编号", "任务", "责任领导", "牵头单位", "责任单位", "完成时限", "截止日期",
           "状态", "进度", "逾期临期", "销号日期", "最新进展日期", "最新进展"],
    "en": ["Plan", "Section", "No.", "Id", "Task", "Leader", "Lead", "Units", "Deadline", "Due", "Status",
           "Progress", "Due state", "Closed", "Last update", "Last update text"],
}
STATE_WORDS = {
    "zh": {"overdue": "逾期", "due_soon": "临期"},
    "en": {"overdue": "overdue", "due_soon": "due soon"},
}


def to_csv(ledger: model.Ledger, states: Mapping[str, DueState], lang: str,
           section_titles: Mapping[tuple[str, str], str]) -> str:
    """tasks.csv: one row per task, UTF-8 with BOM, formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS[lang])
    plans = {p.id: p for p in ledger.plans}
    for t in ledger.tasks():
        state = states[t.id]
        last = t.latest_update
        row = [
            plans[t.plan_id].title,
            section_titles.get((t.plan_id, t.section_path[0]), "") if t.section_path else "",
            t.number,
            t.id,
            t.title,
            t.leader,
            "、".join(t.lead),
            "、".join(t.units),
            t.deadline.text if t.deadline else "",
            _date(state.due) or "",
            STATUS_LABELS[lang][t.status.value],
            "" if t.percent is None else f"{t.percent}%",
            STATE_WORDS[lang].get(state.state, ""),
            _date(t.closed) or "",
            _date(last.date) if last else "",
            last.text if last else "",
        ]
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def reproducible_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times, so the same document (docx, xlsx) gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
