"""Regenerate the sample ledger: the import of the seed plan plus its demo progress.

    .venv/bin/python scripts/make_sample.py [path/to/plan-2020-political-ecology.txt] > tasks.yaml

tasks.yaml is exactly what `portal import` makes of the seed plan (structure, titles, details,
responsibility, deadline wording), with the demo progress of scripts/sample_progress.yaml laid
over it: statuses, updates, evidence, metrics, measures, tags and milestones already met.
tests/test_sample.py checks that the committed tasks.yaml is this script's output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from portal.importer import import_file
from portal.ledger.yamlout import dump_ledger

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[1] / "shared" / "seeds" / "plan-2020-political-ecology.txt"
PROGRESS = HERE / "sample_progress.yaml"


def sample(seed: Path = SEED, progress: Path = PROGRESS) -> str:
    """The sample ledger's text."""
    data, _report = import_file(seed, plan_id="pe2020")
    overlay = yaml.safe_load(progress.read_text(encoding="utf-8"))
    data["plan"].update(overlay.get("plan", {}))
    tasks = {t["id"]: t for t in _tasks(data["sections"])}
    for task_id, extra in overlay["tasks"].items():
        task = tasks[task_id]
        met = extra.pop("milestones_met", {})
        if met:  # a milestone the ledger marks as met: {text: its wording, done: the date}
            wording = task["deadline"] if isinstance(task["deadline"], list) else [task["deadline"]]
            parts = [{"text": w, "done": met[w]} if w in met else w for w in wording]
            task["deadline"] = parts if isinstance(task["deadline"], list) else parts[0]
        task.update(extra)
    return dump_ledger(data)


def _tasks(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for section in sections:
        out.extend(section.get("tasks", []))
        out.extend(_tasks(section.get("sections", [])))
    return out


if __name__ == "__main__":
    sys.stdout.write(sample(Path(sys.argv[1]) if len(sys.argv) > 1 else SEED))
