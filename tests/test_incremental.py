"""A build that reuses what an earlier build kept equals a clean build from scratch, byte for byte.

`mkdocs serve` rebuilds in one process: the portal keeps compiled templates (its own and the theme's), jieba's
dictionary and module state from one build to the next, and the history cache on disk. Here a project is built
in this process after each edit of a scripted series, as `mkdocs serve` does on each save, and the last site is
compared file by file with a clean build of the edited project in a fresh process (no .cache, no site folder).
Nothing is exempt from the comparison: the portal dates the build by its as-of day (SOURCE_DATE_EPOCH), so even
MkDocs' sitemap.xml.gz is the same.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers.polling import PollingObserver

from conftest import REPO, GitProject

sys.path.insert(0, str(REPO / "scripts"))  # scripts/ is not a package

import synth
from portal import mkdocs_hooks
from portal.config import read_config
from portal.ledger.load import load
from portal.memo import plain_meta
from portal.outputs.site import Site
from portal.serving import PAGES_MEMO, SAVE_POLL, THEME_CODE, THEME_PAGES, keep_compiled, poll_sooner
from portal.survey import Rules, survey

Edit = Callable[[], None]


@pytest.fixture
def build_env() -> Iterator[None]:
    """The environment a user's build starts with. The builds in this process set SOURCE_DATE_EPOCH (and mark it
    as the portal's): the environment is put back as it was afterwards, for the tests that run next."""
    saved = os.environ.copy()
    for key in ("SOURCE_DATE_EPOCH", "PORTAL_OWNS_SOURCE_DATE_EPOCH", "PORTAL_AS_OF"):
        os.environ.pop(key, None)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def serve_build(project: Path, site: Path) -> None:
    """One rebuild as `mkdocs serve` runs it on a save: a fresh config, the build in this process."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="serve", dirty=False)
    build(config, dirty=False)


def plain_build(project: Path, site: Path) -> None:
    """A build in this process as `mkdocs build` runs it: nothing taken from an earlier build's memo (the serve
    session's memos are left as they are, for its next rebuild)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    build(config, dirty=False)


def clean_build(project: Path, dest: Path) -> Path:
    """The edited project copied without its caches and built by MkDocs in a new process."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns(".cache", "site", "__pycache__"))
    site = dest / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(dest / "mkdocs.yml"), "-d", str(site)],
                          cwd=dest, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return site


def files_of(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def assert_same_site(kept: Path, clean: Path) -> None:
    a, b = files_of(kept), files_of(clean)
    assert sorted(a) == sorted(b), (sorted(set(a) ^ set(b)))[:20]
    differing = [name for name in a if a[name] != b[name]]
    assert not differing, differing[:20]


def rebuilt_after_each(project: Path, site: Path, edits: list[tuple[str, Edit]],
                       check: Path | None = None, reused: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """Build, then edit and rebuild in this process once per edit; what each build wrote to the index page.

    With ``check``, each rebuild is compared with a build of the same edit that takes nothing from the last one
    (in this process, into ``check``): a fragment or page kept when it should have changed shows at that edit.
    ``reused`` gets, by edit, how many fragments and theme pages the rebuild took from the one before.
    """
    serve_build(project, site)
    seen = [(site / "index.html").read_text(encoding="utf-8")]
    for name, edit in edits:
        edit()
        serve_build(project, site)
        seen.append((site / "index.html").read_text(encoding="utf-8"))
        if reused is not None:
            reused[name] = (PAGES_MEMO.taken, THEME_PAGES.taken)
        if check is not None:
            shutil.rmtree(check, ignore_errors=True)
            plain_build(project, check)
            try:
                assert_same_site(site, check)
            except AssertionError as err:
                raise AssertionError(f"after the edit {name!r}: {err}") from None
    return seen


def test_sample_rebuilt_in_process_after_edits_and_commits_equals_a_clean_build(tmp_path: Path,
                                                                                 build_env: None) -> None:
    repo = GitProject(tmp_path / "p")
    ledger = repo.path / "tasks.yaml"
    text = ledger.read_text(encoding="utf-8")
    repo.commit("台账初稿", "2020-06-01T09:00:00+08:00", "Admin", "tasks.yaml")
    title_line = next(line for line in text.splitlines() if line.startswith("            title: "))
    assert "percent: 75" in text

    def commit_progress() -> None:
        changed = ledger.read_text(encoding="utf-8").replace("percent: 75", "percent: 90", 1)
        ledger.write_text(changed, encoding="utf-8")
        repo.commit("更新进度", "2020-07-01T09:00:00+08:00", "Admin", "tasks.yaml")

    def retitle_unsaved() -> None:  # a save without a commit: the pages show it, the history does not
        changed = ledger.read_text(encoding="utf-8").replace(title_line, title_line + "（改）", 1)
        ledger.write_text(changed, encoding="utf-8")

    edits = [("progress, committed", commit_progress), ("title, not committed", retitle_unsaved)]
    rebuilt_after_each(repo.path, tmp_path / "site", edits)
    assert_same_site(tmp_path / "site", clean_build(repo.path, tmp_path / "clean"))
    assert "（改）" in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html"))


class SynthEdits:
    """A scripted series of edits to a synthetic ledger: each writes tasks.yaml (and the registry) again."""

    def __init__(self, project: synth.Project) -> None:
        self.project = project
        self.data = project.data
        self.items = [item for section in self.data["sections"] for item in section["sections"]]
        self.tasks = list(synth.walk_tasks(self.data))

    def write(self) -> None:
        (self.project.path / "tasks.yaml").write_text(synth.ledger_text(self.data), encoding="utf-8")
        (self.project.path / "departments.yaml").write_text(synth.registry_text(self.project.registry),
                                                           encoding="utf-8")

    def retitle(self) -> None:
        self.tasks[3]["title"] += "（标题已改）"
        self.write()

    def finish(self) -> None:
        task = next(t for t in self.tasks if t["status"] == synth.IN_PROGRESS)
        task.update(status=synth.DONE, percent=100, closed=dt.date(2020, 12, 20))
        self.write()

    def add(self) -> None:
        item = self.items[1]
        new = {k: v for k, v in item["tasks"][0].items() if k in ("title", "deadline", "status", "percent")}
        item["tasks"].append({"id": "t-new", "number": "（新）", **new, "title": "新增的一项任务"})
        self.write()

    def remove(self) -> None:
        item = next(i for i in self.items[2:] if len(i["tasks"]) > 1)
        item["tasks"].pop()
        self.write()

    def rename_department(self) -> None:
        names = [d["name"] for d in self.project.registry]
        old = next(n for n in names if n and sum(n in other for other in names) == 1 and self._leads(n))
        new = old + "（新）"
        for entry in self.project.registry:
            if entry["name"] == old:
                entry["name"] = new
        for item in self.items:
            item["lead"] = [new if n == old else n for n in item.get("lead", [])]
            if "units" in item:
                item["units"] = [new if n == old else n for n in item["units"]]
            for task in item["tasks"]:
                if "lead" in task:
                    task["lead"] = [new if n == old else n for n in task["lead"]]
        self.write()

    def report(self) -> None:
        """A progress update on an early task: every task below it moves down the file (their edit links)."""
        self.tasks[1].setdefault("updates", []).append(
            {"date": dt.date(2020, 12, 30), "text": "完成阶段性工作，形成书面报告。", "by": "张三"})
        self.write()

    def retemplate(self) -> None:
        """The office edits a page template while serving: every card shows it."""
        card = self.project.path / "overrides" / "portal" / "_card.html"
        card.write_text(card.read_text(encoding="utf-8").replace(
            '<dl class="pp-card__meta">', '<dl class="pp-card__meta" data-edited="yes">', 1), encoding="utf-8")

    def rename_guide(self) -> None:
        """A hand-written page gets a new title: the navigation of every page shows it."""
        guide = self.project.path / "content" / "guide.md"
        text = guide.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        guide.write_text(text.replace(first, "# 使用说明（修订）", 1) if first.startswith("# ")
                         else "# 使用说明（修订）\n\n" + text, encoding="utf-8")

    def rename_site(self) -> None:
        """The settings change: the header of every page shows it."""
        settings = self.project.path / "mkdocs.yml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("site_name: ", "site_name: 新版", 1), encoding="utf-8")

    def _leads(self, name: str) -> bool:
        return any(name in item.get("lead", []) for item in self.items)

    def series(self) -> list[tuple[str, Edit]]:
        return [("title", self.retitle), ("status", self.finish), ("added", self.add), ("removed", self.remove),
                ("update appended", self.report), ("template edited", self.retemplate),
                ("hand-written page retitled", self.rename_guide), ("site renamed", self.rename_site),
                ("department renamed", self.rename_department)]


def test_synthetic_ledger_rebuilt_in_process_after_a_series_of_edits_equals_a_clean_build(
        tmp_path: Path, build_env: None) -> None:
    project = synth.make_project(tmp_path / "p", synth.Shape(1000, 10, 30, 1))
    settings = project.path / "mkdocs.yml"  # cards link to their lines in the repository: moved lines show
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "site_name: ", "repo_url: https://git.example.org/office/portal\nsite_name: ", 1), encoding="utf-8")
    edits = SynthEdits(project)
    reused: dict[str, tuple[int, int]] = {}
    seen = rebuilt_after_each(project.path, tmp_path / "site", edits.series(), check=tmp_path / "check",
                              reused=reused)
    assert len(set(seen)) > 1  # the edits reached the pages (the dashboard's counts moved)
    assert_same_site(tmp_path / "site", clean_build(project.path, tmp_path / "clean"))
    pages = files_of(tmp_path / "site")
    assert any("新增的一项任务".encode() in page for page in pages.values())
    assert any("（标题已改）".encode() in page for page in pages.values())
    assert any(b'data-edited="yes"' in page for page in pages.values())
    assert "使用说明（修订）".encode() in pages["index.html"]
    # A save of one task took the other cards, rows and pages from the rebuild before; a new template or new
    # settings took nothing.
    cards, pages_taken = reused["title"]
    assert cards > 900 and pages_taken > 20, reused
    assert reused["template edited"] == (0, 0), reused
    assert reused["site renamed"][1] == 0, reused


# --- the serve session's own pieces -------------------------------------------------------------------------------


def test_serve_polls_the_watched_files_sooner_and_keeps_every_watch(tmp_path: Path) -> None:
    from mkdocs.livereload import LiveReloadServer

    (tmp_path / "docs").mkdir()
    (tmp_path / "tasks.yaml").write_text("x", encoding="utf-8")
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    try:
        server.watch(str(tmp_path / "docs"))
        server.watch(str(tmp_path / "docs"))  # watched twice: unwatching once must keep it
        server.watch(str(tmp_path / "tasks.yaml"))
        before = server.observer
        watched = {w.path for w in before._watches}  # type: ignore[attr-defined]
        assert len(watched) == 2
        assert poll_sooner(server)
        assert server.observer is not before and isinstance(server.observer, PollingObserver)
        assert server.observer.timeout == SAVE_POLL
        assert {w.path for w in server.observer._watches} == watched  # type: ignore[attr-defined]
        assert not before._watches  # type: ignore[attr-defined]
        server.unwatch(str(tmp_path / "docs"))
        assert {w.path for w in server.observer._watches} == watched  # type: ignore[attr-defined]
        # a save is noticed: the server is told to rebuild
        server.observer.start()
        time.sleep(3 * SAVE_POLL)  # the observer's first look, before the save
        (tmp_path / "tasks.yaml").write_text("a save", encoding="utf-8")
        with server._rebuild_cond:
            assert server._rebuild_cond.wait_for(lambda: server._want_rebuild, timeout=5)
        assert not poll_sooner(server)  # once running, an observer is left alone
    finally:
        server.observer.stop()
        server.server_close()


def test_theme_templates_compiled_once_per_process(tmp_path: Path) -> None:
    import jinja2

    (tmp_path / "t.html").write_text("{{ x }}!", encoding="utf-8")
    loads: list[str] = []

    def env() -> jinja2.Environment:
        e = keep_compiled(jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path))))
        compile_ = e.compile

        def counted(source: Any, name: Any = None, filename: Any = None, raw: bool = False,
                    defer_init: bool = False) -> Any:
            loads.append(name)
            return compile_(source, name, filename, raw, defer_init)

        e.compile = counted  # type: ignore[method-assign]
        return e

    assert env().get_template("t.html").render(x=1) == "1!"
    assert env().get_template("t.html").render(x=2) == "2!"
    assert loads == ["t.html"]  # the second environment loaded the code the first compiled
    (tmp_path / "t.html").write_text("{{ x }}?", encoding="utf-8")
    assert env().get_template("t.html").render(x=3) == "3?"  # an edited template is compiled again
    assert loads == ["t.html", "t.html"]
    assert mkdocs_hooks.on_env(jinja2.Environment(), None, None).bytecode_cache is THEME_CODE  # type: ignore[arg-type]



def test_a_department_row_rendered_once_is_the_row_every_department_page_would_render() -> None:
    cfg = read_config(REPO / "mkdocs.yml", environ={})
    loaded = load(cfg)
    surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))

    def url_for(src: str) -> str:
        return src.removesuffix("index.md").removesuffix(".md") + ("/" if not src.endswith("index.md") else "")

    def page(site: Site, key: str) -> str:
        return site.render(key, url_for(site.pages[key].src_uri), url_for)[0]

    shared = Site(surveyed, cfg, REPO / "overrides" / "portal")
    keys = [key for key in shared.pages if key.startswith("dept:")]
    leads = {key: {t.id for t in shared.pages[key].dept.lead_tasks} for key in keys}  # type: ignore[union-attr]
    assert any(leads[a] & leads[b] for a in keys for b in keys if a < b)  # some rows are on two pages
    for key in keys:  # each page after the others' rows are kept, against a page rendered on its own
        alone = Site(surveyed, cfg, REPO / "overrides" / "portal")
        assert page(shared, key) == page(alone, key), key
    assert shared._fragments  # the rows were kept


def test_front_matter_that_has_no_plain_form_is_made_anew_not_a_failure() -> None:
    """Keys of mixed kinds (YAML's `1:` beside `title:`) cannot be sorted: such a page is not kept between rebuilds."""
    loop: dict[str, object] = {"title": "页面"}
    loop["self"] = loop
    meta = {"title": "页面", "search": {"boost": 2}}
    assert plain_meta(meta) == plain_meta(dict(reversed(meta.items())))
    assert plain_meta({1: "一", "title": "页面"}) is None
    assert plain_meta(loop) is None
