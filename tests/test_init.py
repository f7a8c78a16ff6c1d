"""`portal init`: an office's own repository from its plan document (or empty), building on its own.

Real documents, real git repositories, real builds with the installed plugin (no hooks, no copied templates).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from conftest import PORTAL, REPO
from htmlq import parse

PLAN = """2021年机关作风建设专项整治实施方案

为深入推进机关作风建设，制定本方案。

一、强化学习教育
1.制定年度学习计划，组织集中学习。
（1）3月底前制定理论学习中心组年度学习计划。
（2）每季度组织一次专题研讨，形成研讨材料。
牵头科室：办公室
责任单位：机关各科室
2.开展警示教育。
（3）6月底前组织观看警示教育片。
牵头科室：机关党委
二、整治突出问题
3.清理规范工作群。
（4）5月底前完成工作群清理。
牵头科室：信息中心
责任单位：办公室
"""
TITLE = "2021年机关作风建设专项整治实施方案"
#: Words only this repository's sample carries: none may reach an office's repository.
SAMPLE_WORDS = ("政治生态", "pe2020", "portal_hooks", "custom_dir", "as_of: 2020-09-30", "一封家书")


def env() -> dict[str, str]:
    out = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
    out.pop("SOURCE_DATE_EPOCH", None)
    out.pop("PORTAL_OWNS_SOURCE_DATE_EPOCH", None)
    return out


def portal(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PORTAL), *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=600)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=env(), check=True, capture_output=True, text=True).stdout


def made(tmp_path: Path) -> Path:
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    done = portal(tmp_path, "init", "plan.txt", "office")
    assert done.returncode == 0, done.stderr
    assert "4 项任务" in done.stdout and "4 个单位" in done.stdout
    return tmp_path / "office"


def test_an_office_repository_from_its_plan_builds_with_its_own_history(tmp_path: Path) -> None:
    office = made(tmp_path)
    files = {p.relative_to(office).as_posix() for p in office.rglob("*") if p.is_file() and ".git/" not in
             p.relative_to(office).as_posix() + "/"}
    assert files == {"mkdocs.yml", "tasks.yaml", "departments.yaml", "content/index.md", "content/guide.md",
                     "README.md", "requirements.txt", ".gitignore", ".gitlab-ci.yml", "Makefile"}
    config = yaml.safe_load((office / "mkdocs.yml").read_text(encoding="utf-8").replace("!ENV", ""))
    assert config["site_name"] == TITLE and "as_of" not in config["extra"]["portal"]
    assert "progress-portal" in config["plugins"] and "hooks" not in config and "custom_dir" not in config["theme"]
    registry = yaml.safe_load((office / "departments.yaml").read_text(encoding="utf-8"))["departments"]
    assert {d["name"]: d["kind"] for d in registry} == {"办公室": "department", "机关各科室": "group",
                                                        "机关党委": "department", "信息中心": "unit"}
    for path in office.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert not [w for w in SAMPLE_WORDS if w in text], path
    assert TITLE in (office / "content" / "index.md").read_text(encoding="utf-8")
    assert "3月底前制定理论学习中心组年度学习计划" in (office / "content" / "guide.md").read_text(encoding="utf-8")
    from portal import __version__
    assert f"progress-portal=={__version__}" in (office / "requirements.txt").read_text(encoding="utf-8")
    assert git(office, "log", "--format=%s").splitlines() == [f"建立进度台账：{TITLE}"]

    path = f"{PORTAL.parent}{os.pathsep}{os.environ.get('PATH', '')}"  # the portal installed, as in an office
    build = subprocess.run(["make", "build"], cwd=office, env={**env(), "PATH": path}, capture_output=True,
                           text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    changelog = parse((office / "site" / "changelog" / "index.html").read_text(encoding="utf-8"))
    commits = [s for s in changelog.find_all("section") if "pp-commit" in s.attrs.get("class", "")]
    assert len(commits) == 1 and f"建立进度台账：{TITLE}" in commits[0].text
    dashboard = (office / "site" / "index.html").read_text(encoding="utf-8")
    assert TITLE in dashboard and not [w for w in SAMPLE_WORDS if w in dashboard]


def test_the_office_ci_steps_pass_after_an_edit(tmp_path: Path) -> None:
    office = made(tmp_path)
    ledger = office / "tasks.yaml"
    text = ledger.read_text(encoding="utf-8")
    assert "title: 5月底前完成工作群清理\n" in text
    ledger.write_text(text.replace("title: 5月底前完成工作群清理\n", "title: 5月底前完成工作群清理\n"
                                   "            status: 进行中\n"), encoding="utf-8")
    assert portal(office, "validate").returncode == 0
    diff = portal(office, "diff", "HEAD")
    assert diff.returncode == 0 and "状态：未启动 → 进行中" in diff.stdout, diff.stdout + diff.stderr


def test_an_empty_portal_to_fill_in_builds(tmp_path: Path) -> None:
    done = portal(tmp_path, "init", "empty", "--title", "2021年作风建设专项整治", "--year", "2021")
    assert done.returncode == 0, done.stderr
    office = tmp_path / "empty"
    assert "2021年作风建设专项整治" in (office / "mkdocs.yml").read_text(encoding="utf-8")
    assert portal(office, "build", "--strict").returncode == 0


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "office").mkdir()
    (tmp_path / "office" / "notes.txt").write_text("x", encoding="utf-8")
    done = portal(tmp_path, "init", "plan.txt", "office")
    assert done.returncode == 1 and "不是空文件夹" in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in (tmp_path / "office").iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".office.init-")]


def test_the_office_templates_are_the_ones_the_bundle_ships() -> None:
    ci = (REPO / "src" / "portal" / "office" / "gitlab-ci.yml").read_text(encoding="utf-8")
    assert "PORTAL_VERSION" in ci and "@VERSION@" in ci  # filled in by portal init and by make bundle alike
