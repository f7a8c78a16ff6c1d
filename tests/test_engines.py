"""The sample on both engines: MkDocs 1.6.1 and ProperDocs (the maintained MkDocs 1.6) build the same site.

Same pages, same task cards, same figures: every file of the two sites is the same bytes, except that each page
names its generator. docs/maintenance.md says why the second engine is there.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIGURES, PORTAL, REPO, Build, copy_project
from htmlq import parse
from test_package import pinned

BIN = Path(sys.executable).parent
GENERATOR = re.compile(rb'<meta name="generator" content="([^"]*)">')


def engine(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed beside {sys.executable}: requirements.txt pins it (make setup)")
    return path


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def properdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("properdocs"))
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PORTAL_OWNS_SOURCE_DATE_EPOCH")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    proc = subprocess.run([str(engine("properdocs")), "build", "--strict", "-d", str(project / "site")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return project / "site"


def test_properdocs_builds_the_same_site_as_mkdocs(sample_build: Build, properdocs_site: Path) -> None:
    mkdocs, proper = files(sample_build.site), files(properdocs_site)
    assert sorted(proper) == sorted(mkdocs)
    pages = [name for name in mkdocs if name.endswith(".html")]
    assert len(pages) >= 30
    differ = []
    for name, data in mkdocs.items():
        other = proper[name]
        if name.endswith(".html"):
            ours, theirs = GENERATOR.findall(data), GENERATOR.findall(other)
            assert ours == [f"mkdocs-{pinned('mkdocs')}, mkdocs-material-{pinned('mkdocs-material')}".encode()], name
            assert theirs == [f"mkdocs-ProperDocs {pinned('properdocs')}, "
                              f"mkdocs-material-{pinned('mkdocs-material')}".encode()], name
            data, other = GENERATOR.sub(b"", data), GENERATOR.sub(b"", other)
        if data != other:
            differ.append(name)
    assert not differ, f"ProperDocs built these differently: {differ}"
    FIGURES.append(f"engines: MkDocs {pinned('mkdocs')} and ProperDocs {pinned('properdocs')} built the same "
                   f"{len(pages)} pages ({len(mkdocs)} files)")


def test_the_same_task_cards_and_figures_on_both_engines(sample_build: Build, properdocs_site: Path) -> None:
    """What the byte comparison above implies, said in the portal's own terms (and never vacuously)."""
    tasks = [f"t{i:02d}" for i in range(1, 53)]
    for site in (sample_build.site, properdocs_site):
        cards = []
        for n in range(1, 8):
            article = parse((site / "pe2020" / f"s{n}" / "index.html").read_text(encoding="utf-8")).find("article")
            cards += [c.attrs["data-task"] for c in article.find_all("article", cls="pp-card")]
        assert cards == tasks
    dashboards = [parse((site / "index.html").read_text(encoding="utf-8")).find("article").text
                  for site in (sample_build.site, properdocs_site)]
    figures = [re.findall(r"\d+(?:\.\d+)?%?", text) for text in dashboards]
    assert len(figures[0]) > 10 and figures[0] == figures[1]
    digests = [hashlib.sha256((site / "tasks.json").read_bytes()).hexdigest()
               for site in (sample_build.site, properdocs_site)]
    assert digests[0] == digests[1]


def test_portal_build_with_the_properdocs_engine(properdocs_site: Path, tmp_path: Path) -> None:
    """`portal build --engine properdocs`: ProperDocs' own site, put in place as `portal build` puts it."""
    project = copy_project(tmp_path / "project")
    site = tmp_path / "www" / "portal"
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PORTAL_OWNS_SOURCE_DATE_EPOCH")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    proc = subprocess.run([str(PORTAL), "build", "--engine", "properdocs", "--strict", "-f",
                           str(project / "mkdocs.yml"), "-d", str(site)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    built, proper = files(site), files(properdocs_site)
    assert sorted(built) == sorted(proper) and all(built[name] == proper[name] for name in proper)
    assert b"mkdocs-ProperDocs" in built["index.html"]
    assert sorted(p.name for p in site.parent.iterdir()) == [".portal.lock", "portal"]  # no build folder left
    # a failing build leaves the site as it was, with ProperDocs' reason on stderr
    (project / "tasks.yaml").write_text("plan: {}\n", encoding="utf-8")
    failed = subprocess.run([str(PORTAL), "build", "--engine", "properdocs", "-f", str(project / "mkdocs.yml"),
                             "-d", str(site)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert failed.returncode == 1 and "tasks.yaml:1:" in failed.stderr
    assert files(site) == built


def test_properdocs_is_pinned_with_the_engines_it_continues() -> None:
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^properdocs==1\.6\.\d+$", text, re.M) and re.search(r"^mkdocs==1\.6\.1$", text, re.M)
