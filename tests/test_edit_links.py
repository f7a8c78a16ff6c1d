"""Each task card links to the task's lines in the repository's web interface (GitLab or GitHub), when set."""

from __future__ import annotations

import re

from conftest import REPO
from portal.config import read_config
from portal.ledger.load import load
from portal.outputs.site import Site
from portal.survey import Rules, survey

TEMPLATES = REPO / "overrides" / "portal"


def section_html(repo_url: str, **settings: str) -> str:
    cfg = read_config(REPO / "mkdocs.yml", environ={}).replace(repo_url=repo_url, **settings)
    loaded = load(cfg)
    site = Site(survey(loaded.ledger, loaded.as_of, Rules.of(cfg)), cfg, TEMPLATES)
    html, _ = site.render("section:pe2020:s1", "pe2020/s1/", lambda src: src.removesuffix(".md") + "/")
    return html


def line_of(task_id: str) -> int:
    lines = (REPO / "tasks.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if re.fullmatch(rf"\s*- id: {task_id}", text))


def test_gitlab_links_each_card_to_its_lines() -> None:
    html = section_html("https://git.example.gov.cn/dcs/ledger")
    assert f'href="https://git.example.gov.cn/dcs/ledger/-/blob/main/tasks.yaml#L{line_of("t01")}"' in html
    assert html.count('class="pp-card__edit"') == html.count('class="pp-card ')


def test_github_form_and_another_branch() -> None:
    html = section_html("https://github.com/office/ledger/", branch="master")
    assert f'href="https://github.com/office/ledger/blob/master/tasks.yaml#L{line_of("t05")}"' in html


def test_no_repository_no_edit_link() -> None:
    assert "pp-card__edit" not in section_html("")
