"""Load and validate ledger files into a :class:`~portal.model.Ledger`.

Every problem in every file is collected before failing, each pointing at the
offending value. Sections pass their leader, lead and units down to the tasks
that do not set their own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from portal.config import DEFAULT_REGISTRY, PortalConfig
from portal.deadlines.calendar import today_in
from portal.ledger import model
from portal.ledger.schema import INVALID, LEDGER, PLAN_META, REGISTRY, SECTION, Context, ListOf
from portal.ledger.yamlread import MappingNode, Node, Reader, compose_file, compose_text
from portal.problems import LedgerError, Problem, Problems

SLUG_UNSAFE = re.compile(r"[\s/\\?#%\"'<>|*:&]+")


@dataclass(slots=True)
class Loaded:
    """A valid ledger, its as-of date and the warnings found."""

    ledger: model.Ledger
    as_of: dt.date
    warnings: Problems


def load(cfg: PortalConfig) -> Loaded:
    """Read the registry and every ledger named in the settings; raise LedgerError on any error."""
    problems = Problems()
    registry = _load_registry(cfg, problems)
    plans: list[model.Plan] = []
    ids: list[tuple[str, Node, str]] = []
    for rel in cfg.ledgers:
        reader = Reader(rel, problems, cfg.lang)
        # The path as written, joined to the project folder: cfg.path() follows symbolic links, and whether a
        # link leads out of the project is what compose_file must judge.
        root = compose_file(cfg.root / rel, reader, root=cfg.root)
        if root is None:
            continue
        plan = read_plan(root, reader, registry, cfg.registry or "", cfg.as_of, ids)
        if plan is not None:
            plan.path = rel
            plans.append(plan)
    _check_unique(ids, problems, cfg.lang)
    if not problems.errors:  # a lead that failed to read would otherwise also warn here
        for plan in plans:
            _check_leads(plan, problems)
    if problems.errors:
        raise LedgerError(problems, cfg.lang)
    as_of = cfg.as_of or today_in(plans[0].timezone if plans else "Asia/Shanghai")
    return Loaded(model.Ledger(plans, registry), as_of, problems)


def load_text(text: str, file: str = "tasks.yaml", *, as_of: dt.date | None = None,
              registry: model.Registry | None = None, lang: str = "zh") -> model.Plan:
    """One ledger from a string: for tests and tools. Raises LedgerError."""
    problems = Problems()
    reader = Reader(file, problems, lang)
    root = compose_text(text, reader)
    ids: list[tuple[str, Node, str]] = []
    plan = read_plan(root, reader, registry, DEFAULT_REGISTRY, as_of, ids) if root is not None else None
    _check_unique(ids, problems, lang)
    if plan is not None and not problems.errors:
        _check_leads(plan, problems)
    if problems.errors or plan is None:
        raise LedgerError(problems, lang)
    return plan


def read_plan(root: Node, reader: Reader, registry: model.Registry | None, registry_file: str,
              as_of: dt.date | None, ids: list[tuple[str, Node, str]]) -> model.Plan | None:
    """A plan from a ledger file's root node; problems go to the reader."""
    top = LEDGER.read(root, Context(reader))
    if top is INVALID:
        return None
    ctx = Context(reader, registry=registry, registry_file=registry_file)
    meta = PLAN_META.read(top["plan"], ctx)
    # Read the sections even when the plan header is wrong, so that every problem shows at once.
    timezone = "Asia/Shanghai" if meta is INVALID else meta.get("timezone", "Asia/Shanghai")
    ctx.as_of = as_of or today_in(timezone)
    ctx.year = ctx.as_of.year if meta is INVALID else meta["year"]
    sections = ListOf(SECTION).read(top["sections"], ctx)
    ids.extend((reader.file, node, value) for node, value in ctx.ids)
    if sections is INVALID or meta is INVALID:
        return None
    plan = model.Plan(
        id=meta["id"],
        title=meta["title"],
        year=meta["year"],
        issuer=meta.get("issuer", ""),
        source=meta.get("source", ""),
        timezone=timezone,
        sections=sections,
    )
    for section in sections:
        _inherit(section, plan.id, (), 1, "", [], [])
    return plan


def _inherit(section: model.Section, plan_id: str, path: tuple[str, ...], depth: int,
             leader: str, lead: list[str], units: list[str]) -> None:
    """Pass responsibility down the tree and record where each task sits."""
    section.depth = depth
    leader = section.leader or leader
    lead = section.lead or lead
    units = section.units or units
    here = (*path, section.id)
    for task in section.tasks:
        task.leader = task.leader or leader
        task.lead = task.lead or list(lead)
        task.units = task.units or list(units)
        task.plan_id = plan_id
        task.section_path = here
    for sub in section.sections:
        _inherit(sub, plan_id, here, depth + 1, leader, lead, units)


def _check_unique(ids: list[tuple[str, Node, str]], problems: Problems, lang: str) -> None:
    first: dict[str, str] = {}
    for file, node, value in ids:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        where = f"{file}:{line}:{col}"
        if value in first:
            problems.add(Problem(file, line, col, "duplicate_id", (("value", value), ("first", first[value]))))
        else:
            first[value] = where


def _check_leads(plan: model.Plan, problems: Problems) -> None:
    for task in plan.walk_tasks():
        if not task.lead:
            problems.add(Problem(plan.path or "tasks.yaml", task.line, task.column, "no_lead", severity="warning"))


def _load_registry(cfg: PortalConfig, problems: Problems) -> model.Registry:
    """The registry of departments, or an empty one when the default file is absent."""
    if not cfg.registry:
        return model.Registry()
    path = cfg.root / cfg.registry
    # lexists: a link that leads nowhere (or out of the project) is reported, not taken for "no registry"
    if cfg.registry == DEFAULT_REGISTRY and not os.path.lexists(path):
        return model.Registry()
    reader = Reader(cfg.registry, problems, cfg.lang)
    root = compose_file(path, reader, root=cfg.root)
    if root is None:
        return model.Registry()
    return read_registry(root, reader)


def read_registry(root: Node, reader: Reader) -> model.Registry:
    """The registry from its file's root node; names and aliases must be unique."""
    entries = REGISTRY.read(root, Context(reader))
    if entries is INVALID:
        return model.Registry(path=reader.file)
    first: dict[str, str] = {}
    departments: list[model.Department] = []
    for dept, node in entries:
        assert isinstance(node, MappingNode)
        for name in [dept.name, *dept.aliases]:
            if name in first:
                reader.error(node, "registry_duplicate", value=name, first=first[name])
            else:
                first[name] = reader.where(node)
        dept.slug = dept.slug or slugify(dept.name)
        departments.append(dept)
    return model.Registry(departments, path=reader.file)


def slugify(name: str) -> str:
    """A URL path segment for a name: Chinese is kept, unsafe characters become '-'."""
    return SLUG_UNSAFE.sub("-", name).strip("-") or "unit"


def department_for(ledger: model.Ledger, name: str) -> model.Department:
    """The registry entry of a name, or an ad-hoc one when there is no registry."""
    return ledger.registry.resolve(name) or model.Department(name, slug=slugify(name))

