"""Machine-readable copies of the ledger: tasks.json and tasks.csv.

Both carry the derived fields (inherited responsibility, due state at the
as-of date). CSV is UTF-8 with a BOM so that Excel opens it, and every cell a
spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from portal.deadlines.due import DueState
from portal.i18n import LABELS, STATUS_LABELS
from portal.ledger import model
from portal.ledger.fields import _date, task_fields
from portal.survey import Survey

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def task_record(task: model.Task, state: DueState, lang: str, survey: Survey | None = None) -> dict[str, Any]:
    """A task as a JSON-ready mapping, with where it sits and its derived fields (with the survey: its light
    and why, the reporting periods it missed, its postponements)."""
    fields = task_fields(task)
    record = {
        "id": fields.pop("id"),
        "plan": task.plan_id,
        "section_path": list(task.section_path),
        **fields,
        "status_label": STATUS_LABELS[lang][task.status.value],
        "due_state": state.state,
        "due": _date(state.due),
        "days_to_due": state.days,
    }
    if survey is not None:
        light = survey.light(task)
        record.update({
            "light": light.color,
            "light_reasons": list(light.reasons),
            "missed_periods": [{"start": _date(p.start), "end": _date(p.end)} for p in survey.missed(task)],
            "postponements": [{"date": _date(m.when), "old": _date(m.old), "new": _date(m.new)}
                              for m in survey.moves.get(task.id, ())],
        })
    return record


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


def to_json(survey: Survey, lang: str) -> str:
    """tasks.json: the plans' outline and every task, normalised; one task a line.

    Each task is encoded by json's C encoder on a line of its own: ``indent`` would send the whole document
    through the pure-Python encoder (twice the time for 10,000 tasks), and a line per task still reads and diffs
    well.
    """
    head = {
        "as_of": survey.as_of.isoformat(),
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
            for p in survey.ledger.plans
        ],
    }
    encode = json.JSONEncoder(ensure_ascii=False).encode
    tasks = ",\n".join(encode(task_record(t, survey.states[t.id], lang, survey)) for t in survey.tasks)
    return f"{encode(head)[:-1]},\n\"tasks\": [\n{tasks}\n]}}\n" if tasks else f"{encode(head)[:-1]}, \"tasks\": []}}\n"


def csv_headers(lang: str) -> list[str]:
    """The CSV's columns, in the site's language."""
    keys = ("col_plan", "section", "number", "col_id", "task", "leader", "lead", "units", "deadline", "col_due",
            "status", "progress", "col_due_state", "col_closed", "col_last_update_date", "col_last_update")
    return [LABELS[lang][k] for k in keys]


def due_state_words(state: DueState, lang: str) -> str:
    """'逾期' or '临期' for a task's due state; '' for any other state."""
    return LABELS[lang][f"state_{state.state}"] if state.state in ("overdue", "due_soon") else ""


def to_csv(survey: Survey, lang: str) -> str:
    """tasks.csv: one row per task, UTF-8 with BOM, formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_headers(lang))
    plans = {p.id: p for p in survey.ledger.plans}
    tops = {(p.id, s.id): s.label for p in survey.ledger.plans for s in p.sections}
    sep = LABELS[lang]["list_sep"]
    for t in survey.tasks:
        state = survey.states[t.id]
        last = t.latest_update
        row = [
            plans[t.plan_id].title,
            tops.get((t.plan_id, t.section_path[0]), "") if t.section_path else "",
            t.number,
            t.id,
            t.title,
            t.leader,
            sep.join(t.lead),
            sep.join(t.units),
            t.deadline.text if t.deadline else "",
            _date(state.due) or "",
            STATUS_LABELS[lang][t.status.value],
            "" if t.percent is None else f"{t.percent}%",
            due_state_words(state, lang),
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
