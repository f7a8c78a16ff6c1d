"""The sample tells one story: a scripted 2020 history of the sample plan, its snapshots, and a site that agrees.

Every event the sample shows happened on or before its as-of date (2020-09-30); the chart's last point is the
headline; the story's last version is tasks.yaml itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import PORTAL, REPO
from htmlq import parse

AS_OF = "2020-09-30"


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_history", REPO / "scripts" / "sample_history.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sample_history"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = script().make(tmp_path_factory.mktemp("story") / "sample")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("PORTAL_OWNS_SOURCE_DATE_EPOCH", None)
    done = subprocess.run([str(PORTAL), "build", "--strict"], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def test_the_history_is_the_offices_2020_not_the_products(story: Path) -> None:
    log = [line.split("\t") for line in git(story, "log", "--format=%ad\t%an\t%s", "--date=short").splitlines()]
    assert all(date <= AS_OF for date, _, _ in log) and log[-1][0] == "2020-04-01"
    assert all(re.search(r"[\u4e00-\u9fff]", subject) for _, _, subject in log)  # Chinese messages
    subjects = [s for _, _, s in log]
    assert any(re.fullmatch(r"机关党委：2020年\d月进展报送（\d+项）", s) for s in subjects)
    assert any(s.startswith("期限调整") for s in subjects) and any(s.startswith("更正") for s in subjects)
    assert any(s.startswith("方案调整") for s in subjects)
    assert len({author for _, author, _ in log}) >= 8  # the departments' editors
    assert git(story, "show", "HEAD:tasks.yaml") == (REPO / "tasks.yaml").read_text(encoding="utf-8")


def test_the_snapshots_of_april_to_august_are_published_and_intact(story: Path) -> None:
    index = json.loads((story / "archive" / "index.json").read_text(encoding="utf-8"))["snapshots"]
    assert [r["month"] for r in index] == ["2020-04", "2020-05", "2020-06", "2020-07", "2020-08"]
    assert all(r["published"][:10] <= AS_OF for r in index)
    verify = subprocess.run([str(PORTAL), "snapshot", "--verify"], cwd=story, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr


def test_every_event_the_site_shows_is_on_or_before_the_as_of_date(story: Path) -> None:
    site = story / "site"
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    months = re.findall(r'<h2 id="m(\d{4}-\d{2})"', changelog)
    assert months[0] == "2020-09" and months[-1] == "2020-04"
    times = re.findall(r'<time datetime="([^"]+)"', changelog)
    assert times and max(t[:10] for t in times) <= AS_OF
    assert "（延期）" in changelog and "9月底前" in changelog  # the postponement, in words
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert max(re.findall(r"<updated>(\d{4}-\d{2}-\d{2})", feed)) <= AS_OF
    archive = (site / "archive" / "index.html").read_text(encoding="utf-8")
    assert "2020年8月" in archive and not re.search(r"202[1-9]", archive)
    for page in site.rglob("*.html"):
        assert not re.search(r"202[1-9]年\d{1,2}月|\b2026-", page.read_text(encoding="utf-8")), page


def test_the_charts_last_point_is_the_headline(story: Path) -> None:
    page = (story / "site" / "index.html").read_text(encoding="utf-8")
    kpis = re.findall(r'pp-kpi__num">([^<]*)', page)
    total, percent, overdue = int(kpis[0]), kpis[1], int(kpis[2])
    rows = re.findall(r"<tr><td>(\d{4}-\d{2}-\d{2})</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", page)
    assert rows and rows[-1][0] == AS_OF
    done, overdue_then = int(rows[-1][1]), int(rows[-1][3])
    assert overdue_then == overdue and f"（{done}/" in page.split("pp-kpi__label")[2] and total == 52
    assert parse(page).find("h1") is not None and percent.endswith("%")
