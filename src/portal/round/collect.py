"""Forms in: filled workbooks read, checked and written into the ledger (``portal collect``).

Reading a form is defensive: the file is a workbook someone mailed in. Before openpyxl sees it, its size is
capped, an encrypted or legacy (.xls, WPS) compound file, a macro-enabled workbook, an encrypted zip entry, a zip
whose entries unpack to more than :data:`MAX_UNPACKED` (zip bombs: Python's zip reader never returns more than an
entry declares, so the declared sizes bound the work) and XML with a DOCTYPE (entity expansion) are refused. Only
a workbook that :mod:`portal.round.forms` wrote is read: its very hidden sheet names the department, the period and
the ids of every row.

Every problem is collected before anything is written, and each points at its cell as ``文件名 › 表名 › C12``:
a status that is not a status word (with a did-you-mean), a percent that is not a whole number 0–100 or
contradicts the status, progress missing where a status or percent is given, a cell holding a formula (its text is
read, never its result), a task id changed, added, unknown or of another department, a form of another period or
department, a report date outside the period, an answer that differs from one collected already or from another
form's in the same run. A row answered exactly as a collected update (same date, department and text) is
collected already and changes nothing, so collecting a form twice leaves the ledger as it was.

The accepted answers are spliced into the ledger text (:mod:`portal.round.edit`), and the edited text is loaded
with the validator (:func:`portal.ledger.load.load_text`): a problem it finds in a new line is put back on the form
cell that supplied it. Without ``partial`` nothing is written when there is any error; with it the rows without
errors are written.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from portal.i18n import LABELS, STATUS_LABELS, format_date, message
from portal.ledger import model, schema
from portal.ledger.load import load_text
from portal.problems import LedgerError, printable
from portal.round import edit
from portal.round.forms import (
    COL_BY,
    COL_EVIDENCE,
    COL_ID,
    COL_PERCENT,
    COL_PROGRESS,
    COL_STATUS,
    DATE_CELL,
    FIRST_ROW,
    INFO_ROW,
    KINDS,
    MARKER,
    META_SHEET,
    VERSION,
)
from portal.round.periods import Period

MiB = 1024 * 1024
MAX_FORM_BYTES = 20 * MiB  # a form of 10,000 tasks is about 1 MiB
MAX_UNPACKED = 200 * MiB  # the sum of what the zip's entries declare
MAX_MEMBERS = 1000
MAX_ROWS = 50_000  # rows of one sheet
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, .et, or an encrypted .xlsx
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
URL_IN_TEXT = re.compile(r"(?:https?://|mailto:)[^\s\"<>，。；、）)]+", re.IGNORECASE)
DATE_TEXT = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")
SHOWN = 40  # characters of a cell's text quoted in a message

PERIOD_CELL = f"D{INFO_ROW}"
DEPT_CELL = f"A{INFO_ROW}"


# --- problems ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormProblem:
    """A problem of a returned form at ``file › sheet › cell`` (sheet and cell when known)."""

    file: str
    sheet: str
    cell: str
    code: str
    params: tuple[tuple[str, object], ...] = ()
    severity: str = "error"  # error | note

    @property
    def where(self) -> str:
        return " › ".join(printable(p) for p in (self.file, self.sheet, self.cell) if p)

    def render(self, lang: str = "zh") -> str:
        text = message(lang, self.code, dict(self.params))
        return message(lang, "collect_problem", {"where": self.where, "text": printable(text)})


def _shown(value: object) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


# --- one form ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Answer:
    """One answered row of a form."""

    form: FormRead
    sheet: str
    row: int
    kind: str  # lead | shared
    task: model.Task | None
    progress: str = ""
    status: model.Status | None = None
    percent: int | None = None
    evidence: str = ""
    person: str = ""
    errors: int = 0
    already: bool = False  # collected before: the task has this update already

    def cell(self, column: int) -> str:
        return f"{get_column_letter(column)}{self.row}"


@dataclass(slots=True)
class FormRead:
    """What a returned form says, and its problems."""

    path: Path
    name: str
    digest: str = ""
    dept: model.Department | None = None
    period: str = ""
    date: dt.date | None = None
    answers: list[Answer] = field(default_factory=list)
    problems: list[FormProblem] = field(default_factory=list)
    usable: bool = True  # False: the file as a whole cannot be read or is not a form of this period

    def problem(self, code: str, sheet: str = "", cell: str = "", severity: str = "error", **params: object) -> None:
        self.problems.append(FormProblem(self.name, sheet, cell, code, tuple(params.items()), severity))

    def fatal(self, code: str, sheet: str = "", cell: str = "", **params: object) -> FormRead:
        self.problem(code, sheet, cell, **params)
        self.usable = False
        return self


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n / 1024:.0f} KiB"


def check_container(data: bytes, form: FormRead) -> bool:
    """The checks made before a spreadsheet library sees the bytes; False when the file is refused."""
    if data.startswith(CFB_MAGIC):
        form.fatal("form_encrypted" if ENCRYPTION_INFO in data else "form_old_format")
        return False
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        form.fatal("form_corrupt", reason=_shown(err) or type(err).__name__)
        return False
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            form.fatal("form_unpacked_too_big", limit=_size(MAX_UNPACKED))
            return False
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            form.fatal("form_unpacked_too_big", limit=_size(MAX_UNPACKED))
            return False
        names = {i.filename.lower() for i in infos}
        if any(i.flag_bits & 0x1 for i in infos):
            form.fatal("form_encrypted")
            return False
        if any(n.endswith("vbaproject.bin") for n in names):
            form.fatal("form_macro")
            return False
        try:
            types = archive.read("[Content_Types].xml") if "[content_types].xml" in names else b""
            if b"macroEnabled" in types:
                form.fatal("form_macro")
                return False
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")) and DOCTYPE.search(archive.read(info)):
                    form.fatal("form_corrupt", reason="DOCTYPE")
                    return False
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as err:
            form.fatal("form_corrupt", reason=_shown(err) or type(err).__name__)
            return False
    return True


def read_form(path: Path, ledger: model.Ledger, period: Period, as_of: dt.date, lang: str = "zh",
              tasks: Mapping[str, model.Task] | None = None) -> FormRead:
    """A returned form read and checked against the ledger and the period being collected."""
    form = FormRead(path, path.name)
    try:
        size = path.stat().st_size
        if size > MAX_FORM_BYTES:
            return form.fatal("form_too_big", size=_size(size), limit=_size(MAX_FORM_BYTES))
        with path.open("rb") as f:
            data = f.read(MAX_FORM_BYTES + 1)
    except FileNotFoundError:
        return form.fatal("form_missing")
    except OSError as err:
        return form.fatal("form_unreadable", reason=err.strerror or type(err).__name__)
    if len(data) > MAX_FORM_BYTES:
        return form.fatal("form_too_big", size=_size(len(data)), limit=_size(MAX_FORM_BYTES))
    form.digest = hashlib.sha256(data).hexdigest()
    if not check_container(data, form):
        return form
    try:
        # Read-only: the sheets are streamed, which is faster, and nothing else of the workbook is built.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_vba=False, keep_links=False,
                           rich_text=False)
    except Exception as err:  # openpyxl raises many kinds on a damaged workbook; none may stop the others' checks
        return form.fatal("form_corrupt", reason=_shown(err) or type(err).__name__)
    try:
        return _read_book(wb, form, ledger, period, as_of, lang, tasks)
    except Exception as err:  # a damaged sheet shows only when it is read
        return form.fatal("form_corrupt", reason=_shown(err) or type(err).__name__)
    finally:
        wb.close()


def _read_book(wb: Any, form: FormRead, ledger: model.Ledger, period: Period, as_of: dt.date, lang: str,
               tasks: Mapping[str, model.Task] | None) -> FormRead:
    meta = _meta(wb[META_SHEET]) if META_SHEET in wb.sheetnames else {}
    if meta.get("marker") != MARKER:
        return form.fatal("form_not_ours")
    if meta.get("version") != VERSION:
        return form.fatal("form_version", version=_shown(meta.get("version", "")), expected=VERSION)
    tasks = tasks if tasks is not None else {t.id: t for t in ledger.tasks()}
    first = wb.sheetnames[0]
    name = str(meta.get("department", ""))
    form.dept = ledger.registry.resolve(name) or _dept_in_tasks(name, tasks.values())
    if form.dept is None:
        form.fatal("form_dept_unknown", first, DEPT_CELL, value=_shown(name))
    form.period = str(meta.get("period", ""))
    if form.period != period.key or meta.get("cadence") != period.cadence:
        form.fatal("form_other_period", first, PERIOD_CELL, form=_period_words(form.period, lang),
                   period=period.label(lang))
    sheets = meta.get("sheets", {})
    for kind in KINDS:
        title = sheets.get(kind)
        if title is None or title not in wb.sheetnames:
            form.fatal("form_sheet_missing", value=_shown(title or kind))
    if not form.usable:
        return form
    for i, kind in enumerate(KINDS):
        title = sheets[kind]
        rows = _grid(wb[title], form, title)
        if rows is None:
            return form
        if i == 0:
            form.date = _report_date(rows, title, form, period, as_of, lang)
        _read_rows(title, rows[FIRST_ROW - 1:], kind, meta["ids"].get(kind, []), form, tasks, lang)
    return form


@dataclass(frozen=True, slots=True)
class _Cell:
    """What is read of a cell: its value, its type (``f`` a formula), its number format and where it is."""

    value: Any
    data_type: str
    number_format: str
    coordinate: str


def _grid(ws: Any, form: FormRead, sheet: str, max_col: int = COL_ID) -> list[list[_Cell]] | None:
    """The cells of a sheet's first ``max_col`` columns, row by row from row 1; None (said) when too many."""
    rows: list[list[_Cell]] = []
    for r, row in enumerate(ws.iter_rows(min_row=1, max_col=max_col), 1):
        if r > MAX_ROWS + FIRST_ROW:
            form.fatal("form_too_many_rows", sheet, rows=f"{MAX_ROWS:,}+", limit=f"{MAX_ROWS:,}")
            return None
        cells = [_Cell(getattr(c, "value", None), getattr(c, "data_type", "n") or "n",
                       getattr(c, "number_format", "General") or "General", f"{get_column_letter(i)}{r}")
                 for i, c in enumerate(row[:max_col], 1)]
        cells += [_Cell(None, "n", "General", f"{get_column_letter(i)}{r}") for i in range(len(cells) + 1, max_col + 1)]
        rows.append(cells)
    return rows


def _dept_in_tasks(name: str, tasks: Iterable[model.Task]) -> model.Department | None:
    """A department named in the ledger's tasks without a registry entry (a ledger without a registry)."""
    if not name:
        return None
    from portal.ledger.load import slugify

    return next((model.Department(name, slug=slugify(name)) for t in tasks if name in t.lead or name in t.units),
                None)


def _period_words(key: str, lang: str) -> str:
    m = re.match(r"^(\d{4})-(\d{2})$", key)
    if m:
        return LABELS[lang]["month_name"].format(y=int(m[1]), m=int(m[2]), iso=key)
    m = re.match(r"^(\d{4})-Q([1-4])$", key)
    if m:
        from portal.i18n import cn_number

        return LABELS[lang]["round_quarter"].format(y=int(m[1]), q=int(m[2]), qn=cn_number(int(m[2])))
    return _shown(key)


def _meta(ws: Any) -> dict[str, Any]:
    """The hidden record: marker, version, department, period, the sheets by kind and the ids of each, in order."""
    meta: dict[str, Any] = {"sheets": {}, "ids": {kind: [] for kind in KINDS}}
    ids = False
    for r, row in enumerate(ws.iter_rows(min_row=1, max_col=len(KINDS) + 1, values_only=True), 1):
        if r > MAX_ROWS + 64:
            break
        row = tuple(row) + (None,) * (len(KINDS) + 1 - len(row))
        if r == 1:
            meta["marker"], meta["version"] = row[0], str(row[1] or "")
        elif ids:
            for kind, value in zip(KINDS, row, strict=False):
                if value is not None:
                    meta["ids"][kind].append(str(value))
        elif row[0] == "ids":
            ids = True
        elif isinstance(row[0], str) and row[0].startswith("sheet:"):
            meta["sheets"][row[0][6:]] = str(row[1]) if row[1] is not None else None
        elif isinstance(row[0], str):
            meta[row[0]] = row[1]
    return meta


def _is_formula(cell: _Cell) -> bool:
    return cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


def _formula_text(cell: _Cell) -> str:
    value = cell.value
    if isinstance(value, ArrayFormula):
        return str(value.text or "")
    if isinstance(value, DataTableFormula):
        return "TABLE()"
    return str(value)


def _text(cell: _Cell) -> str:
    """A cell's text as a person typed it: a number as written, a date as YYYY-MM-DD."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("_x000D_", "").strip()


def _report_date(rows: list[list[_Cell]], sheet: str, form: FormRead, period: Period, as_of: dt.date,
                 lang: str) -> dt.date | None:
    row, column = coordinate_to_tuple(DATE_CELL)
    cell = rows[row - 1][column - 1] if len(rows) >= row else _Cell(None, "n", "General", DATE_CELL)
    if _is_formula(cell):
        form.problem("form_formula", sheet, DATE_CELL, formula=_shown(_formula_text(cell)))
        return None
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day: dt.date | None = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            converted = from_excel(value)
            day = converted.date() if isinstance(converted, dt.datetime) else converted
        except (ValueError, OverflowError, TypeError):
            day = None
    elif isinstance(value, str):
        m = DATE_TEXT.match(unicodedata.normalize("NFKC", value))
        if m:
            try:
                day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                day = None
    if not isinstance(day, dt.date):
        form.problem("form_bad_date", sheet, DATE_CELL, value=_shown(_text(cell)))
        return None
    if day not in period:
        form.problem("form_date_outside", sheet, DATE_CELL, value=format_date(day, lang), period=period.label(lang),
                     start=format_date(period.start, lang), end=format_date(period.end, lang))
        return None
    if day > as_of:
        form.problem("form_date_future", sheet, DATE_CELL, value=format_date(day, lang),
                     as_of=format_date(as_of, lang))
        return None
    return day


_STATUS_LOOKUP: dict[str, model.Status] = {}


def status_lookup() -> dict[str, model.Status]:
    """Every spelling of a status a form may carry: the Chinese and English words, the keys, the ledger's aliases."""
    if not _STATUS_LOOKUP:
        for lang_words in STATUS_LABELS.values():
            for key, word in lang_words.items():
                _STATUS_LOOKUP[word.lower()] = model.Status(key)
        for key in model.Status:
            _STATUS_LOOKUP[key.value] = key
        for alias, key in schema.STATUS.aliases.items():
            _STATUS_LOOKUP[alias.lower()] = model.Status(key)
    return _STATUS_LOOKUP


def _read_rows(sheet: str, rows: list[list[_Cell]], kind: str, expected: list[str], form: FormRead,
               tasks: Mapping[str, model.Task], lang: str) -> None:
    dept = form.dept
    assert dept is not None
    want = set(expected)
    first_row: dict[str, int] = {}  # each id's first row, answered or not
    for index, cells in enumerate(rows):
        if cells[COL_ID - 1].value is not None and not _is_formula(cells[COL_ID - 1]):
            first_row.setdefault(_text(cells[COL_ID - 1]), FIRST_ROW + index)
    for index, cells in enumerate(rows):
        row = FIRST_ROW + index
        answer_cells = [cells[c - 1] for c in (COL_PROGRESS, COL_STATUS, COL_PERCENT, COL_EVIDENCE, COL_BY)]
        id_cell = cells[COL_ID - 1]
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in answer_cells[:4]):
            continue  # nothing reported for this task (a name in 填报人 alone is not a report)
        answer = Answer(form, sheet, row, kind, None)
        for c in [*answer_cells, id_cell]:
            if _is_formula(c):
                form.problem("form_formula", sheet, c.coordinate, formula=_shown(_formula_text(c)))
                answer.errors += 1
        task_id = "" if id_cell.value is None or _is_formula(id_cell) else _text(id_cell)
        if not task_id:
            if not _is_formula(id_cell):
                form.problem("form_no_id", sheet, id_cell.coordinate)
            answer.errors += 1
        elif first_row[task_id] != row:
            form.problem("form_id_twice", sheet, id_cell.coordinate, value=_shown(task_id), first=first_row[task_id])
            answer.errors += 1
        else:
            task = tasks.get(task_id)
            if task_id not in want:
                original = expected[index] if index < len(expected) else None
                mine = task is not None and (dept.name in task.lead or (kind == "shared" and dept.name in task.units))
                if original is not None and original not in first_row:
                    form.problem("form_id_changed", sheet, id_cell.coordinate, value=_shown(task_id),
                                 expected=original)
                elif task is not None and not mine:
                    form.problem("form_id_other_dept", sheet, id_cell.coordinate, value=_shown(task_id),
                                 lead=LABELS[lang]["list_sep"].join(task.lead) or "—", dept=dept.name)
                elif task is not None:
                    form.problem("form_id_added", sheet, id_cell.coordinate, value=_shown(task_id))
                else:
                    form.problem("form_id_unknown", sheet, id_cell.coordinate, value=_shown(task_id))
                answer.errors += 1
            elif task is None:
                form.problem("form_id_unknown", sheet, id_cell.coordinate, value=_shown(task_id))
                answer.errors += 1
            elif not (dept.name in task.lead or dept.name in task.units):
                form.problem("form_id_other_dept", sheet, id_cell.coordinate, value=_shown(task_id),
                             lead=LABELS[lang]["list_sep"].join(task.lead) or "—", dept=dept.name)
                answer.errors += 1
            else:
                answer.task = task
        progress, status, percent, evidence, person = answer_cells
        answer.progress = "" if _is_formula(progress) else _text(progress)
        answer.evidence = "" if _is_formula(evidence) else _text(evidence)
        answer.person = "" if _is_formula(person) else _text(person)
        if not _is_formula(status):
            _read_status(status, answer, lang)
        if not _is_formula(percent):
            _read_percent(percent, answer)
        given = [LABELS[lang][k] for k, v in (("round_col_status", status.value), ("round_col_percent", percent.value),
                                                ("round_col_evidence", answer.evidence)) if v not in (None, "")]
        if not answer.progress and given and not _is_formula(progress):
            form.problem("form_no_progress", sheet, progress.coordinate, what=LABELS[lang]["list_sep"].join(given))
            answer.errors += 1
        if answer.task is not None and answer.errors == 0:
            fix = _contradiction(answer, answer.task.status, answer.task.percent)
            if fix is not None:
                form.problem("percent_status", sheet, (percent if answer.percent is not None else status).coordinate,
                             percent=fix[1], status=STATUS_LABELS[lang][fix[0].value], fix=message(lang, fix[2], {}))
                answer.errors += 1
        form.answers.append(answer)


def _read_status(cell: _Cell, answer: Answer, lang: str) -> None:
    raw = _text(cell)
    if not raw:
        return
    lookup = status_lookup()
    found = lookup.get(unicodedata.normalize("NFKC", raw).strip().lower())
    if found is None:
        words = list(STATUS_LABELS[lang].values())
        suggestion = schema.did_you_mean(raw, words + list(schema.STATUS.aliases))
        if suggestion in schema.STATUS.aliases:
            suggestion = STATUS_LABELS[lang][schema.STATUS.aliases[suggestion]]
        hint = message(lang, "did_you_mean", {"suggestion": suggestion}) if suggestion else ""
        answer.form.problem("form_bad_status", answer.sheet, cell.coordinate, value=_shown(raw), hint=hint,
                            allowed=LABELS[lang]["list_sep"].join(words))
        answer.errors += 1
        return
    answer.status = found


def _read_percent(cell: _Cell, answer: Answer) -> None:
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
        if "%" in (cell.number_format or "") and 0 <= number <= 1:
            number = round(number * 100, 6)  # the cell was formatted as a percentage: 0.6 shows as 60%
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().rstrip("%").strip()
        try:
            number = float(text) if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text) else None
        except ValueError:
            number = None
    if number is None or not number.is_integer():
        answer.form.problem("form_bad_percent", answer.sheet, cell.coordinate, value=_shown(_text(cell)))
        answer.errors += 1
        return
    if not 0 <= number <= 100:
        answer.form.problem("form_percent_range", answer.sheet, cell.coordinate, value=int(number))
        answer.errors += 1
        return
    answer.percent = int(number)


# --- all forms ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DeptResult:
    """What one department's forms bring into the ledger."""

    dept: model.Department
    files: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)  # ids of the tasks it changes, in form order
    persons: list[str] = field(default_factory=list)  # 填报人
    already: int = 0  # rows collected before: no change
    lines: list[str] = field(default_factory=list)  # one line per task, for the commit message


@dataclass(slots=True)
class Outcome:
    """The result of collecting forms: problems, the new ledger texts, and what each department brings."""

    forms: list[FormRead]
    problems: list[FormProblem]
    texts: dict[str, str]  # ledger file (as configured) -> its new text; only the files that change
    departments: list[DeptResult]  # those that change something, in registry order
    steps: Callable[[], Iterator[tuple[DeptResult, dict[str, str]]]]  # the texts after each department in turn
    already: int = 0  # rows collected before
    dropped: int = 0  # answered rows not written

    @property
    def errors(self) -> list[FormProblem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass(slots=True)
class _Plan:
    """The accepted answers of one pass and the edits they make."""

    answers: list[Answer]
    edits: dict[str, edit.TaskEdit]  # by task id; refs are indexes into answers
    problems: list[tuple[Answer, FormProblem]]


def collect(paths: Sequence[Path], ledger: model.Ledger, sources: Mapping[str, str], period: Period,
            as_of: dt.date, lang: str = "zh", partial: bool = False) -> Outcome:
    """Read and check ``paths`` and write their answers into the ledger texts ``sources`` (file -> text).

    Without ``partial`` no text changes when there is any error; with it, the forms that can be read give their
    rows without errors.
    """
    tasks = {t.id: t for t in ledger.tasks()}
    plan_file = {p.id: p.path for p in ledger.plans}
    file_of = {t.id: plan_file[t.plan_id] for t in tasks.values()}
    forms: list[FormRead] = []
    seen: dict[str, str] = {}
    for path in paths:
        form = read_form(path, ledger, period, as_of, lang, tasks)
        if form.digest in seen:
            form.problem("form_duplicate_file", severity="note", other=printable(seen[form.digest]))
            form.usable = False
        elif form.digest:
            seen[form.digest] = form.name
        forms.append(form)
    order = {d.name: i for i, d in enumerate(ledger.registry.departments)}
    candidates = [a for f in forms if f.usable for a in f.answers if a.task is not None and not a.errors]
    # By department in registry order, then as the forms were given: the order of the commits.
    candidates.sort(key=lambda a: order.get(a.form.dept.name, len(order)) if a.form.dept else len(order))
    late: list[FormProblem] = []
    while True:
        plan = _resolve(candidates, period, as_of, lang, ledger.registry)
        late += [p for _, p in plan.problems]
        splices: dict[str, list[edit.Splice]] = {}
        mapped: list[tuple[Answer | None, FormProblem]] = []
        for rel, file_edits in _by_file(plan.edits, file_of).items():
            splices[rel] = edit.plan(sources[rel], file_edits)
            text, pieces = edit.render(sources[rel], splices[rel])
            mapped += _validate(rel, text, pieces, plan.answers, ledger, as_of, lang)
        late += [p for _, p in mapped]
        bad = {id(a) for a, _ in mapped if a is not None}
        if not mapped or not partial or len(bad) < len([m for m in mapped]):
            break  # done; or nothing will be written anyway; or a problem no answer explains
        candidates = [a for a in plan.answers if id(a) not in bad]
    problems = [p for f in forms for p in f.problems] + late
    errors = any(p.severity == "error" for p in problems)
    answered = [a for f in forms for a in f.answers]
    if errors and (not partial or any(a is None for a, _ in mapped)):
        return Outcome(forms, problems, {}, [], lambda: iter(()), 0, len(answered))
    depts, steps, final = _steps(plan, splices, sources, lang)
    already = sum(1 for a in plan.answers if a.already)
    for form in forms:
        mine = [a for a in plan.answers if a.form is form]
        if mine and all(a.already for a in mine):
            problems.append(FormProblem(form.name, "", "", "form_already", (), "note"))
    written = sum(1 for a in plan.answers if not a.already)
    return Outcome(forms, problems, {k: v for k, v in final.items() if v != sources[k]}, depts, steps, already,
                   len(answered) - written - already)


def _by_file(edits: Mapping[str, edit.TaskEdit], file_of: Mapping[str, str]) -> dict[str, dict[str, edit.TaskEdit]]:
    out: dict[str, dict[str, edit.TaskEdit]] = {}
    for task_id, e in edits.items():
        out.setdefault(file_of[task_id], {})[task_id] = e
    return out


def _update_text(answer: Answer, lang: str) -> tuple[str, Any]:
    """The update's text and the evidence item (a URL, or {title, url}); a title without a link joins the text."""
    text = answer.progress.strip()
    evidence = answer.evidence.strip()
    if not evidence:
        return text, None
    m = URL_IN_TEXT.search(evidence)
    if not m:
        return text + LABELS[lang]["round_evidence_in_text"].format(text=evidence), None
    url = m[0]
    title = (evidence[:m.start()] + evidence[m.end():]).strip(" \t:：,，;；()（）")
    return text, ({"title": title, "url": url} if title else url)


def _is_by(by: str, dept: model.Department, registry: model.Registry) -> bool:
    by = by.strip()
    found = registry.resolve(by)
    return by == dept.name or (found is not None and found.name == dept.name)


def _resolve(answers: list[Answer], period: Period, as_of: dt.date, lang: str, registry: model.Registry) -> _Plan:
    """Each answer against the ledger and the answers before it: collected already, conflicts, and the edits.

    An answer with a problem here is left out of the plan (its problem returned); the others make the edits.
    """
    problems: list[tuple[Answer, FormProblem]] = []
    accepted: list[Answer] = []
    edits: dict[str, edit.TaskEdit] = {}
    # task id -> (status, percent) as the answers so far leave it, and the answers that set them
    state: dict[str, tuple[model.Status, int | None, Answer | None, Answer | None]] = {}
    for a in answers:
        task, dept = a.task, a.form.dept
        assert task is not None and dept is not None
        a.already = False
        day = a.form.date or min(period.due, as_of)
        text, evidence = _update_text(a, lang)
        same = [u for u in task.updates if u.date == day and _is_by(u.by, dept, registry)]
        if any(u.text.strip() == text for u in same):
            a.already = True
            accepted.append(a)
            continue
        if same:
            problems.append((a, _at(a, COL_PROGRESS, "form_collected_differs", date=format_date(day, lang),
                                    dept=dept.name, text=_shown(same[0].text))))
            continue
        status, percent, status_from, percent_from = state.get(task.id, (task.status, task.percent, None, None))
        new_status, new_percent = _progress(a, status, percent)
        clash = []
        if a.status is not None and status_from is not None and new_status is not status:
            clash.append(_conflict(a, COL_STATUS, status_from, STATUS_LABELS[lang][status.value], "round_col_status",
                                   lang))
        if percent_from is not None and new_percent != percent:
            clash.append(_conflict(a, COL_PERCENT, percent_from, f"{percent}%", "round_col_percent", lang))
        if clash:
            problems += [(a, p) for p in clash]
            continue
        # Against what earlier answers (another lead department's) left: the same rule as the ledger's.
        fix = _contradiction(a, status, percent)
        if fix is not None:
            problems.append((a, _at(a, COL_PERCENT if a.percent is not None else COL_STATUS, "percent_status",
                                    percent=fix[1], status=STATUS_LABELS[lang][fix[0].value],
                                    fix=message(lang, fix[2], {}))))
            continue
        index = len(accepted)
        accepted.append(a)
        e = edits.setdefault(task.id, edit.TaskEdit(task.id))
        if new_status is not status:
            e.status = model.STATUS_ZH[new_status]
            e.refs["status"] = (index, "status")
            status_from = a
        if new_percent != percent:
            e.percent = new_percent
            e.refs["percent"] = (index, "percent")
            percent_from = a
        state[task.id] = (new_status, new_percent, status_from, percent_from)
        e.refs[("updates", len(e.updates))] = (index, "updates")
        e.updates.append({"date": day, "text": text, "by": dept.name})
        if evidence is not None and not any(ev.url == _url(evidence) for ev in task.evidence) and \
                not any(_url(ev) == _url(evidence) for ev in e.evidence):
            e.refs[("evidence", len(e.evidence))] = (index, "evidence")
            e.evidence.append(evidence)
    return _Plan(accepted, edits, problems)


def _progress(a: Answer, status: model.Status, percent: int | None) -> tuple[model.Status, int | None]:
    """The status and percent after an answer, from the state before it: a status alone moves the percent only
    where the status fixes it (done 100, not started 0)."""
    new_status = a.status or status
    new_percent = a.percent
    if new_percent is None:
        if a.status is model.Status.DONE:
            new_percent = 100
        elif a.status is model.Status.NOT_STARTED:
            new_percent = 0
        else:
            new_percent = percent
    return new_status, new_percent


def _contradiction(a: Answer, status: model.Status, percent: int | None) -> tuple[model.Status, int, str] | None:
    """(status, percent, the fix's message code) when the answer leaves them contradicting each other."""
    new_status, new_percent = _progress(a, status, percent)
    if new_percent is None:
        return None
    if new_status is model.Status.DONE and new_percent != 100:
        return new_status, new_percent, "percent_fix_done"
    if new_status is model.Status.NOT_STARTED and new_percent != 0:
        return new_status, new_percent, "percent_fix_not_started"
    if new_status is model.Status.IN_PROGRESS and new_percent == 100:
        return new_status, new_percent, "percent_fix_in_progress"
    return None


def _at(a: Answer, column: int, code: str, **params: object) -> FormProblem:
    return FormProblem(a.form.name, a.sheet, a.cell(column), code, tuple(params.items()))


def _url(evidence: Any) -> str:
    return evidence["url"] if isinstance(evidence, Mapping) else str(evidence)


def _conflict(a: Answer, column: int, other: Answer, theirs: str, what: str, lang: str) -> FormProblem:
    where = " › ".join((other.form.name, other.sheet, other.cell(column)))
    return _at(a, column, "form_conflict", other=printable(where), what=LABELS[lang][what], theirs=theirs)


def _validate(rel: str, text: str, pieces: list[edit.Piece], answers: list[Answer], ledger: model.Ledger,
              as_of: dt.date, lang: str) -> list[tuple[Answer | None, FormProblem]]:
    """Load an edited ledger text with the validator; its problems, put back on the cells that supplied the lines."""
    was = gc.isenabled()
    gc.disable()  # a whole ledger read again: millions of objects, no cycles
    try:
        load_text(text, rel, as_of=as_of, registry=ledger.registry if ledger.registry else None, lang=lang)
    except LedgerError as err:
        out: list[tuple[Answer | None, FormProblem]] = []
        for p in err.problems.errors:
            words = message(lang, p.code, dict(p.params))
            piece = next((x for x in pieces if x.first <= p.line <= x.last), None)
            if piece is None or piece.ref is None:
                out.append((None, FormProblem(rel, "", f"{p.line}:{p.column}", "form_ledger", (("text", words),))))
                continue
            a = answers[piece.ref[0]]
            column = {"status": COL_STATUS, "percent": COL_PERCENT, "evidence": COL_EVIDENCE}.get(piece.ref[1],
                                                                                                 COL_PROGRESS)
            out.append((a, _at(a, column, "form_ledger", text=words)))
        return out
    finally:
        if was:
            gc.enable()
    return []


def _steps(plan: _Plan, splices: Mapping[str, list[edit.Splice]], sources: Mapping[str, str], lang: str,
           ) -> tuple[list[DeptResult], Callable[[], Iterator[tuple[DeptResult, dict[str, str]]]], dict[str, str]]:
    """Each department's result, the ledger texts after each department in turn (one commit each), the final texts.

    The answers are in department order and each department's splices come after those of the departments before
    it, so the splices of the first k departments are a consistent ledger (:mod:`portal.round.edit`). The texts of
    each step are made when asked for: sixty copies of a ledger of 10,000 tasks would take 700 MB.
    """
    depts: dict[str, DeptResult] = {}
    for a in plan.answers:
        assert a.form.dept is not None and a.task is not None
        d = depts.setdefault(a.form.dept.name, DeptResult(a.form.dept))
        if a.form.name not in d.files:
            d.files.append(a.form.name)
        if a.person and a.person not in d.persons:
            d.persons.append(a.person)
        if a.already:
            d.already += 1
        elif a.task.id not in d.tasks:
            d.tasks.append(a.task.id)
            d.lines.append(_line(a, lang))
    changing = [d for d in depts.values() if d.tasks]

    def steps() -> Iterator[tuple[DeptResult, dict[str, str]]]:
        done: set[str] = set()
        for d in changing:
            done.add(d.dept.name)
            texts = {}
            for rel, ss in splices.items():
                if any(_dept_name(plan.answers[s.ref[0]]) == d.dept.name for s in ss):
                    kept = [s for s in ss if _dept_name(plan.answers[s.ref[0]]) in done]
                    texts[rel] = edit.render(sources[rel], kept)[0]
            yield d, texts

    final = {rel: edit.render(sources[rel], ss)[0] for rel, ss in splices.items()}
    return list(depts.values()), steps, final


def _dept_name(a: Answer) -> str:
    return a.form.dept.name if a.form.dept is not None else ""


def _line(a: Answer, lang: str) -> str:
    """'- （1）制定学习计划（t01）：状态 进行中 → 已完成；进度 75% → 100%' for a commit message."""
    task = a.task
    assert task is not None
    L = LABELS[lang]
    new_status, new_percent = _progress(a, task.status, task.percent)
    parts = []
    if new_status is not task.status:
        words = STATUS_LABELS[lang]
        parts.append(f"{L['status']} {words[task.status.value]} → {words[new_status.value]}")
    if new_percent != task.percent:
        parts.append(f"{L['progress']} {'—' if task.percent is None else f'{task.percent}%'} → {new_percent}%")
    head = f"{task.number}{task.title}"
    head = head if len(head) <= 40 else head[:40] + "…"
    return L["round_commit_line"].format(task=head, id=task.id, changes="".join(
        [L["colon"], L["clause_sep"].join(parts)]) if parts else "")
