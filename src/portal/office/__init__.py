"""`portal init`: an office's own portal repository, made from its plan document (or empty, to fill in).

The repository holds the office's ledger and registry, a ``mkdocs.yml`` that uses the installed portal (the
``progress-portal`` plugin: no hooks, no copied templates), its two hand-written pages, a README, the pinned
requirement and the GitLab CI of an office, and one first commit: its history, changelog and snapshots start
there. The files beside this module are the templates (Jinja); nothing of this repository's sample goes in.
The repository is made in a temporary folder beside the target and renamed into place once it validates.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from portal import __version__
from portal.config import read_config
from portal.i18n import message
from portal.import_registry import guess_kind, ledger_names
from portal.ledger.load import load
from portal.ledger.yamlout import dump_ledger

TEMPLATES = Path(__file__).resolve().parent
#: template → path in the office's repository
FILES = {
    "mkdocs.yml": "mkdocs.yml",
    "departments.yaml": "departments.yaml",
    "index.md": "content/index.md",
    "guide.md": "content/guide.md",
    "README.md": "README.md",
    "requirements.txt": "requirements.txt",
    "gitignore": ".gitignore",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "Makefile": "Makefile",
}
class InitFailed(Exception):
    """The repository cannot be made; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True, slots=True)
class Made:
    path: Path
    title: str
    sections: int
    tasks: int
    departments: int
    commit: str


def departments(data: dict[str, Any]) -> list[dict[str, str]]:
    """The bodies a ledger names, each with the kind the importer guesses (the office checks them)."""
    return [{"name": n, "kind": guess_kind(n)} for n in ledger_names(data)]


def empty_ledger(title: str, year: int) -> dict[str, Any]:
    """A ledger with its plan header and no sections yet: to fill in."""
    return {"plan": {"id": f"plan{year}", "title": title, "year": year}, "sections": []}


def _yaml_scalar(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True, width=10**6).removesuffix("\n...\n").strip()


def _example(data: dict[str, Any]) -> dict[str, str] | None:
    """The task the 填报说明 shows, taken from the plan itself (None for an empty ledger: the page has its own)."""

    def first(node: Any) -> dict[str, Any] | None:
        for section in node:
            if section.get("tasks"):
                return section["tasks"][0]
            found = first(section.get("sections", []))
            if found:
                return found
        return None

    task = first(data.get("sections", []))
    if task is None:
        return None
    lead = task.get("lead") or []
    by = lead[0] if isinstance(lead, list) and lead else str(lead).split("、")[0]
    return {"id": str(task["id"]), "number": str(task.get("number", "")), "title": str(task["title"]), "by": by}


def _render(name: str, values: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["yaml"] = _yaml_scalar
    text = env.get_template(name).render(**values)
    return text.replace("@VERSION@", __version__)


def init_repository(target: Path, data: dict[str, Any], lang: str = "zh") -> Made:
    """Write an office's repository for the ledger ``data`` at ``target`` (absent or empty) and commit it."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitFailed(message(lang, "init_not_empty", {"dir": target}))
    plan = data["plan"]
    year = int(plan["year"])
    values = {"title": plan["title"], "issuer": plan.get("issuer", ""), "source": plan.get("source", ""),
              "version": __version__, "example": _example(data), "departments": departments(data),
              "date": min(dt.date(year, 4, 20), dt.date.today()).isoformat()}
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        (work / "content").mkdir()
        (work / "tasks.yaml").write_text(dump_ledger(data), encoding="utf-8")
        for template, rel in FILES.items():
            (work / rel).write_text(_render(template, values), encoding="utf-8")
        cfg = read_config(work / "mkdocs.yml", environ={})
        loaded = load(cfg)  # the repository must validate as it is made (LedgerError otherwise)
        commit = _first_commit(work, message(lang, "init_commit", {"title": plan["title"]}))
        os.chmod(work, 0o777 & ~_umask())
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    ledger = loaded.ledger
    return Made(target, plan["title"], sum(len(p.walk_sections()) for p in ledger.plans), len(ledger.tasks()),
                len(ledger.registry.departments), commit)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _first_commit(repo: Path, subject: str) -> str:
    """git init and one commit of everything, by the user's git identity or, without one, the portal's."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("add", "-A")
    identity: list[str] = []
    for key, fallback in (("user.name", "Progress Portal"), ("user.email", "portal@localhost")):
        known = subprocess.run(["git", "config", key], cwd=repo, capture_output=True, text=True).stdout.strip()
        if not known:
            identity += ["-c", f"{key}={fallback}"]
    git(*identity, "commit", "-q", "-m", subject)
    return git("rev-parse", "HEAD").strip()
