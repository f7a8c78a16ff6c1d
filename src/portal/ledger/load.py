"""Load and validate ledger files into a :class:`~portal.model.Ledger`.

Every problem in every file is collected before failing, each pointing at the
offending value. Sections pass their leader, lead and units down to the tasks
that do not set their own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import pickle
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from portal.config import DEFAULT_REGISTRY, PortalConfig
from portal.deadlines.calendar import today_in
from portal.ledger import model
from portal.ledger.reread import _Whole, cut_text, read_sections
from portal.ledger.schema import (
    INVALID,
    LEDGER,
    MAX_ITEMS,
    PLAN_META,
    REGISTRY,
    RESERVED_NAMES,
    SECTION,
    Context,
    ListOf,
    reserved_segment,
    value_node,
)
from portal.ledger.yamlread import MappingNode, Node, Reader, compose_file, compose_text, read_bounded
from portal.memo import Memo
from portal.problems import LedgerError, Problem, Problems

#: What a department's page name may not contain: space, path and URL punctuation, the characters Windows
#: forbids in file names, and control and format characters (zero-width spaces would make two names that look
#: the same two pages).
SLUG_UNSAFE = re.compile(r"[\s/\\?#%\"'<>|*:&\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")


@dataclass(slots=True)
class Loaded:
    """A valid ledger, its as-of date and the warnings found."""

    ledger: model.Ledger
    as_of: dt.date
    warnings: Problems


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration (as it was before, after).

    Composing and reading a ledger makes about 150 objects a task and no garbage cycles worth the wait (a
    recursive YAML alias is refused and collected later): each full collection walked the growing node graph
    again, three quarters of the load time of a 10,000-task ledger.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load(cfg: PortalConfig, sources: Mapping[str, bytes] | None = None, memo: Memo | None = None) -> Loaded:
    """Read the registry and every ledger named in the settings; raise LedgerError on any error.

    ``sources`` gives the files as they stood in a past commit (a monthly snapshot): each ledger is read
    from it, and a ledger it lacks did not exist then and is left out; the registry is read from it when
    it has one, else from the project. With a ``memo`` (`mkdocs serve`), a top-level section whose lines the
    last load read alike is taken from it (:mod:`portal.ledger.reread`).
    """
    with collector_paused():
        return _load(cfg, sources, memo)


def load_apart(cfg: PortalConfig, meanwhile: Callable[[], object] | None = None,
               memo: Memo | None = None) -> Loaded:
    """:func:`load` in a child process when this one may fork (POSIX, a single thread), else here.

    The same ledger, warnings and LedgerError, but the YAML node graph (a million small objects for 10,000 tasks,
    three times the ledger it becomes) is made and dropped in the child: made here, the ledger's own objects sit
    among its freed remains, which stay this process's memory to the end of the build (about 160 MiB). The child
    hands the ledger over pickled, through a pipe between the two processes only.

    ``meanwhile`` is work of this process that does not need the ledger (the build reads the git history): it
    runs while the child reads, on another core; without a child, once the ledger is read here (not at all when
    it has errors). With a ``memo`` (`mkdocs serve`), the ledger is read here, again only where it changed.
    """
    if memo is not None or not hasattr(os, "fork") or threading.active_count() > 1:
        # forking a process with other threads (mkdocs serve) could deadlock the child; a memo lives here
        loaded = load(cfg, memo=memo)
        if meanwhile is not None:
            meanwhile()
        return loaded
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _load_for_parent(cfg, write_end)  # never returns
    os.close(write_end)
    try:
        if meanwhile is not None:
            meanwhile()
    finally:  # the child is heard out and reaped even when the work here failed
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        return load(cfg)  # the child failed: load here, where a fault shows as itself
    handed = pickle.loads(data)  # written by this program's own child, through its own pipe
    if isinstance(handed, Loaded):
        return handed
    problems, lang = handed
    raise LedgerError(problems, lang)


def _load_for_parent(cfg: PortalConfig, write_end: int) -> None:
    """In the forked child: load, write the outcome (a Loaded, or the LedgerError's problems and language)
    pickled, and exit at once."""
    code = 1
    try:
        try:
            handed: Loaded | tuple[Problems, str] = load(cfg)
        except LedgerError as err:
            handed = (err.problems, err.lang)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(pickle.dumps(handed, protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers a second time


def _load(cfg: PortalConfig, sources: Mapping[str, bytes] | None, memo: Memo | None = None) -> Loaded:
    problems = Problems()
    if memo is not None:
        memo.start(())
    registry = _load_registry(cfg, problems, sources)
    plans: list[model.Plan] = []
    ids: list[tuple[str, Node, str]] = []
    names: list[tuple[str, Node, str]] = []
    pages: list[tuple[str, Node, str]] = []
    for rel in cfg.ledgers:
        reader = Reader(rel, problems, cfg.lang)
        if sources is not None:
            if rel not in sources:
                continue
            root = compose_text(sources[rel], reader)
        elif memo is not None:
            plan = _reread(cfg, rel, reader, registry, ids, names, pages, memo)
            if plan is not None:
                plan.path = rel
                plans.append(plan)
            continue
        else:
            # The path as written, joined to the project folder: cfg.path() follows symbolic links, and whether a
            # link leads out of the project is what compose_file must judge.
            root = compose_file(cfg.root / rel, reader, root=cfg.root)
        if root is None:
            continue
        plan = read_plan(root, reader, registry, cfg.registry or "", cfg.as_of, ids, names, pages)
        if plan is not None:
            plan.path = rel
            plans.append(plan)
    _check_unique(ids, problems, cfg.lang)
    _check_page_case(pages, problems)
    _check_name_pages(names, problems)
    if not problems.errors:  # a lead that failed to read would otherwise also warn here
        for plan in plans:
            _check_leads(plan, problems)
    if problems.errors:
        raise LedgerError(problems, cfg.lang)
    as_of = cfg.as_of or today_in(plans[0].timezone if plans else "Asia/Shanghai")
    return Loaded(model.Ledger(plans, registry), as_of, problems)


def _reread(cfg: PortalConfig, rel: str, reader: Reader, registry: model.Registry,
            ids: list[tuple[str, Node, str]], names: list[tuple[str, Node, str]],
            pages: list[tuple[str, Node, str]], memo: Memo) -> model.Plan | None:
    """One ledger file read by its top-level sections, each taken from the last read when its lines are the
    same; read whole when it cannot be cut, or when a part of it does not compose on its own."""
    data = read_bounded(cfg.root / rel, reader, cfg.root)
    if data is None:
        return None
    found = cut_text(data)
    marks = len(reader.problems.items), len(ids), len(names), len(pages)
    if found is not None and len(found[1].pieces) <= MAX_ITEMS:
        cut = found[1]
        scratch = Reader(reader.file, Problems(), reader.lang)
        root = compose_text(cut.rest, scratch)
        if root is not None and not scratch.problems.items:
            try:
                return read_plan(root, reader, registry, cfg.registry or "", cfg.as_of, ids, names, pages,
                                 sections_of=lambda _node, ctx: read_sections(cut, ctx, memo))
            except _Whole:  # a section that does not compose on its own: the file as a whole, from the start
                del reader.problems.items[marks[0]:], ids[marks[1]:], names[marks[2]:], pages[marks[3]:]
    root = compose_text(data, reader)
    if root is None:
        return None
    return read_plan(root, reader, registry, cfg.registry or "", cfg.as_of, ids, names, pages)


def load_text(text: str, file: str = "tasks.yaml", *, as_of: dt.date | None = None,
              registry: model.Registry | None = None, lang: str = "zh") -> model.Plan:
    """One ledger from a string: for tests and tools. Raises LedgerError."""
    with collector_paused():
        return _load_text(text, file, as_of, registry, lang)


def _load_text(text: str, file: str, as_of: dt.date | None, registry: model.Registry | None,
               lang: str) -> model.Plan:
    problems = Problems()
    reader = Reader(file, problems, lang)
    root = compose_text(text, reader)
    ids: list[tuple[str, Node, str]] = []
    names: list[tuple[str, Node, str]] = []
    pages: list[tuple[str, Node, str]] = []
    plan = (read_plan(root, reader, registry, DEFAULT_REGISTRY, as_of, ids, names, pages) if root is not None
            else None)
    _check_unique(ids, problems, lang)
    _check_page_case(pages, problems)
    _check_name_pages(names, problems)
    if plan is not None and not problems.errors:
        _check_leads(plan, problems)
    if problems.errors or plan is None:
        raise LedgerError(problems, lang)
    return plan


def read_plan(root: Node, reader: Reader, registry: model.Registry | None, registry_file: str,
              as_of: dt.date | None, ids: list[tuple[str, Node, str]],
              names: list[tuple[str, Node, str]] | None = None,
              pages: list[tuple[str, Node, str]] | None = None,
              sections_of: Callable[[Node, Context], Any] | None = None) -> model.Plan | None:
    """A plan from a ledger file's root node; problems go to the reader.

    ``ids`` gets (file, node, id) of every id read. When given, ``names`` gets every department name read
    without a registry (each becomes a page of its own), and ``pages`` (file, node, page path) of the plan id
    and each section id ('plan' and 'plan/section'), for the checks of the site's file names. ``sections_of`` reads
    the node of the sections (by default as a list of sections).
    """
    top = LEDGER.read(root, Context(reader))
    if top is INVALID:
        return None
    ctx = Context(reader, registry=registry, registry_file=registry_file)
    meta = PLAN_META.read(top["plan"], ctx)
    meta_pages = len(ctx.page_ids)
    # Read the sections even when the plan header is wrong, so that every problem shows at once.
    timezone = "Asia/Shanghai" if meta is INVALID else meta.get("timezone", "Asia/Shanghai")
    ctx.as_of = as_of or today_in(timezone)
    ctx.year = ctx.as_of.year if meta is INVALID else meta["year"]
    sections = (sections_of or ListOf(SECTION).read)(top["sections"], ctx)
    ids.extend((reader.file, node, value) for node, value in ctx.ids)
    if names is not None:
        names.extend((reader.file, node, value) for node, value in ctx.names)
    if pages is not None and meta is not INVALID:
        pages.extend((reader.file, node, value if i < meta_pages else f"{meta['id']}/{value}")
                     for i, (node, value) in enumerate(ctx.page_ids))
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


def _check_page_case(pages: list[tuple[str, Node, str]], problems: Problems) -> None:
    """Plan and section pages that differ only in case or a final dot: one file on Windows or macOS, so one
    would overwrite the other.

    (Ids written twice exactly are reported by _check_unique; task ids are anchors, where case counts.)
    """
    first: dict[str, tuple[str, str]] = {}  # folded page path -> (page path as written, where)
    for file, node, path in pages:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        seen = first.setdefault(_page_key(path), (path, f"{file}:{line}:{col}"))
        if seen[0] != path:
            problems.add(Problem(file, line, col, "duplicate_id_case", (
                ("value", path.rsplit("/", 1)[-1]), ("other", seen[0].rsplit("/", 1)[-1]), ("first", seen[1]))))


def _page_key(path: str) -> str:
    """Page paths that name one file wherever the site is copied: without case (Windows, macOS), in one Unicode
    form (macOS) and without the dots Windows drops from the end of a name ('s1.' is 's1' there)."""
    folded = unicodedata.normalize("NFC", path).casefold()
    return "/".join(part.rstrip(".") for part in folded.split("/"))


def _check_name_pages(names: list[tuple[str, Node, str]], problems: Problems) -> None:
    """Department names read without a registry: each name's page must be its own and a possible file name."""
    first: dict[str, tuple[str, str]] = {}  # page key -> (name, where)
    for file, node, name in names:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        slug = slugify(name)
        key = _page_key(slug)
        seen = first.get(key)
        if seen is None:
            first[key] = (name, f"{file}:{line}:{col}")
            if reserved_segment(slug, RESERVED_NAMES):
                problems.add(Problem(file, line, col, "name_reserved", (("value", name), ("slug", slug))))
        elif seen[0] != name:
            problems.add(Problem(file, line, col, "name_collision",
                                 (("name", name), ("other", seen[0]), ("first", seen[1]), ("slug", slug))))


def _check_leads(plan: model.Plan, problems: Problems) -> None:
    for task in plan.walk_tasks():
        if not task.lead:
            problems.add(Problem(plan.path or "tasks.yaml", task.line, task.column, "no_lead", severity="warning"))


def _load_registry(cfg: PortalConfig, problems: Problems,
                   sources: Mapping[str, bytes] | None = None) -> model.Registry:
    """The registry of departments, or an empty one when the default file is absent."""
    if not cfg.registry:
        return model.Registry()
    reader = Reader(cfg.registry, problems, cfg.lang)
    if sources is not None and cfg.registry in sources:
        root = compose_text(sources[cfg.registry], reader)
        return model.Registry() if root is None else read_registry(root, reader)
    path = cfg.root / cfg.registry
    # lexists: a link that leads nowhere (or out of the project) is reported, not taken for "no registry"
    if cfg.registry == DEFAULT_REGISTRY and not os.path.lexists(path):
        return model.Registry()
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
    pages: dict[str, tuple[str, str]] = {}  # page key -> (name, where)
    departments: list[model.Department] = []
    for dept, node in entries:
        assert isinstance(node, MappingNode)
        for name in [dept.name, *dept.aliases]:
            if name in first:
                reader.error(node, "registry_duplicate", value=name, first=first[name])
            else:
                first[name] = reader.where(node)
        # An explicit slug is checked as it is read (schema.DEPARTMENT); one made from the name is checked here.
        at = value_node(node, "slug" if dept.slug else "name")
        if not dept.slug:
            dept.slug = slugify(dept.name)
            if reserved_segment(dept.slug, RESERVED_NAMES):
                reader.error(at, "name_reserved", value=dept.name, slug=dept.slug)
        key = _page_key(dept.slug)
        if key in pages:
            other, where = pages[key]
            reader.error(at, "slug_collision", name=dept.name, other=other, first=where, slug=dept.slug)
        else:
            pages[key] = (dept.name, reader.where(at))
        departments.append(dept)
    return model.Registry(departments, path=reader.file)


def slugify(name: str) -> str:
    """A URL path segment for a name: Chinese is kept, unsafe characters become '-'.

    Dots are taken off both ends: '..' and '.' would be the folder above and the folder itself, a name starting
    with a dot is hidden, and Windows drops a final dot. What is left of nothing is 'unit'.
    """
    return SLUG_UNSAFE.sub("-", name).strip("-.") or "unit"


def department_for(ledger: model.Ledger, name: str) -> model.Department:
    """The registry entry of a name, or an ad-hoc one when there is no registry."""
    return ledger.registry.resolve(name) or model.Department(name, slug=slugify(name))

