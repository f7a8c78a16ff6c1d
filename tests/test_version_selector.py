"""The version selector in a real browser: live portal → monthly snapshot → live, under /portal/ and at the root.

The sample with its history and one published month (test_browser's site) is served under /portal/ by nginx
with docs/deploy.md's configuration (a Python server mounting it there when nginx is not to be had), and at
the root of a second server. Switching keeps the page when the other version has it, as Material's does, and
lands on the version's home otherwise.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import test_browser
from test_browser import _Quiet
from test_deploy import nginx_serving

site = test_browser.site  # the fixtures: the sample with a published month, built once for this module
browser = test_browser.browser

LIVE, SNAPSHOT = "最新", "2020年9月"


class _Mounted(_Quiet):
    """A static server with the site under /portal/ and nothing else (404 elsewhere)."""

    def translate_path(self, path: str) -> str:
        if not path.startswith("/portal/"):
            return str(Path(self.directory) / "no-such-file")
        return super().translate_path(path[len("/portal"):])


def _python_server(folder: Path, handler: type[_Quiet]) -> tuple[http.server.ThreadingHTTPServer, int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


@pytest.fixture(scope="module", params=["/portal/", "/"])
def base(request: pytest.FixtureRequest, site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The live portal's address: under /portal/ (nginx when available), or at the root of its host."""
    if request.param == "/":
        httpd, port = _python_server(site, _Quiet)
        yield f"http://127.0.0.1:{port}/"
        httpd.shutdown()
        return
    with nginx_serving(site, tmp_path_factory.mktemp("nginx")) as served:
        if served is not None:
            yield f"http://127.0.0.1:{served.port}/portal/"
            return
    httpd, port = _python_server(site, _Mounted)
    yield f"http://127.0.0.1:{port}/portal/"
    httpd.shutdown()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def switch(page: Page, title: str) -> None:
    """Choose ``title`` in the header's selector, as a reader does: hover over it, click the entry."""
    page.locator(".md-header__topic .md-version").hover()
    with page.expect_navigation():
        page.locator(".md-version__list a.md-version__link", has_text=title).click()


def test_live_to_snapshot_and_back_on_the_same_page(page: Page, base: str) -> None:
    page.goto(f"{base}pe2020/s1/")
    current = page.locator(".md-header__topic .md-version__current")
    expect(current).to_have_text(LIVE)
    titles = page.locator(".md-version__list a.md-version__link")
    expect(titles).to_have_text([LIVE, SNAPSHOT])
    assert titles.nth(1).get_attribute("href") == f"{base}archive/2020-09/"
    assert page.locator(".pp-snapshot-banner").count() == 0

    switch(page, SNAPSHOT)
    assert page.url == f"{base}archive/2020-09/pe2020/s1/"
    expect(page.locator(".pp-snapshot-banner")).to_contain_text("2020年9月")
    expect(current).to_have_text(SNAPSHOT)
    assert page.locator('[data-task="t05"]').count() > 0  # the section's cards, as the month ended

    switch(page, LIVE)
    assert page.url == f"{base}pe2020/s1/"
    assert page.locator(".pp-snapshot-banner").count() == 0
    expect(current).to_have_text(LIVE)
    assert page.locator('[data-task="t05"]').count() > 0


def test_a_page_the_other_version_lacks_lands_on_its_home(page: Page, base: str) -> None:
    page.goto(f"{base}archive/")  # the live portal's list of months: a snapshot has none
    switch(page, SNAPSHOT)
    assert page.url == f"{base}archive/2020-09/"
    expect(page.locator(".pp-snapshot-banner")).to_be_visible()
    page.goto(f"{base}archive/2020-09/report/")  # the month's report: the live portal has none
    switch(page, LIVE)
    assert page.url == base
    assert page.locator(".pp-snapshot-banner").count() == 0
