"""Which pages the portal generates, and which page shows each task's card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import REPO
from portal.config import PortalConfig, read_config
from portal.ledger.load import load
from portal.outputs.site import Site
from portal.survey import Rules, survey

TEMPLATES = REPO / "overrides" / "portal"


def sample_site(page_depth: int) -> Site:
    cfg = read_config(REPO / "mkdocs.yml", environ={}).replace(page_depth=page_depth)
    loaded = load(cfg)
    return Site(survey(loaded.ledger, loaded.as_of, Rules.of(cfg)), cfg, TEMPLATES)


def test_one_page_per_top_level_section_by_default() -> None:
    site = sample_site(1)
    sections = [s for s in site.pages.values() if s.kind == "section"]
    assert [s.src_uri for s in sections] == [f"pe2020/s{n}.md" for n in range(1, 8)]
    assert set(site.task_page) == {f"t{n:02d}" for n in range(1, 53)}
    assert site.task_page["t05"] == "section:pe2020:s1"


def test_deeper_page_depth_gives_items_their_own_pages_nested_in_the_nav() -> None:
    site = sample_site(2)
    sections = [s for s in site.pages.values() if s.kind == "section"]
    assert len(sections) == 7 + 24
    assert site.task_page["t05"] == "section:pe2020:s1-3"
    assert site.task_page["t52"] == "section:pe2020:s7"  # 七、 has no items: its task stays on its page
    plan = next(s for s in site.nav if s.kind == "plan")
    s1 = plan.children[0]
    assert [c.key for c in s1.children] == [f"section:pe2020:s1-{n}" for n in range(1, 6)]
    html, _ = site.render("section:pe2020:s1", "pe2020/s1/", lambda src: src.removesuffix(".md") + "/")
    assert 'data-task="t05"' not in html and "s1-3/" in html  # the item's page is linked, its cards live there
    item_html, item_toc = site.render("section:pe2020:s1-3", "pe2020/s1-3/", lambda src: src.removesuffix(".md") + "/")
    assert item_html.count('class="pp-card ') == 2 and [t.id for t in item_toc] == ["t05", "t06"]


def test_dashboard_lists_next_deadlines_in_date_order_without_overdue() -> None:
    site = sample_site(1)
    upcoming = site.next_deadlines(20)
    dues = [site.states[t.id].due for t in upcoming]
    assert dues == sorted(dues) and all(d is not None and d >= site.as_of for d in dues)
    assert all(site.states[t.id].state != "overdue" for t in upcoming)


def test_as_of_defaults_to_today_in_the_plan_time_zone(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    (tmp_path / "tasks.yaml").write_text(
        "plan:\n  id: p\n  title: x\n  year: 2020\n  timezone: Pacific/Kiritimati\nsections: []\n", encoding="utf-8")
    cfg = read_config(tmp_path / "mkdocs.yml", environ={})
    assert isinstance(cfg, PortalConfig) and cfg.as_of is None
    loaded = load(cfg)
    kiritimati = dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date()  # UTC+14, no DST
    assert loaded.as_of == kiritimati
