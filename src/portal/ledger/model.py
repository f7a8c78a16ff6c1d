"""The ledger as plain, typed data: plans, sections, tasks and their parts.

Everything here is produced by :mod:`portal.load` from validated YAML and is
read by schedule, stats, render and export. Objects are plain dataclasses so
that tests can build them directly.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from portal.i18n import STATUS_LABELS, TERM_LABELS


class Status(enum.Enum):
    """A task's status. The value is the stable key written in JSON and URLs."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ONGOING = "ongoing"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"

    @property
    def order(self) -> int:
        """Position in the workflow, used to sort by status."""
        return _STATUS_ORDER[self]


_STATUS_ORDER = {s: i for i, s in enumerate(Status)}

#: The words people type in the ledger for each status: the Chinese labels of the catalogue.
STATUS_ZH: dict[Status, str] = {s: STATUS_LABELS["zh"][s.value] for s in Status}


class Term(enum.Enum):
    """Rectification term (整改时限) as in the special-action plan."""

    SHORT = "short"  # 短期: half a year to a year
    MEDIUM = "medium"  # 中期: within two years
    LONG = "long"  # 长期: three years or more


TERM_ZH: dict[Term, str] = {t: TERM_LABELS["zh"][t.value] for t in Term}


class Every(enum.Enum):
    """Recurrence period of a recurring deadline part."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


@dataclass(slots=True)
class DeadlinePart:
    """One due point of a deadline.

    ``kind`` is ``date`` (due on ``due``), ``window`` (``start`` to ``due``),
    ``recurring`` (every ``every`` period from ``start`` to ``due``, each period
    due at its end, or on ``weekday`` for weekly parts) or ``ongoing``
    (no end date). ``text`` is the wording the part was read from.
    ``done`` is the date a milestone was met, when the ledger says so.
    """

    kind: str
    text: str = ""
    due: dt.date | None = None
    start: dt.date | None = None
    every: Every | None = None
    weekday: int | None = None  # 0 = Monday, for weekly parts
    done: dt.date | None = None


@dataclass(slots=True)
class Deadline:
    """A task's deadline: the original wording and the parts read from it."""

    text: str
    parts: list[DeadlinePart]

    @property
    def ongoing(self) -> bool:
        return bool(self.parts) and all(p.kind == "ongoing" for p in self.parts)


@dataclass(slots=True)
class Update:
    """A dated progress entry: what the monthly report quotes."""

    date: dt.date
    text: str
    by: str = ""


@dataclass(slots=True)
class Metric:
    """A measurable target: name, target against actual, with a unit."""

    name: str
    target: float | str | None = None
    actual: float | str | None = None
    unit: str = ""

    @property
    def ratio(self) -> float | None:
        """actual / target when both are numbers and target is not zero."""
        if isinstance(self.target, (int, float)) and isinstance(self.actual, (int, float)) and self.target:
            return float(self.actual) / float(self.target)
        return None


@dataclass(slots=True)
class Evidence:
    """A link to proof of progress or completion (佐证材料)."""

    title: str
    url: str


@dataclass(slots=True)
class Task:
    """A task (sub-task of the plan): the unit that is tracked, counted and ranked."""

    id: str
    title: str
    number: str = ""
    details: str = ""
    leader: str = ""
    lead: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    deadline: Deadline | None = None
    term: Term | None = None
    status: Status = Status.NOT_STARTED
    percent: int | None = None
    closed: dt.date | None = None
    problem: str = ""
    measures: list[str] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Filled in by the loader: where the task sits.
    plan_id: str = ""
    section_path: tuple[str, ...] = ()  # section ids from the top level down
    line: int = 0  # 1-based line and column of the task in its ledger file
    column: int = 0

    @property
    def latest_update(self) -> Update | None:
        return max(self.updates, key=lambda u: u.date) if self.updates else None


@dataclass(slots=True)
class Section:
    """A numbered part of a plan (一、 / （一） / 1. …), nesting to any depth."""

    id: str
    title: str
    number: str = ""
    details: str = ""
    leader: str = ""
    lead: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    depth: int = 1  # 1 for top-level sections

    @property
    def label(self) -> str:
        """'一、全面加强思想建设': the number as printed, then the title."""
        number = self.number
        if number and not number.endswith(("、", ".", "．", "）", ")", " ")):
            number += " "
        return f"{number}{self.title}"

    def walk_tasks(self) -> list[Task]:
        """Every task in this section and below, in plan order."""
        out = list(self.tasks)
        for sub in self.sections:
            out.extend(sub.walk_tasks())
        return out

    def walk_sections(self) -> list[Section]:
        """This section and all below it, depth first, in plan order."""
        out = [self]
        for sub in self.sections:
            out.extend(sub.walk_sections())
        return out


@dataclass(slots=True)
class Plan:
    """One ledger file: an implementation or rectification plan."""

    id: str
    title: str
    year: int
    issuer: str = ""
    source: str = ""
    timezone: str = "Asia/Shanghai"
    sections: list[Section] = field(default_factory=list)
    path: str = ""  # the ledger file, as given in the configuration

    def walk_tasks(self) -> list[Task]:
        out: list[Task] = []
        for s in self.sections:
            out.extend(s.walk_tasks())
        return out

    def walk_sections(self) -> list[Section]:
        out: list[Section] = []
        for s in self.sections:
            out.extend(s.walk_sections())
        return out


@dataclass(slots=True)
class Department:
    """An entry of the registry of departments and units."""

    name: str
    aliases: list[str] = field(default_factory=list)
    kind: str = "department"  # department | unit | group (a collective such as 机关各科室)
    slug: str = ""

    @property
    def ranked(self) -> bool:
        """Collectives are listed but not ranked in the 红黑榜."""
        return self.kind != "group"


@dataclass(slots=True)
class Registry:
    """Departments and units by name, with aliases resolved to names."""

    departments: list[Department] = field(default_factory=list)
    path: str = ""
    _index: dict[str, Department] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {}
        for d in self.departments:
            self._index[d.name] = d
            for a in d.aliases:
                self._index.setdefault(a, d)

    def resolve(self, name: str) -> Department | None:
        return self._index.get(name)

    def known_names(self) -> list[str]:
        return list(self._index)

    def __bool__(self) -> bool:
        return bool(self.departments)


@dataclass(slots=True)
class Ledger:
    """Everything the site is built from: the plans and the registry."""

    plans: list[Plan]
    registry: Registry = field(default_factory=Registry)

    def tasks(self) -> list[Task]:
        out: list[Task] = []
        for p in self.plans:
            out.extend(p.walk_tasks())
        return out
