"""Shared fixtures: copies of the project in temporary folders, and real builds of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PORTAL = Path(sys.executable).with_name("portal")
PROJECT_FILES = ["mkdocs.yml", "mkdocs.offline.yml", "tasks.yaml", "departments.yaml"]
PROJECT_DIRS = ["content", "overrides", "hooks"]
FIGURES: list[str] = []  # measured figures that tests report, printed at the end of the run


@dataclass
class Build:
    """The outcome of one `portal build`."""

    returncode: int
    stdout: str
    stderr: str
    site: Path

    def page(self, rel: str) -> str:
        return (self.site / rel).read_text(encoding="utf-8")


def copy_project(dest: Path) -> Path:
    """A copy of the sample portal (config, ledger, registry, content, templates, hooks) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, dest / name)
    for name in PROJECT_DIRS:
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def run_build(project: Path, site: Path | None = None, env: dict[str, str] | None = None,
              command: str = "build") -> Build:
    """Run `portal build` (or another subcommand) on a project in a fresh process, as a user would."""
    site = site or project / "site"
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    full_env.pop("SOURCE_DATE_EPOCH", None)
    full_env.pop("PORTAL_OWNS_SOURCE_DATE_EPOCH", None)
    args = [str(PORTAL), command, "-f", str(project / "mkdocs.yml")]
    if command == "build":
        args += ["--strict", "-d", str(site)]
    proc = subprocess.run(args, cwd=project, env=full_env, capture_output=True, text=True, timeout=600)
    return Build(proc.returncode, proc.stdout, proc.stderr, site)


class GitProject:
    """A project folder under git, committing with fixed dates and authors."""

    def __init__(self, path: Path, registry: str | None = None) -> None:
        self.path = path
        copy_project(path)
        if registry is not None:
            (path / "departments.yaml").write_text(registry, encoding="utf-8")
        self.git("init", "-q", "-b", "main")
        self.git("add", "mkdocs.yml", "departments.yaml", "content", "overrides", "hooks")
        self.commit("项目初始化", "2020-03-01T09:00:00+08:00", "Admin")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", **(env or {})}
        return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.gov.cn", *args],
                              cwd=self.path, env=full, check=True, capture_output=True, text=True).stdout

    def write(self, text: str, name: str = "tasks.yaml") -> None:
        (self.path / name).parent.mkdir(parents=True, exist_ok=True)
        (self.path / name).write_text(text, encoding="utf-8")

    def commit(self, subject: str, date: str, author: str, *paths: str) -> str:
        if paths:
            self.git("add", *paths)
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": author,
               "GIT_AUTHOR_EMAIL": f"{author}@example.gov.cn"}
        self.git("commit", "-q", "--allow-empty", "-m", subject, env=env)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The sample plan built once for the whole session, at its pinned as-of date."""
    project = copy_project(tmp_path_factory.mktemp("sample"))
    build = run_build(project)
    assert build.returncode == 0, build.stderr
    return build


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests measured (search recall, filter time …) where CI logs show them."""
    if FIGURES:
        terminalreporter.section("measured")
        for line in FIGURES:
            terminalreporter.write_line(line)
