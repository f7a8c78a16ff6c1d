"""Helpers for the monthly round's tests: forms made by `portal forms`, filled in with openpyxl as a person would."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from portal.cli import main
from portal.round.forms import COL_BY, COL_EVIDENCE, COL_ID, COL_PERCENT, COL_PROGRESS, COL_STATUS, FIRST_ROW

COLUMNS = {"progress": COL_PROGRESS, "status": COL_STATUS, "percent": COL_PERCENT, "evidence": COL_EVIDENCE,
           "by": COL_BY}


def portal(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, str, str]:
    """Run a `portal` subcommand on ``project`` in this process; (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([args[0], "-f", str(project / "mkdocs.yml"), *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def make_forms(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> Path:
    out = project / "forms"
    code, _, err = portal(capsys, project, "forms", "--out", str(out), *args)
    assert code == 0, err
    return out


def form_of(folder: Path, dept: str) -> Path:
    (found,) = folder.glob(f"*-{dept}.xlsx")
    return found


def rows_by_id(ws: Any) -> dict[str, int]:
    return {ws.cell(r, COL_ID).value: r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, COL_ID).value}


def fill(form: Path, answers: Mapping[str, Mapping[str, Any]], dest: Path | None = None, sheet: int = 0,
         date: Any = None) -> Path:
    """Type answers into a form as a person would (a status word from the drop-down, a text, a percent) and save."""
    wb = load_workbook(form)
    ws = wb.worksheets[sheet]
    rows = rows_by_id(ws)
    for task_id, answer in answers.items():
        for key, value in answer.items():
            ws.cell(rows[task_id], COLUMNS[key]).value = value
    if date is not None:
        wb.worksheets[0]["K3"].value = date
    dest = dest or form
    wb.save(dest)
    return dest
