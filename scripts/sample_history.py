"""The sample's story: a scripted git history of the sample plan through 2020, with its monthly snapshots.

    .venv/bin/python scripts/sample_history.py [DIR]      (default: .cache/sample)

The sample portal is shown as it stood on 2020-09-30. This repository's own commits are the product's, not the
office's, so the sample's history lives in a repository of its own, made here from the same two inputs as
tasks.yaml (the import of the seed plan and scripts/sample_progress.yaml):

- 2020-04-01, 督查室: the plan imported (every task not started; task （52） not yet in it; （12） due 6月底前);
- each month, each department's editor commits the updates it reported that month
  (``办公室：2020年5月进展报送（3项）``), a task taking its final status with its last update;
- a correction the day after a slip, a postponement approved by the leading group (（12） to 9月底前, June), and a
  plan revision that adds task （52） (July);
- 2020-09-30, 督查室: the ledger checked for the month, which is exactly tasks.yaml;
- the snapshots of April to August published from it, each on the first day of the next month.

The repository holds the ledger, the registry and a mkdocs.yml whose docs, overrides and hooks are this
repository's own folders, so templates can be edited while ``make serve`` shows the story. It is made again only
when one of its inputs changes (a stamp records their digest).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from portal.importer import import_file
from portal.ledger.yamlout import dump_ledger

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT.parent / "shared" / "seeds" / "plan-2020-political-ecology.txt"
PROGRESS = HERE / "sample_progress.yaml"
INPUTS = [ROOT / "tasks.yaml", ROOT / "departments.yaml", ROOT / "mkdocs.yml", PROGRESS, Path(__file__).resolve()]
TZ = "+08:00"
OFFICE = "督查室"
LEADING_GROUP = "市局修复净化党内政治生态工作领导小组办公室"
POSTPONED = ("t12", "6月底前", dt.date(2020, 6, 12))  # task, its deadline before, the day the group moved it
ADDED = ("t52", dt.date(2020, 7, 10))  # task added by the plan revision, on that day
SNAPSHOTS = ("2020-04", "2020-08")
FINAL = dt.date(2020, 9, 30)


@dataclass(frozen=True, slots=True)
class Commit:
    when: dt.datetime
    author: str
    subject: str
    text: str


def _tasks(sections: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for section in sections:
        yield from section.get("tasks", [])
        yield from _tasks(section.get("sections", []))


def _without(sections: list[dict[str, Any]], task_id: str) -> None:
    for section in sections:
        section["tasks"] = [t for t in section.get("tasks", []) if t["id"] != task_id]
        _without(section.get("sections", []), task_id)


def _state(task: dict[str, Any], final: dict[str, Any], seen: int, on: dt.date) -> None:
    """The task as its department had reported it after ``seen`` of its updates, on ``on``."""
    updates = final.get("updates", [])
    task["updates"] = copy.deepcopy(updates[:seen])
    if not task["updates"]:
        task.pop("updates")
    met = {w: d for w, d in final.get("milestones_met", {}).items() if d <= on}
    if met:
        wording = task["deadline"] if isinstance(task["deadline"], list) else [task["deadline"]]
        task["deadline"] = [{"text": w, "done": met[w]} if w in met else w for w in wording]
    if updates and seen == len(updates):  # the last update brings the final status and what goes with it
        for key in ("status", "percent", "closed", "evidence", "metrics", "measures", "tags", "term"):
            if key in final:
                task[key] = copy.deepcopy(final[key])
    elif seen:
        task["status"] = "进行中"
        if isinstance(final.get("percent"), int):
            task["percent"] = max(10, min(90, round(final["percent"] * seen / len(updates) / 10) * 10))


def _ledger(base: dict[str, Any], overlay: dict[str, Any], seen: dict[str, int], on: dt.date) -> str:
    data = copy.deepcopy(base)
    for task in _tasks(data["sections"]):
        final = overlay.get(task["id"], {})
        _state(task, final, seen.get(task["id"], 0), on)
    if on < ADDED[1]:
        _without(data["sections"], ADDED[0])
    if on < POSTPONED[2]:
        task = next(t for t in _tasks(data["sections"]) if t["id"] == POSTPONED[0])
        task["deadline"] = POSTPONED[1]
    return dump_ledger(data)


PROGRESS_KEYS = ("status", "percent", "closed", "updates", "evidence", "metrics", "measures", "tags", "term")


def _as_imported(progress: dict[str, Any]) -> dict[str, Any]:
    """The plan as imported: the seed's import, or (without ../shared) tasks.yaml with the demo progress taken off."""
    if SEED.exists():
        base, _ = import_file(SEED, plan_id="pe2020")
        base["plan"].update(progress.get("plan", {}))
        return base
    base = yaml.safe_load((ROOT / "tasks.yaml").read_text(encoding="utf-8"))
    for task in _tasks(base["sections"]):
        extra = progress["tasks"].get(task["id"], {})
        for key in PROGRESS_KEYS:
            if key in extra:
                task.pop(key, None)
        wording = task.get("deadline")
        if isinstance(wording, dict) and "done" in wording:
            task["deadline"] = wording["text"]
        elif isinstance(wording, list):
            task["deadline"] = [w["text"] if isinstance(w, dict) and "done" in w else w for w in wording]
    return base


def story() -> list[Commit]:
    """The commits of the sample's history, oldest first: the last one is exactly tasks.yaml."""
    progress = yaml.safe_load(PROGRESS.read_text(encoding="utf-8"))
    base = _as_imported(progress)
    overlay: dict[str, Any] = progress["tasks"]
    reports: dict[tuple[str, str], list[tuple[dt.date, str]]] = {}  # (month, department) -> (date, task)
    for task_id, final in overlay.items():
        for update in final.get("updates", []):
            reports.setdefault((update["date"].strftime("%Y-%m"), update["by"]), []).append((update["date"], task_id))
    commits = [Commit(dt.datetime(2020, 4, 1, 9, 0), OFFICE, "导入实施方案：2020年修复净化党内政治生态工作实施方案",
                      _ledger(base, overlay, {}, dt.date(2020, 4, 1)))]
    events: list[tuple[dt.date, str, str, list[str]]] = []
    for (month, dept), items in reports.items():
        day = max(d for d, _ in items)
        events.append((day, dept, month, [t for _, t in sorted(items)]))
    events.append((POSTPONED[2], LEADING_GROUP, "", []))
    events.append((ADDED[1], LEADING_GROUP, "", []))
    events.sort(key=lambda e: (e[0], e[1]))
    seen: dict[str, int] = {}
    slipped = False
    for day, dept, month, task_ids in events:
        when = dt.datetime.combine(day, dt.time(17, 30)) if day < FINAL else dt.datetime.combine(day, dt.time(16, 0))
        if not task_ids:
            subject = ("期限调整：经领导小组同意，（12）完成时限由6月底前调整为9月底前" if day == POSTPONED[2]
                       else "方案调整：按调整方案新增任务（52）")
            commits.append(Commit(when, dept, subject, _ledger(base, overlay, seen, day)))
            continue
        for task_id in task_ids:
            seen[task_id] = seen.get(task_id, 0) + 1
        task_ids = [t for t in task_ids if t != ADDED[0] or day >= ADDED[1]]  # reported before it was in the plan
        if not task_ids:
            continue  # its progress comes with the revision that adds it
        y, m = month.split("-")
        subject = f"{dept}：{y}年{int(m)}月进展报送（{len(set(task_ids))}项）"
        text = _ledger(base, overlay, seen, day)
        if not slipped and dept == "办公室":  # a slip in the year of an update, corrected the next day
            slipped = True
            wrong = re.sub(r"(- date: )2020(-\d\d-\d\d\n(?:.*\n){1,2}?\s+by: 办公室)", r"\g<1>2002\2", text, count=1)
            if wrong != text:
                commits.append(Commit(when, dept, subject, wrong))
                commits.append(Commit(when + dt.timedelta(hours=16), dept, "更正：进展日期误写为2002年", text))
                continue
        commits.append(Commit(when, dept, subject, text))
    final = (ROOT / "tasks.yaml").read_text(encoding="utf-8")
    commits.append(Commit(dt.datetime.combine(FINAL, dt.time(17, 30)), OFFICE, "9月台账校核：各项进展核对无误",
                          final))
    return commits


def digest() -> str:
    h = hashlib.sha256()
    for path in INPUTS:
        h.update(path.read_bytes())
    return h.hexdigest()


def mkdocs_yml() -> str:
    """This repository's mkdocs.yml, its folders given as this repository's own (absolute) paths."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    edits = [("docs_dir: content", f"docs_dir: {ROOT / 'content'}"),
             ("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}"),
             ("  - hooks/portal_hooks.py", f"  - {ROOT / 'hooks' / 'portal_hooks.py'}")]
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit(f"mkdocs.yml: expected one '{old}'")
        text = text.replace(old, new)
    return "# The sample's story: made by scripts/sample_history.py; do not edit (edit the inputs).\n" + text


def make(target: Path) -> Path:
    """Make the sample's repository at ``target`` (again, if its inputs changed); return it."""
    stamp = target / ".git" / "portal-sample-digest"
    wanted = digest()
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return target
    work = target.with_name(f".{target.name}.new-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null",
           "NO_MKDOCS_2_WARNING": "1"}

    def git(*args: str, when: dt.datetime | None = None, author: str = OFFICE) -> None:
        extra = {}
        if when is not None:
            stamp_ = when.isoformat() + TZ
            extra = {"GIT_AUTHOR_DATE": stamp_, "GIT_COMMITTER_DATE": stamp_, "GIT_AUTHOR_NAME": author,
                     "GIT_AUTHOR_EMAIL": "editor@example.gov.cn", "GIT_COMMITTER_NAME": OFFICE,
                     "GIT_COMMITTER_EMAIL": "office@example.gov.cn"}
        subprocess.run(["git", *args], cwd=work, env={**env, **extra}, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (work / "mkdocs.yml").write_text(mkdocs_yml(), encoding="utf-8")
    shutil.copy2(ROOT / "departments.yaml", work / "departments.yaml")
    (work / ".gitignore").write_text("site/\n.cache/\n", encoding="utf-8")
    for commit in story():
        (work / "tasks.yaml").write_text(commit.text, encoding="utf-8")
        git("add", "-A")
        git("commit", "-q", "-m", commit.subject, when=commit.when, author=commit.author)
    start, end = SNAPSHOTS
    y, m = map(int, start.split("-"))
    while f"{y:04d}-{m:02d}" <= end:
        month = f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        published = dt.datetime(y, m, 1, 1, 0, tzinfo=dt.UTC)  # the next month's first morning in Beijing
        done = subprocess.run([str(Path(sys.executable).with_name("portal")), "snapshot", month], cwd=work,
                              env={**env, "SOURCE_DATE_EPOCH": str(int(published.timestamp()))},
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"snapshot {month}: {done.stderr}")
    git("add", "-A")
    git("commit", "-q", "-m", "月度快照：2020年4月至8月", when=dt.datetime.combine(FINAL, dt.time(18, 0)))
    (work / ".git" / "portal-sample-digest").write_text(wanted, encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(work, target)
    return target


if __name__ == "__main__":
    print(make(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".cache" / "sample").resolve()))
