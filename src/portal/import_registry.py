"""The registry an import needs: the departments and units an imported ledger names, written to departments.yaml.

:func:`ledger_names` collects the names of ``lead`` and ``units`` of sections and tasks; :func:`merge_registry`
adds those that the registry does not know (by name or alias) with a kind guessed from the name
(:func:`guess_kind`), to a new registry or to an existing one, keeping its comments and order (ruamel).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# Collectives: every department of a kind (not ranked)
_GROUP_RE = re.compile(r"^(?:各|全体|所有|全[局市县区])"
                       r"|各(?:科室|单位|部门|党支部|处室|股室|站所|中心|支部|分局|县区|区县)$"
                       r"|(?:直属|机关|局属|下属)(?:各|所属)")
# Units: bodies of their own under the bureau (centres, institutes, teams, stations …)
_UNIT_RE = re.compile(r"(?:中心|所|队|站|院|馆|分局|公司|学校|医院|基地|研究院|检验所|监测站|大队|支队|中队)$")
# Departments: offices of the bureau itself
_DEPARTMENT_RE = re.compile(r"(?:科|室|办|处|股|部|办公室|委|党委|工委|组|领导小组)$")


def guess_kind(name: str) -> str:
    """'group' for 各科室 / 机关各科室 / 直属各单位, 'unit' for …中心 / …所 / …队 / …站, else 'department'."""
    if _GROUP_RE.search(name):
        return "group"
    if _UNIT_RE.search(name):
        return "unit"
    return "department"


def ledger_names(data: dict[str, Any]) -> list[str]:
    """Every lead and unit name of an imported ledger, in order of first appearance."""
    names: dict[str, None] = {}

    def walk(sections: list[dict[str, Any]]) -> None:
        for section in sections:
            for item in (section, *section.get("tasks", [])):
                for key in ("lead", "units"):
                    for name in item.get(key, []) or []:
                        names.setdefault(name)
            walk(section.get("sections", []))

    walk(data.get("sections", []))
    return list(names)


def similar_names(added: list[tuple[str, str]], registry_text: str) -> list[tuple[str, str]]:
    """(added name, a name already in the registry it may be another writing of), by the validation's did-you-mean:
    人事科 beside 人教科 (so that people make it an alias instead of a second department)."""
    import yaml

    from portal.ledger.schema import did_you_mean

    try:
        entries = (yaml.safe_load(registry_text) or {}).get("departments") or []
    except yaml.YAMLError:
        return []
    new = {name for name, _ in added}
    before = [str(e.get("name")) for e in entries if isinstance(e, dict) and str(e.get("name")) not in new]
    out = []
    for name, _ in added:
        suggestion = did_you_mean(name, before)
        if suggestion:
            out.append((name, suggestion))
    return out


def merge_registry(path: Path, names: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """The registry text with ``names`` it did not know added, and the (name, kind) added.

    An existing file keeps its comments, order and entries; a missing one is made with the schema comment line.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from portal.ledger.yamlout import SCHEMA_COMMENTS, format_text

    yaml = YAML()
    yaml.preserve_quotes = True
    if path.exists():
        text = path.read_text(encoding="utf-8-sig")
        root = yaml.load(text) or CommentedMap()
    else:
        text = ""
        root = CommentedMap()
    entries = root.get("departments")
    if entries is None:
        entries = CommentedSeq()
        root["departments"] = entries
    known: set[str] = set()
    for entry in entries:
        if isinstance(entry, dict):
            known.add(str(entry.get("name", "")))
            aliases = entry.get("aliases") or []
            known.update(str(a) for a in (aliases if isinstance(aliases, list) else re.split(r"[、，,]", aliases)))
    added: list[tuple[str, str]] = []
    for name in names:
        if name in known:
            continue
        kind = guess_kind(name)
        entry = CommentedMap()
        entry["name"] = name
        entry["kind"] = kind
        entries.append(entry)
        known.add(name)
        added.append((name, kind))
    if not added and text:
        return text, []
    import io

    stream = io.StringIO()
    yaml.dump(root, stream)
    body = stream.getvalue()
    if not text:
        body = SCHEMA_COMMENTS["departments"] + "\n" + body
    return format_text(body, "departments"), added


# ---------------------------------------------------------------------------------------------------------------------
# The portal around an import: ledgers already listed, their ids
# ---------------------------------------------------------------------------------------------------------------------


def ledger_ids(data: dict[str, Any]) -> list[str]:
    """The plan's id and every section and task id of a ledger's data."""
    plan = data.get("plan")
    ids: list[str] = [str(plan.get("id", ""))] if isinstance(plan, dict) else []

    def walk(sections: list[dict[str, Any]]) -> None:
        for section in sections:
            if isinstance(section, dict):
                ids.append(str(section.get("id", "")))
                ids.extend(str(t.get("id", "")) for t in section.get("tasks", []) or [] if isinstance(t, dict))
                walk(section.get("sections", []) or [])

    walk(data.get("sections", []) or [])
    return ids


def prefix_ids(data: dict[str, Any], prefix: str) -> None:
    """Give every section and task id the prefix (p2021-s1, p2021-t05): ids are unique across all ledgers."""

    def walk(sections: list[dict[str, Any]]) -> None:
        for section in sections:
            section["id"] = f"{prefix}-{section['id']}"
            for task in section.get("tasks", []):
                task["id"] = f"{prefix}-{task['id']}"
            walk(section.get("sections", []))

    walk(data.get("sections", []))


def add_ledger(config_text: str, rel: str) -> str | None:
    """mkdocs.yml with ``rel`` appended to the block list ``ledgers:`` under extra.portal; None when that list is
    not written as a block list (then people add it by hand)."""
    lines = config_text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = re.match(r"^(\s+)ledgers:\s*(#.*)?$", line)
        if not m:
            continue
        j = i + 1
        item_indent = None
        while j < len(lines) and (lines[j].strip() == "" or lines[j].lstrip().startswith("#")
                                  or ((item := re.match(r"^(\s*)- ", lines[j])) and len(item[1]) >= len(m[1]))):
            if (item := re.match(r"^(\s*)- ", lines[j])) is not None:
                item_indent = item[1]
                if lines[j].strip()[2:].strip().strip("'\"") == rel:
                    return config_text
            j += 1
        if item_indent is None:
            return None
        k = j
        while k > i + 1 and not re.match(r"^\s*- ", lines[k - 1]):
            k -= 1
        newline = "" if lines[k - 1].endswith("\n") else "\n"
        lines.insert(k, f"{newline}{item_indent}- {rel}\n")
        return "".join(lines)
    return None


def ledger_dates(data: dict[str, Any]) -> list[Any]:
    """The dates of an imported ledger's progress: updates and closing dates."""
    import datetime as dt

    dates: list[dt.date] = []

    def walk(sections: list[dict[str, Any]]) -> None:
        for section in sections:
            for task in section.get("tasks", []):
                dates.extend(u["date"] for u in task.get("updates", []) if isinstance(u.get("date"), dt.date))
                if isinstance(task.get("closed"), dt.date):
                    dates.append(task["closed"])
            walk(section.get("sections", []))

    walk(data.get("sections", []))
    return dates
